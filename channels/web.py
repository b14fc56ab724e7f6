"""The website channel: a polite, concurrent crawler that reads what visitors read.

Discovery: start URLs, the site's sitemaps (``Sitemap:`` lines in robots.txt, else
``/sitemap.xml``; indexes and ``.gz`` too) and links, within the start URLs' scheme, host and
port, filtered by ``include``/``exclude``, up to ``max_pages`` and ``max_depth``. URLs are
normalised (fragment, tracking parameters, default port, query order) and a page that names
another as ``rel=canonical``, or repeats another page's copy word for word, is read once. An
instant ``<meta http-equiv="refresh">`` is a redirect: its target is crawled, not the page.

Fetching goes through the one polite fetcher (``channels.fetch``): robots.txt and Crawl-delay,
per-host concurrency and delay, retries, size and redirect caps. Pages whose static HTML is an
empty shell are rendered in Chromium (``channels.render``) when ``render = "auto"``.

One touchpoint per page (``web:<url>``). Site chrome (navigation, page header and footer,
cookie banners, and any copy on most of a site's pages) would repeat on every page, so it is
one touchpoint per host, ``web:<host>#site-wide``, scored once. Every page that could not be
read is a ``CollectionError`` saying why and where the crawl found it. ``site_dir`` audits a
built static site from disk instead.

``collect`` is synchronous (the engine calls it, perhaps from a thread); the crawl runs its own
asyncio loop in a worker thread and hands errors over as they come, the pages once it has read
them all.
"""

from __future__ import annotations

import asyncio
import codecs
import contextlib
import hashlib
import heapq
import mimetypes
import queue
import re
import sqlite3
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urljoin, urlsplit

from auditor.text import detect_language
from auditor.types import SKIPPED, Block, CollectionError, Touchpoint, display_path
from channels import ChannelKind, CollectContext, CollectResult
from channels.fetch import (
    MAX_BYTES,
    MAX_REDIRECTS,
    REDIRECT_STATUSES,
    AsyncFetcher,
    Fetcher,
    FetchError,
    Response,
    normalize_url,
    origin_of,
)
from channels.files import decode_text
from channels.html import HEAD_SCOPES, Page, extract_page
from channels.render import DEFAULT_CHROMIUM, Renderer, RenderError, Resource, chromium_path
from channels.sitemap import SitemapError, parse_sitemap
from channels.web_cache import CachedPage, PageCache

__all__ = ["KIND", "WebOptions", "collect", "decode_html", "normalize_url", "origin_of",
           "Fetcher", "FetchError", "Response", "AsyncFetcher"]

SITE_WIDE_TITLE = "Site-wide navigation and footer"
HTML_TYPES = ("text/html", "application/xhtml+xml")
RENDER_MODES = ("auto", "always", "never")
MAX_SITEMAP_FILES = 100      # sitemap files read per crawl (an index may list many)
MAX_ROBOTS_ERRORS = 20       # per host; more disallowed links are summarised in one error
_HTML_SUFFIXES = (".html", ".htm", ".xhtml")
# Links to these are not requested at all: they are never HTML pages with copy to read.
_NOT_HTML_EXTENSIONS = frozenset(
    "pdf jpg jpeg png gif webp avif svg ico bmp tif tiff heic zip gz tgz bz2 xz tar rar 7z "
    "mp3 mp4 m4a m4v mov avi webm ogg ogv wav flac doc docx xls xlsx ppt pptx odt ods odp "
    "rtf epub exe dmg msi apk iso bin css js mjs json xml rss atom woff woff2 ttf otf eot "
    "csv".split())
