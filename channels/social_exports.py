"""Social readers for export files: generic CSV/JSONL and the platforms' own data exports.

* ``x-archive``: ``data/tweets.js`` (``window.YTD.tweets.part0 = [...]``) of an X/Twitter
  archive; the username for permalinks comes from ``data/account.js`` or ``account``.
* ``facebook-export``: ``your_posts*.json`` from Facebook's "Download your information" (JSON).
  Meta writes UTF-8 bytes as ``\\u00XX`` escapes; they are decoded back (``fix_meta_mojibake``).
* ``instagram-export``: ``posts_*.json`` (and ``reels.json``) from Instagram's data download.
* ``linkedin-export``: ``Shares.csv`` from LinkedIn's "Get a copy of your data".
* ``csv``, ``jsonl``: anything else, with field names as options.

``path`` may name the file itself, the unzipped export folder, or the downloaded ``.zip``.
A broken file is reported with its line and column (or JSON path) and the posts before the
break are kept; other files of the same export are still read.
"""

from __future__ import annotations

import csv
import fnmatch
import json
import re
import zipfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from auditor.types import CollectionError, Locator
from channels.files import decode_text
from channels.limits import (
    DEFAULT_LIMITS,
    LimitError,
    Limits,
    check_json_depth,
    read_zip_member,
    zip_members,
)
from channels.social_posts import (
    ExportFormatError,
    JsonItem,
    Post,
    fix_meta_mojibake,
    iter_json_array,
    line_col,
    parse_date,
    source_error,
)
from channels.transcripts import CountedLines, CsvRecordError, csv_delimiter

if TYPE_CHECKING:
    from channels.social import SocialOptions, SourceAccess


# -- Generic JSONL and CSV ----------------------------------------------------------------------

def read_jsonl(options: SocialOptions, access: SourceAccess) -> Iterator[Post | CollectionError]:
    """One JSON object per line; field names from the options (dotted names reach inside)."""
    source, text = access.text_source()
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            check_json_depth(line, access.ctx.limits)
        except LimitError as exc:
            yield source_error(f"{source}:{number}", str(exc).replace(" at line 1,", " at"))
            continue
        try:
            value = json.loads(line)
        except json.JSONDecodeError as exc:
            yield source_error(f"{source}:{number}:{exc.colno}",
                               f"not valid JSON: {exc.msg} at column {exc.colno}; "
                               f"each line must be one JSON object")
            continue
        if not isinstance(value, dict):
            yield source_error(f"{source}:{number}",
                               f"expected a JSON object per line, got {type(value).__name__}")
            continue
        yield _generic_post(value, Locator(source, line=number), options)


def read_csv(options: SocialOptions, access: SourceAccess) -> Iterator[Post | CollectionError]:
    """A header row, then one post per row; ``,``, ``;``, tab or ``|`` separated."""
    source, text = access.text_source()
    for line, row in _csv_rows(text, source, required=options.text_field,
                               hint="set text_field in [[channels.social]] to the column "
                                    "with the post text"):
        if isinstance(row, CollectionError):
            yield row
        else:
            yield _generic_post(row, Locator(source, line=line), options)


def _csv_rows(text: str, source: str, *, required: str, hint: str,
              detect_delimiter: bool = True
              ) -> Iterator[tuple[int, dict[str, Any] | CollectionError]]:
    # A platform's own export has a known dialect (commas); a spreadsheet's may use ";".
    delimiter = csv_delimiter(text) if detect_delimiter else ","
    # Strict: a quote left open is an error naming its line, not the rest of the file read
    # silently as one field; the records after a broken one are still read.
    lines = CountedLines(text)
    reader = csv.DictReader(lines, delimiter=delimiter, strict=True)
    try:
        columns = reader.fieldnames or []
    except csv.Error as exc:
        yield 1, source_error(f"{source}:1", str(CsvRecordError(1, str(exc))))
        return
    if required not in columns:
        yield 1, source_error(f"{source}:1",
                              f"no {required!r} column (columns: {', '.join(columns) or 'none'}); "
                              f"{hint}")
        return
    while True:
        start = lines.count + 1  # a quoted field may span several lines
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield start, source_error(f"{source}:{start}", str(CsvRecordError(start, str(exc))))
            continue
        yield start, {k: v for k, v in row.items() if k is not None}


