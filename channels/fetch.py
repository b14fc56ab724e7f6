"""The one polite HTTP fetcher every collector uses (the web crawler, social exports by URL).

Polite by default (Scrapy's lesson): robots.txt is obeyed with Protego (a disallowed URL is never
requested, ``Crawl-delay`` slows the host down), every request carries brand-audit's User-Agent,
each host gets at most ``concurrency`` requests at once with ``delay`` seconds between request
starts, 429 and 5xx answers are retried with exponential backoff honouring ``Retry-After``, and
redirects, time and body size are capped.

Scope guards (hostile links and DNS): only http(s) is ever requested (``file://`` and every
other scheme are refused); a host configured by name whose DNS answer is a private, loopback,
link-local or otherwise non-public address is refused unless ``allow_private`` is set (a public
name pointed at 127.0.0.1 must not turn a crawl into a probe of the auditor's own machine or
network); a host written as an IP literal or ``localhost`` is allowed when it is the host the
caller asked for (tests and intranet audits point there on purpose), never when a redirect
leads there. Extra request headers (an API token) are only sent to the origin they were given
for: a redirect to another origin drops them.

The host is resolved here, once per fetcher, and the request connects to the addresses that
were checked (``channels.transport`` never resolves on its own), so a name cannot pass the
check with one address and be fetched from another.

``AsyncFetcher`` is the implementation (requests go through libcurl, ``channels.transport``);
``Fetcher`` is a synchronous face over it for collectors that fetch one URL.
"""

from __future__ import annotations

import asyncio
import email.utils
import functools
import ipaddress
import random
import re
import socket
import threading
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

import certifi
import yarl
from protego import Protego

from auditor.types import SKIPPED
from channels.transport import Answer, BodyTooLarge, CurlSession, TransferError

MAX_BYTES = 5 * 1024 * 1024
MAX_REDIRECTS = 5
MAX_CRAWL_DELAY = 10.0     # seconds; a robots.txt Crawl-delay above this is capped
MAX_RETRY_WAIT = 60.0      # seconds; a Retry-After beyond this is not waited for
BACKOFF = 0.5              # seconds before the first retry; doubled for each further one
RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
# Query parameters that only track a visit; the page is the same without them. Ad and
# analytics click ids (Google, Meta, Microsoft, X, TikTok, LinkedIn, Pinterest, Adobe), e-mail
# and marketing tools' (Mailchimp, HubSpot, Marketo, Klaviyo), and those Russian sites carry:
# Yandex search's ysclid (on every link copied from its results), Yandex Direct's yclid,
# yadclid, yadordid and _openstat, Roistat's roistat*.
_TRACKING_PARAMS = re.compile(
    r"^(utm_.*|gclid|gclsrc|gad_source|dclid|gbraid|wbraid|srsltid|fbclid|msclkid|twclid|"
    r"ttclid|li_fat_id|epik|s_kwcid|ef_id|mc_cid|mc_eid|_hsenc|_hsmi|__hstc|__hssc|__hsfp|"
    r"hsctatracking|mkt_tok|_kx|_ga|_gl|igshid|ref_src|ysclid|yclid|yadclid|yadordid|"
    r"_openstat|roistat.*)$", re.IGNORECASE)

T = TypeVar("T")


# -- URLs -----------------------------------------------------------------------------------

# Both are pure and asked about the same URLs again and again (every page links to the
# navigation), so answers are remembered.
@functools.lru_cache(maxsize=1 << 14)
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


