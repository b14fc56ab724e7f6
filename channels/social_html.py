"""Social reader for any public page that lists posts, rendered in Chromium with Playwright.

For pages built by JavaScript (a news wall, a community page, an embedded feed) where no feed or
export exists. CSS selectors name one post (``post_selector``) and, inside it, the text, date,
permalink and author. robots.txt is checked with the polite fetcher before the browser opens
the page. Chromium is Debian's (``chromium`` option, else ``$BRAND_AUDIT_CHROMIUM``, else
``/usr/bin/chromium``).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from auditor.types import CollectionError, Locator
from channels.social_posts import ExportFormatError, Post, canonical_key, parse_date

if TYPE_CHECKING:
    from channels.social import SocialOptions, SourceAccess

CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]

# Runs in the page: one record per post element. innerText is the text as rendered (hidden
# elements left out, <br> as line breaks), which is what a reader of the page sees.
_EXTRACT = """(posts, sel) => posts.map((post) => {
  const pick = (s) => (s ? post.querySelector(s) : null);
  const textEl = sel.text ? post.querySelector(sel.text) : post;
  const dateEl = pick(sel.date), linkEl = pick(sel.link), authorEl = pick(sel.author);
  const links = textEl ? [...textEl.querySelectorAll('a[href]')]
    .filter((a) => a.href.startsWith('http') && !a.textContent.trim().startsWith('http'))
    .map((a) => a.href) : [];
  return {
    text: textEl ? textEl.innerText : null,
    date: dateEl ? (dateEl.getAttribute('datetime') || dateEl.getAttribute('title')
                    || dateEl.textContent.trim()) : '',
    link: linkEl ? (linkEl.href || linkEl.getAttribute('href') || '') : '',
    author: authorEl ? authorEl.textContent.trim() : '',
    links,
  };
})"""


def read_html(options: SocialOptions, access: SourceAccess) -> Iterator[Post | CollectionError]:
    """Posts of a rendered page: one per element matching ``post_selector``."""
    if not options.post_selector:
        raise ExportFormatError("[[channels.social]]",
                                "kind \"html\" needs post_selector, the CSS selector of one "
                                "post on the page (e.g. post_selector = \"article.post\")")
    if options.url:
        url = where = options.url
        refusal = access.robots_refusal(url)
        if refusal:
            raise ExportFormatError(url, refusal)
    elif options.path:
        file = access.resolve(options.path)
        if not file.is_file():
            raise ExportFormatError(options.path, f"file does not exist: {file}; check `path` "
                                                  f"in [[channels.social]]")
        url, where = file.resolve().as_uri(), options.path
    else:
        raise ExportFormatError("[[channels.social]]", "kind \"html\" reads a page: give `url` "
                                                       "or `path`")
    records = _render(options, access.chromium, url, where, access.ctx.user_agent)
    host = urlsplit(url).hostname or ""
    for index, record in enumerate(records):
        locator = Locator(where, css=f"{options.post_selector} >> nth={index}")
        if record.get("text") is None:
            yield CollectionError(source=locator.describe(), channel="social",
                                  error=f"no element matches text_selector "
                                        f"{options.text_selector!r} inside this post")
            continue
        link = str(record.get("link") or "")
        platform = options.platform or canonical_key(host or "html", link, "")[0]
        date_text = str(record.get("date") or "")
        yield Post(
            platform=platform.lower(),
            text=str(record["text"]),
            locator=locator,
            permalink=link,
            author=str(record.get("author") or ""),
            date=parse_date(date_text),
            date_text=date_text,
            links=tuple(str(x) for x in record.get("links") or ()),
        )


def _render(options: SocialOptions, chromium: str, url: str, where: str,
            user_agent: str) -> list[dict[str, Any]]:
    """Render in a worker thread: Playwright's sync API refuses to run in a thread that has an
    asyncio loop or another Playwright session (a notebook, a host app, the test browser)."""
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="social-html") as pool:
        return pool.submit(_render_here, options, chromium, url, where, user_agent).result()


def _render_here(options: SocialOptions, chromium: str, url: str, where: str,
                 user_agent: str) -> list[dict[str, Any]]:
    if not (os.path.isfile(chromium) or shutil.which(chromium)):
        raise ExportFormatError(where, f"Chromium not found at {chromium}; install Debian's "
                                       f"chromium or set `chromium` (or BRAND_AUDIT_CHROMIUM) "
                                       f"to its path")
    try:
        from playwright.sync_api import Error as PlaywrightError
        from playwright.sync_api import TimeoutError as PlaywrightTimeout
        from playwright.sync_api import sync_playwright
    except ImportError:
        raise ExportFormatError(where, "kind \"html\" needs the playwright package "
                                       "(pip install playwright)") from None
    timeout_ms = options.timeout * 1000
    selectors = {"text": options.text_selector, "date": options.date_selector,
                 "link": options.link_selector, "author": options.author_selector}
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=chromium, headless=True,
                                                 args=CHROMIUM_ARGS)
            try:
                page = browser.new_page(user_agent=user_agent)
                page.goto(url, wait_until="load", timeout=timeout_ms)
                try:
                    page.wait_for_selector(options.post_selector, state="attached",
                                           timeout=timeout_ms)
                except PlaywrightTimeout:
                    raise ExportFormatError(where, f"no element matches post_selector "
                                                   f"{options.post_selector!r} after "
                                                   f"{options.timeout:g} s") from None
                return page.eval_on_selector_all(options.post_selector, _EXTRACT, selectors)
            finally:
                browser.close()
    except PlaywrightTimeout:
        raise ExportFormatError(where, f"the page did not load within {options.timeout:g} s "
                                       f"(raise `timeout`)") from None
    except PlaywrightError as exc:
        message = str(exc).splitlines()[0]
        if "selector" in message.lower():
            message += " (check post_selector, text_selector, date_selector, link_selector " \
                       "and author_selector)"
        raise ExportFormatError(where, f"could not render the page: {message}") from None