def _generic_post(fields: dict[str, Any], locator: Locator, options: SocialOptions
                  ) -> Post | CollectionError:
    if _field(fields, options.text_field) is None:
        present = ", ".join(fields) or "none"
        return source_error(locator.describe(),
                            f"line {locator.line} has no {options.text_field!r} field "
                            f"(fields present: {present}); set text_field in "
                            f"[[channels.social]] to the field with the post text")
    date_text = _string(fields, options.date_field)
    return Post(
        platform=(_string(fields, options.platform_field) or options.platform or "social").lower(),
        text=_string(fields, options.text_field),
        locator=locator,
        post_id=_string(fields, options.id_field),
        permalink=_string(fields, options.link_field),
        author=_string(fields, options.author_field),
        date=parse_date(date_text),
        date_text=date_text,
        repost=_truthy(fields.get("repost")),
        reposted_from=_string(fields, "reposted_from"),
        reply=_truthy(fields.get("reply")),
        engagement={k: _string(fields, k) for k in ("likes", "reposts", "replies", "views")
                    if _string(fields, k)},
    )


def _utc(moment: datetime | None) -> datetime | None:
    return moment.replace(tzinfo=UTC) if moment and moment.tzinfo is None else moment


def _truthy(value: Any) -> bool:
    return value is True or str(value).strip().lower() in ("true", "1", "yes")


def _field(fields: dict[str, Any], name: str) -> Any:
    """``fields[name]``, or for a dotted name the value inside nested objects."""
    if name in fields:
        return fields[name]
    value: Any = fields
    for part in name.split("."):
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value


def _string(fields: dict[str, Any], name: str) -> str:
    value = _field(fields, name)
    if value is None:
        return ""
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


# -- Export folders and archives ----------------------------------------------------------------

def export_files(options: SocialOptions, access: SourceAccess, patterns: tuple[str, ...],
                 what: str) -> Iterator[tuple[str, str] | CollectionError]:
    """``(name, text)`` of each export file matching ``patterns`` in ``path`` (a file, a folder
    or a .zip) or the one file at ``url``; unreadable files are errors and the rest go on."""
    if options.url or not options.path:
        yield access.text_source()
        return
    root = access.resolve(options.path)
    if root.is_dir():
        found = sorted(p for p in root.rglob("*") if p.is_file() and
                       _matches(p.relative_to(root).as_posix(), patterns))
        if not found:
            raise ExportFormatError(options.path, f"no {what} in this folder; point `path` at "
                                                  f"the unzipped export, its .zip, or the file")
        for file in found:
            display = f"{options.path.rstrip('/')}/{file.relative_to(root).as_posix()}"
            try:
                yield display, access.read_text(file, display)
            except ExportFormatError as exc:
                yield source_error(exc.where, exc.message)
        return
    if root.suffix.lower() == ".zip" and root.is_file():
        yield from _zip_files(root, options.path, patterns, what, access.ctx.limits)
        return
    yield options.path, access.read_text(root, options.path)


def _zip_files(archive: Path, display: str, patterns: tuple[str, ...], what: str,
               limits: Limits = DEFAULT_LIMITS) -> Iterator[tuple[str, str] | CollectionError]:
    try:
        with zipfile.ZipFile(archive) as bundle:
            try:
                members = zip_members(bundle, limits)
            except LimitError as exc:
                raise ExportFormatError(display, str(exc)) from None
            names = sorted(n for n in members if not n.endswith("/")
                           and _matches(n, patterns))
            if not names:
                raise ExportFormatError(display, f"no {what} in this .zip; is it the right "
                                                 f"export?")
            for name in names:
                where = f"{display}!{name}"
                try:
                    yield where, decode_text(read_zip_member(bundle, name, limits))
                except (ValueError, zipfile.BadZipFile, OSError, RuntimeError,
                        NotImplementedError, EOFError) as exc:
                    yield source_error(where, f"cannot read from the .zip: {exc}")
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        raise ExportFormatError(display, f"not a valid .zip file: {exc}") from None


