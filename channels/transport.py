"""HTTP GETs on libcurl (pycurl's multi interface), driven by the running asyncio event loop.

The fetcher (``channels.fetch``) decides what to ask for and what an answer means; this module
only moves bytes. libcurl does the protocol work in C (connections kept alive and reused, TLS,
HTTP/2, gzip and brotli), so a request costs the crawl less than half the CPU it did with an
asyncio HTTP client (aiohttp: 0.39-0.40 ms a page on the crawl benchmark's site, libcurl
0.14-0.17 ms), which on a fast site is much of a crawl's time.

libcurl tells the session which sockets to watch (``M_SOCKETFUNCTION``) and when to wake it
(``M_TIMERFUNCTION``); the session hands those to the event loop, so transfers run beside the
crawl's coroutines in one thread, with no thread of libcurl's own.

What the session guarantees the fetcher:

* **The addresses the caller checked.** Given the addresses the caller resolved and checked
  (``addresses``), libcurl connects to those and nowhere else (``CURLOPT_RESOLVE``), so a
  name cannot resolve to one address when checked and another when connected.
* **The head before the body.** ``wants_body(status, headers)`` is asked once the response
  head has arrived; answering no ends the transfer there (a redirect, an error status, a PDF,
  a declared length over the cap), and the answer comes back with an empty body.
* **A cap on the body as decompressed**, so a small gzip bomb is stopped at ``max_bytes``.
* **Nothing from the environment**: no proxy from ``http_proxy``, no ``.netrc``, http and
  https only, certificates checked against the CA bundle given.
* Cookies a site sets are sent back to it by every later request of the session.
"""

from __future__ import annotations

import asyncio
import http
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import pycurl

# libcurl's result codes that mean the connection failed or dropped: worth another attempt.
_DROPPED = frozenset({
    pycurl.E_COULDNT_RESOLVE_PROXY, pycurl.E_COULDNT_RESOLVE_HOST, pycurl.E_COULDNT_CONNECT,
    pycurl.E_PARTIAL_FILE, pycurl.E_GOT_NOTHING, pycurl.E_SEND_ERROR, pycurl.E_RECV_ERROR,
    pycurl.E_SSL_CONNECT_ERROR, 16, 92,  # HTTP/2 framing, HTTP/2 stream
})
# libcurl's result codes that mean no connection was made ("connection failed").
_UNREACHABLE = frozenset({
    pycurl.E_COULDNT_RESOLVE_PROXY, pycurl.E_COULDNT_RESOLVE_HOST, pycurl.E_COULDNT_CONNECT,
    pycurl.E_SSL_CONNECT_ERROR, pycurl.E_PEER_FAILED_VERIFICATION,
})


@dataclass(frozen=True)
class Answer:
    """A response: status, reason phrase, head (lower-case names) and body (decompressed;
    empty when ``wants_body`` declined it)."""

    status: int
    reason: str
    headers: dict[str, str]
    body: bytes


class TransferError(Exception):
    """The request failed below HTTP: no connection, a dropped one, a TLS failure."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code

    @property
    def retryable(self) -> bool:
        return self.code in _DROPPED

    @property
    def unreachable(self) -> bool:
        """No connection was made (refused, unresolvable, TLS handshake or certificate)."""
        return self.code in _UNREACHABLE


class BodyTooLarge(Exception):
    """The body went past ``max_bytes`` (as decompressed); the transfer was stopped."""


@dataclass
class _Transfer:
    """One request in flight: libcurl's header and body callbacks fill it in."""

    future: asyncio.Future[Answer]
    wants_body: Callable[[int, dict[str, str]], bool] | None
    max_bytes: int
    status: int = 0
    reason: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    body: bytearray = field(default_factory=bytearray)
    declined: bool = False   # wants_body said no: the transfer ended after the head
    too_large: bool = False

    def on_header(self, line: bytes) -> int | None:
        text = line.decode("latin-1").rstrip("\r\n")
        if text.startswith("HTTP/"):  # a status line: a new head (after a 1xx, say)
            _, _, rest = text.partition(" ")
            code, _, reason = rest.partition(" ")
            self.status = int(code) if code.isdigit() else 0
            self.reason = reason.strip()
            self.headers = {}
        elif text:
            name, _, value = text.partition(":")
            self.headers[name.strip().lower()] = value.strip()
        elif self.status >= 200 and self.wants_body is not None \
                and not self.wants_body(self.status, self.headers):
            self.declined = True
            return -1  # ends the transfer: the body is not read
        return None

    def on_body(self, chunk: bytes) -> int | None:
        if len(self.body) + len(chunk) > self.max_bytes:
            self.too_large = True
            return -1
        self.body += chunk
        return None


