"""JavaScript rendering: what a visitor's browser shows, for pages built by scripts (SPA shells).

One headless Chromium (Debian's, driven by Playwright) is launched on first use and reused for
the whole crawl, with a small pool of tabs. The browser never touches the network itself: every
request it makes goes through ``resolve`` (for a crawl, the polite fetcher, so robots.txt, the
User-Agent, per-host delay and concurrency and the scope apply to scripts and data too; for a
built site on disk, the files). Images, media, fonts and style sheets are not loaded: they carry
no copy.
"""

from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

DEFAULT_CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ENV = "BRAND_AUDIT_CHROMIUM"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]
# Resource types that never carry copy; not loading them keeps rendering fast and polite.
_NOT_NEEDED = {"image", "media", "font", "stylesheet", "manifest", "texttrack", "ping",
               "eventsource", "websocket"}


class RenderError(Exception):
    """The page could not be rendered; ``str(error)`` says why and what to do."""


@dataclass(frozen=True)
class Resource:
    """A response handed to the browser instead of letting it fetch."""

    status: int
    content_type: str
    body: bytes


Resolve = Callable[[str], Awaitable[Resource | None]]


def chromium_path(setting: str) -> str:
    """The Chromium binary to use: ``BRAND_AUDIT_CHROMIUM`` if set, else the config setting."""
    return os.environ.get(CHROMIUM_ENV) or setting or DEFAULT_CHROMIUM


class Renderer:
    """A reusable headless Chromium with a pool of ``pages`` tabs.

    Use as ``async with Renderer(...) as renderer``; the browser starts on the first
    ``render`` call, so a crawl that never needs it never launches it.
    """

    def __init__(self, chromium: str, *, resolve: Resolve, user_agent: str,
                 pages: int = 2, timeout: float = 15.0) -> None:
        self.chromium = chromium
        self.resolve = resolve
        self.user_agent = user_agent
        self.size = max(1, pages)
        self.timeout = timeout
        self._documents: dict[str, Resource] = {}
        self._pool: asyncio.Queue[Any] = asyncio.Queue()
        self._created = 0
        self._start_lock = asyncio.Lock()
        self._failure: str | None = None
        self._playwright: Any = None
        self._browser: Any = None
        self._context: Any = None

    async def __aenter__(self) -> Renderer:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    @property
    def started(self) -> bool:
        return self._context is not None

    async def close(self) -> None:
        """Close the browser (safe to call when it never started)."""
        for closer in (self._context, self._browser):
            if closer is not None:
                try:
                    await closer.close()
                except Exception:  # noqa: BLE001 - a browser that died is closed anyway
                    pass
        if self._playwright is not None:
            await self._playwright.stop()
        self._context = self._browser = self._playwright = None

    async def _start(self) -> None:
        async with self._start_lock:
            if self._failure:
                raise RenderError(self._failure)
            if self._context is not None:
                return
            path = self.chromium
            if not (os.path.isfile(path) or shutil.which(path)):
                self._failure = (f"Chromium not found at {path}; install it (Debian: "
                                 f"apt-get install chromium) or set `chromium` in "
                                 f"[[channels.web]] or {CHROMIUM_ENV}")
                raise RenderError(self._failure)
            try:
                from playwright.async_api import async_playwright
            except ImportError:
                self._failure = "Playwright is not installed (pip install playwright)"
                raise RenderError(self._failure) from None
            try:
                self._playwright = await async_playwright().start()
                self._browser = await self._playwright.chromium.launch(
                    executable_path=path, headless=True, args=CHROMIUM_ARGS)
                self._context = await self._browser.new_context(
                    user_agent=self.user_agent, service_workers="block",
                    accept_downloads=False, java_script_enabled=True)
                await self._context.route("**/*", self._route)
            except Exception as exc:  # noqa: BLE001 - any launch failure is reported once
                self._failure = f"Chromium at {path} did not start: {exc}".splitlines()[0]
                await self.close()
                raise RenderError(self._failure) from None

    async def _route(self, route: Any) -> None:
        request = route.request
        try:
            if request.method != "GET" or request.resource_type in _NOT_NEEDED:
                await route.abort()
                return
            resource = self._documents.get(request.url) \
                if request.resource_type == "document" else None
            if resource is None:
                resource = await self.resolve(request.url)
            if resource is None:
                await route.abort("blockedbyclient")
                return
            await route.fulfill(status=resource.status, body=resource.body,
                                headers={"Content-Type": resource.content_type})
        except Exception:  # noqa: BLE001 - the page was closed while a request was pending
            pass

    async def render(self, url: str, document: Resource) -> str:
        """The DOM of ``url`` after its scripts ran, as HTML; ``document`` is its fetched HTML.

        Raises ``RenderError`` (browser missing, page timed out or crashed).
        """
        await self._start()
        page = await self._take_page()
        self._documents[url] = document
        healthy = True
        try:
            from playwright.async_api import Error as PlaywrightError

            deadline = asyncio.get_running_loop().time() + self.timeout
            try:
                await page.goto(url, wait_until="load", timeout=self.timeout * 1000)
                # Let data requests started by the scripts finish, within the page's budget.
                remaining = deadline - asyncio.get_running_loop().time()
                if remaining > 0:
                    try:
                        await page.wait_for_load_state("networkidle",
                                                       timeout=remaining * 1000)
                    except PlaywrightError:
                        pass  # still busy (polling, analytics): take the DOM as it is
                return await page.content()
            except PlaywrightError as exc:
                healthy = not page.is_closed()
                message = str(exc).splitlines()[0]
                if "Timeout" in message:
                    raise RenderError(f"rendering timed out after {self.timeout:g} s (raise "
                                      f"`render_timeout`)") from None
                raise RenderError(f"rendering failed: {message}") from None
        finally:
            self._documents.pop(url, None)
            await self._return_page(page, healthy)

    async def _take_page(self) -> Any:
        if self._pool.empty() and self._created < self.size:
            self._created += 1
            return await self._context.new_page()
        return await self._pool.get()

    async def _return_page(self, page: Any, healthy: bool) -> None:
        if healthy and not page.is_closed():
            try:
                await page.goto("about:blank")  # stop timers and requests of the last page
                self._pool.put_nowait(page)
                return
            except Exception:  # noqa: BLE001 - a crashed tab is replaced below
                pass
        try:
            await page.close()
        except Exception:  # noqa: BLE001
            pass
        self._pool.put_nowait(await self._context.new_page())
