"""The web crawler against a ~50-page fixture site served on 127.0.0.1.

The site is tests/fixtures/channels/site (generated parts written by make_site.py beside it).
"""

from __future__ import annotations

import asyncio
import gzip
import hashlib
import json
import os
import socket
import sqlite3
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from auditor.config import build_options
from auditor.errors import ConfigError
from auditor.types import CollectionError, Touchpoint
from channels import CollectContext
from channels.fetch import _retry_after
from channels.sitemap import SitemapError, parse_sitemap
from channels.social import SocialOptions
from channels.social import collect as collect_social
from channels.web import WebOptions, collect, decode_html, normalize_url

FIXTURES = Path(__file__).parent / "fixtures" / "channels"
SITE = FIXTURES / "site"
BUILT = FIXTURES / "built-site"
USER_AGENT = "brand-audit-test/1.0 (+https://example.org/bot)"
CONTENT_TYPES = {".html": "text/html; charset=utf-8", ".pdf": "application/pdf",
                 ".txt": "text/plain; charset=utf-8", ".jsonl": "application/x-ndjson",
                 ".js": "text/javascript", ".json": "application/json",
                 ".xml": "application/xml"}
CHROMIUM = os.environ.get("BRAND_AUDIT_CHROMIUM", "/usr/bin/chromium")


# -- The test server ------------------------------------------------------------------------

@dataclass
class Hit:
    path: str
    agent: str
    headers: dict[str, str]
    start: float
    end: float = 0.0
    status: int = 0


@dataclass
class FixtureServer:
    """A static site from a fixture folder (routes in ``_routes.json``); logs every request
    and counts requests in flight."""

    root: Path
    placeholders: dict[str, str] = field(default_factory=dict)
    overrides: dict[str, bytes] = field(default_factory=dict)  # path -> body, set by a test
    latency: float = 0.0          # seconds every request takes
    requests: list[Hit] = field(default_factory=list)
    url: str = ""
    in_flight: int = 0
    max_in_flight: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def paths(self) -> list[str]:
        return [hit.path for hit in self.requests]

    def hits(self, path: str) -> list[Hit]:
        return [hit for hit in self.requests if hit.path == path]


def _handler(server: FixtureServer) -> type[BaseHTTPRequestHandler]:
    routes_file = server.root / "_routes.json"
    routes = json.loads(routes_file.read_text()) if routes_file.exists() else {}
    served: dict[str, int] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
            hit = Hit(self.path, self.headers.get("User-Agent", ""), dict(self.headers),
                      time.monotonic())
            with server.lock:
                server.requests.append(hit)
                server.in_flight += 1
                server.max_in_flight = max(server.max_in_flight, server.in_flight)
            try:
                hit.status = self.answer()
            finally:
                with server.lock:
                    server.in_flight -= 1
                hit.end = time.monotonic()

        def answer(self) -> int:
            if server.latency:
                time.sleep(server.latency)
            path = urlsplit(self.path).path
            route = routes.get(path, {})
            with server.lock:
                served[path] = served.get(path, 0) + 1
                count = served[path]
            if "sleep" in route:
                time.sleep(route["sleep"])
            if count <= route.get("fail_first", 0):
                return self.empty(route["status_first"],
                                  {"Retry-After": route["retry_after"]}
                                  if "retry_after" in route else {})
            if route.get("status", 200) != 200:
                return self.empty(route["status"], {"Location": route["location"]}
                                  if "location" in route else {})
            if path in server.overrides:
                body = server.overrides[path]
                suffix = ".html"
            else:
                name = route.get("file") or path.lstrip("/")
                file = server.root / name
                if name == "" or name.endswith("/"):
                    file = file / "index.html"
                if not file.is_file() or (file.name.startswith("_") and "file" not in route):
                    self.send_error(404)
                    return 404
                body = file.read_bytes()
                suffix = file.suffix
            for key, value in server.placeholders.items():
                body = body.replace(key.encode(), value.encode())
            if route.get("gzip"):
                body = gzip.compress(body)
            if route.get("pad"):
                body += b"<!--" + b"x" * route["pad"] + b"-->"
            etag = '"' + hashlib.sha1(body).hexdigest()[:16] + '"'
            if self.headers.get("If-None-Match") == etag:
                return self.empty(304, {"ETag": etag})
            self.send_response(200)
            self.send_header("Content-Type", route.get("content_type")
                             or CONTENT_TYPES.get(suffix, "application/octet-stream"))
            self.send_header("Content-Length", str(len(body)))
            self.send_header("ETag", etag)
            self.end_headers()
            try:
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (timeout, size cap)
            return 200

        def empty(self, status: int, headers: dict[str, str]) -> int:
            self.send_response(status)
            for key, value in headers.items():
                self.send_header(key, value)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return status

        def log_message(self, *args: object) -> None:
            pass

    return Handler


class Servers:
    """Starts fixture servers on ephemeral 127.0.0.1 ports; ``close`` stops them all."""

    def __init__(self) -> None:
        self.running: list[ThreadingHTTPServer] = []

    def start(self, root: Path, placeholders: dict[str, str] | None = None) -> FixtureServer:
        fixture = FixtureServer(root, dict(placeholders or {}))
        httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(fixture))
        httpd.daemon_threads = True
        fixture.url = f"http://127.0.0.1:{httpd.server_address[1]}"
        fixture.placeholders.setdefault("{{SITE}}", fixture.url)
        threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05},
                         daemon=True).start()
        self.running.append(httpd)
        return fixture

    def site(self) -> tuple[FixtureServer, FixtureServer]:
        """The fixture site and a second server standing for every host outside the scope."""
        external = self.start(SITE)
        return self.start(SITE, {"{{EXTERNAL}}": external.url}), external

    def close(self) -> None:
        for httpd in self.running:
            httpd.shutdown()
            httpd.server_close()


