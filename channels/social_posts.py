"""What a social post is, and how one becomes a touchpoint, whatever source it came from.

Every reader in ``channels/social_*.py`` turns its source (an export file, a feed, a page, an
API) into ``Post`` values; ``to_touchpoint`` then does the same thing for all of them:

* the scored text is the post's copy only: hashtags, mentions and links are kept in the
  touchpoint's metadata (``hashtags``, ``mentions``, ``links``) and taken out of the scored block,
  HTML entities and Telegram/Markdown formatting are cleaned, emoji are kept, and the text as
  published is kept in ``metadata["original_text"]``;
* the touchpoint id is canonical per platform and post (``social:telegram:sosna_home/1041``,
  ``social:x:1720...``), derived from the permalink where the platform's URL shape is known,
  so the same post read from a feed and from an export is recognised as one.
"""

from __future__ import annotations

import hashlib
import html
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, time
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from bs4 import BeautifulSoup, NavigableString, Tag

from auditor.text import declared_language, detect_language, normalize_space
from auditor.types import Block, CollectionError, Locator, Touchpoint

TITLE_CHARS = 60
SCOPE = "social.post"
#: Engagement figures a post may carry; stored as strings in the touchpoint metadata.
ENGAGEMENT = ("likes", "reposts", "replies", "views")


@dataclass(frozen=True)
class Post:
    """One post as a reader found it, before cleaning."""

    platform: str
    text: str                          # plain text as published (markup already turned to text)
    locator: Locator                   # where it was read: file:line, page + CSS, API URL
    post_id: str = ""                  # the platform's id, when the source gives one
    permalink: str = ""
    author: str = ""
    date: datetime | None = None
    date_text: str = ""                # the date as the source wrote it (kept if unparseable)
    repost: bool = False               # a boost / retweet / forward of another account's post
    reposted_from: str = ""
    reply: bool = False
    engagement: dict[str, str] = field(default_factory=dict)
    links: tuple[str, ...] = ()        # link targets the source knows beyond those in the text
    hashtags: tuple[str, ...] = ()
    mentions: tuple[str, ...] = ()
    language: str | None = None        # the platform's own language tag, when it has one


def source_error(source: str, error: str) -> CollectionError:
    """A ``CollectionError`` of the social channel."""
    return CollectionError(source=source, error=error, channel="social")


# -- Text ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class CleanText:
    """A post's copy for scoring, and what was taken out of it."""

    text: str
    hashtags: tuple[str, ...]
    mentions: tuple[str, ...]
    links: tuple[str, ...]


_MD_LINK = re.compile(r"\[([^\]\n]+)\]\((https?://[^)\s]+)\)")
# Telegram/Markdown emphasis. Underscores only as a pair around text, so snake_case survives.
_MD_EMPHASIS = (
    re.compile(r"\*\*(?=\S)(.+?)(?<=\S)\*\*", re.DOTALL),
    re.compile(r"(?<!\w)__(?=\S)(.+?)(?<=\S)__(?!\w)", re.DOTALL),
    re.compile(r"~~(?=\S)(.+?)(?<=\S)~~", re.DOTALL),
    re.compile(r"\|\|(?=\S)(.+?)(?<=\S)\|\|", re.DOTALL),   # Telegram spoiler
    re.compile(r"```[a-z]*\n?(.+?)```", re.DOTALL),
    re.compile(r"`([^`\n]+)`"),
)
_URL = re.compile(
    r"(?:https?://|www\.)[^\s<>\"«»]+"                      # with a scheme or www.
    r"|(?<![\w@.])(?:[a-z0-9-]+\.)+[a-z]{2,}/[^\s<>\"«»]*",  # a bare domain with a path
    re.IGNORECASE)
# A hashtag has a letter in it ("#1 priority" is not one), as on every platform.
_HASHTAG = re.compile(r"(?<![\w&#/])#(\w*[^\W\d_]\w*)")
_MENTION = re.compile(r"(?<![\w.@/])@(\w+(?:@[\w-]+(?:\.[\w-]+)+)?)")
_TRAILING_PUNCT = ".,;:!?)»\"'…"