def _matches(name: str, patterns: tuple[str, ...]) -> bool:
    base = PurePosixPath(name).name
    return any(fnmatch.fnmatch(base, p) for p in patterns)


def _json_items(text: str, display: str, limits: Limits, *,
                prefix: re.Pattern[str] | None = None,
                keys: tuple[str, ...] = ()) -> Iterator[JsonItem]:
    """Elements of the export's array: the top-level array, after a ``window.YTD`` style
    ``prefix``, or under one of ``keys`` of a top-level object."""
    try:
        check_json_depth(text, limits)  # json would recurse until the stack gives out
    except LimitError as exc:
        raise ExportFormatError(display, str(exc)) from None
    start = 0
    if text.startswith("\ufeff"):
        start = 1
    if prefix is not None:
        match = prefix.match(text, start)
        if match:
            start = match.end()
        elif not text[start:].lstrip().startswith("["):
            raise ExportFormatError(f"{display}:1:1", "expected the archive's "
                                    "`window.YTD.tweets.part0 = [` prefix; is this "
                                    "data/tweets.js from an X archive?")
    body = text[start:].lstrip()
    if body.startswith("{") and keys:
        try:
            data = json.loads(text[start:])
        except json.JSONDecodeError as exc:
            line, col = line_col(text, start + exc.pos)
            raise ExportFormatError(f"{display}:{line}:{col}", f"not valid JSON: {exc.msg}") \
                from None
        for key in keys:
            if isinstance(data.get(key), list):
                found = re.search(rf'"{re.escape(key)}"\s*:\s*(?=\[)', text)
                assert found is not None
                for item in iter_json_array(text, display, found.end()):
                    yield JsonItem(f"$.{key}{item.path}", item.line, item.column, item.value)
                return
        raise ExportFormatError(display, f"expected a JSON array or an object with "
                                         f"{' or '.join(repr(k) for k in keys)}; found keys "
                                         f"{', '.join(map(repr, data)) or 'none'}")
    yield from iter_json_array(text, display, start)


def _where(display: str, item: JsonItem) -> str:
    return f"{display}:{item.line}:{item.column}"


# -- X / Twitter archive ------------------------------------------------------------------------

_YTD_PREFIX = re.compile(r"\s*window\.YTD\.[\w.]+\s*=\s*")
_RETWEET = re.compile(r"^RT @(\w+):\s*")


def read_x_archive(options: SocialOptions, access: SourceAccess
                   ) -> Iterator[Post | CollectionError]:
    """Tweets of an X/Twitter archive; retweets and replies to others are marked."""
    files = list(export_files(options, access, ("tweets.js", "tweets-part*.js", "account.js"),
                              "data/tweets.js"))
    username = (options.account or "").lstrip("@")
    if options.path and not username:
        # tweets.js given on its own: its archive's account.js sits beside it.
        beside = access.resolve(options.path).parent / "account.js"
        if access.resolve(options.path).is_file() and beside.is_file():
            username = _archive_username(beside.read_text(encoding="utf-8", errors="replace"),
                                         access.ctx.limits)
    for entry in files:
        if not isinstance(entry, CollectionError) and PurePosixPath(entry[0]).name == "account.js":
            username = username or _archive_username(entry[1], access.ctx.limits)
    for entry in files:
        if isinstance(entry, CollectionError):
            yield entry
            continue
        display, text = entry
        if PurePosixPath(display).name == "account.js":
            continue
        try:
            for item in _json_items(text, display, access.ctx.limits, prefix=_YTD_PREFIX):
                yield _tweet(item, display, username)
        except ExportFormatError as exc:
            yield source_error(exc.where, exc.message)


def _archive_username(text: str, limits: Limits) -> str:
    try:
        for item in _json_items(text, "account.js", limits, prefix=_YTD_PREFIX):
            account = item.value.get("account", {}) if isinstance(item.value, dict) else {}
            return str(account.get("username", ""))
    except ExportFormatError:
        pass
    return ""


