"""Social reader for a public Telegram channel's web preview, ``https://t.me/s/<channel>``.

The preview shows about twenty posts, oldest at the top, with a "more" link
``?before=<oldest id>`` to the page before. Pages are read newest first until ``since`` or
``max_posts`` is reached (or the channel's first post), through the polite fetcher.
A saved copy of a preview page (``path``) is read as it is, without paging.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING
from urllib.parse import urlencode, urlsplit, urlunsplit

from bs4 import BeautifulSoup, Tag

from auditor.types import CollectionError, Locator
from channels.social_posts import (
    ExportFormatError,
    Post,
    aware,
    html_to_text,
    parse_bound,
    parse_date,
)
from channels.web import FetchError

if TYPE_CHECKING:
    from channels.social import SocialOptions, SourceAccess

PREVIEW = "https://t.me/s/"


def read_telegram(options: SocialOptions, access: SourceAccess
                  ) -> Iterator[Post | CollectionError]:
    """Posts of a channel preview: ``account`` (t.me/s/<account>), ``url`` (another base,
    e.g. a mirror or a test server) or ``path`` (a saved page)."""
    if options.path:
        source, text = access.text_source()
        page = parse_preview(text, source)
        yield from sorted(page.posts, key=_number, reverse=True)
        return
    start = _preview_url(options)
    since = parse_bound(options.since, end=False) if options.since else None
    read = 0
    url = start
    seen: set[str] = set()
    while True:
        try:
            text = access.fetch_text(url)
        except FetchError as exc:
            raise ExportFormatError(url, str(exc)) from None
        page = parse_preview(text, url)
        fresh = [p for p in sorted(page.posts, key=_number, reverse=True)
                 if p.post_id not in seen]
        if not fresh:
            return
        for post in fresh:
            seen.add(post.post_id)
            read += 1
            yield post
            if since is not None and post.date is not None and aware(post.date) < since:
                return
            if read >= options.max_posts:
                return
        # Telegram shows the "more" link only while older posts exist.
        if not page.before:
            return
        url = _with_before(start, page.before)


def _preview_url(options: SocialOptions) -> str:
    if options.url:
        return options.url
    account = (options.account or "").strip().lstrip("@")
    match = re.fullmatch(r"(?:https?://)?t\.me/(?:s/)?(\w+)/?", account)
    if match:
        account = match.group(1)
    if not re.fullmatch(r"\w{3,64}", account):
        raise ExportFormatError("[[channels.social]]",
                                "kind \"telegram\" needs `account` (the public channel's name, "
                                "as in t.me/<name>), `url` (its preview page) or `path` "
                                "(a saved preview page)")
    return PREVIEW + account


def _with_before(url: str, before: int) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode({"before": before}), ""))


def _number(post: Post) -> int:
    tail = post.post_id.rsplit("/", 1)[-1]
    return int(tail) if tail.isdigit() else 0


class PreviewPage:
    """The posts of one preview page and the id its "more" link pages back from."""

    def __init__(self, posts: list[Post], before: int | None) -> None:
        self.posts = posts
        self.before = before


def parse_preview(html: str, source: str) -> PreviewPage:
    """Posts on a t.me/s/<channel> page; ``ExportFormatError`` if it is not such a page."""
    soup = BeautifulSoup(html, "lxml")
    messages = soup.select(".tgme_widget_message[data-post]")
    if not messages and not soup.select_one(".tgme_channel_info, .tgme_page_title"):
        raise ExportFormatError(source, "not a Telegram channel preview (no "
                                        ".tgme_widget_message posts): the channel may be "
                                        "private, misspelt, or have its preview turned off")
    posts = [p for m in messages if (p := _message(m, source)) is not None]
    more = soup.select_one(".tme_messages_more[data-before], a[href*='before=']")
    before = None
    if more is not None:
        raw = str(more.get("data-before") or "")
        if not raw.isdigit():
            found = re.search(r"before=(\d+)", str(more.get("href") or ""))
            raw = found.group(1) if found else ""
        before = int(raw) if raw else None
    return PreviewPage(posts, before)


def _message(message: Tag, source: str) -> Post | None:
    if "service_message" in (message.get("class") or []):
        return None  # "channel created", "message pinned": Telegram's words, not the brand's
    data_post = str(message["data-post"])
    channel = data_post.split("/")[0]
    bubble = message.select_one(".tgme_widget_message_bubble") or message
    text_el = next((el for el in bubble.select(".tgme_widget_message_text")
                    if not el.find_parent(class_="tgme_widget_message_reply")), None)
    text, links = html_to_text(text_el.decode_contents()) if text_el is not None else ("", ())
    date_link = message.select_one("a.tgme_widget_message_date")
    time_el = message.select_one("a.tgme_widget_message_date time[datetime], time[datetime]")
    date_text = str(time_el["datetime"]) if time_el is not None else ""
    permalink = str(date_link["href"]) if date_link is not None and date_link.get("href") \
        else f"https://t.me/{data_post}"
    forwarded = message.select_one(".tgme_widget_message_forwarded_from")
    forwarded_name = message.select_one(".tgme_widget_message_forwarded_from_name")
    reply = message.select_one("a.tgme_widget_message_reply")
    reply_to = str(reply.get("href") or "") if reply is not None else ""
    owner = message.select_one(".tgme_widget_message_owner_name")
    views = message.select_one(".tgme_widget_message_views")
    return Post(
        platform="telegram",
        text=text,
        locator=Locator(source, css=f'.tgme_widget_message[data-post="{data_post}"]'),
        post_id=data_post,
        permalink=permalink,
        author=owner.get_text(" ", strip=True) if owner is not None else channel,
        date=parse_date(date_text),
        date_text=date_text,
        repost=forwarded is not None,
        reposted_from=(forwarded_name or forwarded).get_text(" ", strip=True)
        if forwarded is not None else "",
        # A channel answering its own earlier post is a thread, not a reply to someone else.
        reply=bool(reply_to) and f"/{channel.lower()}/" not in reply_to.lower(),
        engagement={"views": views.get_text(strip=True) if views is not None else "",
                    "likes": _reactions(message)},
        links=links,
    )


def _reactions(message: Tag) -> str:
    """Total reactions, when the preview shows them (``1.2K`` counts are expanded)."""
    total = 0
    for reaction in message.select(".tgme_reaction"):
        match = re.search(r"([\d.]+)\s*([KM]?)\s*$", reaction.get_text(strip=True))
        if match:
            try:
                number = float(match.group(1))
            except ValueError:
                continue
            total += round(number * {"": 1, "K": 1000, "M": 1000000}[match.group(2)])
    return str(total) if total else ""
