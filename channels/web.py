"""The website channel: a small, polite, breadth-first crawler.

Polite by default (Scrapy's lesson): robots.txt is obeyed (a disallowed URL is never requested),
requests carry brand-audit's User-Agent, one host is crawled at a time with an optional delay,
redirects and body size are capped. ``Fetcher`` is the one HTTP fetcher other collectors reuse
(e.g. a social export given by URL).

One touchpoint per HTML page (``web:<url>``). Site chrome (navigation, page header and footer,
cookie banners) would repeat on every page, so it is reported once per host as the touchpoint
``web:<host>#site-wide``.
"""

from __future__ import annotations

import codecs
import hashlib
import re
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

import httpx
from protego import Protego

from auditor.text import detect_language
from auditor.types import Block, CollectionError, Touchpoint
from channels import ChannelKind, CollectContext, CollectResult
from channels.files import decode_text
from channels.html import extract_page

MAX_BYTES = 5 * 1024 * 1024
MAX_REDIRECTS = 5
MAX_CRAWL_DELAY = 10.0  # seconds; a robots.txt Crawl-delay above this is capped
SITE_WIDE_TITLE = "Site-wide navigation and footer"
HTML_TYPES = ("text/html", "application/xhtml+xml")
# Query parameters that only track a visit; the page is the same without them.
_TRACKING_PARAMS = re.compile(r"^(utm_.*|gclid|fbclid|yclid|msclkid)$", re.IGNORECASE)
_META_CHARSET = re.compile(
    rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9._:-]+)""", re.IGNORECASE)


@dataclass(frozen=True)
class WebOptions:
    """``[[channels.web]]``: pages of a website, found by following links."""

    #: Start URLs; each is crawled on its own scheme, host and port only.
    start: list[str]
    #: Stop after requesting this many pages (all start URLs together).
    max_pages: int = 200
    #: How many links away from a start URL to follow (0: the start pages only).
    max_depth: int = 5
    #: Seconds to wait between requests to one host (a larger robots.txt Crawl-delay wins).
    delay: float = 0.0
    #: Seconds before one request is given up.
    timeout: float = 15.0
    #: Obey robots.txt (never request what it disallows). Only turn off for your own site.
    respect_robots: bool = True
    #: Regular expressions; when given, only links whose URL matches one are followed.
    include: list[str] = field(default_factory=list)
    #: Regular expressions; links whose URL matches one are not followed.
    exclude: list[str] = field(default_factory=list)


# -- URLs -----------------------------------------------------------------------------------

def normalize_url(url: str) -> str | None:
    """The form of ``url`` used to recognise a page: no fragment, no tracking parameters,
    sorted query, lower-case scheme and host, no default port. ``None`` if not http(s)."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not parts.hostname:
        return None
    host = parts.hostname.lower()
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    if port and port != {"http": 80, "https": 443}[scheme]:
        host += f":{port}"
    query = sorted(
        (k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if not _TRACKING_PARAMS.match(k)
    )
    return urlunsplit((scheme, host, parts.path or "/", urlencode(query), ""))


def origin_of(url: str) -> str:
    """``scheme://host[:port]`` of a normalised URL."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


# -- Fetching -------------------------------------------------------------------------------

class FetchError(Exception):
    """A URL that could not be fetched; ``str(error)`` says why, for a ``CollectionError``."""


@dataclass(frozen=True)
class Response:
    url: str                 # after redirects
    status: int
    content_type: str        # media type only, lower case, e.g. "text/html"
    charset: str | None      # from the Content-Type header
    body: bytes


class Fetcher:
    """The one polite HTTP fetcher: User-Agent, robots.txt, per-host delay, limits.

    Use as a context manager (it owns an ``httpx.Client``).
    """

    def __init__(self, user_agent: str, *, timeout: float = 15.0, delay: float = 0.0,
                 respect_robots: bool = True, max_bytes: int = MAX_BYTES,
                 max_redirects: int = MAX_REDIRECTS) -> None:
        self.user_agent = user_agent
        self.timeout = timeout
        self.delay = delay
        self.respect_robots = respect_robots
        self.max_bytes = max_bytes
        self.max_redirects = max_redirects
        self.client = httpx.Client(headers={"User-Agent": user_agent}, timeout=timeout,
                                   follow_redirects=False)
        self._robots: dict[str, Protego | str | None] = {}
        self._last_request: dict[str, float] = {}

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.client.close()

    def robots_refusal(self, url: str) -> str | None:
        """Why robots.txt forbids fetching ``url``, or ``None`` when it may be fetched."""
        if not self.respect_robots:
            return None
        origin = origin_of(url)
        if origin not in self._robots:
            self._robots[origin] = self._load_robots(origin)
        rules = self._robots[origin]
        if isinstance(rules, str):
            return rules
        if rules is not None and not rules.can_fetch(url, self.user_agent):
            return f"disallowed by {origin}/robots.txt (set respect_robots = false only for " \
                   f"a site you own)"
        return None

    def _load_robots(self, origin: str) -> Protego | str | None:
        """Parsed rules, ``None`` (no robots.txt: all allowed) or why nothing may be fetched."""
        url = f"{origin}/robots.txt"
        try:
            self._wait(origin)
            response = self.client.get(url, follow_redirects=True)
        except (httpx.HTTPError, httpx.InvalidURL) as exc:
            # RFC 9309: an unreachable robots.txt means "assume everything is disallowed".
            return f"{url} unreachable ({_describe(exc, self.timeout)}); nothing is fetched " \
                   f"from {origin} until it answers"
        if response.status_code >= 500:
            return f"{url} answered HTTP {response.status_code}; nothing is fetched from " \
                   f"{origin} until it answers"
        if response.status_code >= 400:
            return None
        rules = Protego.parse(response.text)
        delay = rules.crawl_delay(self.user_agent)
        if delay:
            self.delay = max(self.delay, min(float(delay), MAX_CRAWL_DELAY))
        return rules

    def get(self, url: str, *, same_origin: bool = True,
            accept: Callable[[str], bool] | None = None,
            follow: Callable[[str], bool] | None = None) -> Response:
        """GET ``url``, following up to ``max_redirects`` redirects.

        With ``same_origin`` a redirect to another scheme/host/port is not followed.
        ``accept(media_type)`` decides, before the body is read, whether it is wanted.
        ``follow(target)`` may decline a redirect (e.g. to a page already read): the redirect
        response itself is returned, with an empty body and ``url`` set to the target.
        Raises ``FetchError`` with a reason a user can act on.
        """
        current = url
        for _ in range(self.max_redirects + 1):
            refusal = self.robots_refusal(current)
            if refusal:
                raise FetchError(refusal)
            try:
                self._wait(origin_of(current))
                with self.client.stream("GET", current) as response:
                    location = response.headers.get("location")
                    if response.is_redirect and location:
                        target = normalize_url(urljoin(current, location))
                        if target is None:
                            raise FetchError(f"redirects to {location}, which is not http(s)")
                        if same_origin and origin_of(target) != origin_of(url):
                            raise FetchError(f"redirects off-site to {target}; not followed")
                        if follow is not None and not follow(target):
                            return Response(target, response.status_code, "", None, b"")
                        current = target
                        continue
                    if response.status_code >= 400:
                        raise FetchError(f"HTTP {response.status_code} "
                                         f"{response.reason_phrase}".rstrip())
                    media_type, charset = _content_type(response.headers.get("content-type"))
                    if accept is not None and not accept(media_type):
                        raise FetchError(f"skipped: not HTML ({media_type or 'no content type'})")
                    length = response.headers.get("content-length", "")
                    if length.isdigit() and int(length) > self.max_bytes:
                        raise FetchError(self._too_large())
                    body = bytearray()
                    for chunk in response.iter_bytes():
                        body.extend(chunk)
                        if len(body) > self.max_bytes:
                            raise FetchError(self._too_large())
                    return Response(str(response.url), response.status_code, media_type,
                                    charset, bytes(body))
            except (httpx.HTTPError, httpx.InvalidURL) as exc:
                raise FetchError(_describe(exc, self.timeout)) from None
        raise FetchError(f"more than {self.max_redirects} redirects; not followed")

    def _too_large(self) -> str:
        return f"skipped: larger than {self.max_bytes // (1024 * 1024)} MB"

    def _wait(self, origin: str) -> None:
        last = self._last_request.get(origin)
        if last is not None and self.delay > 0:
            pause = self.delay - (time.monotonic() - last)
            if pause > 0:
                time.sleep(pause)
        self._last_request[origin] = time.monotonic()


def _describe(exc: Exception, timeout: float) -> str:
    if isinstance(exc, httpx.TimeoutException):
        return f"timed out after {timeout:g} s (raise `timeout` if the site is slow)"
    if isinstance(exc, httpx.ConnectError):
        return f"connection failed: {exc or 'refused'}"
    return f"request failed: {exc or type(exc).__name__}"


def _content_type(header: str | None) -> tuple[str, str | None]:
    if not header:
        return "", None
    media_type, _, params = header.partition(";")
    charset = None
    for param in params.split(";"):
        key, _, value = param.partition("=")
        if key.strip().lower() == "charset" and value.strip():
            charset = value.strip().strip("\"'")
    return media_type.strip().lower(), charset


def _is_html(media_type: str) -> bool:
    return media_type in HTML_TYPES


def decode_html(body: bytes, header_charset: str | None) -> str:
    """Text of an HTML body: a BOM, else the HTTP header charset, else ``<meta charset>``,
    else UTF-8 or what charset-normalizer detects (pages served with no charset at all)."""
    if body.startswith((codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return decode_text(body)
    declared = [header_charset]
    match = _META_CHARSET.search(body[:4096])
    if match:
        declared.append(match.group(1).decode("ascii", "replace"))
    for name in declared:
        encoding = _codec(name)
        if encoding:
            return body.decode(encoding, errors="replace")
    try:
        return decode_text(body)
    except ValueError:
        return body.decode("utf-8", errors="replace")


def _codec(name: str | None) -> str | None:
    if not name:
        return None
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


# -- Crawling -------------------------------------------------------------------------------

def collect(options: WebOptions, ctx: CollectContext) -> Iterator[CollectResult]:
    """Crawl from each start URL; yield page touchpoints, then one site-wide touchpoint per host."""
    try:
        include = [re.compile(p) for p in options.include]
        exclude = [re.compile(p) for p in options.exclude]
    except re.error as exc:
        yield CollectionError(
            source=str(exc.pattern),
            error=f"include/exclude pattern is not a valid regular expression: {exc}",
            channel="web")
        return
    if not options.start:
        yield CollectionError(source="[[channels.web]]",
                              error="`start` is empty; give at least one URL", channel="web")
        return
    with Fetcher(ctx.user_agent, timeout=options.timeout, delay=options.delay,
                 respect_robots=options.respect_robots) as fetcher:
        yield from _Crawl(options, fetcher, include, exclude).run()


class _Crawl:
    def __init__(self, options: WebOptions, fetcher: Fetcher,
                 include: list[re.Pattern[str]], exclude: list[re.Pattern[str]]) -> None:
        self.options = options
        self.fetcher = fetcher
        self.include = include
        self.exclude = exclude
        self.queue: deque[tuple[str, int, str]] = deque()  # (url, depth, origin of its start)
        self.seen: set[str] = set()         # every URL ever queued
        self.fetched: set[str] = set()      # final URLs of pages read
        self.hashes: set[str] = set()       # sha256 of page copy, for identical pages
        self.chrome: dict[str, dict[str, Block]] = {}  # origin -> text -> first block
        self.pages: dict[str, int] = {}     # origin -> touchpoints yielded
        self.robots_skipped: dict[str, list[str]] = {}

    def run(self) -> Iterator[CollectResult]:
        for start in self.options.start:
            url = normalize_url(start)
            if url is None:
                yield CollectionError(source=start, channel="web",
                                      error="not an http(s) URL; start URLs look like "
                                            "https://example.com/")
            elif url not in self.seen:
                self.seen.add(url)
                self.queue.append((url, 0, origin_of(url)))

        requested = 0
        while self.queue:
            if requested >= self.options.max_pages:
                yield CollectionError(
                    source=self.queue[0][2], channel="web",
                    error=f"crawl stopped at max_pages = {self.options.max_pages}; "
                          f"{len(self.queue)} more URLs were found but not fetched "
                          f"(raise max_pages to include them)")
                break
            url, depth, origin = self.queue.popleft()
            if url in self.fetched:  # reached earlier through a redirect
                continue
            refusal = self.fetcher.robots_refusal(url)
            if refusal:
                if depth == 0:
                    yield CollectionError(source=url, error=refusal, channel="web")
                else:
                    self.robots_skipped.setdefault(origin, []).append(url)
                continue
            requested += 1
            yield from self._visit(url, depth, origin)

        yield from self._site_wide()
        for origin, urls in self.robots_skipped.items():
            yield CollectionError(
                source=f"{origin}/robots.txt", channel="web",
                error=f"{len(urls)} linked URL(s) not requested: disallowed by robots.txt "
                      f"(e.g. {', '.join(urls[:3])})")

    def _visit(self, url: str, depth: int, origin: str) -> Iterator[CollectResult]:
        try:
            # A start URL may redirect anywhere (http -> https, example.com -> www.example.com);
            # its final host is then the one crawled. Links must stay on that host.
            response = self.fetcher.get(url, accept=_is_html, same_origin=depth > 0,
                                        follow=lambda target: target not in self.fetched)
        except FetchError as exc:
            yield CollectionError(source=url, error=str(exc), channel="web")
            return
        final = normalize_url(response.url) or url
        if response.status in (301, 302, 303, 307, 308):
            return  # redirects to a page already read
        if depth == 0:
            origin = origin_of(final)
        if final in self.fetched:
            return  # a redirect to a page already read
        self.fetched.add(final)
        self.seen.add(final)

        try:
            page = extract_page(decode_html(response.body, response.charset), final)
        except Exception as exc:  # one unparseable page must not end the crawl
            yield CollectionError(source=final, channel="web",
                                  error=f"could not parse the page: {type(exc).__name__}: {exc}")
            return
        for link in page.links + ((page.canonical,) if page.canonical else ()):
            self._enqueue(link, depth + 1, origin)
        site = self.chrome.setdefault(origin, {})
        for block in page.chrome_blocks:
            site.setdefault(block.text, block)

        digest = hashlib.sha256(page.text.encode("utf-8")).hexdigest()
        if digest in self.hashes:
            return  # the same copy under another URL (e.g. / and /index.html)
        self.hashes.add(digest)
        if not page.blocks:
            yield CollectionError(
                source=final, channel="web",
                error="no copy found in the page (it may be built by JavaScript)")
            return
        metadata = {"url": final}
        if page.canonical and page.canonical != final:
            metadata["canonical"] = page.canonical
        self.pages[origin] = self.pages.get(origin, 0) + 1
        yield Touchpoint(
            id=f"web:{final}",
            channel="web",
            source=final,
            title=page.title,
            language=page.language,
            blocks=page.blocks,
            captured_at=datetime.now(UTC),
            metadata=metadata,
        )

    def _enqueue(self, link: str, depth: int, origin: str) -> None:
        url = normalize_url(link)
        if url is None or url in self.seen or depth > self.options.max_depth:
            return
        if origin_of(url) != origin:
            return
        if self.include and not any(p.search(url) for p in self.include):
            return
        if any(p.search(url) for p in self.exclude):
            return
        self.seen.add(url)
        self.queue.append((url, depth, origin))

    def _site_wide(self) -> Iterator[Touchpoint]:
        for origin, by_text in self.chrome.items():
            if not by_text:
                continue
            blocks = tuple(by_text.values())
            host = urlsplit(origin).netloc
            yield Touchpoint(
                id=f"web:{host}#site-wide",
                channel="web",
                source=f"{origin}/",
                title=SITE_WIDE_TITLE,
                language=detect_language(" ".join(b.text for b in blocks)),
                blocks=blocks,
                captured_at=datetime.now(UTC),
                metadata={"url": f"{origin}/", "pages": str(self.pages.get(origin, 0))},
            )


KIND = ChannelKind(
    name="web",
    options=WebOptions,
    collect=collect,
    description="Pages of a website, crawled politely from start URLs (robots.txt obeyed)",
)
