from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"
SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"

# Tests never reach a model hub.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


def copy_project(tmp_path: Path) -> Path:
    """A copy of ``fixtures/project`` (a small audit.toml with files and calls) whose config
    points at the bundled demo baseline wherever the copy lives."""
    import shutil

    from baselines import DEMO_BASELINE

    project = shutil.copytree(FIXTURES / "project", tmp_path / "project")
    config = project / "audit.toml"
    config.write_text(config.read_text().replace("../../../baselines/demo",
                                                 DEMO_BASELINE.as_posix()))
    return project


@pytest.fixture
def fixtures() -> Path:
    return FIXTURES


@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path_factory, monkeypatch):
    """Commands without a store of their own cache embeddings here, and parsed files (the
    pronouncing dictionary) go to the session's cache folder, not ~/.cache."""
    monkeypatch.setenv("BRAND_AUDIT_CACHE", str(tmp_path_factory.getbasetemp() / "cache.db"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.getbasetemp() / "xdg-cache"))


CHROMIUM = os.environ.get("BRAND_AUDIT_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium driven by Playwright. Missing Chromium skips locally, fails in CI."""
    import shutil

    if not (os.path.isfile(CHROMIUM) or shutil.which(CHROMIUM)):
        message = f"Chromium not found at {CHROMIUM} (set BRAND_AUDIT_CHROMIUM to another path)"
        if os.environ.get("CI"):
            pytest.fail(message + "; `make test` installs Debian's chromium")
        pytest.skip(message)
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def screenshot_dir(tmp_path) -> Path:
    """Where browser tests save screenshots: the test's own folder, or docs/img when
    BRAND_AUDIT_SCREENSHOTS=1 (to refresh the README's pictures on purpose)."""
    if os.environ.get("BRAND_AUDIT_SCREENSHOTS") == "1":
        target = Path(__file__).resolve().parent.parent / "docs" / "img"
        target.mkdir(parents=True, exist_ok=True)
        return target
    return tmp_path


class Site:
    """127.0.0.1 on an ephemeral port; ``routes`` maps a path to (status, headers, body)."""

    def __init__(self) -> None:
        self.routes: dict[str, tuple[int, dict[str, str], bytes]] = {}
        self.requests: list[tuple[str, dict[str, str]]] = []
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                site.requests.append((self.path, dict(self.headers)))
                route = site.routes.get(self.path.split("?")[0])
                if callable(route):
                    route = route(self)
                status, headers, body = route or (404, {}, b"not here")
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05},
                         daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def site() -> Iterator[Site]:
    """A local site whose pages a test sets in ``site.routes``; every request is recorded."""
    running = Site()
    yield running
    running.close()
