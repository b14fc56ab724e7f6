"""The social channel: public feeds, public pages and the exports platforms give account owners.

Each ``[[channels.social]]`` section reads one source, named by ``kind``:

========================  =================================================================
``rss``                   an RSS 2.0 or Atom feed (blogs, YouTube, Mastodon, Medium, Substack,
                          Telegram bridges), from ``path`` or ``url``
``telegram``              a public channel's web preview ``https://t.me/s/<account>``, paged
                          back with ``?before=`` to ``since`` or ``max_posts``; or a saved copy
``mastodon``              an account's public statuses through the Mastodon REST API (a token,
                          if the server wants one, from ``token_env`` or ``token_file``)
``x-archive``             ``data/tweets.js`` of an X/Twitter archive (or the archive folder/zip)
``facebook-export``       ``your_posts*.json`` of Facebook's "Download your information"
``instagram-export``      ``posts_*.json`` of Instagram's data download
``linkedin-export``       ``Shares.csv`` of LinkedIn's data export
``csv``, ``jsonl``        any export, with configurable field names
``html``                  any public page listing posts, rendered in Chromium, CSS selectors
========================  =================================================================

One post is one touchpoint with one ``social.post`` block; see ``channels.social_posts`` for
what is scored (hashtags, mentions and links are kept in metadata, not scored) and for the
canonical ids that let the engine drop a post reached through two sections. Within one section
a post seen twice (same permalink, or same text on the same day) is reported once.
Reposts of other accounts are marked and skipped unless ``include_reposts = true``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from auditor.secrets import SecretError, resolve_token
from auditor.types import CollectionError, Touchpoint
from channels import ChannelKind, CollectContext, CollectResult
from channels.files import decode_text
from channels.limits import LimitError, read_file
from channels.social_posts import (
    ExportFormatError,
    Post,
    aware,
    canonical_key,
    parse_bound,
    source_error,
    text_key,
    to_touchpoint,
)
from channels.web import Fetcher, FetchError, Response, decode_html

DEFAULT_CHROMIUM = "/usr/bin/chromium"


@dataclass(frozen=True)
class SocialOptions:
    """``[[channels.social]]``: posts from a feed, a public page, an API or an export."""

    #: rss, telegram, mastodon, x-archive, facebook-export, instagram-export,
    #: linkedin-export, csv, jsonl or html.
    kind: str
    #: A file (or, for the *-export and x-archive kinds, the unzipped folder or the .zip),
    #: relative to the config file.
    path: str | None = None
    #: Where to read instead: a feed or export URL, a page (html), a t.me/s/<name> preview
    #: (telegram), a Mastodon server's base URL (mastodon). Fetched politely.
    url: str | None = None
    #: The account: a Telegram channel name ("sosna_home"), a Mastodon handle
    #: ("sosna@mastodon.social"), an X username for permalinks of an archive.
    account: str | None = None
    #: Posts before this ISO date (or date-time) are skipped; paging stops there.
    since: str | None = None
    #: Posts after this ISO date (or date-time) are skipped; a bare date includes its day.
    until: str | None = None
    #: Paged sources (telegram, mastodon) stop after reading this many posts.
    max_posts: int = 200
    #: Collect and score reposts, boosts, retweets and forwards of other accounts' posts.
    include_reposts: bool = False
    #: Collect and score replies to other posts.
    include_replies: bool = True
    #: Seconds to wait between requests to one host (telegram and mastodon paging).
    delay: float = 1.0
    #: Seconds before one request is given up.
    timeout: float = 15.0
    #: Obey robots.txt. Only turn off for a site you own.
    respect_robots: bool = True
    #: csv/jsonl: field (JSON key or CSV column; dotted for nested JSON) with the post text.
    text_field: str = "text"
    #: csv/jsonl: field with the post's id on its platform (missing: derived from the link).
    id_field: str = "id"
    #: csv/jsonl: field with the publication date (ISO 8601 is understood best).
    date_field: str = "date"
    #: csv/jsonl: field with the author or account name.
    author_field: str = "author"
    #: csv/jsonl: field with the post's permalink.
    link_field: str = "url"
    #: csv/jsonl: field with the platform name (telegram, vk, x, ...).
    platform_field: str = "platform"
    #: Platform for posts whose source does not say (csv, jsonl, rss, html).
    platform: str | None = None
    #: html: CSS selector of one post on the page (required for kind "html").
    post_selector: str | None = None
    #: html: CSS selector of the post text inside a post (default: the whole post).
    text_selector: str | None = None
    #: html: CSS selector of the date inside a post (its datetime attribute, else its text).
    date_selector: str | None = None
    #: html: CSS selector of the permalink inside a post (its href).
    link_selector: str | None = None
    #: html: CSS selector of the author inside a post.
    author_selector: str | None = None
    #: html: Chromium executable (default: $BRAND_AUDIT_CHROMIUM, else /usr/bin/chromium).
    chromium: str | None = None
    #: mastodon: the environment variable holding an access token (for a server that wants
    #: one); the token itself never goes into audit.toml.
    token_env: str | None = None
    #: mastodon: a file outside the repository (chmod 600) holding the access token.
    token_file: str | None = None


Reader = Callable[[SocialOptions, "SourceAccess"], Iterator[Post | CollectionError]]


@dataclass
class SourceAccess:
    """How a reader reaches its source: paths resolved against the config folder and one
    polite ``Fetcher`` (channels/web.py) shared by every request of the section."""

    options: SocialOptions
    ctx: CollectContext
    _fetcher: Fetcher | None = field(default=None, repr=False)

    def resolve(self, path: str) -> Path:
        resolved = Path(path).expanduser()
        return resolved if resolved.is_absolute() else self.ctx.base_dir / resolved

    def read_text(self, path: Path, display: str) -> str:
        """A local file's text; ``ExportFormatError`` says why it cannot be read."""
        try:
            return decode_text(read_file(path, self.ctx.limits))
        except LimitError as exc:
            raise ExportFormatError(display, str(exc)) from None
        except FileNotFoundError:
            raise ExportFormatError(display, f"file does not exist: {path}; check `path` in "
                                             f"[[channels.social]]") from None
        except IsADirectoryError:
            raise ExportFormatError(display, "is a folder; `path` names one file for kind "
                                             f"{self.options.kind!r}") from None
        except OSError as exc:
            raise ExportFormatError(display, f"cannot read file: {exc.strerror or exc}") from None
        except ValueError as exc:
            raise ExportFormatError(display, str(exc)) from None

    def token(self) -> str | None:
        """The section's API token (``token_env``/``token_file``), registered for redaction;
        raises ``ExportFormatError`` when it is named but cannot be read."""
        try:
            return resolve_token(token_env=self.options.token_env,
                                 token_file=self.options.token_file,
                                 base_dir=self.ctx.base_dir, where="[[channels.social]]")
        except SecretError as exc:
            raise ExportFormatError("[[channels.social]]", str(exc).split(": ", 1)[-1]) \
                from None

    def fetch(self, url: str) -> Response:
        """GET ``url`` with the polite fetcher (with the section's token, if any, sent to
        that URL's origin only); raises ``FetchError``."""
        token = self.token()
        headers = {"Authorization": f"Bearer {token}"} if token else None
        if self._fetcher is None:
            self._fetcher = Fetcher(self.ctx.user_agent, timeout=self.options.timeout,
                                    delay=self.options.delay,
                                    respect_robots=self.options.respect_robots,
                                    max_bytes=self.ctx.limits.max_page_bytes,
                                    allow_private=self.ctx.allow_private_addresses)
        return self._fetcher.get(url, same_origin=False, headers=headers)

    def fetch_text(self, url: str) -> str:
        """The body of ``url`` as text (charset from the header, a BOM or detection)."""
        response = self.fetch(url)
        if response.content_type in ("text/html", "application/xhtml+xml"):
            return decode_html(response.body, response.charset)
        if response.charset:
            try:
                return response.body.decode(response.charset, errors="replace")
            except LookupError:
                pass
        try:
            return decode_text(response.body)
        except ValueError as exc:
            raise FetchError(str(exc)) from None

    def robots_refusal(self, url: str) -> str | None:
        """Why robots.txt forbids ``url`` (for sources fetched by a browser, not the fetcher)."""
        if self._fetcher is None:
            self._fetcher = Fetcher(self.ctx.user_agent, timeout=self.options.timeout,
                                    respect_robots=self.options.respect_robots,
                                    max_bytes=self.ctx.limits.max_page_bytes,
                                    allow_private=self.ctx.allow_private_addresses)
        return self._fetcher.robots_refusal(url)

    def text_source(self) -> tuple[str, str]:
        """``(name for locators, text)`` of ``path`` or ``url``; raises ``ExportFormatError``."""
        if self.options.url:
            try:
                return self.options.url, self.fetch_text(self.options.url)
            except FetchError as exc:
                raise ExportFormatError(self.options.url, str(exc)) from None
        if not self.options.path:
            raise ExportFormatError("[[channels.social]]",
                                    f"kind {self.options.kind!r} reads a file or a URL: "
                                    f"give `path` or `url`")
        return self.options.path, self.read_text(self.resolve(self.options.path),
                                                 self.options.path)

    def close(self) -> None:
        if self._fetcher is not None:
            self._fetcher.close()

    @property
    def chromium(self) -> str:
        return self.options.chromium or os.environ.get("BRAND_AUDIT_CHROMIUM") or DEFAULT_CHROMIUM


