"""Social readers for public feeds: RSS/Atom (with feedparser) and the Mastodon REST API.

Both fetch through the one polite fetcher of ``channels/web.py`` (robots.txt, User-Agent,
per-host delay); feeds may also be local files.
"""

from __future__ import annotations

import html
import io
import json
import xml.sax
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlsplit

import feedparser

from auditor.text import normalize_space
from auditor.types import CollectionError, Locator
from channels.limits import LimitError, check_json_depth, read_file
from channels.social_posts import (
    ExportFormatError,
    Post,
    canonical_key,
    html_to_text,
    parse_bound,
    parse_date,
    source_error,
)
from channels.web import FetchError

if TYPE_CHECKING:
    from channels.social import SocialOptions, SourceAccess

MASTODON_PAGE = 40  # the API's maximum page size for account statuses


# -- RSS and Atom -------------------------------------------------------------------------------

def read_rss(options: SocialOptions, access: SourceAccess) -> Iterator[Post | CollectionError]:
    """Entries of an RSS 2.0, RSS 1.0 or Atom feed; one entry is one post."""
    source, data, headers = _feed_bytes(options, access)
    # Bytes, not str: feedparser then honours the XML declaration's encoding (and never
    # mistakes the document for a URL to fetch).
    try:
        feed = feedparser.parse(io.BytesIO(data), response_headers=headers)
    except (UnicodeError, ValueError, LookupError) as exc:
        # feedparser trusts the XML declaration's encoding name; a garbled one (a NUL byte,
        # a BOM inside it) escapes as a decoding error instead of a bozo feed.
        yield source_error(source, f"the feed cannot be decoded: {exc}; check the encoding in "
                                   f"its <?xml ... encoding=\"...\"?> declaration")
        return
    problem = feed.get("bozo_exception")
    if isinstance(problem, xml.sax.SAXParseException):
        # SAX columns count from 0; editors count from 1.
        where = f"{source}:{problem.getLineNumber()}:{problem.getColumnNumber() + 1}"
        read = len(feed.entries)
        yield source_error(where, f"the feed is not well-formed XML: {problem.getMessage()}; "
                                  + (f"{read} entries were still read by a lenient parser"
                                     if read else "no entries could be read (is this an RSS or "
                                                  "Atom feed?)"))
    if not feed.entries:
        if not feed.get("version") and not isinstance(problem, xml.sax.SAXParseException):
            yield source_error(source, "not an RSS or Atom feed (no <rss>, <feed> or <rdf:RDF> "
                                       "root); check `path`/`url`")
        return
    element = "entry" if str(feed.get("version", "")).startswith("atom") else "item"
    channel_title = str(feed.feed.get("title") or "")
    for number, entry in enumerate(feed.entries, 1):
        yield _feed_post(entry, Locator(source, css=f"{element}:nth-of-type({number})"),
                         options, channel_title)


def _feed_bytes(options: SocialOptions, access: SourceAccess
                ) -> tuple[str, bytes, dict[str, str]]:
    if options.url:
        try:
            response = access.fetch(options.url)
        except FetchError as exc:
            raise ExportFormatError(options.url, str(exc)) from None
        content_type = response.content_type + (f"; charset={response.charset}"
                                                if response.charset else "")
        return options.url, response.body, {"content-type": content_type}
    if not options.path:
        raise ExportFormatError("[[channels.social]]", "kind \"rss\" reads a feed: give `url` "
                                                       "or `path`")
    path = access.resolve(options.path)
    try:
        return options.path, read_file(path, access.ctx.limits), {}
    except LimitError as exc:
        raise ExportFormatError(options.path, str(exc)) from None
    except FileNotFoundError:
        raise ExportFormatError(options.path, f"file does not exist: {path}; check `path` in "
                                              f"[[channels.social]]") from None
    except OSError as exc:
        raise ExportFormatError(options.path, f"cannot read file: {exc.strerror or exc}") \
            from None


def _feed_post(entry: Any, locator: Locator, options: SocialOptions, channel_title: str) -> Post:
    link = str(entry.get("link") or "")
    body_html = ""
    if entry.get("content"):
        body_html = str(entry.content[0].get("value") or "")
    body_html = body_html or str(entry.get("summary") or "")
    body, links = html_to_text(body_html) if body_html else ("", ())
    title = normalize_space(html.unescape(str(entry.get("title") or "")))
    # Bridges (Telegram, Mastodon) title an item with its first words: do not say them twice.
    stem = title.rstrip("…. ").casefold()
    if title and not normalize_space(body).casefold().startswith(stem):
        body = f"{title}\n\n{body}" if body else title
    parsed = entry.get("published_parsed") or entry.get("updated_parsed")
    date = datetime(*parsed[:6], tzinfo=UTC) if parsed else None
    platform = options.platform or canonical_key("rss", link, "")[0]
    tags = tuple(str(t.get("term")).lstrip("#") for t in entry.get("tags", []) if t.get("term"))
    return Post(
        platform=platform.lower(),
        text=body,
        locator=locator,
        post_id=str(entry.get("id") or ""),
        permalink=link,
        author=str(entry.get("author") or channel_title),
        date=date,
        date_text=str(entry.get("published") or entry.get("updated") or ""),
        links=links,
        hashtags=tags,
    )


# -- Mastodon -----------------------------------------------------------------------------------