def _tweet(item: JsonItem, display: str, username: str) -> Post | CollectionError:
    value = item.value
    tweet = value.get("tweet", value) if isinstance(value, dict) else None
    if not isinstance(tweet, dict):
        return source_error(_where(display, item),
                            f"{item.path}: expected an object with a \"tweet\", "
                            f"got {type(value).__name__}")
    key = "full_text" if "full_text" in tweet else "text"
    if not isinstance(tweet.get(key), str):
        return source_error(_where(display, item),
                            f"{item.path}.tweet has no \"full_text\" string; is this an "
                            f"X archive's tweets.js?")
    tweet_id = str(tweet.get("id_str") or tweet.get("id") or "")
    text = tweet[key]
    entities = tweet.get("entities") if isinstance(tweet.get("entities"), dict) else {}
    links: list[str] = []
    for url in entities.get("urls", []) if isinstance(entities.get("urls"), list) else []:
        if isinstance(url, dict) and url.get("url"):
            expanded = str(url.get("expanded_url") or url["url"])
            text = text.replace(str(url["url"]), expanded)
            links.append(expanded)
    for group in ("media",):  # photo links are not copy, and not links the brand chose
        for media in entities.get(group, []) if isinstance(entities.get(group), list) else []:
            if isinstance(media, dict) and media.get("url"):
                text = text.replace(str(media["url"]), "")
    retweet = _RETWEET.match(text)
    reply_to = str(tweet.get("in_reply_to_screen_name") or "")
    is_reply = bool(tweet.get("in_reply_to_status_id_str") or tweet.get("in_reply_to_status_id"))
    own_thread = bool(username) and reply_to.lower() == username.lower()
    return Post(
        platform="x",
        text=text[retweet.end():] if retweet else text,
        locator=Locator(display, line=item.line, column=item.column),
        post_id=tweet_id,
        permalink=f"https://x.com/{username or 'i/web'}/status/{tweet_id}" if tweet_id else "",
        author=f"@{username}" if username else "",
        date=parse_date(tweet.get("created_at")),
        date_text=str(tweet.get("created_at") or ""),
        repost=bool(retweet) or tweet.get("retweeted") is True,
        reposted_from=f"@{retweet.group(1)}" if retweet else "",
        reply=is_reply and not own_thread,
        engagement={"likes": str(tweet.get("favorite_count") or ""),
                    "reposts": str(tweet.get("retweet_count") or "")},
        links=tuple(links),
        language=str(tweet.get("lang") or "") or None,
    )


# -- Facebook -----------------------------------------------------------------------------------

_FB_ACTION = re.compile(r"^(?P<author>.+?) (?:updated|shared|posted|wrote|added|was|is|"
                        r"обновил|поделил|опубликовал|добавил|написал)")
# "Sosna shared Other Page's post." / "Сосна поделилась публикацией ..." is someone else's post.
_FB_SHARED = re.compile(r" shared (?P<whose>.+?)'s (?:post|video|photo|reel|live video|link)"
                        r"|поделил(?:ся|ась|ись) (?:публикацией|записью|видео) (?P<ru>.+)$")


def read_facebook(options: SocialOptions, access: SourceAccess
                  ) -> Iterator[Post | CollectionError]:
    """Posts of a Facebook JSON export; shares of other people's posts are marked reposts."""
    for entry in export_files(options, access, ("your_posts*.json", "profile_posts*.json",
                                                "your_posts__check_ins*.json"),
                              "your_posts_1.json (Facebook posts)"):
        if isinstance(entry, CollectionError):
            yield entry
            continue
        display, text = entry
        try:
            for item in _json_items(text, display, access.ctx.limits,
                                   keys=("status_updates_v2", "status_updates")):
                post = _facebook_post(fix_meta_mojibake(item.value), item, display, options)
                if post is not None:
                    yield post
        except ExportFormatError as exc:
            yield source_error(exc.where, exc.message)


