"""SMS the brand sends, from CSV exports: one touchpoint per distinct message.

An SMS platform's export has one row per message sent. The same text sent to thousands of
people is one piece of copy, so identical texts (after masking, per campaign and sender) are
one touchpoint, ``sms:<path>#<first message id>``, with metadata ``recipients`` (how many
people got it), ``messages``, ``campaign``, ``first_sent``/``last_sent``, ``sender`` and
``agent_id`` when an agent sent it. ``group_identical = false`` keeps one touchpoint per row.

Column names are options; the header row gives the delimiter (``,`` ``;`` tab ``|``). Rows
whose ``direction`` says the customer sent them (in, inbound, incoming, received, mo,
входящее) are not brand copy and are skipped. With ``mask_personal_data`` (the default)
phone numbers, e-mail addresses and card numbers are masked in the text and the metadata
(``auditor.privacy``).
"""

from __future__ import annotations

import csv
import fnmatch
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from auditor.privacy import mask_personal_data
from auditor.text import detect_language, normalize_space
from auditor.types import Block, CollectionError, Locator, Touchpoint, display_path
from channels import ChannelKind, CollectContext, CollectResult
from channels.files import decode_text
from channels.limits import LimitError, read_file
from channels.transcripts import CsvRecordError, read_csv_records

TITLE_CHARS = 60
_INBOUND = {"in", "inbound", "incoming", "received", "mo", "входящее", "входящие", "вх"}


@dataclass(frozen=True)
class SmsOptions:
    """``[[channels.sms]]``: SMS exports (CSV, a header row, one message per row)."""

    #: A CSV export or a folder of them (walked recursively); relative to the config file.
    path: str
    #: Glob pattern(s) for export file names in a folder.
    pattern: str | list[str] = "*.csv"
    #: Column with the message text (required).
    text_column: str = "text"
    #: Column with the message id (missing: the row's line number is used).
    id_column: str = "id"
    #: Column with the send date and time (ISO 8601 is understood best).
    date_column: str = "date"
    #: Column with the recipient's number.
    to_column: str = "to"
    #: Column with the sender name or number the customer sees.
    from_column: str = "from"
    #: Column with the campaign name.
    campaign_column: str = "campaign"
    #: Column with the agent who sent the message (their agent id, as in calls).
    agent_column: str = "agent"
    #: Column saying whether the brand sent the message or received it.
    direction_column: str = "direction"
    #: Campaign name for rows without a campaign column or value.
    campaign: str | None = None
    #: One touchpoint for identical texts of a campaign and sender, with a recipients count.
    group_identical: bool = True
    #: Replace phone numbers, e-mail addresses and card numbers before anything is stored.
    mask_personal_data: bool = True


@dataclass
class _Group:
    line: int
    message_id: str
    text: str
    campaign: str
    sender: str
    agent: str
    recipients: set[str] = field(default_factory=set)
    messages: int = 0
    dates: list[str] = field(default_factory=list)


def collect(options: SmsOptions, ctx: CollectContext) -> Iterator[CollectResult]:
    """Touchpoints for every distinct message; a bad row or file is a ``CollectionError``."""
    root = Path(options.path).expanduser()
    if not root.is_absolute():
        root = ctx.base_dir / root
    if not root.exists():
        yield CollectionError(source=options.path, channel="sms",
                              error=f"path does not exist: {root}; check `path` in "
                                    f"[[channels.sms]]")
        return
    patterns = [options.pattern] if isinstance(options.pattern, str) else options.pattern
    if root.is_file():
        files = [root]
    else:
        files = sorted(f for f in root.rglob("*") if f.is_file()
                       and any(fnmatch.fnmatch(f.name, p) for p in patterns)
                       and not any(p.startswith(".") for p in f.relative_to(root).parts))
        if not files:
            yield CollectionError(source=options.path, channel="sms",
                                  error=f"no SMS exports matching {patterns} in {root}")
            return
    for file in files:
        display = display_path(file, ctx.base_dir)
        try:
            text = decode_text(read_file(file, ctx.limits))
        except LimitError as exc:
            yield CollectionError(source=display, channel="sms", error=str(exc))
            continue
        except (OSError, ValueError) as exc:
            yield CollectionError(source=display, channel="sms",
                                  error=f"cannot read the export: {exc}")
            continue
        yield from read_export(text, display, options)