@pytest.fixture
def servers() -> Iterator[Servers]:
    running = Servers()
    yield running
    running.close()


def run(options: WebOptions, base_dir: Path) -> tuple[list[Touchpoint], list[CollectionError]]:
    results = list(collect(options, CollectContext(base_dir=base_dir, user_agent=USER_AGENT)))
    assert all(isinstance(r, (Touchpoint, CollectionError)) for r in results)
    return ([r for r in results if isinstance(r, Touchpoint)],
            [r for r in results if isinstance(r, CollectionError)])


def by_path(touchpoints: list[Touchpoint]) -> dict[str, Touchpoint]:
    pages = {}
    for t in touchpoints:
        if not t.id.endswith("#site-wide"):
            parts = urlsplit(t.source)
            key = parts.path + (f"?{parts.query}" if parts.query else "")
            assert key not in pages, f"two touchpoints for {key}"
            pages[key] = t
    return pages


def errors_by_path(errors: list[CollectionError]) -> dict[str, str]:
    found: dict[str, str] = {}
    for e in errors:
        path = urlsplit(e.source).path
        found[path] = found.get(path, "") + e.error
    return found


# -- The whole fixture site, crawled once for the tests below -------------------------------

@dataclass
class Crawl:
    site: FixtureServer
    external: FixtureServer
    touchpoints: list[Touchpoint]
    errors: list[CollectionError]
    seconds: float

    @property
    def pages(self) -> dict[str, Touchpoint]:
        return by_path(self.touchpoints)


FULL_CRAWL = dict(timeout=0.5, retries=1, max_bytes=200_000, concurrency=4)
BLOG_POSTS = {f"/blog/post-{n:02d}.html" for n in range(1, 31)}
EXPECTED_PAGES = {
    "/", "/about.html", "/products/", "/products/widget.html", "/ru/", "/ru/contacts.html",
    "/ru/koi8.html", "/ru/koi8-bare.html", "/blog/", "/campaign/spring.html",
    "/campaign/summer.html", "/flaky", "/app/", "/products/gizmo.html",
} | BLOG_POSTS


@pytest.fixture(scope="module")
def full(tmp_path_factory) -> Iterator[Crawl]:
    running = Servers()
    site, external = running.site()
    began = time.monotonic()
    touchpoints, errors = run(WebOptions(start=[site.url + "/"], render="never", **FULL_CRAWL),
                              tmp_path_factory.mktemp("full"))
    yield Crawl(site, external, touchpoints, errors, time.monotonic() - began)
    running.close()


def test_every_page_with_copy_is_one_touchpoint(full):
    assert set(full.pages) == EXPECTED_PAGES
    home = full.pages["/"]
    assert home.id == f"web:{full.site.url}/"
    assert (home.channel, home.title, home.language) == ("web", "Acme Widgets: Home", "en")
    assert home.metadata["url"] == f"{full.site.url}/"
    assert len(home.metadata["content_hash"]) == 64
    assert home.captured_at is not None
    texts = [b.text for b in home.blocks]
    assert "We build reliable widgets for busy teams." in texts
    assert not any("never copy" in t or "JavaScript" in t for t in texts)
    assert {t.channel for t in full.touchpoints} == {"web"}


def test_scopes_and_locators(full):
    post = full.pages["/blog/post-07.html"]
    scopes = [(b.scope, b.text) for b in post.blocks]
    assert scopes[0] == ("web.title", "Acme blog: quiet widgets (7)")
    assert ("web.heading.h1", "Post 7: Quiet widgets") in scopes
    assert post.blocks[1].locator.source == f"{full.site.url}/blog/post-07.html"
    assert post.blocks[1].locator.css == "main > article > h1"
    home = full.pages["/"]
    assert ("web.cta", "See our widgets") in [(b.scope, b.text) for b in home.blocks]
    assert ("web.alt", "The Acme team at work") in [(b.scope, b.text) for b in home.blocks]
    assert ("web.og.description", "Widgets that just work, delivered tomorrow.") in \
        [(b.scope, b.text) for b in home.blocks]


def test_robots_txt_is_obeyed(full):
    site = full.site
    assert site.paths.count("/robots.txt") == 1
    never = [p for p in site.paths if p.startswith(("/private/", "/blog/drafts/"))]
    assert never == []
    assert {hit.agent for hit in site.requests} == {USER_AGENT}
    errors = errors_by_path(full.errors)
    assert "disallowed by" in errors["/private/secret.html"]  # linked and in the sitemap
    assert "robots.txt" in errors["/blog/drafts/next-post.html"]


def test_sitemap_index_and_gzip_sitemap_are_read(full):
    paths = full.site.paths
    for sitemap in ("/sitemap.xml", "/sitemap-pages.xml", "/sitemap-campaigns.xml.gz"):
        assert paths.count(sitemap) == 1
    # Only the sitemaps lead to these pages.
    assert full.pages["/campaign/spring.html"].metadata["depth"] == "1"
    assert "/campaign/summer.html" in full.pages


def test_no_request_leaves_the_scope(full):
    assert full.external.requests == []
    assert not [t for t in full.touchpoints if full.external.url in t.source]
    assert not [e for e in full.errors if full.external.url in e.source]


def test_each_url_is_requested_once(full):
    paths = [p for p in full.site.paths if p not in ("/flaky", "/broken", "/slow")]
    assert len(paths) == len(set(paths))
    assert not [p for p in paths if "utm_" in p or "gclid" in p or "fbclid" in p]
    # /products/?page=2&sort=price and ?sort=price&page=2&fbclid=... are one URL.
    assert sum(p.startswith("/products/?") for p in paths) == 1
    assert "/old-about" in paths and "/index.html" in paths  # read, but not twice reported