_META_CHARSET = re.compile(
    rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9._:-]+)""", re.IGNORECASE)


@dataclass(frozen=True)
class WebOptions:
    """``[[channels.web]]``: pages of a website, found from start URLs, sitemaps and links,
    or read from a built site's folder (``site_dir``)."""

    #: Start URLs; the crawl stays on their scheme, host and port (after a redirect of the
    #: start URL itself, on the host it lands on). A URL ending in .xml/.xml.gz is a sitemap.
    start: list[str] = field(default_factory=list)
    #: Stop after requesting this many pages (all start URLs together).
    max_pages: int = 200
    #: How many links away from a start URL to follow (0: the start pages only; pages listed
    #: in a sitemap are one step away).
    max_depth: int = 5
    #: Seconds between request starts to one host (a larger robots.txt Crawl-delay wins).
    delay: float = 0.0
    #: Requests in flight to one host at most.
    concurrency: int = 2
    #: Seconds before one request (or one attempt of it) is given up.
    timeout: float = 15.0
    #: Further attempts after a 429, a 5xx, a timeout or a dropped connection; the wait
    #: doubles from 0.5 s, or is what the server's Retry-After says.
    retries: int = 2
    #: Redirects followed for one URL; more, or a loop, is reported.
    max_redirects: int = MAX_REDIRECTS
    #: Bytes read of one page at most; a larger page is reported as too large
    #: (``[limits] max_page_bytes`` caps it for every section).
    max_bytes: int = MAX_BYTES
    #: Crawl a site whose public host name resolves to a private, loopback or link-local
    #: address (an intranet audit). Off by default: such a DNS answer is refused. Sites given
    #: by IP address or as localhost are always allowed.
    allow_private_addresses: bool = False
    #: Obey robots.txt (never request what it disallows). Only turn off for your own site.
    respect_robots: bool = True
    #: Read the site's sitemaps (robots.txt ``Sitemap:`` lines, else /sitemap.xml).
    sitemaps: bool = True
    #: Regular expressions; when given, only links whose URL matches one are followed.
    include: list[str] = field(default_factory=list)
    #: Regular expressions; links whose URL matches one are not followed.
    exclude: list[str] = field(default_factory=list)
    #: JavaScript rendering in Chromium: "auto" (only pages whose static HTML has little
    #: visible copy, e.g. an SPA shell), "always" or "never".
    render: str = "auto"
    #: The Chromium binary Playwright drives; the BRAND_AUDIT_CHROMIUM variable overrides it.
    chromium: str = DEFAULT_CHROMIUM
    #: Browser tabs rendering at once (one browser is reused for the whole crawl).
    render_pages: int = 2
    #: Seconds one page may take to render.
    render_timeout: float = 15.0
    #: With render = "auto", a page with scripts and fewer visible characters than this in
    #: its body is rendered.
    render_min_chars: int = 200
    #: Extra hosts the browser may load scripts and data from while rendering (e.g. a CDN);
    #: the crawled site's own host is always allowed, every other host is blocked.
    render_hosts: list[str] = field(default_factory=list)
    #: Validator cache (ETag, Last-Modified, content hashes) for incremental crawls, relative
    #: to the config file's folder; "" turns it off.
    cache: str = ".brand-audit/web-cache.sqlite"
    #: A folder of generated HTML (a static site's build output) to audit without a server,
    #: instead of crawling ``start``; relative to the config file's folder.
    site_dir: str = ""
    #: The site's public URL, so pages are keyed like the live site whatever was read:
    #: with ``site_dir``, ``site_dir``/about/index.html -> ``base_url``/about/; with
    #: ``start`` (a staging or preview deploy), the crawled host is replaced by this one
    #: (http://127.0.0.1:8000/about/ -> ``base_url``/about/), so history, waivers and
    #: new / resolved findings carry over from one deploy to the next. Errors name the URL
    #: that was fetched.
    base_url: str = ""

    def __post_init__(self) -> None:
        # Raised as ValueError; auditor.config turns it into a ConfigError naming the section.
        if self.render not in RENDER_MODES:
            raise ValueError(f"render = {self.render!r} is not one of "
                             f"{', '.join(RENDER_MODES)}")
        if not self.start and not self.site_dir:
            raise ValueError("give `start` URLs to crawl or a `site_dir` to read")
        for name in ("max_pages", "concurrency", "render_pages", "max_bytes"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1")
        for name in ("max_depth", "retries", "max_redirects", "render_min_chars"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must not be negative")
        for name in ("delay", "timeout", "render_timeout"):
            if getattr(self, name) < 0 or (name != "delay" and getattr(self, name) == 0):
                raise ValueError(f"{name} must be a positive number of seconds")
        if self.base_url and normalize_url(self.base_url) is None:
            raise ValueError(f"base_url = {self.base_url!r} is not an http(s) URL")
        if self.base_url and not self.site_dir:
            sites = {_site(url) for url in self.start if normalize_url(url)}
            if len(sites) > 1:
                raise ValueError(f"base_url is one site's public URL, but `start` names "
                                 f"{len(sites)} sites ({', '.join(sorted(sites))}); give "
                                 f"each site a [[channels.web]] section of its own")


# -- Decoding -------------------------------------------------------------------------------

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


def is_html(media_type: str) -> bool:
    """Whether a response's media type is a web page the crawl reads."""
    return media_type in HTML_TYPES


def _not_html_extension(url: str) -> str | None:
    path = urlsplit(url).path.lower()
    name = path.rsplit("/", 1)[-1]
    if "." not in name:
        return None
    extension = name.rsplit(".", 1)[-1]
    return extension if extension in _NOT_HTML_EXTENSIONS else None


def looks_like_sitemap(url: str) -> bool:
    """Whether a start URL names a sitemap (``.xml``, ``.xml.gz``) rather than a page."""
    path = urlsplit(url).path.lower()
    return path.endswith((".xml", ".xml.gz"))


# -- Entry point ----------------------------------------------------------------------------

_DONE = object()


@dataclass(frozen=True)
class _Reading:
    """How far the crawl is: handed over with its results, told to ``ctx.progress``."""
    stage: str
    done: int
    total: int


#: How often a crawl says how far it is.
PROGRESS_SECONDS = 0.25


@dataclass(frozen=True)
class _Failed:
    error: BaseException


def collect(options: WebOptions, ctx: CollectContext) -> Iterator[CollectResult]:
    """Crawl (or read ``site_dir``); yield errors as they happen (the first at once, then in
    batches: ``_HandOver``), the page touchpoints once the crawl has read them all
    (``_Crawl._emit_pages``), then one site-wide touchpoint per host."""
    try:
        include = [re.compile(p) for p in options.include]
        exclude = [re.compile(p) for p in options.exclude]
    except re.error as exc:
        yield CollectionError(
            source=str(exc.pattern),
            error=f"include/exclude pattern is not a valid regular expression: {exc}",
            channel="web")
        return

    results: queue.Queue[list[object]] = queue.Queue()
    stop = threading.Event()

    def work() -> None:
        hand = _HandOver(results.put)
        try:
            crawl = _Crawl(options, ctx, include, exclude, hand.add, stop)
            asyncio.run(crawl.run())
        except BaseException as exc:  # noqa: BLE001 - handed to the caller's thread
            hand.add(_Failed(exc))
        finally:
            hand.add(_DONE)
            hand.flush()

    # A thread of its own: the caller may already run an event loop (or be a thread the
    # engine started); asyncio.run needs a thread without one.
    worker = threading.Thread(target=work, name="brand-audit-web-crawl", daemon=True)
    worker.start()
    try:
        while True:
            for item in results.get():
                if item is _DONE:
                    return
                if isinstance(item, _Failed):
                    raise item.error
                if isinstance(item, _Reading):
                    if ctx.progress is not None:
                        ctx.progress(item.stage, item.done, item.total)
                    continue
                yield item  # type: ignore[misc]
    finally:
        stop.set()  # the caller stopped early: let the crawl wind down
        worker.join()


#: Results the crawl's thread hands to the caller's at once, and how long the first of them
#: waits for the others (``_HandOver``).
HAND_OVER_ITEMS = 64
HAND_OVER_SECONDS = 0.05


class _HandOver:
    """Passes the crawl's results to the caller's thread a batch at a time: the first result
    at once (a caller that sees the site refuse the crawl can stop it early), then every
    ``HAND_OVER_ITEMS`` results or ``HAND_OVER_SECONDS`` after the first of a batch. Waking
    the other thread for every page cost the crawl a tenth of its pages per second on
    loopback (each wake-up makes the two threads trade the interpreter's lock)."""

    def __init__(self, put: Callable[[list[object]], None]) -> None:
        self.put = put
        self.pending: list[object] = []
        self.first = True
        self.timer: asyncio.TimerHandle | None = None

    def add(self, item: object) -> None:
        self.pending.append(item)
        if self.first or len(self.pending) >= HAND_OVER_ITEMS:
            self.first = False
            self.flush()
        elif self.timer is None:
            try:
                loop = asyncio.get_running_loop()
            except RuntimeError:  # after the crawl's loop: flushed at the end
                return
            self.timer = loop.call_later(HAND_OVER_SECONDS, self.flush)

    def flush(self) -> None:
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None
        if self.pending:
            batch, self.pending = self.pending, []
            self.put(batch)


# -- The crawl ------------------------------------------------------------------------------

class _Crawl:
    def __init__(self, options: WebOptions, ctx: CollectContext,
                 include: list[re.Pattern[str]], exclude: list[re.Pattern[str]],
                 emit: Callable[[CollectResult], None], stop: threading.Event) -> None:
        self.options = options
        self.ctx = ctx
        self.include = include
        self.exclude = exclude
        self.emit = emit
        self.stop = stop
        self.frontier: list[tuple[int, int, str]] = []  # heap of (depth, order, url)
        self.order = 0
        self.seen: set[str] = set()        # every URL ever queued (or standing in for one)
        self.fetched: set[str] = set()     # final URLs of pages read
        self.claimed: set[str] = set()     # URLs requested or being requested (redirects too)
        self.keys: set[str] = set()        # touchpoint keys yielded (canonical URLs)
        self.hashes: set[str] = set()      # sha256 of page copy, for identical pages
        self.scope: set[str] = set()       # origins the crawl may request
        self.chrome: dict[str, dict[str, Block]] = {}  # origin -> text -> first block
        self.pages: dict[str, int] = {}    # origin -> touchpoints yielded
        self.languages: dict[str, Counter[str]] = {}  # origin -> its pages' languages
        self.robots_refused: dict[str, int] = {}
        self.found_on: dict[str, tuple[str, str]] = {}  # URL -> where the crawl found it
        self.held: list[tuple[str, Touchpoint]] = []   # (origin, page) until the crawl ends
        self.repeats: dict[str, Counter[str]] = {}     # origin -> body text -> its pages
        self.repeated: dict[str, set[str]] = {}        # origin -> texts on most of them
        self.requested = 0
        self.visited = 0                   # pages whose visit ended, read or not
        self.progress_at = 0.0             # when the caller last heard how far the crawl is
        self.render_failure_reported = False
        self.cache: PageCache | None = None
        self.fetcher: AsyncFetcher | None = None
        self.renderer: Renderer | None = None
        self.render_hosts = {h.lower() for h in options.render_hosts}
        self.site_root: Path | None = None
        self.site_origin = ""
        self.site_label = ""  # how a site_dir without base_url is named in the report
        # With base_url and start URLs, crawled pages are keyed by it (``_rebased``).
        public = normalize_url(options.base_url) if not options.site_dir else None
        self.public_origin = origin_of(public) if public else ""

    def _progress(self, stage: str, done: int, total: int) -> None:
        """Tell the caller how far the crawl is, at most every ``PROGRESS_SECONDS`` (and when
        it is done): read in its own thread by ``collect``."""
        if self.ctx.progress is None:
            return
        now = time.monotonic()
        if done < total and now - self.progress_at < PROGRESS_SECONDS:
            return
        self.progress_at = now
        self.emit(_Reading(stage, done, total))

    def error(self, source: str, error: str) -> None:
        """Report ``source`` as not collected; a page the crawl found says where, so a broken
        link can be mended where it is (the first page that links to it, or its sitemap)."""
        found = self.found_on.get(source)
        if found is not None:
            error = f"{error}; {found[0]} {found[1]}"
        self.emit(CollectionError(source=source, error=error, channel="web"))

    async def run(self) -> None:
        self._open_cache()
        try:
            if self.options.site_dir:
                await self._read_site_dir()
            else:
                await self._crawl()
        finally:
            if self.cache is not None:
                try:
                    self.cache.close()
                except (sqlite3.Error, OSError) as exc:
                    self._cache_failed(exc)
            self._emit_pages()  # a crawl that broke still hands over what it read
        self._emit_site_wide()

    def _open_cache(self) -> None:
        if not self.options.cache:
            return
        path = Path(self.options.cache).expanduser()
        if not path.is_absolute():
            path = self.ctx.base_dir / path
        try:
            self.cache = PageCache(path)
        except Exception as exc:  # noqa: BLE001 - sqlite3 and OS errors alike
            self.error(str(path), f"web cache not usable ({exc}); crawling without it, so "
                                  f"every page is fetched in full (delete the file or set "
                                  f"`cache`)")

    def _cached(self, url: str) -> CachedPage | None:
        """What the cache remembers of ``url``, if anything (and the cache still works)."""
        if self.cache is None:
            return None
        try:
            return self.cache.get(url)
        except (sqlite3.Error, OSError) as exc:
            self._cache_failed(exc)
            return None

    def _remember(self, url: str, **page: Any) -> None:
        if self.cache is None:
            return
        try:
            self.cache.put(url, **page)
        except (sqlite3.Error, OSError) as exc:
            self._cache_failed(exc)

    def _cache_failed(self, exc: BaseException) -> None:
        """A cache that fails mid-crawl (a full disk, a file deleted under it) is dropped: the
        crawl goes on, and the next one fetches in full what this one could not record."""
        assert self.cache is not None
        cache, self.cache = self.cache, None
        with contextlib.suppress(sqlite3.Error, OSError):
            cache.abandon()
        self.error(str(cache.path), f"web cache failed ({exc}); the crawl went on "
                                    f"without it, so the next crawl fetches unrecorded pages "
                                    f"in full (free disk space, or set `cache` elsewhere)")

    # -- over HTTP ----------------------------------------------------------------------

    async def _crawl(self) -> None:
        o = self.options
        fetcher = AsyncFetcher(self.ctx.user_agent, timeout=o.timeout, delay=o.delay,
                               concurrency=o.concurrency, respect_robots=o.respect_robots,
                               max_bytes=min(o.max_bytes, self.ctx.limits.max_page_bytes),
                               max_redirects=o.max_redirects, retries=o.retries,
                               allow_private=o.allow_private_addresses
                               or self.ctx.allow_private_addresses)
        renderer = Renderer(chromium_path(o.chromium), resolve=self._resolve_remote,
                            user_agent=self.ctx.user_agent, pages=o.render_pages,
                            timeout=o.render_timeout)
        async with fetcher, renderer:
            self.fetcher, self.renderer = fetcher, renderer
            seeds: list[str] = []
            sitemaps: list[tuple[str, bool]] = []
            for start in o.start:
                url = normalize_url(start)
                if url is None:
                    self.error(start, "not an http(s) URL; start URLs look like "
                                      "https://example.com/")
                    continue
                self.scope.add(origin_of(url))
                if looks_like_sitemap(url):
                    sitemaps.append((url, True))
                elif url not in self.seen:
                    self.seen.add(url)
                    seeds.append(url)
            # The start pages first: a start URL that redirects (http -> https, to www.)
            # fixes the host the crawl stays on, and sitemaps are looked for there.
            for url in seeds:
                self._push(url, 0)
            await self._drain(only_depth=0)
            if o.sitemaps and not self.stop.is_set():
                sitemaps += await self._discover_sitemaps()
            await self._read_sitemaps(sitemaps)
            await self._drain(only_depth=None)
        self._report_robots()

    def _push(self, url: str, depth: int) -> None:
        self.order += 1
        heapq.heappush(self.frontier, (depth, self.order, url))

    async def _drain(self, only_depth: int | None) -> None:
        """Visit queued pages, breadth first, several at once, until none are left."""
        o = self.options
        parallel = o.concurrency * max(1, len(self.scope)) + o.render_pages
        running: set[asyncio.Task[None]] = set()
        while not self.stop.is_set():
            while self.frontier and len(running) < parallel and self.requested < o.max_pages:
                if only_depth is not None and self.frontier[0][0] > only_depth:
                    break
                depth, _, url = heapq.heappop(self.frontier)
                if url in self.claimed:  # reached earlier (or now) through a redirect
                    continue
                self.claimed.add(url)
                self.requested += 1
                running.add(asyncio.create_task(self._visit(url, depth)))
            if not running:
                break
            done, running = await asyncio.wait(running, return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                task.result()  # a bug in _visit must surface, not vanish
            self.visited += len(done)
            left = max(0, o.max_pages - self.requested)
            self._progress("reading web pages", self.visited,
                           self.visited + len(running) + min(len(self.frontier), left))
        if running:  # stopped early: let pages in flight finish
            await asyncio.gather(*running, return_exceptions=True)
        pending = [u for d, _, u in self.frontier if only_depth is None or d <= only_depth]
        if only_depth is None and pending and self.requested >= o.max_pages:
            origin = origin_of(pending[0])
            self.error(origin, f"crawl stopped at max_pages = {o.max_pages}; "
                               f"{len(pending)} more URLs were found but not fetched "
                               f"(raise max_pages to include them)")

    async def _visit(self, url: str, depth: int) -> None:
        assert self.fetcher is not None
        extension = _not_html_extension(url)
        if extension:
            self.requested -= 1  # not requested, so it does not count against max_pages
            self.error(url, f"{SKIPPED}not HTML (a .{extension} file; only web pages are "
                            f"audited, so it was not requested)")
            return
        refusal = await self.fetcher.robots_refusal(url)
        if refusal:
            self.requested -= 1
            self._robots_refused(url, refusal, depth)
            return

        cached = self._cached(url)
        usable = cached is not None and cached.body is not None
        try:
            # A start URL may redirect to its own site under another scheme or www. name (which
            # then joins the scope); never to another site, and no other page leaves the scope.
            response = await self.fetcher.get(
                url, accept=is_html, same_origin=depth > 0,
                follow=self._claim if depth > 0 else
                lambda target: _same_site(url, target) and self._claim(target),
                etag=cached.etag if usable and cached else None,
                last_modified=cached.last_modified if usable and cached else None)
        except FetchError as exc:
            self.error(url, str(exc))
            return
        if response.status in REDIRECT_STATUSES:
            if not _same_site(url, response.url):
                self.error(url, f"start URL redirects to {response.url}, another site; not "
                                f"followed (the crawl stays on the configured site: add that "
                                f"URL to `start` to audit it)")
            return  # redirects to a page already read
        body, charset, not_modified = response.body, response.charset, False
        etag, last_modified = response.etag, response.last_modified
        if response.not_modified and cached is not None and cached.body is not None:
            body, charset, not_modified = cached.body, cached.charset, True
            etag = etag or cached.etag
            last_modified = last_modified or cached.last_modified
            final = cached.final_url
        else:
            final = normalize_url(response.url) or url
        if depth == 0:
            self.scope.add(origin_of(final))
        if final in self.fetched:
            return  # a redirect to a page already read
        self.fetched.add(final)
        self.seen.add(final)

        await _hand_off()
        page = await self._read(final, decode_html(body, charset))
        if page is None:
            return
        remember = partial(self._remember, url, final_url=final, etag=etag,
                           last_modified=last_modified,
                           content_type=response.content_type or "text/html", charset=charset,
                           body=body)
        if self._refreshed(page, final, depth):
            remember(content_hash=None)
            return
        if not ({"nofollow", "none"} & set(page.robots)):
            found_on = ("linked from", final)
            for link in page.links:
                self._enqueue(link, depth + 1, found_on)
        key = final
        if self.public_origin:  # a staging or preview deploy, keyed like the live site
            key = _rebased(final, self.public_origin)
            canonical = normalize_url(page.canonical) if page.canonical else None
            if canonical and origin_of(canonical) in self.scope:
                canonical = _rebased(canonical, self.public_origin)
            page = _relocated(page, key, canonical)
        digest = self._accept(page, key, fetched=final,
                              extra={"depth": str(depth)}, cached=cached,
                              not_modified=not_modified)
        remember(content_hash=digest)

    def _refreshed(self, page: Page, url: str, depth: int) -> bool:
        """Whether the page at ``url`` is a redirect in HTML (an instant ``<meta
        http-equiv="refresh">``): visitors never see its copy, so it is no touchpoint, and
        its target is crawled as an HTTP redirect's would be, on this site only. A refresh
        after a delay shows the page first: it is read, and its target is one more link."""
        target = page.redirect and normalize_url(page.redirect)
        if not target:
            if page.refresh is not None:
                self._enqueue(page.refresh[1], depth + 1, ("refresh target of", url))
            return False
        if target == url:
            return False
        if depth == 0 and _same_site(url, target):
            self.scope.add(origin_of(target))  # as a start URL's HTTP redirect may
        if origin_of(target) not in self.scope:
            self.error(url, f"redirects off-site to {target} (<meta http-equiv=\"refresh\">); "
                            f"not followed")
        else:
            self._enqueue(target, depth, ("refresh target of", url))
        return True

    def _claim(self, target: str) -> bool:
        """Follow a redirect only to a URL no other task has requested (pages run in parallel,
        so "already read" is not enough)."""
        if target in self.claimed:
            return False
        self.claimed.add(target)
        return True

    def _robots_refused(self, url: str, refusal: str, depth: int) -> None:
        origin = origin_of(url)
        count = self.robots_refused.get(origin, 0) + 1
        self.robots_refused[origin] = count
        if count <= MAX_ROBOTS_ERRORS or depth == 0:
            self.error(url, refusal)

    def _report_robots(self) -> None:
        for origin, count in self.robots_refused.items():
            if count > MAX_ROBOTS_ERRORS:
                self.error(f"{origin}/robots.txt",
                           f"linked URLs not requested, as robots.txt disallows them: "
                           f"{count - MAX_ROBOTS_ERRORS:,} more")

    def _enqueue(self, link: str, depth: int, found_on: tuple[str, str] | None = None) -> None:
        """Queue ``link`` if it is new, on the site and wanted; ``found_on`` says where it
        was found (``("linked from", page)``, ``("listed in", sitemap)`` or ``("refresh
        target of", page)``), for its errors."""
        url = normalize_url(link)
        if url is None or url in self.seen or depth > self.options.max_depth:
            return
        if origin_of(url) not in self.scope:
            return
        if self.include and not any(p.search(url) for p in self.include):
            return
        if any(p.search(url) for p in self.exclude):
            return
        self.seen.add(url)
        if found_on is not None:
            self.found_on[url] = found_on
        self._push(url, depth)

    # -- sitemaps -----------------------------------------------------------------------

    async def _discover_sitemaps(self) -> list[tuple[str, bool]]:
        """Sitemaps named in each host's robots.txt, else a guessed /sitemap.xml."""
        assert self.fetcher is not None
        found: list[tuple[str, bool]] = []
        for origin in sorted(self.scope):
            rules = await self.fetcher.robots(origin)
            listed = [normalize_url(urljoin(origin + "/", u)) for u in rules.sitemaps] \
                if rules is not None else []
            named = [u for u in listed if u]
            if named:
                found += [(u, True) for u in named]
            else:
                found.append((f"{origin}/sitemap.xml", False))
        return found

    async def _read_sitemaps(self, sitemaps: list[tuple[str, bool]]) -> None:
        """Queue the pages of every sitemap (following indexes); ``explicit`` ones that fail
        are reported, a guessed /sitemap.xml that is not there is not."""
        assert self.fetcher is not None
        todo = list(sitemaps)
        read: set[str] = set()
        while todo and len(read) < MAX_SITEMAP_FILES and not self.stop.is_set():
            url, explicit = todo.pop(0)
            if url in read:
                continue
            read.add(url)
            if origin_of(url) not in self.scope:
                # robots.txt may name a sitemap elsewhere (a CDN); out of scope, not an error
                # unless the user gave it as a start URL.
                if url in {normalize_url(s) for s in self.options.start}:
                    self.error(url, "sitemap on another host than the start URLs; not read")
                continue
            try:
                response = await self.fetcher.get(url, same_origin=True)
                sitemap = parse_sitemap(response.body, self.ctx.limits)
            except FetchError as exc:
                if explicit:
                    self.error(url, f"sitemap not read: {exc}")
                continue
            except SitemapError as exc:
                if explicit:
                    self.error(url, f"sitemap not read: {exc}")
                continue
            for loc in sitemap.sitemaps:
                child = normalize_url(urljoin(url, loc))
                if child:
                    todo.append((child, True))
            for loc in sitemap.pages:
                self._enqueue(urljoin(url, loc), 1, ("listed in", url))
        if todo and len(read) >= MAX_SITEMAP_FILES:
            self.error(todo[0][0], f"more than {MAX_SITEMAP_FILES} sitemap files; the rest "
                                   f"were not read")

    # -- reading a page -----------------------------------------------------------------

    async def _read(self, url: str, html: str) -> Page | None:
        """Extract the page, rendering it first when its static HTML is a script shell."""
        try:
            page = extract_page(html, url)
        except Exception as exc:  # noqa: BLE001 - one unparseable page must not end the crawl
            self.error(url, f"could not parse the page: {type(exc).__name__}: {exc}")
            return None
        mode = self.options.render
        shell = page.scripts > 0 and page.body_chars < self.options.render_min_chars
        if mode == "never" or (mode == "auto" and not shell) or page.redirect is not None:
            return page  # (a redirect page's script only sends the browser on, too)
        assert self.renderer is not None
        document = Resource(200, "text/html; charset=utf-8", html.encode("utf-8"))
        try:
            rendered = await self.renderer.render(url, document)
            page = extract_page(rendered, url)
        except RenderError as exc:
            if self.renderer.started or not self.render_failure_reported:
                self.render_failure_reported = True
                self.error(url, f"JavaScript not rendered: {exc}; the static HTML was read "
                                f"instead")
            return page
        except Exception as exc:  # noqa: BLE001
            self.error(url, f"could not parse the rendered page: {type(exc).__name__}: {exc}")
            return None
        return replace(page, rendered=True)

    def _accept(self, page: Page, url: str, *, fetched: str, extra: dict[str, str],
                cached: CachedPage | None = None, not_modified: bool = False) -> str | None:
        """Turn a read page into a touchpoint unless it duplicates one; its content hash."""
        origin = origin_of(url) if "://" in url else self.site_origin
        site = self.chrome.setdefault(origin, {})
        for block in page.chrome_blocks:
            site.setdefault(block.text, block)

        key = url
        canonical = normalize_url(page.canonical) if page.canonical else None
        if canonical and canonical != url and origin_of(canonical) == origin:
            # The page says it is a copy of `canonical`: report it once, under that URL, and
            # do not fetch the canonical URL again.
            key = canonical
            self.seen.add(canonical)
        digest = hashlib.sha256(page.text.encode("utf-8")).hexdigest()
        if key in self.keys or digest in self.hashes:
            return digest  # the same page under another URL (e.g. / and /index.html)
        if not page.blocks:
            hint = "" if self.options.render != "never" else \
                " (it may be built by JavaScript: set render = \"auto\")"
            self.error(fetched, f"no copy found in the page{hint}")
            return digest
        self.keys.add(key)
        self.hashes.add(digest)
        metadata = {"url": fetched, "content_hash": digest, **extra}
        if key != url:
            metadata["canonical"] = key
        elif page.canonical and normalize_url(page.canonical) not in (None, url):
            metadata["canonical"] = str(normalize_url(page.canonical))
        if page.rendered:
            metadata["rendered"] = "true"
        if not_modified:
            metadata["not_modified"] = "true"  # answered 304: read from the cache
        if cached is not None and cached.content_hash == digest:
            metadata["unchanged"] = "true"     # same copy as the previous crawl
        self.pages[origin] = self.pages.get(origin, 0) + 1
        self.languages.setdefault(origin, Counter())[page.language] += 1
        self.repeats.setdefault(origin, Counter()).update(
            {b.text for b in page.blocks if b.scope not in HEAD_SCOPES})
        self.held.append((origin, Touchpoint(
            id=f"web:{key}",
            channel="web",
            source=key,
            title=page.title,
            language=page.language,
            blocks=page.blocks,
            captured_at=datetime.now(UTC),
            metadata=metadata,
        )))
        return digest

    async def _resolve_remote(self, url: str) -> Resource | None:
        """A request the browser makes while rendering, fetched politely (or refused)."""
        assert self.fetcher is not None
        normal = normalize_url(url)
        if normal is None:
            return None
        host = urlsplit(normal).hostname or ""
        if origin_of(normal) not in self.scope and host not in self.render_hosts:
            return None  # out of scope: the browser never reaches other hosts
        try:
            response = await self.fetcher.get(url, same_origin=True)
        except FetchError:
            return None
        media = response.content_type or "application/octet-stream"
        if response.charset:
            media += f"; charset={response.charset}"
        return Resource(200, media, response.body)

    def _emit_pages(self) -> None:
        """Hand over the pages read, each without the copy that repeats on most pages of its
        site: a menu, a footer or a newsletter box that is not marked up as one (``<div
        class="footer">``, as many site builders and older themes write) joins the
        structural chrome in the site-wide touchpoint, scored once instead of on every page.
        The pages wait until the crawl has read them all, so what counts as repeated does not
        depend on the order they arrived in."""
        held, self.held = self.held, []
        for origin, touchpoint in held:
            repeated = self._repeated(origin)
            if repeated and any(b.text in repeated for b in touchpoint.blocks):
                site = self.chrome.setdefault(origin, {})
                kept = []
                for block in touchpoint.blocks:
                    if block.text in repeated and block.scope not in HEAD_SCOPES:
                        site.setdefault(block.text, block)
                    else:
                        kept.append(block)
                touchpoint = replace(touchpoint, blocks=tuple(kept))
            self.emit(touchpoint)

    def _repeated(self, origin: str) -> set[str]:
        """Texts of the body blocks on more than half of ``origin``'s pages, and on at least
        ``REPEATED_MIN_PAGES`` of them."""
        if origin not in self.repeated:
            pages, counts = self.pages.get(origin, 0), self.repeats.get(origin, Counter())
            self.repeated[origin] = {text for text, n in counts.items()
                                     if n >= REPEATED_MIN_PAGES and 2 * n > pages}
        return self.repeated[origin]

    def _emit_site_wide(self) -> None:
        for origin, by_text in self.chrome.items():
            if not by_text:
                continue
            blocks = tuple(by_text.values())
            host = urlsplit(origin).netloc
            source = f"{origin}/"
            if self.site_label and origin == self.site_origin:
                host = source = self.site_label
            text = "\n".join(b.text for b in blocks)
            self.emit(Touchpoint(
                id=f"web:{host}#site-wide",
                channel="web",
                source=source,
                title=SITE_WIDE_TITLE,
                language=self._site_language(origin, text),
                blocks=blocks,
                captured_at=datetime.now(UTC),
                metadata={"url": source, "pages": str(self.pages.get(origin, 0)),
                          "content_hash": hashlib.sha256(text.encode("utf-8")).hexdigest()},
            ))

    def _site_language(self, origin: str, text: str) -> str:
        """The language of a site's navigation and footer: that of most of its pages (a few
        menu words say too little: "Startseite Preise Hilfe" is too short to identify),
        else identified from ``text``. A tie goes to the first code in alphabetical order,
        so the answer does not depend on the order pages arrived in."""
        languages = self.languages.get(origin)
        if not languages:
            return detect_language(text)
        return min(languages, key=lambda code: (-languages[code], code))

    # -- a built site on disk -----------------------------------------------------------

    async def _read_site_dir(self) -> None:
        o = self.options
        root = Path(o.site_dir).expanduser()
        if not root.is_absolute():
            root = self.ctx.base_dir / root
        if not root.is_dir():
            self.error(o.site_dir, f"site_dir is not a folder: {root}; point it at the "
                                   f"static site's build output (e.g. public/ or _site/)")
            return
        self.site_root = root
        base = normalize_url(o.base_url) if o.base_url else None
        # Without a public URL the browser still needs an origin; it never leaves the folder.
        self.site_origin = origin_of(base) if base else "http://site-dir.invalid"
        if not base:
            self.site_label = display_path(root, self.ctx.base_dir)
        files = sorted(
            p for p in root.rglob("*")
            if p.suffix.lower() in _HTML_SUFFIXES and p.is_file()
            and not any(part.startswith(".") for part in p.relative_to(root).parts))
        renderer = Renderer(chromium_path(o.chromium), resolve=self._resolve_disk,
                            user_agent=self.ctx.user_agent, pages=o.render_pages,
                            timeout=o.render_timeout)
        async with renderer:
            self.renderer = renderer
            read = 0
            for path in files:
                if self.stop.is_set():
                    break
                rel = path.relative_to(root).as_posix()
                public = _public_url(self.site_origin, rel)
                url = public if base else display_path(path, self.ctx.base_dir)
                if self.include and not any(p.search(url) for p in self.include):
                    continue
                if any(p.search(url) for p in self.exclude):
                    continue
                if read >= o.max_pages:
                    self.error(str(root), f"stopped at max_pages = {o.max_pages}; "
                                          f"{len(files) - read} more HTML files not read")
                    break
                read += 1
                await self._read_file(path, public, url)
                self._progress("reading the built site", read, min(len(files), o.max_pages))

    async def _read_file(self, path: Path, public: str, url: str) -> None:
        try:
            cap = min(self.options.max_bytes, self.ctx.limits.max_page_bytes)
            if path.stat().st_size > cap:
                self.error(url, f"too large: over the {cap:,}-byte cap per page; raise "
                                f"`max_bytes` (and [limits] max_page_bytes) to read it")
                return
            body = path.read_bytes()
        except OSError as exc:
            self.error(url, f"could not read the file: {exc.strerror or exc}")
            return
        # Rendering addresses the page by its (public or stand-in) URL; the touchpoint is
        # keyed by ``url``: the public URL, or the file path when no base_url is given.
        page = await self._read(public, decode_html(body, None))
        if page is None or page.redirect is not None:
            return  # a redirect page (Hugo's aliases, jekyll-redirect-from): never shown
        if public != url:
            page = _relocated(page, url)
        cached = self._cached(url)
        digest = self._accept(page, url, fetched=url, extra={"file": str(path)},
                              cached=cached)
        self._remember(url, final_url=url, etag=None, last_modified=None,
                       content_type="text/html", charset=None, body=None, content_hash=digest)

    async def _resolve_disk(self, url: str) -> Resource | None:
        """A request the browser makes while rendering a built page: served from the folder."""
        assert self.site_root is not None
        parts = urlsplit(url)
        if f"{parts.scheme}://{parts.netloc}" != self.site_origin:
            return None
        relative = unquote(parts.path).lstrip("/")
        target = (self.site_root / relative).resolve()
        root = self.site_root.resolve()
        if target != root and root not in target.parents:
            return None  # ../ tricks never leave the folder
        if target.is_dir():
            target = target / "index.html"
        if not target.is_file():
            return None
        kind = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
        return Resource(200, kind, await asyncio.to_thread(target.read_bytes))


#: Body copy on more than half of a site's pages, and on at least this many, is site chrome
#: (``_Crawl._emit_pages``): two pages of a three-page site may well share a paragraph.
REPEATED_MIN_PAGES = 3
#: Turns of the event loop a page waits before it is parsed (``_hand_off``).
HAND_OFF_TURNS = 4


async def _hand_off() -> None:
    """Let the requests waiting for the connection this page freed go out before the page is
    parsed: parsing holds the event loop for about a millisecond, and a request takes a few
    turns of the loop to reach the wire (its task resumes, libcurl's timer starts the
    transfer, the socket connects and sends). Measured on the 500-page benchmark site with
    concurrency 4 (``make bench-crawl``): with a 20 ms round trip, 160 pages/s without,
    174 after one turn, 177 after four (182 is what the same server gives four connections
    that never parse); on loopback about a tenth more pages per second, as the server
    answers while the crawl parses."""
    for _ in range(HAND_OFF_TURNS):
        await asyncio.sleep(0)


def _site(url: str) -> str:
    """``url``'s host, lower-cased, without a leading ``www.``."""
    host = (urlsplit(url).hostname or "").lower()
    return host[4:] if host.startswith("www.") else host


def _same_site(url: str, target: str) -> bool:
    """``target`` is on ``url``'s site: the same host, give or take a leading ``www.``."""
    return _site(url) == _site(target)


def _public_url(origin: str, relative: str) -> str:
    """``about/index.html`` -> ``origin/about/``; other files keep their name."""
    if relative == "index.html":
        relative = ""
    elif relative.endswith("/index.html"):
        relative = relative[: -len("index.html")]
    return f"{origin}/{relative}"


def _relocated(page: Page, source: str, canonical: str | None = None) -> Page:
    """The same page with every locator pointing at ``source`` (a file path, or the page's
    public URL) and ``canonical`` as its canonical URL."""
    def move(blocks: tuple[Block, ...]) -> tuple[Block, ...]:
        return tuple(replace(b, locator=replace(b.locator, source=source)) for b in blocks)

    return replace(page, url=source, blocks=move(page.blocks),
                   chrome_blocks=move(page.chrome_blocks), canonical=canonical)


def _rebased(url: str, origin: str) -> str:
    """``url`` on ``origin`` instead of its own: the same path and query."""
    return origin + url[len(origin_of(url)):]

KIND = ChannelKind(
    name="web",
    options=WebOptions,
    collect=collect,
    description="Pages of a website, crawled politely from start URLs and sitemaps "
                "(robots.txt obeyed), or a built site's folder",
)
