"""Social posts from exports: one post is one touchpoint (``social:<platform>:<post id>``).

Kinds for now: ``jsonl`` (one JSON object per line) and ``csv`` (a header row, then one post per
row). Field names are options, so most exports work without conversion; a dotted name
(``user.screen_name``) reaches into nested JSON objects.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from auditor.text import detect_language, normalize_space
from auditor.types import Block, CollectionError, Locator, Touchpoint
from channels import ChannelKind, CollectContext, CollectResult
from channels.files import decode_text
from channels.web import Fetcher, FetchError

TITLE_CHARS = 60


@dataclass(frozen=True)
class SocialOptions:
    """``[[channels.social]]``: posts from an export file or URL."""

    #: Export format: "jsonl" or "csv".
    kind: str
    #: The export file, relative to the config file (give `path` or `url`).
    path: str | None = None
    #: Where to download the export instead (fetched politely, robots.txt obeyed).
    url: str | None = None
    #: Field (JSON key or CSV column) holding the post text.
    text_field: str = "text"
    #: Field holding the post's id on its platform (missing: a hash of the text is used).
    id_field: str = "id"
    #: Field holding the publication date (ISO 8601 is understood best).
    date_field: str = "date"
    #: Field holding the author or account name.
    author_field: str = "author"
    #: Field holding the post's permalink.
    link_field: str = "url"
    #: Field holding the platform name (telegram, vk, x, ...).
    platform_field: str = "platform"
    #: Platform for posts that have no platform field.
    platform: str | None = None


@dataclass(frozen=True)
class _Record:
    line: int
    fields: dict[str, Any]


def collect(options: SocialOptions, ctx: CollectContext) -> Iterator[CollectResult]:
    """One touchpoint per post; bad lines are ``CollectionError`` values, the rest go on."""
    reader = _READERS.get(options.kind.lower())
    if reader is None:
        yield _error(options.path or options.url or "[[channels.social]]",
                     f"unknown social kind {options.kind!r}; known kinds: "
                     f"{', '.join(sorted(_READERS))}")
        return
    if bool(options.path) == bool(options.url):
        yield _error("[[channels.social]]",
                     "give exactly one of `path` (an export file) or `url` (where to download it)")
        return

    source, text = yield from _load(options, ctx)
    if text is None:
        return
    for item in reader(text, source, options):
        if isinstance(item, CollectionError):
            yield item
        else:
            result = _post(item, source, options)
            if result is not None:
                yield result


def _load(options: SocialOptions, ctx: CollectContext
          ) -> Generator[CollectionError, None, tuple[str, str | None]]:
    """Yield errors; return how to name the export in locators and its text (``None``: failed)."""
    if options.url:
        try:
            with Fetcher(ctx.user_agent) as fetcher:
                response = fetcher.get(options.url, same_origin=False)
        except FetchError as exc:
            yield _error(options.url, str(exc))
            return options.url, None
        try:
            return options.url, decode_text(response.body)
        except ValueError as exc:
            yield _error(options.url, str(exc))
            return options.url, None

    assert options.path is not None
    path = Path(options.path).expanduser()
    if not path.is_absolute():
        path = ctx.base_dir / path
    source = options.path
    try:
        return source, decode_text(path.read_bytes())
    except FileNotFoundError:
        yield _error(source, f"file does not exist: {path}; check `path` in [[channels.social]]")
    except IsADirectoryError:
        yield _error(source, "is a folder; `path` names one export file")
    except OSError as exc:
        yield _error(source, f"cannot read file: {exc.strerror or exc}")
    except ValueError as exc:
        yield _error(source, str(exc))
    return source, None


def _read_jsonl(text: str, source: str, options: SocialOptions
                ) -> Iterator[_Record | CollectionError]:
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except json.JSONDecodeError as exc:
            yield _error(f"{source}:{number}",
                         f"not valid JSON: {exc.msg} at column {exc.colno}; "
                         f"each line must be one JSON object")
            continue
        if not isinstance(value, dict):
            yield _error(f"{source}:{number}",
                         f"expected a JSON object per line, got {type(value).__name__}")
            continue
        yield _Record(number, value)


def _read_csv(text: str, source: str, options: SocialOptions
              ) -> Iterator[_Record | CollectionError]:
    # Spreadsheet exports (notably Russian Excel) often use ";" instead of ",".
    try:
        dialect: Any = csv.Sniffer().sniff(text[:4096], delimiters=",;\t|")
    except csv.Error:
        dialect = csv.excel
    reader = csv.DictReader(io.StringIO(text, newline=""), dialect=dialect)
    columns = reader.fieldnames or []
    if options.text_field not in columns:
        yield _error(f"{source}:1",
                     f"no {options.text_field!r} column (columns: {', '.join(columns) or 'none'}); "
                     f"set text_field in [[channels.social]] to the column with the post text")
        return
    while True:
        start = reader.line_num + 1  # a quoted field may span several lines
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield _error(f"{source}:{start}", f"malformed CSV row: {exc}")
            continue
        fields = {k: v for k, v in row.items() if k is not None}
        yield _Record(start, fields)


_READERS: dict[str, Callable[[str, str, SocialOptions], Iterator[_Record | CollectionError]]] = {
    "jsonl": _read_jsonl,
    "csv": _read_csv,
}


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


def _post(record: _Record, source: str, options: SocialOptions
          ) -> Touchpoint | CollectionError | None:
    where = f"{source}:{record.line}"
    if _field(record.fields, options.text_field) is None:
        present = ", ".join(record.fields) or "none"
        return _error(where, f"line {record.line} has no {options.text_field!r} field "
                             f"(fields present: {present}); set text_field in "
                             f"[[channels.social]] to the field with the post text")
    text = _string(record.fields, options.text_field).strip()
    if not text:
        return None  # an image-only post has no copy to audit
    platform = _string(record.fields, options.platform_field) or options.platform or "social"
    post_id = _string(record.fields, options.id_field) or \
        hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]
    date = _string(record.fields, options.date_field)
    metadata = {
        "platform": platform,
        "author": _string(record.fields, options.author_field),
        "date": date,
        "permalink": _string(record.fields, options.link_field),
        "post_id": post_id,
    }
    return Touchpoint(
        id=f"social:{platform}:{post_id}",
        channel="social",
        source=metadata["permalink"] or where,
        title=_title(text),
        language=detect_language(text),
        blocks=(Block(text, "social.post", Locator(source, line=record.line)),),
        captured_at=_date(date),
        metadata={k: v for k, v in metadata.items() if v},
    )


def _title(text: str) -> str:
    flat = normalize_space(text)
    if len(flat) <= TITLE_CHARS:
        return flat
    cut = flat[:TITLE_CHARS].rsplit(" ", 1)[0] or flat[:TITLE_CHARS]
    return cut.rstrip(",.;:-—") + "…"


def _date(value: str) -> datetime | None:
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")) if value else None
    except ValueError:
        return None


def _error(source: str, error: str) -> CollectionError:
    return CollectionError(source=source, error=error, channel="social")


KIND = ChannelKind(
    name="social",
    options=SocialOptions,
    collect=collect,
    description="Social posts from JSONL or CSV exports (file or URL)",
)
