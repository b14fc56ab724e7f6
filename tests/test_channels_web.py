"""The web crawler against a fixture site served on 127.0.0.1 (tests/fixtures/channels/site)."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from auditor.types import CollectionError, Touchpoint
from channels import CollectContext
from channels.social import SocialOptions
from channels.social import collect as collect_social
from channels.web import WebOptions, collect, decode_html, normalize_url

FIXTURES = Path(__file__).parent / "fixtures" / "channels"
SITE = FIXTURES / "site"
USER_AGENT = "brand-audit-test/1.0 (+https://example.org/bot)"
CONTENT_TYPES = {".html": "text/html; charset=utf-8", ".pdf": "application/pdf",
                 ".txt": "text/plain; charset=utf-8", ".jsonl": "application/x-ndjson"}


@dataclass
class FixtureServer:
    """A static site from a fixture folder; remembers every request."""

    root: Path
    placeholders: dict[str, str] = field(default_factory=dict)
    requests: list[tuple[str, str]] = field(default_factory=list)  # (path, User-Agent)
    url: str = ""

    @property
    def paths(self) -> list[str]:
        return [path for path, _ in self.requests]


def _handler(server: FixtureServer) -> type[BaseHTTPRequestHandler]:
    routes_file = server.root / "_routes.json"
    routes = json.loads(routes_file.read_text()) if routes_file.exists() else {}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
            server.requests.append((self.path, self.headers.get("User-Agent", "")))
            path = urlsplit(self.path).path
            route = routes.get(path, {})
            if "sleep" in route:
                time.sleep(route["sleep"])
            if route.get("status", 200) != 200:
                self.send_response(route["status"])
                if "location" in route:
                    self.send_header("Location", route["location"])
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            name = route.get("file") or path.lstrip("/")
            file = server.root / name
            if name == "" or name.endswith("/"):
                file = file / "index.html"
            if not file.is_file() or file.name.startswith("_"):
                self.send_error(404)
                return
            body = file.read_bytes()
            for key, value in server.placeholders.items():
                body = body.replace(key.encode(), value.encode())
            self.send_response(200)
            self.send_header("Content-Type", route.get("content_type")
                             or CONTENT_TYPES.get(file.suffix, "application/octet-stream"))
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            try:
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (the timeout test)

        def log_message(self, *args: object) -> None:
            pass

    return Handler


@pytest.fixture
def serve() -> Iterator:
    """``serve(root, placeholders) -> FixtureServer`` running on an ephemeral local port."""
    running: list[ThreadingHTTPServer] = []

    def start(root: Path, placeholders: dict[str, str] | None = None) -> FixtureServer:
        fixture = FixtureServer(root, dict(placeholders or {}))
        httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(fixture))
        httpd.daemon_threads = True
        fixture.url = f"http://127.0.0.1:{httpd.server_address[1]}"
        threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05},
                         daemon=True).start()
        running.append(httpd)
        return fixture

    yield start
    for httpd in running:
        httpd.shutdown()
        httpd.server_close()


@pytest.fixture
def crawl(serve, tmp_path):
    """Crawl the fixture site; returns (site server, external server, touchpoints, errors)."""
    external = serve(FIXTURES / "site")
    site = serve(SITE, {"{{EXTERNAL}}": external.url})

    def run(**overrides) -> tuple[FixtureServer, FixtureServer, list, list]:
        options = WebOptions(start=[site.url + "/"], **overrides)
        results = list(collect(options, CollectContext(base_dir=tmp_path, user_agent=USER_AGENT)))
        touchpoints = [r for r in results if isinstance(r, Touchpoint)]
        errors = [r for r in results if isinstance(r, CollectionError)]
        return site, external, touchpoints, errors

    return run


def by_path(touchpoints: list[Touchpoint]) -> dict[str, Touchpoint]:
    return {urlsplit(t.source).path: t for t in touchpoints if not t.id.endswith("#site-wide")}


def test_crawl_collects_each_html_page_once(crawl):
    site, _, touchpoints, _ = crawl()
    pages = by_path(touchpoints)
    assert set(pages) == {"/", "/about.html", "/products/", "/products/widget.html",
                          "/ru/", "/ru/contacts.html"}
    home = pages["/"]
    assert home.id == f"web:{site.url}/"
    assert home.channel == "web"
    assert home.title == "Acme Widgets: Home"
    assert home.language == "en"
    assert home.metadata["url"] == f"{site.url}/"
    assert home.captured_at is not None
    texts = [b.text for b in home.blocks]
    assert "We build reliable widgets for busy teams." in texts
    assert not any("never copy" in t or "JavaScript" in t for t in texts)


def test_robots_txt_is_obeyed_and_user_agent_sent(crawl):
    site, _, _, errors = crawl()
    assert site.paths.count("/robots.txt") == 1
    assert not [p for p in site.paths if p.startswith("/private/")]
    assert {agent for _, agent in site.requests} == {USER_AGENT}
    robots = [e for e in errors if e.source.endswith("/robots.txt")]
    assert len(robots) == 1 and "/private/secret.html" in robots[0].error


def test_external_hosts_are_never_requested(crawl):
    _, external, touchpoints, errors = crawl()
    assert external.requests == []
    assert not [t for t in touchpoints if external.url in t.source]
    assert not [e for e in errors if external.url in e.source]


def test_tracking_parameters_and_duplicates_are_fetched_once(crawl):
    site, _, _, _ = crawl()
    assert site.paths.count("/about.html") == 1
    assert not [p for p in site.paths if "utm_" in p or "gclid" in p or "fbclid" in p]
    # /products/?page=2&sort=price and ?sort=price&page=2&fbclid=... are one URL.
    assert sum(p.startswith("/products/?") for p in site.paths) == 1
    # /old-about redirects to /about.html: read once; /index.html has the same copy as /.
    assert "/old-about" in site.paths


def test_windows_1251_page_without_charset_header_is_decoded(crawl):
    _, _, touchpoints, _ = crawl()
    pages = by_path(touchpoints)
    ru = pages["/ru/"]
    assert ru.language == "ru"
    assert ru.title == "Акме: виджеты, которые просто работают"
    assert any(b.text.startswith("Мы делаем надёжные виджеты") for b in ru.blocks)
    assert [b.text for b in ru.blocks if b.scope == "web.cta"] == ["Связаться с нами"]
    # <meta charset="windows-1251"> on the other page
    assert pages["/ru/contacts.html"].blocks[-1].text == \
        "Пишите в любое время: ответим в течение часа."


def test_pdf_missing_and_broken_links_are_reported(crawl):
    site, _, _, errors = crawl()
    by_source = {urlsplit(e.source).path: e.error for e in errors}
    assert by_source["/docs/brochure.pdf"] == "skipped: not HTML (application/pdf)"
    assert by_source["/missing.html"].startswith("HTTP 404")
    assert by_source["/broken"].startswith("HTTP 500")
    assert all(e.channel == "web" for e in errors)


def test_site_chrome_is_one_site_wide_touchpoint(crawl):
    site, _, touchpoints, _ = crawl()
    site_wide = [t for t in touchpoints if t.id.endswith("#site-wide")]
    assert len(site_wide) == 1
    chrome = site_wide[0]
    host = urlsplit(site.url).netloc
    assert chrome.id == f"web:{host}#site-wide"
    assert chrome.title == "Site-wide navigation and footer"
    texts = [b.text for b in chrome.blocks]
    assert len(texts) == len(set(texts))
    for text in ("About us", "© 2024 Acme Widgets. All rights reserved.",
                 "We use cookies to improve your visit.", "Accept cookies", "Контакты"):
        assert text in texts
    for page in by_path(touchpoints).values():
        page_texts = {b.text for b in page.blocks if b.scope != "web.title"}
        assert not page_texts & set(texts), page.source
    assert touchpoints[-1] is chrome  # emitted after the crawl


def test_limits_stop_the_crawl_with_a_note(crawl):
    site, _, touchpoints, errors = crawl(max_pages=2)
    assert len([p for p in site.paths if p != "/robots.txt"]) == 2
    assert any("max_pages = 2" in e.error for e in errors)

    site, _, touchpoints, _ = crawl(max_depth=0)
    assert set(by_path(touchpoints)) == {"/"}


def test_include_and_exclude_filter_links(crawl):
    site, _, touchpoints, _ = crawl(exclude=[r"/ru/"], include=[r"/products/"])
    assert set(by_path(touchpoints)) == {"/", "/products/", "/products/widget.html"}
    assert not [p for p in site.paths if p.startswith("/ru/")]

    _, _, touchpoints, errors = crawl(include=["("])
    assert touchpoints == [] and "not a valid regular expression" in errors[0].error


def test_timeout_and_refused_connection_are_errors(serve, tmp_path):
    site = serve(SITE)
    ctx = CollectContext(base_dir=tmp_path, user_agent=USER_AGENT)
    results = list(collect(WebOptions(start=[site.url + "/slow"], timeout=0.3), ctx))
    assert len(results) == 1 and "timed out" in results[0].error

    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{sock.getsockname()[1]}/"
    results = list(collect(WebOptions(start=[closed], respect_robots=False), ctx))
    assert len(results) == 1 and isinstance(results[0], CollectionError)
    assert results[0].source == closed and "connection failed" in results[0].error
    results = list(collect(WebOptions(start=[closed]), ctx))
    assert "robots.txt unreachable" in results[0].error


def test_normalize_url():
    assert normalize_url("HTTP://Example.COM:80/a?utm_source=x&b=2&a=1&gclid=9#top") == \
        "http://example.com/a?a=1&b=2"
    assert normalize_url("https://example.com") == "https://example.com/"
    assert normalize_url("https://example.com:8443/x?fbclid=1") == "https://example.com:8443/x"
    assert normalize_url("mailto:team@example.com") is None


def test_decode_html_prefers_header_then_meta():
    body = "<html><p>Привет</p></html>".encode("cp1251")
    assert "Привет" in decode_html(body, "windows-1251")
    meta = '<meta charset="koi8-r"><p>Привет</p>'.encode("koi8-r")
    assert "Привет" in decode_html(meta, None)
    assert "Привет" in decode_html("<p>Привет</p>".encode(), None)


def test_social_export_by_url_uses_the_polite_fetcher(serve, tmp_path):
    server = serve(FIXTURES / "social")
    options = SocialOptions(kind="jsonl", url=server.url + "/posts.jsonl")
    ctx = CollectContext(base_dir=tmp_path, user_agent=USER_AGENT)
    results = list(collect_social(options, ctx))
    assert server.paths[0] == "/robots.txt"
    assert {agent for _, agent in server.requests} == {USER_AGENT}
    assert any(isinstance(r, Touchpoint) for r in results)
    assert all(r.source.startswith(server.url) for r in results if isinstance(r, CollectionError))