def _facebook_post(value: Any, item: JsonItem, display: str, options: SocialOptions
                   ) -> Post | CollectionError | None:
    if not isinstance(value, dict):
        return source_error(_where(display, item),
                            f"{item.path}: expected a post object, got {type(value).__name__}")
    texts = [d["post"] for d in value.get("data", []) if isinstance(d, dict)
             and isinstance(d.get("post"), str)]
    if not texts:
        return None  # a photo, check-in or share with no words of the brand's own
    title = str(value.get("title") or "")
    action = _FB_ACTION.match(title)
    shared = _FB_SHARED.search(title)
    links = [str(d["external_context"]["url"])
             for a in value.get("attachments", []) if isinstance(a, dict)
             for d in a.get("data", []) if isinstance(d, dict)
             and isinstance(d.get("external_context"), dict) and d["external_context"].get("url")]
    timestamp = value.get("timestamp")
    return Post(
        platform="facebook",
        text="\n\n".join(texts),
        locator=Locator(display, line=item.line, column=item.column),
        author=options.account or (action.group("author") if action else ""),
        date=parse_date(timestamp),
        date_text=str(timestamp or ""),
        repost=bool(shared),
        reposted_from=(shared.group("whose") or shared.group("ru") or "") if shared else "",
        links=tuple(links),
    )


# -- Instagram ----------------------------------------------------------------------------------

def read_instagram(options: SocialOptions, access: SourceAccess
                   ) -> Iterator[Post | CollectionError]:
    """Captions of an Instagram data download (posts and reels, JSON)."""
    for entry in export_files(options, access, ("posts_*.json", "reels.json"),
                              "content/posts_1.json (Instagram posts)"):
        if isinstance(entry, CollectionError):
            yield entry
            continue
        display, text = entry
        try:
            for item in _json_items(text, display, access.ctx.limits, keys=("ig_reels_media",)):
                post = _instagram_post(fix_meta_mojibake(item.value), item, display, options)
                if post is not None:
                    yield post
        except ExportFormatError as exc:
            yield source_error(exc.where, exc.message)


def _instagram_post(value: Any, item: JsonItem, display: str, options: SocialOptions
                    ) -> Post | CollectionError | None:
    if not isinstance(value, dict):
        return source_error(_where(display, item),
                            f"{item.path}: expected a post object, got {type(value).__name__}")
    media = [m for m in value.get("media", []) if isinstance(m, dict)]
    if not media and "title" not in value:
        return source_error(_where(display, item),
                            f"{item.path}: a post has \"media\" or a \"title\"; found keys "
                            f"{', '.join(map(repr, value)) or 'none'}")
    # A carousel keeps its caption at the top; a single photo or reel inside its media item.
    caption = str(value.get("title") or next((m.get("title") for m in media if m.get("title")),
                                             ""))
    if not caption.strip():
        return None
    timestamp = value.get("creation_timestamp") or next(
        (m.get("creation_timestamp") for m in media if m.get("creation_timestamp")), None)
    return Post(
        platform="instagram",
        text=caption,
        locator=Locator(display, line=item.line, column=item.column),
        author=options.account or "",
        date=parse_date(timestamp),
        date_text=str(timestamp or ""),
    )


# -- LinkedIn -----------------------------------------------------------------------------------

def read_linkedin(options: SocialOptions, access: SourceAccess
                  ) -> Iterator[Post | CollectionError]:
    """Posts of a LinkedIn export's Shares.csv (reshares without a comment have no copy)."""
    for entry in export_files(options, access, ("Shares.csv", "shares.csv"),
                              "Shares.csv (LinkedIn posts)"):
        if isinstance(entry, CollectionError):
            yield entry
            continue
        display, text = entry
        for line, row in _csv_rows(text, display, required="ShareCommentary",
                                   hint="is this Shares.csv from a LinkedIn data export?",
                                   detect_delimiter=False):
            if isinstance(row, CollectionError):
                yield row
                continue
            commentary = str(row.get("ShareCommentary") or "")
            shared = str(row.get("SharedUrl") or "")
            yield Post(
                platform="linkedin",
                text=commentary,
                locator=Locator(display, line=line),
                permalink=str(row.get("ShareLink") or ""),
                author=options.account or "",
                date=_utc(parse_date(row.get("Date"))),  # LinkedIn writes UTC, no offset
                date_text=str(row.get("Date") or ""),
                links=(shared,) if shared.startswith("http") else (),
            )