def _readers() -> dict[str, Reader]:
    from channels import social_exports, social_feeds, social_html, social_telegram

    return {
        "rss": social_feeds.read_rss,
        "mastodon": social_feeds.read_mastodon,
        "telegram": social_telegram.read_telegram,
        "x-archive": social_exports.read_x_archive,
        "facebook-export": social_exports.read_facebook,
        "instagram-export": social_exports.read_instagram,
        "linkedin-export": social_exports.read_linkedin,
        "csv": social_exports.read_csv,
        "jsonl": social_exports.read_jsonl,
        "html": social_html.read_html,
    }


def kinds() -> tuple[str, ...]:
    """The ``kind`` values ``[[channels.social]]`` accepts."""
    return tuple(sorted(_readers()))


def collect(options: SocialOptions, ctx: CollectContext) -> Iterator[CollectResult]:
    """One touchpoint per post; what cannot be read is a ``CollectionError`` and the rest goes on.

    Posts outside ``since``/``until``, reposts (unless ``include_reposts``), replies (unless
    ``include_replies``) and a second copy of a post already yielded are left out.
    """
    readers = _readers()
    kind = options.kind.lower().strip()
    where = options.path or options.url or options.account or "[[channels.social]]"
    reader = readers.get(kind)
    if reader is None:
        yield source_error(where, f"unknown social kind {options.kind!r}; known kinds: "
                                  f"{', '.join(sorted(readers))}")
        return
    if options.path and options.url:
        yield source_error(where, "give one of `path` (a file) or `url` (where to read it), "
                                  "not both")
        return
    try:
        since = parse_bound(options.since, end=False) if options.since else None
        until = parse_bound(options.until, end=True) if options.until else None
    except ValueError as exc:
        yield source_error(where, f"`since`/`until` must be ISO dates like 2026-10-01 or "
                                  f"2026-10-01T09:00:00+03:00: {exc}")
        return

    access = SourceAccess(options, ctx)
    seen: set[str] = set()
    try:
        for item in reader(options, access):
            if isinstance(item, CollectionError):
                yield item
            elif _wanted(item, options, since, until):
                touchpoint = to_touchpoint(item, kind)
                if touchpoint is not None and _first_time(touchpoint, item, seen):
                    yield touchpoint
    except ExportFormatError as exc:
        yield source_error(exc.where, exc.message)
    finally:
        access.close()


def _wanted(post: Post, options: SocialOptions, since: datetime | None,
            until: datetime | None) -> bool:
    if post.repost and not options.include_reposts:
        return False
    if post.reply and not options.include_replies:
        return False
    if post.date is not None:  # an undated post cannot be shown to be outside the range: kept
        moment = aware(post.date)
        if (since and moment < since) or (until and moment > until):
            return False
    return True


def _first_time(touchpoint: Touchpoint, post: Post, seen: set[str]) -> bool:
    """True the first time a post is met in this section (by id, permalink, or text and day)."""
    copy = text_key(touchpoint.metadata["platform"], touchpoint.blocks[0].text, post.date)
    keys = {f"id:{touchpoint.id}", f"text:{copy}"}
    if post.permalink:
        keys.add("link:" + ":".join(canonical_key(post.platform, post.permalink, "")))
    if keys & seen:
        return False
    seen.update(keys)
    return True


KIND = ChannelKind(
    name="social",
    options=SocialOptions,
    collect=collect,
    description="Social posts: RSS/Atom feeds, Telegram previews, Mastodon, platform exports "
                "(X, Facebook, Instagram, LinkedIn), CSV/JSONL, rendered pages",
)