def clean_post_text(text: str) -> CleanText:
    """Split published text into scored copy and the hashtags, mentions and links it carries.

    Hashtags and mentions inside a sentence keep their word (``#fibre is here`` -> ``fibre is
    here``) so the sentence still reads; runs of them at the start or end of a line are removed.
    Links are removed; a Markdown link ``[text](url)`` keeps its text.
    """
    text = html.unescape(text).replace("\r\n", "\n").replace("\xa0", " ")
    links: list[str] = []

    def md_link(match: re.Match[str]) -> str:
        links.append(match.group(2))
        return match.group(1)

    text = _MD_LINK.sub(md_link, text)
    for pattern in _MD_EMPHASIS:
        text = pattern.sub(r"\1", text)

    def url(match: re.Match[str]) -> str:
        found = match.group(0)
        stripped = found.rstrip(_TRAILING_PUNCT)
        links.append(stripped if "://" in stripped else f"https://{stripped}")
        return found[len(stripped):]

    text = _URL.sub(url, text)
    hashtags = [m.group(1) for m in _HASHTAG.finditer(text)]
    mentions = [m.group(1) for m in _MENTION.finditer(text)]
    lines = [_clean_line(line) for line in text.split("\n")]
    cleaned = re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
    return CleanText(cleaned, _unique(hashtags), _unique(mentions), _unique(links))


_TAG_RUN = r"(?:[#@][\w@.-]+[\s,]*)+"


def _clean_line(line: str) -> str:
    if re.fullmatch(r"[\s.·•_⠀-]+", line):
        return ""  # Instagram's spacer lines ("." between the caption and its hashtags)
    # Runs of tags/mentions at the ends of a line are labels, not copy: drop them.
    line = re.sub(rf"^\s*{_TAG_RUN}", "", line)
    line = re.sub(rf"[\s,]*{_TAG_RUN}$", "", line)
    # Inside a sentence the word is part of the copy: keep it without its sigil.
    line = _HASHTAG.sub(r"\1", line)
    line = _MENTION.sub(lambda m: m.group(1).split("@")[0], line)
    line = re.sub(r"[ \t]{2,}", " ", line)
    line = re.sub(r"\s+([,.;:!?)\]»])", r"\1", line)
    line = re.sub(r"\(\s*\)", "", line)
    return line.strip()


def _unique(items: list[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(i for i in items if i))


_BREAKS = {"p", "div", "li", "blockquote", "h1", "h2", "h3", "h4", "h5", "h6", "pre", "tr"}


def html_to_text(markup: str) -> tuple[str, tuple[str, ...]]:
    """Plain text of a post's HTML (``<br>`` and paragraphs kept as line breaks), and the
    targets of its links whose text is not the URL itself (the text is kept as copy)."""
    soup = BeautifulSoup(markup, "lxml")
    links: list[str] = []
    for a in soup.find_all("a", href=True):
        label = normalize_space(a.get_text())
        href = str(a["href"])
        if href.startswith(("http://", "https://")) and label and \
                not label.startswith(("#", "@")) and not _URL.fullmatch(label.rstrip("…")):
            links.append(href)
    for br in soup.find_all("br"):
        br.replace_with(NavigableString("\n"))
    for element in soup.find_all(_BREAKS):
        if isinstance(element, Tag):
            element.insert_before(NavigableString("\n\n"))
            element.insert_after(NavigableString("\n\n"))
    text = soup.get_text()
    text = "\n".join(re.sub(r"[ \t]+", " ", line).strip() for line in text.split("\n"))
    return re.sub(r"\n{3,}", "\n\n", text).strip(), _unique(links)


def fix_meta_mojibake(value: Any) -> Any:
    """Undo Facebook/Instagram JSON exports' encoding: UTF-8 bytes written as ``\\u00XX``.

    ``"\\u00d0\\u00a1"`` loads as ``"Ð¡"`` and is really ``"С"``. Strings that are not such
    mojibake (characters above U+00FF, or bytes that are not UTF-8) are left as they are.
    """
    if isinstance(value, str):
        try:
            return value.encode("latin-1").decode("utf-8")
        except (UnicodeEncodeError, UnicodeDecodeError):
            return value
    if isinstance(value, list):
        return [fix_meta_mojibake(v) for v in value]
    if isinstance(value, dict):
        return {fix_meta_mojibake(k): fix_meta_mojibake(v) for k, v in value.items()}
    return value


# -- Dates --------------------------------------------------------------------------------------

def parse_date(value: Any) -> datetime | None:
    """A post date from ISO 8601, RFC 2822 (feeds), X's ``Wed Nov 08 11:15:00 +0000 2023``
    or a Unix timestamp; ``None`` when it is none of those."""
    if value is None or value == "":
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return _from_timestamp(float(value))
    text = str(value).strip()
    if re.fullmatch(r"\d{9,10}(\.\d+)?", text):
        return _from_timestamp(float(text))
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        pass
    for pattern in ("%a %b %d %H:%M:%S %z %Y", "%m/%d/%Y %H:%M:%S", "%m/%d/%y, %I:%M %p",
                    "%d.%m.%Y %H:%M", "%d.%m.%Y"):
        try:
            return datetime.strptime(text, pattern)
        except ValueError:
            continue
    try:
        return parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):  # a year of twelve digits
        return None