class CurlSession:
    """Concurrent GETs on the running event loop. Use as ``async with CurlSession(...)``."""

    def __init__(self, user_agent: str, *, timeout: float, ca_file: str) -> None:
        self.user_agent = user_agent
        self.timeout = timeout
        self.ca_file = ca_file
        self._loop: asyncio.AbstractEventLoop | None = None
        self._multi: pycurl.CurlMulti | None = None
        self._share: pycurl.CurlShare | None = None
        self._transfers: dict[pycurl.Curl, _Transfer] = {}
        self._watched: dict[int, int] = {}  # descriptor -> the POLL_* event it waits for
        self._timer: asyncio.TimerHandle | None = None

    async def __aenter__(self) -> CurlSession:
        self._loop = asyncio.get_running_loop()
        self._share = pycurl.CurlShare()
        self._share.setopt(pycurl.SH_SHARE, pycurl.LOCK_DATA_COOKIE)
        self._multi = pycurl.CurlMulti()
        self._multi.setopt(pycurl.M_SOCKETFUNCTION, self._on_socket)
        self._multi.setopt(pycurl.M_TIMERFUNCTION, self._on_timer)
        return self

    async def __aexit__(self, *exc: object) -> None:
        for handle in list(self._transfers):
            self._drop(handle)
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._multi is not None:
            self._multi.close()  # closes the kept-alive connections (their sockets first)
            self._multi = None
        for fd in list(self._watched):
            self._unwatch(fd)
        if self._share is not None:
            self._share.close()
            self._share = None

    async def get(self, url: str, *, headers: dict[str, str], addresses: Sequence[str] = (),
                  wants_body: Callable[[int, dict[str, str]], bool] | None = None,
                  max_bytes: int) -> Answer:
        """GET ``url`` (already in its wire form: IDNA host, percent-encoded path), without
        following redirects.

        ``addresses``: ``host:port:address[,address]`` entries libcurl connects to instead of
        resolving the host itself. Raises ``TransferError``, ``BodyTooLarge`` or
        ``TimeoutError``; cancelling the call stops the transfer.
        """
        assert self._multi is not None and self._loop is not None, \
            "use CurlSession as an async context manager"
        transfer = _Transfer(self._loop.create_future(), wants_body, max_bytes)
        handle = pycurl.Curl()
        handle.setopt(pycurl.URL, url)
        handle.setopt(pycurl.PROTOCOLS, pycurl.PROTO_HTTP | pycurl.PROTO_HTTPS)
        handle.setopt(pycurl.USERAGENT, self.user_agent)
        # Header values go back as they came (a validator is read as Latin-1, ``on_header``).
        handle.setopt(pycurl.HTTPHEADER, [f"{k}: {v}".encode("latin-1", "replace")
                                          for k, v in headers.items()])
        handle.setopt(pycurl.ACCEPT_ENCODING, "")  # every encoding libcurl decodes
        handle.setopt(pycurl.HEADERFUNCTION, transfer.on_header)
        handle.setopt(pycurl.WRITEFUNCTION, transfer.on_body)
        handle.setopt(pycurl.TIMEOUT_MS, int(self.timeout * 1000))
        handle.setopt(pycurl.NOSIGNAL, 1)
        handle.setopt(pycurl.PROXY, "")  # not the environment's http_proxy
        handle.setopt(pycurl.CAINFO, self.ca_file)
        handle.setopt(pycurl.SHARE, self._share)
        handle.setopt(pycurl.COOKIEFILE, "")  # the cookie engine, in memory only
        if addresses:
            handle.setopt(pycurl.RESOLVE, list(addresses))
        self._transfers[handle] = transfer
        self._multi.add_handle(handle)  # libcurl asks for a timer to start it
        try:
            return await transfer.future
        except asyncio.CancelledError:
            self._drop(handle)
            raise

    # -- libcurl's callbacks, and the loop's ----------------------------------------------

    def _on_socket(self, event: int, fd: int, multi: object, data: object) -> None:
        assert self._loop is not None
        if self._watched.get(fd) == event:
            return
        if fd in self._watched:  # unregistered first: a changed wish starts afresh
            self._unwatch(fd)
        if event == pycurl.POLL_REMOVE:
            return
        if event in (pycurl.POLL_IN, pycurl.POLL_INOUT):
            self._loop.add_reader(fd, self._act, fd, pycurl.CSELECT_IN)
        if event in (pycurl.POLL_OUT, pycurl.POLL_INOUT):
            self._loop.add_writer(fd, self._act, fd, pycurl.CSELECT_OUT)
        self._watched[fd] = event

    def _unwatch(self, fd: int) -> None:
        assert self._loop is not None
        del self._watched[fd]
        self._loop.remove_reader(fd)
        self._loop.remove_writer(fd)

    def _on_timer(self, milliseconds: int) -> None:
        assert self._loop is not None
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if milliseconds >= 0:  # -1: no timer wanted
            # Never act inside libcurl's own call: the loop runs it next.
            self._timer = self._loop.call_later(milliseconds / 1000, self._on_timeout)

    def _on_timeout(self) -> None:
        self._timer = None
        self._act(pycurl.SOCKET_TIMEOUT, 0)

    def _act(self, fd: int, action: int) -> None:
        if self._multi is None:
            return
        self._multi.socket_action(fd, action)
        while True:
            queued, succeeded, failed = self._multi.info_read()
            for handle in succeeded:
                self._finish(handle, 0, "")
            for handle, code, message in failed:
                self._finish(handle, code, message)
            if not queued:
                return

    def _finish(self, handle: pycurl.Curl, code: int, message: str) -> None:
        transfer = self._drop(handle)
        if transfer is None or transfer.future.done():
            return
        if code == pycurl.E_WRITE_ERROR and transfer.too_large:
            transfer.future.set_exception(BodyTooLarge())
        elif code == 0 or (code == pycurl.E_WRITE_ERROR and transfer.declined):
            reason = transfer.reason or _phrase(transfer.status)
            body = b"" if transfer.declined else bytes(transfer.body)
            transfer.future.set_result(Answer(transfer.status, reason, transfer.headers, body))
        elif code == pycurl.E_OPERATION_TIMEDOUT:
            transfer.future.set_exception(TimeoutError(message))
        else:
            transfer.future.set_exception(TransferError(code, message or f"libcurl error {code}"))

    def _drop(self, handle: pycurl.Curl) -> _Transfer | None:
        transfer = self._transfers.pop(handle, None)
        if transfer is not None and self._multi is not None:
            self._multi.remove_handle(handle)
            handle.close()
        return transfer


def _phrase(status: int) -> str:
    """The standard reason phrase (HTTP/2 sends none)."""
    try:
        return http.HTTPStatus(status).phrase
    except ValueError:
        return ""