def read_export(text: str, source: str, options: SmsOptions) -> Iterator[CollectResult]:
    """Touchpoints and row errors of one CSV export; ``source`` names it in locators."""
    mask = mask_personal_data if options.mask_personal_data else (lambda value: value)
    header, rows = read_csv_records(text)
    if options.text_column not in header:
        yield CollectionError(source=f"{source}:1", channel="sms",
                              error=f"no {options.text_column!r} column (columns: "
                                    f"{', '.join(header) or 'none'}); set `text_column` in "
                                    f"[[channels.sms]]")
        return
    groups: dict[tuple[str, ...], _Group] = {}
    try:
        for line, row in rows:
            if isinstance(row, CsvRecordError):
                yield CollectionError(source=f"{source}:{line}", channel="sms", error=str(row))
                continue
            if row.get(None):
                yield CollectionError(
                    source=f"{source}:{line}", channel="sms",
                    error=f"line {line} has {len(header) + len(row[None])} fields, the header "
                          f"has {len(header)}; quote texts that contain the delimiter")
                continue
            raw_text = row.get(options.text_column)
            if raw_text is None:
                yield CollectionError(source=f"{source}:{line}", channel="sms",
                                      error=f"line {line} has no {options.text_column!r} field "
                                            f"(the row is shorter than the header)")
                continue
            if _cell(row, options.direction_column).casefold() in _INBOUND:
                continue  # the customer's message: never brand copy
            message = normalize_space(mask(raw_text))
            if not message:
                continue
            campaign = _cell(row, options.campaign_column) or options.campaign or ""
            sender = _cell(row, options.from_column)
            agent = _cell(row, options.agent_column)
            message_id = _cell(row, options.id_column) or f"line-{line}"
            key = (campaign, sender, agent, message) if options.group_identical else (
                str(line),)
            group = groups.get(key)
            if group is None:
                group = groups[key] = _Group(line, message_id, message, campaign, sender, agent)
            group.messages += 1
            recipient = _cell(row, options.to_column)
            if recipient:
                group.recipients.add(recipient)
            date = _cell(row, options.date_column)
            if date:
                group.dates.append(date)
    except csv.Error as exc:
        yield CollectionError(source=source, channel="sms", error=f"not valid CSV: {exc}")
    for group in groups.values():
        yield _touchpoint(group, source, options)


def _touchpoint(group: _Group, source: str, options: SmsOptions) -> Touchpoint:
    mask = mask_personal_data if options.mask_personal_data else (lambda value: value)
    metadata = {
        "campaign": group.campaign,
        "sender": group.sender,
        "agent_id": group.agent,
        "recipients": str(len(group.recipients)) if group.recipients else "",
        "messages": str(group.messages),
        "first_sent": min(group.dates) if group.dates else "",
        "last_sent": max(group.dates) if group.dates else "",
    }
    metadata = {k: mask(v) for k, v in metadata.items() if v}
    shown_id = mask(group.message_id)
    if shown_id != group.message_id:  # an id that was a phone number: use the line instead
        shown_id = f"line-{group.line}"
    title = metadata.get("campaign") or (
        group.text if len(group.text) <= TITLE_CHARS else group.text[:TITLE_CHARS] + "…")
    return Touchpoint(
        id=f"sms:{source}#{shown_id}",
        channel="sms",
        source=source,
        title=f"SMS: {title}",
        language=detect_language(group.text),
        blocks=(Block(group.text, "sms.message", Locator(source, line=group.line)),),
        captured_at=_date(min(group.dates)) if group.dates else None,
        metadata=metadata,
    )


def _cell(row: dict[str | None, Any], column: str) -> str:
    value = row.get(column)
    return value.strip() if isinstance(value, str) else ""


def _date(value: str) -> datetime | None:
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


KIND = ChannelKind(
    name="sms",
    options=SmsOptions,
    collect=collect,
    description="SMS exports (CSV): identical texts of a campaign are one touchpoint",
)