def _from_timestamp(value: float) -> datetime | None:
    try:
        return datetime.fromtimestamp(value, UTC)
    except (OverflowError, OSError, ValueError):
        return None


def parse_bound(value: str, *, end: bool) -> datetime:
    """``since``/``until`` as an aware datetime; a bare date covers that whole day.

    Raises ``ValueError`` for text that is not an ISO date.
    """
    text = value.strip()
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        day = datetime.fromisoformat(text).date()
        return datetime.combine(day, time.max if end else time.min, UTC)
    parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def aware(moment: datetime) -> datetime:
    """``moment`` with a time zone (naive dates are read as UTC), for comparisons."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


# -- Identity -----------------------------------------------------------------------------------

_TELEGRAM_HOSTS = {"t.me", "telegram.me", "telegram.dog"}
_X_HOSTS = {"x.com", "twitter.com", "mobile.twitter.com", "www.twitter.com", "www.x.com"}


def canonical_key(platform: str, permalink: str, post_id: str) -> tuple[str, str]:
    """``(platform, key)`` naming one post whatever source it was read from.

    Known permalink shapes win over the source's own id (a generic export's ``tg-1041`` and the
    Telegram page's ``sosna_home/1041`` are one post): Telegram ``channel/number``, X's status
    number, VK's ``wall-owner_post``, a Mastodon ``host/status id``, Instagram's shortcode,
    LinkedIn's activity or share URN, YouTube's video id.
    """
    if permalink:
        try:
            parts = urlsplit(permalink)
        except ValueError:
            parts = None
        if parts is not None and parts.hostname:
            host = parts.hostname.lower().removeprefix("www.")
            path = [unquote(p) for p in parts.path.split("/") if p]
            if host in _TELEGRAM_HOSTS:
                if path[:1] == ["s"]:
                    path = path[1:]
                if len(path) >= 2 and path[1].isdigit():
                    return "telegram", f"{path[0].lower()}/{path[1]}"
            if host in _X_HOSTS and "status" in path:
                number = path[path.index("status") + 1:][:1]
                if number and number[0].isdigit():
                    return "x", number[0]
            if host in ("vk.com", "m.vk.com", "vk.ru"):
                wall = parse_qs(parts.query).get("w", [""])[0] or (path[0] if path else "")
                if re.fullmatch(r"wall-?\d+(?:_\d+)?", wall):
                    return "vk", wall
            if host == "instagram.com" and len(path) >= 2 and path[0] in ("p", "reel"):
                return "instagram", path[1]
            if host == "linkedin.com" and "update" in path:
                urn = path[path.index("update") + 1:][:1]
                if urn:
                    return "linkedin", urn[0].removeprefix("urn:li:")
            if host in ("youtube.com", "m.youtube.com") and parts.query:
                video = parse_qs(parts.query).get("v", [""])[0]
                if video:
                    return "youtube", video
            if host == "youtu.be" and path:
                return "youtube", path[0]
            if len(path) == 2 and path[0].startswith("@") and path[1].isdigit():
                return "mastodon", f"{host}/{path[1]}"
    if post_id:
        return platform, post_id
    if permalink:
        return platform, permalink.split("://", 1)[-1].rstrip("/")
    return platform, ""


def text_key(platform: str, text: str, date: datetime | None) -> str:
    """What makes two copies of a post without a shared permalink the same post: platform,
    day (UTC) and copy. The platform is part of it: one text cross-posted to Telegram and VK
    is two touchpoints."""
    day = aware(date).astimezone(UTC).date().isoformat() if date else ""
    return f"{platform}|{day}|{normalize_space(text).casefold()}"


# -- Touchpoints --------------------------------------------------------------------------------

def to_touchpoint(post: Post, kind: str) -> Touchpoint | None:
    """The touchpoint for one post; ``None`` when nothing in it is copy (an image-only post,
    a post of hashtags and links only)."""
    clean = clean_post_text(post.text)
    if not clean.text:
        return None
    platform, key = canonical_key(post.platform, post.permalink, post.post_id)
    if not key:
        copy = text_key(platform, clean.text, post.date)
        key = hashlib.sha256(copy.encode("utf-8")).hexdigest()[:12]
    date = post.date.isoformat() if post.date else post.date_text
    metadata: dict[str, str] = {
        "platform": platform,
        "author": post.author,
        "date": date,
        "permalink": post.permalink,
        # A feed's guid is often a URL; the platform's own id (``channel/1041``) reads better.
        "post_id": post.post_id if post.post_id and "://" not in post.post_id else key,
        "source_kind": kind,
        "hashtags": " ".join(_unique([*post.hashtags, *clean.hashtags])),
        "mentions": " ".join(_unique([*post.mentions, *clean.mentions])),
        "links": " ".join(_unique([*clean.links, *post.links])),
    }
    for name in ENGAGEMENT:
        if post.engagement.get(name):
            metadata[name] = str(post.engagement[name])
    if post.repost:
        metadata["repost"] = "true"
        metadata["reposted_from"] = post.reposted_from
    if post.reply:
        metadata["reply"] = "true"
    original = post.text.strip()
    if original != clean.text:
        metadata["original_text"] = original
    language = detect_language(clean.text, default=_language_hint(post.language))
    return Touchpoint(
        id=f"social:{platform}:{key}",
        channel="social",
        source=post.permalink or post.locator.describe(),
        title=title_of(clean.text),
        language=language,
        blocks=(Block(clean.text, SCOPE, post.locator),),
        captured_at=post.date,
        metadata={k: v for k, v in metadata.items() if v},
    )


def _language_hint(tag: str | None) -> str:
    return declared_language(tag) or "en"


def title_of(text: str) -> str:
    """The first words of a post, for lists in the report."""
    flat = normalize_space(text)
    if len(flat) <= TITLE_CHARS:
        return flat
    cut = flat[:TITLE_CHARS].rsplit(" ", 1)[0] or flat[:TITLE_CHARS]
    return cut.rstrip(",.;:-—") + "…"


# -- JSON with positions ------------------------------------------------------------------------

class ExportFormatError(Exception):
    """A file that is not in the format its kind expects; ``where`` is ``file:line:col`` or
    ``file`` plus a JSON path, ready for a ``CollectionError``."""

    def __init__(self, where: str, message: str) -> None:
        super().__init__(message)
        self.where = where
        self.message = message


@dataclass(frozen=True)
class JsonItem:
    """One element of a JSON array, with where it starts in the file."""

    path: str      # JSON path, e.g. ``[3]`` or ``$.ig_reels_media[3]``
    line: int
    column: int
    value: Any


def line_col(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


def iter_json_array(text: str, source: str, start: int = 0) -> Iterator[JsonItem]:
    """The elements of the top-level JSON array that starts at ``start``, one by one, each
    with its line and column; raises ``ExportFormatError`` at the first broken element (the
    elements before it have been yielded, so nothing read is lost)."""
    decoder = json.JSONDecoder()
    ws = re.compile(r"\s*")
    pos = ws.match(text, start).end()  # type: ignore[union-attr]
    if not text.startswith("[", pos):
        line, col = line_col(text, pos)
        found = text[pos:pos + 20].split("\n")[0] or "end of file"
        raise ExportFormatError(f"{source}:{line}:{col}",
                                f"expected a JSON array ('['), found {found!r}")
    pos = ws.match(text, pos + 1).end()  # type: ignore[union-attr]
    if text.startswith("]", pos):
        return
    index = 0
    while True:
        line, col = line_col(text, pos)
        try:
            value, end = decoder.raw_decode(text, pos)
        except json.JSONDecodeError as exc:
            eline, ecol = line_col(text, exc.pos)
            kept = (f"the {index:,} elements before it were read" if index > 1 else
                    "the element before it was read" if index else "nothing could be read")
            raise ExportFormatError(f"{source}:{eline}:{ecol}",
                                    f"not valid JSON in element [{index}]: {exc.msg}; {kept} "
                                    f"(a cut-off download? export the file again)") from None
        yield JsonItem(f"[{index}]", line, col, value)
        index += 1
        pos = ws.match(text, end).end()  # type: ignore[union-attr]
        if text.startswith(",", pos):
            pos = ws.match(text, pos + 1).end()  # type: ignore[union-attr]
            continue
        if text.startswith("]", pos):
            return
        eline, ecol = line_col(text, pos)
        raise ExportFormatError(f"{source}:{eline}:{ecol}",
                                f"not valid JSON after element [{index - 1}]: "
                                f"expected ',' or ']'")
