"""The fetcher's HTTP behaviour on the wire: headers, cookies, compressed bodies, the size cap."""

from __future__ import annotations

import gzip
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from channels import USER_AGENT
from channels.fetch import Fetcher, FetchError

PAGE = b"<html><body><p>" + b"Plain copy. " * 200 + b"</p></body></html>"


@pytest.fixture
def server() -> Iterator[tuple[str, list[dict[str, str]]]]:
    seen: list[dict[str, str]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            seen.append(dict(self.headers))
            headers = {"Content-Type": "text/html; charset=utf-8"}
            body = PAGE
            if self.path == "/cookie":
                headers["Set-Cookie"] = "session=abc123; Path=/"
            elif self.path == "/long-header":  # a long Content-Security-Policy, say
                headers["Content-Security-Policy"] = "default-src " + "https://cdn.example " * 1000
            elif self.path == "/gzip":
                body = gzip.compress(PAGE)
                headers["Content-Encoding"] = "gzip"
            self.send_response(200)
            for key, value in headers.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", seen
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_user_agent_and_cookies_go_back_to_the_site(server):
    url, seen = server
    with Fetcher(USER_AGENT, respect_robots=False) as fetcher:
        fetcher.get(f"{url}/cookie")
        fetcher.get(f"{url}/next")
    assert all(h["User-Agent"] == USER_AGENT for h in seen)
    assert "Cookie" not in seen[0] and seen[1]["Cookie"] == "session=abc123"


def test_a_page_with_a_20_kb_header_line_is_read(server):
    url, _ = server
    with Fetcher(USER_AGENT, respect_robots=False) as fetcher:
        assert fetcher.get(f"{url}/long-header").body == PAGE


def test_a_compressed_page_is_read_decompressed_and_capped_decompressed(server):
    url, _ = server
    with Fetcher(USER_AGENT, respect_robots=False) as fetcher:
        response = fetcher.get(f"{url}/gzip")
        assert response.body == PAGE and response.charset == "utf-8"
    with Fetcher(USER_AGENT, respect_robots=False, max_bytes=len(PAGE) - 1) as fetcher:
        # The compressed body is far under the cap; what it inflates to is not.
        with pytest.raises(FetchError, match="too large"):
            fetcher.get(f"{url}/gzip")
        with pytest.raises(FetchError, match=rf"too large.*\({len(PAGE):,} bytes\)"):
            fetcher.get(f"{url}/plain")  # refused by its Content-Length, before reading


def test_a_redirect_to_a_broken_url_is_an_error_for_that_page_not_the_crawl(tmp_path):
    # "Location: http://[bad" once raised ValueError out of the fetcher and ended the crawl.
    from auditor.types import CollectionError, Touchpoint
    from channels import CollectContext
    from channels.web import WebOptions, collect

    page = b"<html><body><p>Home copy, enough to read.</p><a href='/moved'>x</a></body></html>"

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            if self.path == "/moved":
                self.send_response(301)
                self.send_header("Location", "http://[bad")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(page)))
            self.end_headers()
            self.wfile.write(page)

        def log_message(self, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{httpd.server_address[1]}/"
        options = WebOptions(start=[url], render="never", sitemaps=False, cache="",
                             respect_robots=False, retries=0)
        results = list(collect(options, CollectContext(base_dir=tmp_path)))
    finally:
        httpd.shutdown()
        httpd.server_close()
    assert any(isinstance(r, Touchpoint) and r.id == f"web:{url}" for r in results)
    (error,) = [r for r in results if isinstance(r, CollectionError)]
    assert error.source == f"{url}moved" and "http://[bad" in error.error
