"""``brand-audit demo``: the whole product on the bundled demo brand, offline.

The demo website is served from the package on 127.0.0.1 (an ephemeral port) and crawled
like any site, its pages keyed by the brand's public URL (``base_url``); the demo's social
posts and call transcripts are read from the package.
"""

from __future__ import annotations

import functools
import http.server
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from auditor.config import AuditConfig, ChannelSection, build_options
from auditor.engine import Progress, _quiet, run_audit, write_reports
from auditor.types import AuditRun
from baselines import DEMO_BASELINE

SOURCES = DEMO_BASELINE / "sources"
#: The demo brand's public site, as its e-mails and posts link to it.
PUBLIC_URL = "https://sosna.example/"


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


@contextmanager
def serve_folder(folder: Path) -> Iterator[str]:
    """Serve ``folder`` over HTTP on 127.0.0.1 for as long as the block runs; yield its URL."""
    handler = functools.partial(_QuietHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


def demo_config(site_url: str, out: Path, model: str | None = None) -> AuditConfig:
    from channels import channel_kinds

    kinds = channel_kinds()
    # File sources are named relative to the demo baseline ("sources/calls/..."), wherever
    # brand-audit is installed, so reports read alike and re-runs compare like with like.
    tables = [
        # Keyed by the demo brand's public URL: the site is served on a new port each run,
        # and a re-run must compare its pages with the same pages of the last run.
        ("web", {"start": [site_url], "max_pages": 50, "base_url": PUBLIC_URL,
                 "cache": str(out / ".brand-audit" / "web-cache.sqlite")}),
        ("social", {"kind": "jsonl", "path": "sources/social/posts.jsonl"}),
        ("social", {"kind": "csv", "path": "sources/social/posts.csv"}),
        # A saved public preview of the Russian Telegram channel (t.me/s/sosna_home_ru); posts
        # that repeat the exports above are reported once.
        ("social", {"kind": "telegram", "path": "sources/social/telegram-sosna_home_ru.html"}),
        ("calls", {"path": "sources/calls",
                   "agent_from_filename": r"-(?P<agent>[a-z]+)\.\w+$",
                   "company_names": ["Sosna", "Сосна"]}),
        ("email", {"path": "sources/email"}),
        ("sms", {"path": "sources/sms"}),
    ]
    sections = []
    counts: dict[str, int] = {}
    for kind, table in tables:
        index = counts.get(kind, 0)
        counts[kind] = index + 1
        options = build_options(kinds[kind].options, table, "demo", "",
                                prefix=f"channels.{kind}[{index}].")
        sections.append(ChannelSection(kind, options, index))
    # The config "lives" beside the demo baseline: relative paths start there (``base_dir``);
    # everything the run writes goes to ``out``.
    return AuditConfig(path=DEMO_BASELINE / "audit.toml", name="Sosna (demo)",
                       baseline=DEMO_BASELINE,
                       store=out / ".brand-audit" / "audit.db", out=out, fail_on="never",
                       model=model, channels=tuple(sections))


def run_demo(out: Path, *, model: str | None = None, progress: Progress = _quiet,
             say: Callable[[str], None] = print, lang: str = "en"
             ) -> tuple[AuditRun, dict[str, Path]]:
    out.mkdir(parents=True, exist_ok=True)
    with serve_folder(SOURCES / "site") as url:
        say(f"Serving the demo website at {url}")
        config = demo_config(url, out, model)
        audit_run, report = run_audit(config, progress=progress)
    paths = write_reports(report, out, ("json", "html", "markdown"), lang=lang)
    return audit_run, paths