def test_canonical_and_identical_copy_are_reported_once(full):
    widget = full.pages["/products/widget.html"]
    assert widget.id == f"web:{full.site.url}/products/widget.html"
    assert "/products/widget-print.html" not in full.pages
    # /index.html and /products/?page=2&sort=price repeat / and /products/ word for word.
    assert "/index.html" not in full.pages and "/products/?page=2&sort=price" not in full.pages


def test_a_preview_deploy_is_keyed_by_the_public_url(full, servers, tmp_path):
    # The same site at another address (a staging or preview deploy), crawled with base_url:
    # every page is keyed as on the live site, so history and waivers carry over; the
    # errors and each page's metadata name the URL that was fetched.
    site, _ = servers.site()
    public = "https://www.acme.example"
    touchpoints, errors = run(WebOptions(start=[site.url + "/"], render="never",
                                         base_url=public + "/", **FULL_CRAWL), tmp_path)
    live = {t.id.replace(full.site.url, public) for t in full.touchpoints
            if not t.id.endswith("#site-wide")}
    assert {t.id for t in touchpoints if not t.id.endswith("#site-wide")} == live
    assert [t.id for t in touchpoints if t.id.endswith("#site-wide")] == \
        ["web:www.acme.example#site-wide"]
    post = by_path(touchpoints)["/blog/post-07.html"]
    assert post.source == f"{public}/blog/post-07.html"
    assert {b.locator.source for b in post.blocks} == {f"{public}/blog/post-07.html"}
    assert post.metadata["url"] == f"{site.url}/blog/post-07.html"
    assert "/products/widget-print.html" not in by_path(touchpoints)  # canonical, rebased
    assert errors and all(e.source.startswith(site.url) for e in errors)
    assert "disallowed by" in errors_by_path(errors)["/private/secret.html"]


def test_russian_pages_decode(full):
    ru = full.pages["/ru/"]  # windows-1251, no charset in the header or the page
    assert ru.language == "ru"
    assert ru.title == "Акме: виджеты, которые просто работают"
    assert any(b.text.startswith("Мы делаем надёжные виджеты") for b in ru.blocks)
    assert [b.text for b in ru.blocks if b.scope == "web.cta"] == ["Связаться с нами"]
    assert full.pages["/ru/contacts.html"].blocks[-1].text == \
        "Пишите в любое время: ответим в течение часа."  # <meta charset="windows-1251">
    koi8 = full.pages["/ru/koi8.html"]  # KOI8-R named in the Content-Type header
    assert koi8.title == "Виджеты в КОИ-8"
    bare = full.pages["/ru/koi8-bare.html"]  # KOI8-R with no charset anywhere
    assert bare.title == "Доставка и гарантия"
    assert any("Наша поддержка отвечает быстро, вежливо и по делу." in b.text
               for b in bare.blocks)


def test_failures_are_reported_and_the_crawl_completes(full):
    errors = errors_by_path(full.errors)
    assert errors["/loop-a"].startswith("redirect loop:")
    assert "/loop-b" in errors["/loop-a"]
    # Each says where the crawl found the URL, so the link can be mended there.
    assert errors["/broken"] == \
        f"HTTP 500 Internal Server Error (after 2 attempts); linked from {full.site.url}/"
    assert len(full.site.hits("/broken")) == 2  # retries = 1
    assert errors["/slow"].startswith("timed out after 0.5 s")
    assert errors["/big.html"].startswith("too large: over the 200,000-byte cap")
    assert errors["/missing.html"].startswith("HTTP 404")
    assert all(e.channel == "web" for e in full.errors)
    # The crawl went on: every other page is there (see EXPECTED_PAGES) and the blog last.
    assert BLOG_POSTS <= set(full.pages)


def test_an_instant_meta_refresh_is_a_redirect(full):
    # A static site's redirect page (jekyll-redirect-from's, canonical link and all) is no
    # touchpoint: visitors never see it; the page it sends them to is crawled instead, and
    # is only reachable that way.
    assert "/products/old-gizmo.html" not in full.pages
    assert full.pages["/products/gizmo.html"].title == "The Gizmo"
    assert full.pages["/products/gizmo.html"].metadata["depth"] == "1"
    # One that sends visitors to another site is reported, and that site never asked.
    errors = errors_by_path(full.errors)
    assert errors["/products/old-partner.html"] == (
        f'redirects off-site to {full.external.url}/partner.html (<meta http-equiv="refresh">); '
        f"not followed; linked from {full.site.url}/")
    assert "/products/old-partner.html" not in full.pages


def test_a_page_found_in_a_sitemap_names_the_sitemap_in_its_error(servers, tmp_path):
    site = servers.start(SITE)
    sitemap = f"{site.url}/sitemap-pages.xml"
    _, errors = run(WebOptions(start=[sitemap], max_depth=1, sitemaps=False, render="never",
                               cache=""), tmp_path)
    assert errors_by_path(errors)["/private/secret.html"].endswith(f"; listed in {sitemap}")


def test_pdfs_and_images_are_listed_as_skipped_without_a_request(full):
    errors = errors_by_path(full.errors)
    assert errors["/docs/brochure.pdf"].startswith("skipped: not HTML (a .pdf file")
    assert errors["/images/team.jpg"].startswith("skipped: not HTML (a .jpg file")
    assert "/docs/brochure.pdf" not in full.site.paths
    assert "/images/team.jpg" not in full.site.paths


def test_retry_after_is_honoured(full):
    first, second = full.site.hits("/flaky")
    assert first.status == 503 and second.status == 200
    assert second.start - first.end >= 0.95  # Retry-After: 1
    assert full.pages["/flaky"].title == "Busy at first"