def read_mastodon(options: SocialOptions, access: SourceAccess
                  ) -> Iterator[Post | CollectionError]:
    """An account's public statuses, newest first, paged with ``max_id`` back to ``since`` or
    ``max_posts``. Boosts are marked reposts of the original's author."""
    base, acct = _mastodon_server(options)
    lookup = f"{base}/api/v1/accounts/lookup?acct={quote(acct, safe='@')}"
    account = _api_json(access, lookup)
    if not isinstance(account, dict) or "id" not in account:
        raise ExportFormatError(lookup, "the server's answer is not a Mastodon account "
                                        "(no \"id\"); is `url` a Mastodon server?")
    account_id = str(account["id"])
    author = str(account.get("display_name") or account.get("acct") or acct)
    since = _since(options)
    read = 0
    max_id = ""
    while read < options.max_posts:
        limit = min(MASTODON_PAGE, options.max_posts - read)
        page_url = f"{base}/api/v1/accounts/{quote(account_id)}/statuses?limit={limit}"
        if max_id:
            page_url += f"&max_id={quote(max_id)}"
        statuses = _api_json(access, page_url)
        if not isinstance(statuses, list):
            raise ExportFormatError(page_url, "expected a JSON array of statuses")
        if not statuses:
            return
        for index, status in enumerate(statuses):
            if not isinstance(status, dict) or "id" not in status:
                yield source_error(f"{page_url} [{index}]", "not a status object (no \"id\")")
                continue
            read += 1
            post = _status_post(status, account_id, author, page_url)
            yield post
            if since is not None and post.date is not None and post.date < since:
                return  # newest first: everything further back is older still
            if read >= options.max_posts:
                return
        last = statuses[-1]
        if not isinstance(last, dict) or str(last.get("id", "")) == max_id:
            return
        max_id = str(last.get("id"))


def _mastodon_server(options: SocialOptions) -> tuple[str, str]:
    """The server's base URL and the account handle to look up."""
    account = (options.account or "").strip()
    if account.startswith(("http://", "https://")):  # a profile URL: https://host/@name
        parts = urlsplit(account)
        name = parts.path.strip("/").lstrip("@")
        return (options.url or f"{parts.scheme}://{parts.netloc}").rstrip("/"), name
    account = account.lstrip("@")
    if not account:
        raise ExportFormatError("[[channels.social]]",
                                "kind \"mastodon\" needs `account`, e.g. "
                                "account = \"sosna@mastodon.social\"")
    name, _, domain = account.partition("@")
    if options.url:
        return options.url.rstrip("/"), account
    if not domain:
        raise ExportFormatError("[[channels.social]]",
                                f"account {account!r} has no server: write it as "
                                f"\"{name}@server.example\" or set `url` to the server")
    return f"https://{domain}", name


def _since(options: SocialOptions) -> datetime | None:
    return parse_bound(options.since, end=False) if options.since else None


def _api_json(access: SourceAccess, url: str) -> Any:
    try:
        text = access.fetch_text(url)
    except FetchError as exc:
        hint = " (no such account on this server?)" if "HTTP 404" in str(exc) else ""
        raise ExportFormatError(url, f"{exc}{hint}") from None
    try:
        check_json_depth(text, access.ctx.limits)
        return json.loads(text)
    except LimitError as exc:
        raise ExportFormatError(url, f"the server's answer is refused: {exc}") from None
    except json.JSONDecodeError as exc:
        raise ExportFormatError(f"{url} (line {exc.lineno}, column {exc.colno})",
                                f"the server's answer is not JSON: {exc.msg}") from None


def _status_post(status: dict[str, Any], account_id: str, author: str, page_url: str) -> Post:
    boost = status.get("reblog") if isinstance(status.get("reblog"), dict) else None
    shown = boost or status
    body, links = html_to_text(str(shown.get("content") or ""))
    warning = normalize_space(str(shown.get("spoiler_text") or ""))
    if warning:  # a content warning is words the author wrote, shown first
        body = f"{warning}\n\n{body}"
    original_author = shown.get("account") if isinstance(shown.get("account"), dict) else {}
    reply_to = status.get("in_reply_to_account_id")
    url = str(shown.get("url") or shown.get("uri") or "")
    return Post(
        platform="mastodon",
        text=body,
        locator=Locator(url or page_url),
        post_id=str(status["id"]),
        permalink=url,
        author=str(original_author.get("display_name") or original_author.get("acct") or author)
        if boost else author,
        date=parse_date(status.get("created_at")),
        date_text=str(status.get("created_at") or ""),
        repost=boost is not None,
        reposted_from=f"@{original_author.get('acct', '')}" if boost else "",
        reply=status.get("in_reply_to_id") is not None and str(reply_to) != account_id,
        engagement={"likes": str(shown.get("favourites_count", "")),
                    "reposts": str(shown.get("reblogs_count", "")),
                    "replies": str(shown.get("replies_count", ""))},
        links=links,
        hashtags=tuple(str(t.get("name")) for t in shown.get("tags", []) or []
                       if isinstance(t, dict) and t.get("name")),
        mentions=tuple(str(m.get("acct")) for m in shown.get("mentions", []) or []
                       if isinstance(m, dict) and m.get("acct")),
        language=str(shown.get("language") or "") or None,
    )