@functools.lru_cache(maxsize=1 << 14)
def origin_of(url: str) -> str:
    """``scheme://host[:port]`` of a normalised URL."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


# -- Results --------------------------------------------------------------------------------

class FetchError(Exception):
    """A URL that could not be fetched; ``str(error)`` says why, for a ``CollectionError``."""


@dataclass(frozen=True)
class Response:
    url: str                 # after redirects
    status: int
    content_type: str        # media type only, lower case, e.g. "text/html"
    charset: str | None      # from the Content-Type header
    body: bytes
    etag: str | None = None
    last_modified: str | None = None

    @property
    def not_modified(self) -> bool:
        """The server answered 304 to a conditional request: the cached copy is current."""
        return self.status == 304


@dataclass
class _Host:
    """Politeness state of one origin: a concurrency gate and the earliest next request."""

    slots: asyncio.Semaphore
    delay: float
    next_start: float = 0.0
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    robots: Protego | str | None = None
    robots_loaded: bool = False
    robots_lock: asyncio.Lock = field(default_factory=asyncio.Lock)


class AsyncFetcher:
    """Polite asynchronous HTTP GETs. Use as ``async with AsyncFetcher(...) as fetcher``."""

    def __init__(self, user_agent: str, *, timeout: float = 15.0, delay: float = 0.0,
                 concurrency: int = 2, respect_robots: bool = True,
                 max_bytes: int = MAX_BYTES, max_redirects: int = MAX_REDIRECTS,
                 retries: int = 2, allow_private: bool = False) -> None:
        self.user_agent = user_agent
        self.allow_private = allow_private
        self._resolved: dict[str, tuple[str, ...]] = {}  # host, as on the wire -> addresses
        self.timeout = timeout
        self.delay = max(0.0, delay)
        self.concurrency = max(1, concurrency)
        self.respect_robots = respect_robots
        self.max_bytes = max_bytes
        self.max_redirects = max_redirects
        self.retries = max(0, retries)
        self._hosts: dict[str, _Host] = {}
        self._client: CurlSession | None = None

    async def __aenter__(self) -> AsyncFetcher:
        # The per-request time limit is enforced around each whole attempt (see _attempt);
        # the session's own timeout is a backstop for a stalled socket. Certificates are
        # checked against Mozilla's bundle (certifi), whatever the machine's store holds.
        # Cookies a site sets are sent back to it, IP-address hosts included.
        self._client = CurlSession(self.user_agent, timeout=self.timeout,
                                   ca_file=certifi.where())
        await self._client.__aenter__()
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._client is not None:
            await self._client.__aexit__(*exc)
            self._client = None

    # -- robots.txt ---------------------------------------------------------------------

    def _host(self, origin: str) -> _Host:
        host = self._hosts.get(origin)
        if host is None:
            host = self._hosts[origin] = _Host(asyncio.Semaphore(self.concurrency), self.delay)
        return host

    async def robots(self, origin: str) -> Protego | None:
        """Parsed robots.txt of ``origin`` (``None``: none, or not obeyed); loaded once."""
        host = self._host(origin)
        await self._load_robots(origin, host)
        return host.robots if isinstance(host.robots, Protego) else None

    async def robots_refusal(self, url: str) -> str | None:
        """Why robots.txt forbids fetching ``url``, or ``None`` when it may be fetched."""
        if not self.respect_robots:
            return None
        origin = origin_of(url)
        host = self._host(origin)
        await self._load_robots(origin, host)
        rules = host.robots
        if isinstance(rules, str):
            return rules
        if rules is not None and not rules.can_fetch(url, self.user_agent):
            return f"disallowed by {origin}/robots.txt (set respect_robots = false only for " \
                   f"a site you own)"
        return None

    def crawl_delay(self, origin: str) -> float:
        """Seconds between request starts for ``origin`` (``delay`` or a larger Crawl-delay)."""
        return self._host(origin).delay

    async def _load_robots(self, origin: str, host: _Host) -> None:
        if host.robots_loaded or not self.respect_robots:
            return
        async with host.robots_lock:
            if host.robots_loaded:
                return
            host.robots = await self._fetch_robots(origin, host)
            host.robots_loaded = True

    async def _fetch_robots(self, origin: str, host: _Host) -> Protego | str | None:
        """Parsed rules, ``None`` (no robots.txt: all allowed) or why nothing may be fetched."""
        url = f"{origin}/robots.txt"
        try:
            # Redirects are followed (to another host too, as RFC 9309 allows), robots.txt
            # itself is never subject to robots.txt.
            response = await self._get(url, same_origin=False, check_robots=False,
                                       accept=None, follow=None, headers={})
        except FetchError as exc:
            text = str(exc)
            # RFC 9309: a 4xx robots.txt means "no rules"; 429 is "come back later", which,
            # like a 5xx, means nothing may be fetched yet.
            if re.match(r"HTTP 4(?!29|08)\d\d", text):
                return None
            return f"{url} unreachable ({text}); nothing is fetched from {origin} until it " \
                   f"answers"
        rules = Protego.parse(response.body.decode("utf-8", errors="replace"))
        delay = rules.crawl_delay(self.user_agent)
        if delay:
            host.delay = max(host.delay, min(float(delay), MAX_CRAWL_DELAY))
            # The robots.txt request itself counts: the first page waits a full delay too.
            host.next_start = max(host.next_start, time.monotonic() + host.delay)
        return rules

    # -- GET ----------------------------------------------------------------------------

    async def get(self, url: str, *, same_origin: bool = True,
                  accept: Callable[[str], bool] | None = None,
                  follow: Callable[[str], bool] | None = None,
                  etag: str | None = None, last_modified: str | None = None,
                  headers: dict[str, str] | None = None) -> Response:
        """GET ``url``, following up to ``max_redirects`` redirects.

        With ``same_origin`` a redirect to another scheme/host/port is not followed.
        ``accept(media_type)`` decides, before the body is read, whether it is wanted.
        ``follow(target)`` may decline a redirect (e.g. to a page already read): the redirect
        response itself is returned, with an empty body and ``url`` set to the target.
        ``etag``/``last_modified`` make the request conditional: a 304 answer comes back as a
        ``Response`` whose ``not_modified`` is true and whose body is empty.
        ``headers`` (e.g. ``Authorization``) go to ``url``'s origin only, never across a redirect
        to another origin.
        Raises ``FetchError`` with a reason a user can act on.
        """
        headers = dict(headers or {})
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        return await self._get(url, same_origin=same_origin, check_robots=True, accept=accept,
                               follow=follow, headers=headers)

    async def _get(self, url: str, *, same_origin: bool, check_robots: bool,
                   accept: Callable[[str], bool] | None, follow: Callable[[str], bool] | None,
                   headers: dict[str, str]) -> Response:
        chain = [url]
        current = url
        asked_host = (urlsplit(url).hostname or "").lower()
        for _ in range(self.max_redirects + 1):
            refusal = await self.address_refusal(current, asked_host)
            if refusal:
                raise FetchError(refusal)
            if check_robots:
                refusal = await self.robots_refusal(current)
                if refusal:
                    raise FetchError(refusal)
            response, location = await self._with_retries(current, accept, headers)
            if location is None:
                return response
            try:
                target = normalize_url(urljoin(current, location))
            except ValueError:  # e.g. a broken IPv6 literal, "http://[bad"
                raise FetchError(f"redirects to {location}, which is not a URL") from None
            if target is None:
                raise FetchError(f"redirects to {location}, which is not http(s)")
            if target in chain:
                raise FetchError("redirect loop: " + " → ".join(chain + [target]))
            if same_origin and origin_of(target) != origin_of(url):
                raise FetchError(f"redirects off-site to {target}; not followed")
            if headers and origin_of(target) != origin_of(url):
                # Credentials are for the origin they were given for, never for another host.
                headers = {k: v for k, v in headers.items()
                           if k.lower() in ("if-none-match", "if-modified-since")}
            if follow is not None and not follow(target):
                return Response(target, response.status, "", None, b"")
            chain.append(target)
            current = target
        raise FetchError(f"more than {self.max_redirects} redirects "
                         f"({' → '.join(chain[:3])} → ...); not followed")

    async def address_refusal(self, url: str, asked_host: str) -> str | None:
        """Why ``url``'s host may not be requested (see the module docstring), else ``None``.

        ``asked_host`` is the host the caller asked for; an IP literal or ``localhost`` is only
        allowed when it is that host. A host name is resolved (once per fetcher) and refused
        when any address it resolves to is not public.
        """
        parts = urlsplit(url)
        if parts.scheme.lower() not in ("http", "https"):
            return f"{parts.scheme or 'a relative'}:// URLs are not fetched (only http and https)"
        host = (parts.hostname or "").lower()
        literal = _ip_literal(host)
        if literal is not None or host == "localhost" or host.endswith(".localhost"):
            if self.allow_private or host == asked_host or \
                    (literal is not None and _is_public(literal)):
                return None
            return f"{host} is a {_address_kind(literal)} address reached by a redirect; " \
                   f"refused (set allow_private_addresses = true to audit an intranet site)"
        addresses = await self._addresses(url)
        if self.allow_private:
            return None
        for text in addresses:
            address = _ip_literal(text)
            if address is not None and not _is_public(address):
                return f"{host} resolves to {address}, a {_address_kind(address)} address; " \
                       f"refused for a site configured by a public host name (set " \
                       f"allow_private_addresses = true to audit an intranet site, or use " \
                       f"the IP address in the URL)"
        return None

    async def _addresses(self, url: str) -> tuple[str, ...]:
        """The addresses ``url``'s host name resolves to, looked up once per fetcher by the
        name as it goes on the wire (IDNA), so the check and the connection use one answer.
        Empty when it does not resolve: the request then fails with a clear connection error."""
        try:
            host = _wire(url).raw_host or ""
        except ValueError:
            return ()
        if host not in self._resolved:
            loop = asyncio.get_running_loop()
            try:
                infos = await loop.getaddrinfo(host, None, type=socket.SOCK_STREAM)
            except (socket.gaierror, UnicodeError, OSError):
                infos = []
            self._resolved[host] = tuple(dict.fromkeys(str(info[4][0]) for info in infos))
        return self._resolved[host]

    async def _with_retries(self, url: str, accept: Callable[[str], bool] | None,
                            headers: dict[str, str]) -> tuple[Response, str | None]:
        host = self._host(origin_of(url))
        attempt = 0
        while True:
            try:
                return await self._attempt(url, host, accept, headers)
            except _Retryable as exc:
                wait = exc.retry_after if exc.retry_after is not None else \
                    BACKOFF * (2 ** attempt) * (1 + random.random() / 4)
                if attempt >= self.retries:
                    slow_down = "; the server wants fewer requests: set a longer `delay`" \
                        if exc.reason.startswith("HTTP 429") else ""
                    raise FetchError(exc.reason + (f" (after {attempt + 1} attempts)"
                                                   if attempt else "") + slow_down) from None
                if wait > MAX_RETRY_WAIT:
                    raise FetchError(f"{exc.reason}; the server asks to retry after {wait:g} s, "
                                     f"longer than brand-audit waits") from None
                if exc.retry_after is not None:
                    # Retry-After speaks for the whole host, not just this URL.
                    async with host.lock:
                        host.next_start = max(host.next_start, time.monotonic() + wait)
                await asyncio.sleep(wait)
                attempt += 1

    async def _attempt(self, url: str, host: _Host, accept: Callable[[str], bool] | None,
                       headers: dict[str, str]) -> tuple[Response, str | None]:
        assert self._client is not None, "use AsyncFetcher as an async context manager"
        async with host.slots:
            await self._wait_turn(host)
            try:
                async with asyncio.timeout(self.timeout):
                    return await self._send(url, accept, headers)
            except TimeoutError:  # asyncio's, or libcurl's backstop
                raise _Retryable(f"timed out after {self.timeout:g} s (raise `timeout` if the "
                                 f"site is slow)") from None
            except TransferError as exc:
                if exc.retryable:  # refused, dropped, cut short
                    raise _Retryable(_describe(exc)) from None
                raise FetchError(_describe(exc)) from None  # e.g. a certificate that fails
            except ValueError as exc:  # a URL it cannot request
                raise FetchError(f"request failed: {exc}") from None

    async def _wait_turn(self, host: _Host) -> None:
        """Space request starts to one host by its delay (request starts, as Scrapy does)."""
        async with host.lock:
            now = time.monotonic()
            start = max(now, host.next_start)
            host.next_start = start + host.delay
        if start > now:
            await asyncio.sleep(start - now)

    async def _send(self, url: str, accept: Callable[[str], bool] | None,
                    headers: dict[str, str]) -> tuple[Response, str | None]:
        assert self._client is not None
        wire = _wire(url)
        host = wire.raw_host or ""
        pins: list[str] = []
        if _ip_literal(host) is None:  # connect to the addresses address_refusal checked
            addresses = await self._addresses(url)
            if addresses:
                pins = [f"{host}:{wire.port}:{','.join(map(_bracketed, addresses))}"]

        def wants_body(status: int, head: dict[str, str]) -> bool:
            try:  # the same rules, on the head alone, as soon as it arrives
                return self._judge(url, Answer(status, "", head, b""), accept) is None
            except (FetchError, _Retryable):
                return False

        try:
            answer = await self._client.get(str(wire), headers=headers, addresses=pins,
                                            wants_body=wants_body, max_bytes=self.max_bytes)
        except BodyTooLarge:
            raise FetchError(self._too_large(None)) from None
        settled = self._judge(url, answer, accept)
        if settled is not None:
            return settled
        media_type, charset = content_type(answer.headers.get("content-type"))
        return Response(url, answer.status, media_type, charset, answer.body,
                        answer.headers.get("etag"), answer.headers.get("last-modified")), None

    def _judge(self, url: str, answer: Answer, accept: Callable[[str], bool] | None
               ) -> tuple[Response, str | None] | None:
        """What the response head settles: a redirect (with its target) or a 304, returned;
        a status to retry or refuse, a page not wanted or too large, raised; ``None``: the
        body is the page."""
        head, status = answer.headers, answer.status
        location = head.get("location")
        if status in REDIRECT_STATUSES and location:
            return Response(url, status, "", None, b""), location
        if status == 304:
            return Response(url, status, "", None, b"", head.get("etag"),
                            head.get("last-modified")), None
        if status in RETRY_STATUSES:
            raise _Retryable(_status_text(answer), _retry_after(head.get("retry-after")))
        if status in (401, 403):
            raise FetchError(f"{_status_text(answer)}: the server refused brand-audit (a page "
                             f"for signed-in users, or a firewall that turns crawlers away: "
                             f"let the User-Agent \"{self.user_agent}\" through, or exclude "
                             f"the page)")
        if status >= 400:
            raise FetchError(_status_text(answer))
        media_type, _ = content_type(head.get("content-type"))
        if accept is not None and not accept(media_type):
            raise FetchError(f"{SKIPPED}not HTML ({media_type or 'no content type'})")
        length = head.get("content-length", "")
        if length.isdigit() and int(length) > self.max_bytes:
            raise FetchError(self._too_large(int(length)))
        return None

    def _too_large(self, length: int | None) -> str:
        size = f" ({length:,} bytes)" if length else ""
        return f"too large: over the {self.max_bytes:,}-byte cap per page{size}; raise " \
               f"`max_bytes` to read it"


class _Retryable(Exception):
    """A failure worth another attempt: 429, 5xx, a timeout, a dropped connection."""

    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after


def _status_text(answer: Answer) -> str:
    return f"HTTP {answer.status} {answer.reason}".rstrip()


def _retry_after(value: str | None) -> float | None:
    """Seconds from a ``Retry-After`` header: delta-seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def _ip_literal(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        address = ipaddress.ip_address(host.strip("[]").split("%")[0])
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped  # ::ffff:127.0.0.1 is 127.0.0.1
    return address


def _is_public(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    return address.is_global and not address.is_multicast


def _address_kind(address: ipaddress.IPv4Address | ipaddress.IPv6Address | None) -> str:
    if address is None or address.is_loopback:
        return "loopback"
    if address.is_link_local:
        return "link-local"
    if address.is_private:
        return "private"
    return "non-public"


def _bracketed(address: str) -> str:
    return f"[{address}]" if ":" in address else address


@functools.lru_cache(maxsize=1 << 14)
def _wire(url: str) -> yarl.URL:
    """``url`` as it goes on the wire: IDNA host, percent-encoded path and query (a Russian
    slug such as ``/о-компании`` is sent as ``/%D0%BE-...``; escapes already there are kept)."""
    return yarl.URL(url)


def _describe(exc: TransferError) -> str:
    if exc.unreachable:
        return f"connection failed: {exc}"
    if exc.retryable:  # connected, then the answer stopped coming
        return f"connection dropped: {exc}"
    return f"request failed: {exc}"


def content_type(header: str | None) -> tuple[str, str | None]:
    """``(media type, charset)`` of a Content-Type header, e.g. ``("text/html", "koi8-r")``."""
    if not header:
        return "", None
    media_type, _, params = header.partition(";")
    charset = None
    for param in params.split(";"):
        key, _, value = param.partition("=")
        if key.strip().lower() == "charset" and value.strip():
            charset = value.strip().strip("\"'")
    return media_type.strip().lower(), charset


# -- Synchronous face -----------------------------------------------------------------------

class Fetcher:
    """``AsyncFetcher`` for synchronous callers that fetch a few URLs (e.g. a social export).

    Use as a context manager. Its event loop runs in a thread of its own, so it works from any
    caller, including one that already runs an asyncio loop (Playwright's sync API does).
    """

    def __init__(self, user_agent: str, *, timeout: float = 15.0, delay: float = 0.0,
                 respect_robots: bool = True, max_bytes: int = MAX_BYTES,
                 max_redirects: int = MAX_REDIRECTS, retries: int = 2,
                 allow_private: bool = False) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever,
                                        name="brand-audit-fetcher", daemon=True)
        self._thread.start()
        self._fetcher = AsyncFetcher(user_agent, timeout=timeout, delay=delay, concurrency=1,
                                     respect_robots=respect_robots, max_bytes=max_bytes,
                                     max_redirects=max_redirects, retries=retries,
                                     allow_private=allow_private)
        self._run(self._fetcher.__aenter__())

    def _run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result()

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if not self._loop.is_closed():
            try:
                self._run(self._fetcher.__aexit__())
            finally:
                self._loop.call_soon_threadsafe(self._loop.stop)
                self._thread.join()
                self._loop.close()

    def robots_refusal(self, url: str) -> str | None:
        """Why robots.txt forbids fetching ``url``, or ``None`` when it may be fetched."""
        return self._run(self._fetcher.robots_refusal(url))

    def get(self, url: str, *, same_origin: bool = True,
            accept: Callable[[str], bool] | None = None,
            follow: Callable[[str], bool] | None = None,
            headers: dict[str, str] | None = None) -> Response:
        """See ``AsyncFetcher.get``."""
        return self._run(self._fetcher.get(url, same_origin=same_origin, accept=accept,
                                           follow=follow, headers=headers))