def test_shared_chrome_is_one_site_wide_touchpoint(full):
    site_wide = [t for t in full.touchpoints if t.id.endswith("#site-wide")]
    assert len(site_wide) == 1
    chrome = site_wide[0]
    assert chrome.id == f"web:{urlsplit(full.site.url).netloc}#site-wide"
    assert chrome.title == "Site-wide navigation and footer"
    texts = [b.text for b in chrome.blocks]
    assert len(texts) == len(set(texts))
    for text in ("About us", "© 2024 Acme Widgets. All rights reserved.",
                 "We use cookies to improve your visit.", "Accept cookies", "Контакты"):
        assert text in texts
    for page in full.pages.values():
        page_texts = {b.text for b in page.blocks if b.scope != "web.title"}
        assert not page_texts & set(texts), page.source
    assert full.touchpoints[-1] is chrome  # emitted after the crawl
    assert int(chrome.metadata["pages"]) == len(full.pages)



def test_the_site_wide_touchpoint_speaks_its_pages_language(servers, tmp_path):
    """"Startseite Preise Hilfe" is too short to identify; the pages say they are German."""
    nav = ('<nav><a href="/">Startseite</a> <a href="/preise.html">Preise</a> '
           '<a href="/hilfe.html">Hilfe</a></nav>')
    for name, text in [("index.html", "Wir liefern Ihre Bestellung schnell und zuverlässig."),
                       ("preise.html", "Unsere Preise sind klar und fair, ohne Überraschungen."),
                       ("hilfe.html", "Unser Team hilft Ihnen gern bei jeder Frage weiter.")]:
        (tmp_path / name).write_text(f'<html lang="de-DE"><body>{nav}<main><p>{text}</p>'
                                     f'</main></body></html>', encoding="utf-8")
    site = servers.start(tmp_path)
    touchpoints, errors = run(WebOptions(start=[site.url + "/"], render="never",
                                         sitemaps=False, cache=""), tmp_path / "work")
    (chrome,) = [t for t in touchpoints if t.id.endswith("#site-wide")]
    assert errors == [] and chrome.language == "de"
    assert [b.text for b in chrome.blocks] == ["Startseite Preise Hilfe"]

# -- Politeness -----------------------------------------------------------------------------

def test_concurrency_and_delay_per_host(servers, tmp_path):
    site, _ = servers.site()
    site.latency = 1.1  # longer than two delays: only the concurrency cap keeps it at 2
    options = WebOptions(start=[site.url + "/blog/"], delay=0.5, concurrency=2, max_pages=4,
                         sitemaps=False, render="never")
    touchpoints, _ = run(options, tmp_path)
    assert len(by_path(touchpoints)) == 4
    assert site.max_in_flight == 2
    starts = sorted(hit.start for hit in site.requests)
    assert len(starts) == 5  # robots.txt and four pages
    assert min(b - a for a, b in zip(starts, starts[1:])) >= 0.45


def test_the_next_request_goes_out_before_a_page_is_parsed(servers, tmp_path, monkeypatch):
    """Parsing holds the event loop: the request waiting for the freed connection is sent
    first, so the server works while the crawl parses."""
    import channels.web as web
    from channels.fetch import AsyncFetcher

    events: list[tuple[str, str]] = []
    send, extract = AsyncFetcher._send, web.extract_page

    async def logged_send(self, url, *args, **kwargs):
        events.append(("sent", urlsplit(url).path))
        return await send(self, url, *args, **kwargs)

    def logged_extract(html, url, **kwargs):
        events.append(("parsed", urlsplit(url).path))
        return extract(html, url, **kwargs)

    monkeypatch.setattr(AsyncFetcher, "_send", logged_send)
    monkeypatch.setattr(web, "extract_page", logged_extract)
    site, _ = servers.site()
    site.latency = 0.05  # no answer comes back while a page waits for its turn
    pages = ["/about.html", "/products/", "/blog/"]
    options = WebOptions(start=[site.url + p for p in pages], max_depth=0, concurrency=1,
                         sitemaps=False, render="never", cache="")
    touchpoints, errors = run(options, tmp_path)
    assert set(by_path(touchpoints)) == set(pages) and not errors
    assert [e for e in events if e[1] != "/robots.txt"] == [
        ("sent", "/about.html"), ("sent", "/products/"), ("parsed", "/about.html"),
        ("sent", "/blog/"), ("parsed", "/products/"), ("parsed", "/blog/")]


def test_crawl_delay_in_robots_txt_slows_the_crawl(servers, tmp_path):
    site, _ = servers.site()
    site.overrides["/robots.txt"] = b"User-agent: *\nCrawl-delay: 1\n"
    options = WebOptions(start=[site.url + "/blog/"], max_pages=2, sitemaps=False,
                         concurrency=4, render="never")
    run(options, tmp_path)
    starts = sorted(hit.start for hit in site.requests)
    assert len(starts) == 3
    assert min(b - a for a, b in zip(starts, starts[1:])) >= 0.95


def test_retry_after_parsing():
    assert _retry_after("3") == 3.0
    assert _retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0  # in the past: now
    assert _retry_after("soon") is None and _retry_after(None) is None


# -- Incremental crawls ---------------------------------------------------------------------

def test_unchanged_pages_are_not_fetched_again(servers, tmp_path):
    site, _ = servers.site()
    options = WebOptions(start=[site.url + "/blog/"], max_depth=1, sitemaps=False,
                         render="never", include=[r"/blog/"])
    first, _ = run(options, tmp_path)
    assert (tmp_path / ".brand-audit" / "web-cache.sqlite").is_file()
    site.requests.clear()
    site.overrides["/blog/post-03.html"] = \
        (SITE / "blog" / "post-03.html").read_bytes().replace(b"part 3", b"part three")
    second, errors = run(options, tmp_path)
    assert [urlsplit(e.source).path for e in errors] == ["/blog/drafts/next-post.html"]
    pages = {p: t for p, t in by_path(second).items()}
    assert set(pages) == set(by_path(first)) == BLOG_POSTS | {"/blog/"}
    statuses = {hit.path: hit.status for hit in site.requests if hit.path != "/robots.txt"}
    assert statuses.pop("/blog/post-03.html") == 200
    assert set(statuses.values()) == {304}
    assert all(hit.headers.get("If-None-Match") for hit in site.requests
               if hit.path != "/robots.txt")
    before = by_path(first)
    for path, page in pages.items():
        if path == "/blog/post-03.html":
            assert page.metadata["content_hash"] != before[path].metadata["content_hash"]
            assert "unchanged" not in page.metadata and "not_modified" not in page.metadata
            assert any("part three" in b.text for b in page.blocks)
        else:
            assert page.metadata["content_hash"] == before[path].metadata["content_hash"]
            assert page.metadata["not_modified"] == "true"
            assert page.metadata["unchanged"] == "true"
            assert page.blocks == before[path].blocks


