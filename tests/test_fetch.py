"""The fetcher's HTTP behaviour on the wire: headers, cookies, compressed bodies, the size cap."""

from __future__ import annotations

import gzip

import pytest

from channels import USER_AGENT
from channels.fetch import Fetcher, FetchError

PAGE = b"<html><body><p>" + b"Plain copy. " * 200 + b"</p></body></html>"


def _serve(site) -> str:
    """The fetcher's test pages on the shared local site (``tests.conftest.Site``)."""
    page = (200, {"Content-Type": "text/html; charset=utf-8"}, PAGE)
    site.routes = {
        "/plain": page, "/next": page,
        "/cookie": (200, {**page[1], "Set-Cookie": "session=abc123; Path=/"}, PAGE),
        # a long Content-Security-Policy, say
        "/long-header": (200, {**page[1], "Content-Security-Policy":
                               "default-src " + "https://cdn.example " * 1000}, PAGE),
        "/gzip": (200, {**page[1], "Content-Encoding": "gzip"}, gzip.compress(PAGE)),
    }
    return site.url


def test_user_agent_and_cookies_go_back_to_the_site(site):
    url = _serve(site)
    with Fetcher(USER_AGENT, respect_robots=False) as fetcher:
        fetcher.get(f"{url}/cookie")
        fetcher.get(f"{url}/next")
    seen = [headers for _, headers in site.requests]
    assert all(h["User-Agent"] == USER_AGENT for h in seen)
    assert "Cookie" not in seen[0] and seen[1]["Cookie"] == "session=abc123"


def test_a_page_with_a_20_kb_header_line_is_read(site):
    url = _serve(site)
    with Fetcher(USER_AGENT, respect_robots=False) as fetcher:
        assert fetcher.get(f"{url}/long-header").body == PAGE


def test_a_compressed_page_is_read_decompressed_and_capped_decompressed(site):
    url = _serve(site)
    with Fetcher(USER_AGENT, respect_robots=False) as fetcher:
        response = fetcher.get(f"{url}/gzip")
        assert response.body == PAGE and response.charset == "utf-8"
    with Fetcher(USER_AGENT, respect_robots=False, max_bytes=len(PAGE) - 1) as fetcher:
        # The compressed body is far under the cap; what it inflates to is not.
        with pytest.raises(FetchError, match="too large"):
            fetcher.get(f"{url}/gzip")
        with pytest.raises(FetchError, match=rf"too large.*\({len(PAGE):,} bytes\)"):
            fetcher.get(f"{url}/plain")  # refused by its Content-Length, before reading


def test_a_redirect_to_a_broken_url_is_an_error_for_that_page_not_the_crawl(site, tmp_path):
    # "Location: http://[bad" once raised ValueError out of the fetcher and ended the crawl.
    from auditor.types import CollectionError, Touchpoint
    from channels import CollectContext
    from channels.web import WebOptions, collect

    page = b"<html><body><p>Home copy, enough to read.</p><a href='/moved'>x</a></body></html>"
    site.routes = {"/": (200, {"Content-Type": "text/html"}, page),
                   "/moved": (301, {"Location": "http://[bad"}, b"")}
    url = f"{site.url}/"
    options = WebOptions(start=[url], render="never", sitemaps=False, cache="",
                         respect_robots=False, retries=0)
    results = list(collect(options, CollectContext(base_dir=tmp_path)))
    assert any(isinstance(r, Touchpoint) and r.id == f"web:{url}" for r in results)
    (error,) = [r for r in results if isinstance(r, CollectionError)]
    assert error.source == f"{url}moved" and "http://[bad" in error.error


def test_a_russian_slug_goes_on_the_wire_percent_encoded(site):
    url = _serve(site)
    site.routes["/%D0%BE-%D0%BD%D0%B0%D1%81"] = site.routes["/plain"]
    with Fetcher(USER_AGENT, respect_robots=False) as fetcher:
        assert fetcher.get(f"{url}/о-нас").body == PAGE
        assert fetcher.get(f"{url}/%D0%BE-%D0%BD%D0%B0%D1%81").body == PAGE  # kept as written
    assert [path for path, _ in site.requests] == ["/%D0%BE-%D0%BD%D0%B0%D1%81"] * 2


def test_a_page_not_wanted_is_refused_from_its_head(site):
    # Both bodies are over the cap: read, they would be refused as too large instead.
    url = _serve(site)
    site.routes["/report.pdf"] = (200, {"Content-Type": "application/pdf"}, b"%PDF" * 10_000)
    site.routes["/gone"] = (404, {"Content-Type": "text/html"}, PAGE * 2)
    with Fetcher(USER_AGENT, respect_robots=False, retries=0, max_bytes=len(PAGE)) as fetcher:
        with pytest.raises(FetchError, match=r"skipped: not HTML \(application/pdf\)"):
            fetcher.get(f"{url}/report.pdf", accept=lambda media: media == "text/html")
        with pytest.raises(FetchError, match="HTTP 404 Not Found"):
            fetcher.get(f"{url}/gone")
        assert fetcher.get(f"{url}/plain").body == PAGE  # the session goes on


def test_a_validator_that_is_not_ascii_goes_back_byte_for_byte(site):
    # An ETag of Latin-1 bytes (read as Latin-1) once failed the page: "ascii codec can't
    # encode" while the conditional request was made.
    url = _serve(site)
    with Fetcher(USER_AGENT, respect_robots=False) as fetcher:
        assert fetcher.get(f"{url}/plain", headers={"If-None-Match": '"café"'}).body == PAGE
    assert site.requests[-1][1]["If-None-Match"] == '"café"'


def test_a_body_cut_short_is_fetched_again(site):
    url = _serve(site)
    attempts = []

    def cut_once(handler):
        attempts.append(handler.path)
        if len(attempts) == 1:  # the connection drops 7 bytes into a 5,000-byte body
            handler.wfile.write(b"HTTP/1.0 200 OK\r\nContent-Type: text/html\r\n"
                                b"Content-Length: 5000\r\n\r\npartial")
            handler.wfile.flush()
            handler.close_connection = True
            raise ConnectionAbortedError("dropped on purpose")
        return site.routes["/plain"]

    site.routes["/flaky"] = cut_once
    with Fetcher(USER_AGENT, respect_robots=False, retries=1) as fetcher:
        assert fetcher.get(f"{url}/flaky").body == PAGE
    assert attempts == ["/flaky", "/flaky"]
    attempts.clear()
    with Fetcher(USER_AGENT, respect_robots=False, retries=0) as fetcher:
        with pytest.raises(FetchError, match="connection dropped: .*4993 bytes missing"):
            fetcher.get(f"{url}/flaky")


def test_a_refusal_and_a_request_to_slow_down_say_what_to_do(site):
    site.routes = {"/staff": (403, {}, b"no"), "/busy": (429, {"Retry-After": "0"}, b"later")}
    with Fetcher(USER_AGENT, respect_robots=False, retries=1) as fetcher:
        with pytest.raises(FetchError) as refused:
            fetcher.get(f"{site.url}/staff")
        with pytest.raises(FetchError) as busy:
            fetcher.get(f"{site.url}/busy")
    assert str(refused.value).startswith("HTTP 403 Forbidden: the server refused brand-audit")
    assert f'let the User-Agent "{USER_AGENT}" through, or exclude the page' in str(refused.value)
    assert str(busy.value) == ("HTTP 429 Too Many Requests (after 2 attempts); the server wants "
                               "fewer requests: set a longer `delay`")