def test_cache_can_be_turned_off(servers, tmp_path):
    site, _ = servers.site()
    options = WebOptions(start=[site.url + "/about.html"], max_depth=0, sitemaps=False,
                         cache="")
    run(options, tmp_path)
    run(options, tmp_path)
    assert not (tmp_path / ".brand-audit").exists()
    assert not [hit for hit in site.requests if "If-None-Match" in hit.headers]


def test_a_cache_that_cannot_be_written_costs_the_crawl_nothing(servers, tmp_path,
                                                               monkeypatch):
    from channels.web_cache import PageCache

    def full(self):
        if self._rows:
            raise sqlite3.OperationalError("database or disk is full")

    site, _ = servers.site()
    options = WebOptions(start=[site.url + "/blog/"], max_depth=1, sitemaps=False,
                         render="never", include=[r"/blog/"])
    expected, _ = run(options, tmp_path / "working")
    monkeypatch.setattr(PageCache, "_flush", full)
    touchpoints, errors = run(options, tmp_path)
    assert set(by_path(touchpoints)) == set(by_path(expected)) == BLOG_POSTS | {"/blog/"}
    cache = str(tmp_path / ".brand-audit" / "web-cache.sqlite")
    [failure] = [e for e in errors if e.source == cache]
    assert "web cache failed (database or disk is full)" in failure.error
    assert "free disk space" in failure.error
    monkeypatch.undo()
    site.requests.clear()
    run(options, tmp_path)  # nothing was recorded, so everything is fetched in full
    assert not [hit for hit in site.requests if "If-None-Match" in hit.headers]


@pytest.mark.parametrize("size", [0, 1, 511, 512, 513, 2_700, 40_000, 200_000])
def test_cached_bodies_of_any_size_read_back(tmp_path, size):
    from channels.web_cache import PageCache

    body = (hashlib.sha256(str(size).encode()).hexdigest().encode() * (size // 64 + 1))[:size]
    cache = PageCache(tmp_path / "cache.sqlite")
    for n in range(150):  # written in batches of 100, and the rest on close
        cache.put(f"http://127.0.0.1/{n}", final_url=f"http://127.0.0.1/{n}", etag=f'"{n}"',
                  last_modified=None, content_type="text/html", charset="utf-8", body=body,
                  content_hash=str(n))
    assert cache.get("http://127.0.0.1/149").body == body  # not written yet: read anyway
    assert cache.get("http://127.0.0.1/150") is None
    cache.close()
    again = PageCache(tmp_path / "cache.sqlite")
    for n in (0, 99, 100, 149):
        page = again.get(f"http://127.0.0.1/{n}")
        assert (page.body, page.etag, page.content_hash) == (body, f'"{n}"', str(n))
    again.close()


def test_a_recrawl_writes_its_cache_in_batches(tmp_path):
    """Every URL of a re-crawl is in the cache: looking one up must not write the rows
    waiting to be written (a transaction, and a sync to disk, per page)."""
    from channels.web_cache import PageCache

    def remember(cache, n, etag):
        cache.put(f"http://127.0.0.1/{n}", final_url=f"http://127.0.0.1/{n}", etag=etag,
                  last_modified=None, content_type="text/html", charset="utf-8",
                  body=f"<p>page {n}</p>".encode(), content_hash=str(n))

    first = PageCache(tmp_path / "cache.sqlite")
    for n in range(150):
        remember(first, n, '"v1"')
    first.close()
    cache = PageCache(tmp_path / "cache.sqlite")
    statements: list[str] = []
    cache._db.set_trace_callback(statements.append)
    for n in range(150):
        assert cache.get(f"http://127.0.0.1/{n}").etag == '"v1"'
        remember(cache, n, '"v2"')
        assert cache.get(f"http://127.0.0.1/{n}").etag == '"v2"'  # read before it is written
    cache.close()
    assert sum(s == "COMMIT" for s in statements) == 2  # 100 rows, then the other 50
    again = PageCache(tmp_path / "cache.sqlite")
    assert {again.get(f"http://127.0.0.1/{n}").etag for n in range(150)} == {'"v2"'}
    again.close()


def test_a_cache_written_by_an_earlier_version_is_read(tmp_path):
    """Bodies were zlib-compressed until 2026-12-02; they still answer a 304."""
    import zlib

    from channels.web_cache import PageCache

    PageCache(tmp_path / "cache.sqlite").close()
    db = sqlite3.connect(tmp_path / "cache.sqlite")
    body = b"<p>" + b"Tea, brewed slowly. " * 200 + b"</p>"
    db.execute("INSERT INTO pages VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
               ("http://127.0.0.1/old", "http://127.0.0.1/old", '"v1"', None, "text/html",
                "utf-8", zlib.compress(body, 1), "abc", "2026-11-30T10:00:00+00:00"))
    db.execute("INSERT INTO pages VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
               ("http://127.0.0.1/torn", "http://127.0.0.1/torn", '"v1"', None, "text/html",
                "utf-8", b"\x28\xb5\x2f\xfd broken", "abc", "2026-11-30T10:00:00+00:00"))
    db.commit()
    db.close()
    cache = PageCache(tmp_path / "cache.sqlite")
    assert cache.get("http://127.0.0.1/old").body == body
    torn = cache.get("http://127.0.0.1/torn")
    assert torn.body is None and torn.etag == '"v1"'  # fetched in full next time
    cache.close()


# -- Limits, scope patterns, errors ---------------------------------------------------------

def test_limits_stop_the_crawl_with_a_note(servers, tmp_path):
    site, _ = servers.site()
    _, errors = run(WebOptions(start=[site.url + "/"], max_pages=2, sitemaps=False,
                               render="never"), tmp_path)
    assert len([p for p in site.paths if p != "/robots.txt"]) == 2
    assert any("max_pages = 2" in e.error for e in errors)

    touchpoints, _ = run(WebOptions(start=[site.url + "/"], max_depth=0, render="never"),
                         tmp_path)
    assert set(by_path(touchpoints)) == {"/"}


def test_include_and_exclude_filter_links(servers, tmp_path):
    site, _ = servers.site()
    touchpoints, _ = run(WebOptions(start=[site.url + "/"], exclude=[r"/ru/"],
                                    include=[r"/products/"], render="never"), tmp_path)
    assert set(by_path(touchpoints)) == {"/", "/products/", "/products/widget.html",
                                         "/products/gizmo.html"}  # by a meta refresh
    assert not [p for p in site.paths if p.startswith(("/ru/", "/blog/", "/campaign/"))]

    touchpoints, errors = run(WebOptions(start=[site.url + "/"], include=["("]), tmp_path)
    assert touchpoints == [] and "not a valid regular expression" in errors[0].error


def test_timeout_and_refused_connection_are_errors(servers, tmp_path):
    site = servers.start(SITE)
    results = run(WebOptions(start=[site.url + "/slow"], timeout=0.3, retries=0,
                             sitemaps=False), tmp_path)[1]
    assert len(results) == 1 and results[0].error.startswith("timed out after 0.3 s")

    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{sock.getsockname()[1]}/"
    options = WebOptions(start=[closed], respect_robots=False, retries=0)
    results = run(options, tmp_path)[1]
    assert len(results) == 1 and results[0].source == closed
    assert "connection failed" in results[0].error
    results = run(WebOptions(start=[closed], retries=0), tmp_path)[1]
    assert "robots.txt unreachable" in results[0].error


def test_a_crawl_says_how_far_it_is(servers, tmp_path):
    site, _ = servers.site()
    told: list[tuple[str, int, int]] = []
    options = WebOptions(start=[site.url + "/blog/"], max_depth=1, sitemaps=False,
                         render="never", include=[r"/blog/"])
    results = list(collect(options, CollectContext(base_dir=tmp_path, user_agent=USER_AGENT,
                                                   progress=lambda *a: told.append(a))))
    assert all(isinstance(r, (Touchpoint, CollectionError)) for r in results)
    assert told and {stage for stage, _, _ in told} == {"reading web pages"}
    assert all(0 < done <= total for _, done, total in told)
    visits = told[-1][1]
    assert told[0] == ("reading web pages", 1, visits)  # the start page read: its links known
    assert told[-1] == ("reading web pages", visits, visits)
    assert visits == len(BLOG_POSTS) + 2  # the blog, its posts, a draft robots.txt refuses


def test_stopping_early_ends_the_crawl(servers, tmp_path):
    site, _ = servers.site()
    results = collect(WebOptions(start=[site.url + "/"], render="never", sitemaps=False),
                      CollectContext(base_dir=tmp_path, user_agent=USER_AGENT))
    # Pages wait for the crawl's end (what repeats on most of them is chrome); an error is
    # handed over at once: the home page links to a PDF.
    first = next(results)
    results.close()  # the engine gave up: the worker thread must end, not crawl on
    assert isinstance(first, CollectionError) and first.source.endswith(".pdf")
    settled = len(site.requests)
    time.sleep(0.3)
    assert len(site.requests) == settled < 20


def test_results_are_handed_over_in_batches_the_first_at_once():
    from channels.web import HAND_OVER_ITEMS, HAND_OVER_SECONDS, _HandOver

    batches: list[list[object]] = []
    hand = _HandOver(batches.append)

    async def crawl() -> None:
        for n in range(2 * HAND_OVER_ITEMS + 3):
            hand.add(n)
        assert [len(b) for b in batches] == [1, HAND_OVER_ITEMS, HAND_OVER_ITEMS]
        await asyncio.sleep(HAND_OVER_SECONDS * 2)  # a quiet crawl: the rest goes anyway
        assert [len(b) for b in batches] == [1, HAND_OVER_ITEMS, HAND_OVER_ITEMS, 2]
        hand.add("last")

    # In a thread of its own, as the crawl runs (a browser test may leave this thread's loop).
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(asyncio.run, crawl()).result()
    hand.add("after the loop")
    hand.flush()
    assert [x for b in batches for x in b] == [*range(2 * HAND_OVER_ITEMS + 3), "last",
                                               "after the loop"]


def test_pages_read_before_a_crawl_fails_still_reach_the_caller(servers, tmp_path,
                                                               monkeypatch):
    """Results wait in batches: a crawl that breaks hands over what it read, then the error
    (the engine turns a collector's bug into a reported error and keeps the pages)."""
    import channels.web as web

    def broken(self):
        raise RuntimeError("site-wide touchpoint could not be built")

    site, _ = servers.site()
    options = WebOptions(start=[site.url + "/blog/"], max_depth=1, sitemaps=False,
                         render="never", include=[r"/blog/"])
    expected, _ = run(options, tmp_path / "working")
    monkeypatch.setattr(web._Crawl, "_emit_site_wide", broken)
    received = []
    with pytest.raises(RuntimeError, match="site-wide touchpoint"):
        for item in collect(options, CollectContext(base_dir=tmp_path, user_agent=USER_AGENT)):
            received.append(item)
    pages = [r for r in received if isinstance(r, Touchpoint)]
    assert set(by_path(pages)) == set(by_path(expected)) == BLOG_POSTS | {"/blog/"}


def test_options_are_validated_with_the_key_named():
    with pytest.raises(ValueError, match="render"):
        WebOptions(start=["https://a.example/"], render="sometimes")
    with pytest.raises(ConfigError) as caught:
        build_options(WebOptions, {"start": ["https://a.example/"], "concurrency": 0},
                      "audit.toml", "", prefix="channels.web[0].")
    assert "concurrency must be at least 1" in str(caught.value)
    assert "channels.web[0]" in str(caught.value)
    with pytest.raises(ConfigError, match="give `start` URLs"):
        build_options(WebOptions, {}, "audit.toml", "", prefix="channels.web[0].")
    with pytest.raises(ConfigError, match=r"base_url is one site's public URL, but `start` "
                                          r"names 2 sites \(a.example, b.example\)"):
        build_options(WebOptions, {"start": ["https://a.example/", "https://b.example/"],
                                   "base_url": "https://c.example/"},
                      "audit.toml", "", prefix="channels.web[0].")
    WebOptions(start=["https://a.example/", "https://www.a.example/x"],
               base_url="https://c.example/")  # one site, with and without www.


# -- Pieces ---------------------------------------------------------------------------------

def test_normalize_url():
    assert normalize_url("HTTP://Example.COM:80/a?utm_source=x&b=2&a=1&gclid=9#top") == \
        "http://example.com/a?a=1&b=2"
    assert normalize_url("https://example.com") == "https://example.com/"
    assert normalize_url("https://example.com:8443/x?fbclid=1") == "https://example.com:8443/x"
    assert normalize_url("mailto:team@example.com") is None
    # What Yandex search, Yandex Direct and Roistat add to links on Russian sites.
    assert normalize_url("https://пример.рф/о-нас?ysclid=lq2x9&yclid=7&_openstat=ZGlyZWN0&"
                         "roistat=direct1&roistat_referrer=ya&page=2") == \
        "https://пример.рф/о-нас?page=2"
    assert normalize_url("https://a.example/?srsltid=AfmBO&_hsenc=p2&mkt_tok=x&id=5") == \
        "https://a.example/?id=5"


def test_decode_html_prefers_header_then_meta():
    body = "<html><p>Привет</p></html>".encode("cp1251")
    assert "Привет" in decode_html(body, "windows-1251")
    meta = '<meta charset="koi8-r"><p>Привет</p>'.encode("koi8-r")
    assert "Привет" in decode_html(meta, None)
    assert "Привет" in decode_html("<p>Привет</p>".encode(), None)


def test_sitemaps_plain_index_and_gzip():
    index = parse_sitemap((SITE / "sitemap.xml").read_bytes())
    assert index.pages == ()
    assert index.sitemaps == ("{{SITE}}/sitemap-pages.xml", "{{SITE}}/sitemap-campaigns.xml.gz")
    urlset = (SITE / "_sitemap-campaigns.xml").read_bytes()
    assert parse_sitemap(gzip.compress(urlset)).pages == ("{{SITE}}/campaign/spring.html",)
    with pytest.raises(SitemapError, match="not a sitemap: the root element is <feed>"):
        parse_sitemap(b'<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"/>')
    with pytest.raises(SitemapError, match="not XML"):
        parse_sitemap((SITE / "index.html").read_bytes())
    with pytest.raises(SitemapError, match="broken gzip"):
        parse_sitemap(gzip.compress(urlset)[:30])


def test_social_export_by_url_uses_the_polite_fetcher(servers, tmp_path):
    server = servers.start(FIXTURES / "social")
    options = SocialOptions(kind="jsonl", url=server.url + "/posts.jsonl")
    ctx = CollectContext(base_dir=tmp_path, user_agent=USER_AGENT)
    results = list(collect_social(options, ctx))
    assert server.paths[0] == "/robots.txt"
    assert {hit.agent for hit in server.requests} == {USER_AGENT}
    assert any(isinstance(r, Touchpoint) for r in results)
    assert all(r.source.startswith(server.url) for r in results if isinstance(r, CollectionError))


# -- A built site on disk -------------------------------------------------------------------

def test_built_site_keyed_by_public_url(tmp_path):
    options = WebOptions(site_dir=str(BUILT), base_url="https://pine.example", render="never")
    touchpoints, errors = run(options, tmp_path)
    assert errors == []
    pages = by_path(touchpoints)
    # about-us/ is Hugo's alias page for /about/: a redirect, no copy of its own.
    assert set(pages) == {"/", "/about/", "/blog/first-post/", "/configure.html"}
    assert pages["/about/"].id == "web:https://pine.example/about/"
    assert pages["/about/"].metadata["file"] == str(BUILT / "about" / "index.html")
    post = pages["/blog/first-post/"]  # windows-1251 on disk; print.html repeats it
    assert post.title == "Первая запись" and post.language == "ru"
    assert post.blocks[-1].text == "Протирайте мебель мягкой тканью и раз в год обновляйте масло."
    site_wide = [t for t in touchpoints if t.id.endswith("#site-wide")]
    assert [t.id for t in site_wide] == ["web:pine.example#site-wide"]
    assert "© 2024 Pine & Co. Made with care." in [b.text for b in site_wide[0].blocks]


def test_copy_on_most_pages_is_site_wide_without_chrome_markup(tmp_path):
    # A site builder's pages: no <nav>, <header> or <footer>, only divs.
    site = tmp_path / "site"
    site.mkdir()
    shared = "Delivery across Karelia in a week."
    for n, name in enumerate(["index", "tables", "chairs", "beds"]):
        both = f"<p>{shared}</p>" if n < 2 else ""
        (site / f"{name}.html").write_text(
            f'<html lang="en"><head><title>Pine: {name}</title></head><body>'
            f'<div class="t-menu"><a href="/">Home</a> <a href="/tables.html">Tables</a></div>'
            f"<div class=t-rec><h1>Our {name}</h1><p>Solid pine {name}, page {n}.</p>{both}"
            f'</div><div class="t-footer"><p>© Pine 2024. Call us on 8 800 555-35-35.</p>'
            f"</div></body></html>", encoding="utf-8")
    touchpoints, errors = run(WebOptions(site_dir=str(site), base_url="https://pine.example",
                                         render="never"), tmp_path)
    assert errors == []
    pages = by_path(touchpoints)
    (chrome,) = [t for t in touchpoints if t.id.endswith("#site-wide")]
    assert [b.text for b in chrome.blocks] == ["Home Tables",
                                               "© Pine 2024. Call us on 8 800 555-35-35."]
    assert chrome.blocks[0].locator.source == "https://pine.example/beds.html"  # the first
    assert [b.text for b in pages["/tables.html"].blocks] == [
        "Pine: tables", "Our tables", "Solid pine tables, page 1.", shared]  # on 2 of 4
    assert [b.text for b in pages["/beds.html"].blocks] == [
        "Pine: beds", "Our beds", "Solid pine beds, page 3."]
    assert touchpoints[-1] is chrome


def test_a_built_site_counts_its_files_as_it_reads_them(tmp_path):
    told: list[tuple[str, int, int]] = []
    results = list(collect(WebOptions(site_dir=str(BUILT), render="never"),
                           CollectContext(base_dir=tmp_path, progress=lambda *a: told.append(a))))
    files = len([p for p in BUILT.rglob("*.html") if not any(
        part.startswith(".") for part in p.relative_to(BUILT).parts)])
    assert told[0] == ("reading the built site", 1, files)
    assert told[-1] == ("reading the built site", files, files)
    assert all(isinstance(r, (Touchpoint, CollectionError)) for r in results)


def test_built_site_without_base_url_keyed_by_file(tmp_path):
    options = WebOptions(site_dir=str(BUILT), render="never", exclude=[r"configure"])
    touchpoints, errors = run(options, tmp_path)
    assert errors == []
    ids = sorted(t.id for t in touchpoints)
    root = str(BUILT)  # outside the config folder: the absolute path
    assert ids == sorted([f"web:{root}/index.html", f"web:{root}/about/index.html",
                          f"web:{root}/blog/first-post/index.html", f"web:{root}#site-wide"])
    about = next(t for t in touchpoints if t.id.endswith("about/index.html"))
    assert {b.locator.source for b in about.blocks} == {f"{root}/about/index.html"}

    missing = run(WebOptions(site_dir="nowhere"), tmp_path)[1]
    assert "site_dir is not a folder" in missing[0].error


# -- JavaScript rendering (Chromium) --------------------------------------------------------

def _need_chromium() -> None:
    import shutil

    if not (os.path.isfile(CHROMIUM) or shutil.which(CHROMIUM)):
        message = f"Chromium not found at {CHROMIUM} (set BRAND_AUDIT_CHROMIUM)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    pytest.importorskip("playwright.async_api")


@pytest.mark.browser
def test_javascript_page_is_rendered_and_its_requests_stay_polite(servers, tmp_path):
    _need_chromium()
    site, external = servers.site()
    options = WebOptions(start=[site.url + "/"], render="auto", chromium=CHROMIUM,
                         render_timeout=10, **FULL_CRAWL)
    touchpoints, errors = run(options, tmp_path)
    pages = by_path(touchpoints)
    app = pages["/app/"]
    assert app.metadata["rendered"] == "true"
    assert [(b.scope, b.text) for b in app.blocks] == [
        ("web.title", "Acme App"),
        ("web.heading.h1", "Widgets, managed in one place"),
        ("web.paragraph", "Plan deliveries and repairs for every widget you own."),
        ("web.cta", "Start your free trial"),
    ]
    assert "/app/start.html" in pages  # a link only the script writes is followed
    # Only the shell was rendered; the script and its data came through the polite fetcher.
    assert [p for p, t in pages.items() if t.metadata.get("rendered")] == ["/app/"]
    for path in ("/static/app.js", "/api/hero.json"):
        assert [hit.agent for hit in site.hits(path)] == [USER_AGENT]
    assert external.requests == []  # the script's request to another host was blocked
    assert set(pages) == EXPECTED_PAGES | {"/app/start.html"}
    assert not [e for e in errors if "render" in e.error.lower()]


@pytest.mark.browser
def test_built_site_page_is_rendered_from_disk(tmp_path):
    _need_chromium()
    options = WebOptions(site_dir=str(BUILT), base_url="https://pine.example",
                         chromium=CHROMIUM, render_timeout=10)
    touchpoints, errors = run(options, tmp_path)
    assert errors == []
    configure = by_path(touchpoints)["/configure.html"]
    assert configure.metadata["rendered"] == "true"
    assert configure.blocks[1].text == "Configure your table"


def test_missing_chromium_is_one_error_and_static_html_is_read(servers, tmp_path, monkeypatch):
    monkeypatch.delenv("BRAND_AUDIT_CHROMIUM", raising=False)
    site, _ = servers.site()
    options = WebOptions(start=[site.url + "/app/"], max_depth=0, render="always",
                         chromium="/nonexistent/chromium", sitemaps=False)
    touchpoints, errors = run(options, tmp_path)
    assert len(errors) == 1
    assert "Chromium not found at /nonexistent/chromium" in errors[0].error
    assert by_path(touchpoints)["/app/"].title == "Acme App"
