"""E-mail the brand sends: ``.eml`` files and ``.mbox`` archives, one touchpoint per message.

Each message becomes ``email:<path>`` (an ``.eml``) or ``email:<path>#<n>`` (the n-th message of
an mbox) with a ``email.subject`` block and its body copy. The body is the ``text/plain`` part
when there is one, else the ``text/html`` part read with the one HTML extractor
(``channels.html``: headings, paragraphs, buttons). Quoted replies (``>`` lines, "On ... wrote:",
"... пишет:", "-----Original Message-----", Outlook "From:/Sent:" blocks, ``blockquote`` and
``gmail_quote`` in HTML) and signatures (the ``-- `` delimiter, a closing "Best regards," or
"С уважением," and what follows, "Sent from my iPhone") are stripped: they are not the copy the
brand wrote for this message.

Metadata: ``from``, ``to``, ``recipients`` (how many), ``date``, ``subject`` and ``campaign``
(the ``X-Campaign`` header, or ``campaign`` from the config). With ``mask_personal_data`` (the
default) addresses, phone and card numbers in the copy and the metadata are masked
(``auditor.privacy``).
"""

from __future__ import annotations

import fnmatch
import mailbox
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import getaddresses
from pathlib import Path

from bs4 import BeautifulSoup

from auditor.privacy import mask_personal_data
from auditor.text import declared_language, detect_language, normalize_space
from auditor.types import Block, CollectionError, Locator, Touchpoint, display_path
from channels import ChannelKind, CollectContext, CollectResult
from channels.files import decode_text
from channels.html import extract_page
from channels.limits import LimitError, read_file

_HEADER_LINE = re.compile(r"^[\x21-\x39\x3b-\x7e]+:")
_QUOTE_INTRO = re.compile(
    r"(\bwrote|\bпишет|\bнаписал[аи]?|\bschrieb|\ba écrit)\s*:\s*$", re.IGNORECASE)
_ON_DATE = re.compile(r"^(on|le|am|\d{1,2}[./ ]|\w{2,3}, )", re.IGNORECASE)
_ORIGINAL = re.compile(
    r"^-{2,}\s*(original message|forwarded message|исходное сообщение|пересылаемое сообщение|"
    r"пересланное сообщение)\s*-{2,}\s*$", re.IGNORECASE)
_OUTLOOK_FROM = re.compile(r"^(from|от|de|von)\s*:", re.IGNORECASE)
_OUTLOOK_NEXT = re.compile(r"^(sent|date|to|subject|отправлено|дата|кому|тема)\s*:", re.IGNORECASE)
_SIGN_OFF = re.compile(
    r"^((best|kind|warm|warmest)\s+(regards|wishes)|regards|best|cheers|thanks|thank you|"
    r"many thanks|sincerely|yours( sincerely| truly)?|all the best|with (care|love|thanks)|"
    r"с уважением|с наилучшими пожеланиями|всего (доброго|хорошего)|спасибо|искренне ваш[аи]?|"
    r"с заботой( о вас)?)\s*[,.!]?\s*$", re.IGNORECASE)
_SENT_FROM = re.compile(r"^(sent from my|get outlook for|отправлено (с|из))", re.IGNORECASE)
# Signatures are short: a sign-off further up than this is part of the message.
_SIGNATURE_LINES = 6


@dataclass(frozen=True)
class EmailOptions:
    """``[[channels.email]]``: e-mail the brand sends, as ``.eml`` files or ``.mbox`` archives."""

    #: An ``.eml``/``.mbox`` file or a folder of them (walked recursively); relative to the
    #: config file.
    path: str
    #: Glob pattern(s) for file names in a folder; a file whose content starts with "From "
    #: is read as an mbox whatever its name.
    pattern: str | list[str] = field(default_factory=lambda: ["*.eml", "*.mbox"])
    #: Campaign name for messages without a campaign header.
    campaign: str | None = None
    #: The header naming a message's campaign.
    campaign_header: str = "X-Campaign"
    #: Only messages from these addresses or ``@domains`` are brand copy (e.g. a support
    #: mailbox export also holds customers' mail); empty: every message.
    senders: list[str] = field(default_factory=list)
    #: Replace e-mail addresses, phone and card numbers before anything is stored.
    mask_personal_data: bool = True


def collect(options: EmailOptions, ctx: CollectContext) -> Iterator[CollectResult]:
    """One touchpoint per message; an unreadable file or message is a ``CollectionError``."""
    root = Path(options.path).expanduser()
    if not root.is_absolute():
        root = ctx.base_dir / root
    if not root.exists():
        yield CollectionError(source=options.path, channel="email",
                              error=f"path does not exist: {root}; check `path` in "
                                    f"[[channels.email]]")
        return
    patterns = [options.pattern] if isinstance(options.pattern, str) else options.pattern
    if root.is_file():
        files = [root]
    else:
        files = sorted(f for f in root.rglob("*") if f.is_file()
                       and any(fnmatch.fnmatch(f.name, p) for p in patterns)
                       and not any(p.startswith(".") for p in f.relative_to(root).parts))
        if not files:
            yield CollectionError(source=options.path, channel="email",
                                  error=f"no e-mail files matching {patterns} in {root}")
            return
    for file in files:
        display = display_path(file, ctx.base_dir)
        try:
            data = read_file(file, ctx.limits)
        except LimitError as exc:
            yield CollectionError(source=display, channel="email", error=str(exc))
            continue
        except OSError as exc:
            yield CollectionError(source=display, channel="email",
                                  error=f"cannot read file: {exc.strerror or exc}")
            continue
        if data.startswith(b"From ") or file.suffix.lower() in (".mbox", ".mbx"):
            yield from _read_mbox(file, data, display, options)
        else:
            yield from _one(data, display, 1, None, options)


def _read_mbox(file: Path, data: bytes, display: str, options: EmailOptions
               ) -> Iterator[CollectResult]:
    if not data.lstrip().startswith(b"From "):
        first = data.lstrip().split(b"\n", 1)[0].decode("utf-8", "replace")
        yield CollectionError(source=f"{display}:1", channel="email",
                              error=f"not an mbox archive: the first line must start with "
                                    f"'From ' (got {first[:60]!r}); save single messages "
                                    f"as .eml")
        return
    # mailbox finds the messages; the "From " separator lines give each one's line number.
    lines = data.split(b"\n")
    starts = [n for n, line in enumerate(lines, 1)
              if line.startswith(b"From ") and (n == 1 or not lines[n - 2].strip())]
    box = mailbox.mbox(file, create=False)
    try:
        keys = list(box.keys())
        for ordinal, key in enumerate(keys, 1):
            line = starts[ordinal - 1] if len(starts) == len(keys) else None
            yield from _one(box.get_bytes(key), display, (line or 0) + 1, ordinal, options,
                            raw_offset=line)
    finally:
        box.close()


def _one(data: bytes, display: str, first_line: int, ordinal: int | None,
         options: EmailOptions, raw_offset: int | None = None) -> Iterator[CollectResult]:
    where = f"{display}:{raw_offset}" if raw_offset else display
    label = f"message {ordinal}: " if ordinal else ""
    # Errors quote the line they stumble on: mask it like the copy.
    mask = mask_personal_data if options.mask_personal_data else (lambda text: text)
    try:
        message = BytesParser(policy=policy.default).parsebytes(data)
        assert isinstance(message, EmailMessage)
        problem = _not_a_message(data, message)
        if problem:
            line, why = problem
            yield CollectionError(source=f"{display}:{first_line + line - 1}", channel="email",
                                  error=f"{label}{mask(why)}")
            return
        if options.senders and not _from_sender(message, options.senders):
            return  # a customer's message in a support mailbox: not brand copy
        yield _touchpoint(message, data, display, first_line, ordinal, options)
    except Exception as exc:  # one broken message must not stop the archive
        yield CollectionError(source=where, channel="email",
                              error=f"{label}could not read the message: "
                                    f"{type(exc).__name__}: {mask(str(exc))}")


def _not_a_message(data: bytes, message: EmailMessage) -> tuple[int, str] | None:
    """``(line within the message, why)`` when the bytes are not an e-mail message at all."""
    if any(message.get(h) for h in ("From", "To", "Subject", "Date")):
        return None
    for number, raw in enumerate(data.decode("utf-8", "replace").splitlines(), 1):
        if not raw.strip():
            break
        if not _HEADER_LINE.match(raw) and not raw[:1].isspace():
            return number, (f"not an e-mail message: line {number} is not a header "
                            f"({raw.strip()[:60]!r}); a message starts with headers such as "
                            f"From:, To:, Subject:, then a blank line and the body")
    return 1, "not an e-mail message: no From, To, Subject or Date header"


def _from_sender(message: EmailMessage, senders: list[str]) -> bool:
    addresses = [a.lower() for _, a in getaddresses([str(message.get("From", ""))])]
    for sender in senders:
        sender = sender.lower().strip()
        for address in addresses:
            if address == sender or (sender.startswith("@") and address.endswith(sender)):
                return True
    return False


def _touchpoint(message: EmailMessage, data: bytes, display: str, first_line: int,
                ordinal: int | None, options: EmailOptions) -> Touchpoint:
    mask = mask_personal_data if options.mask_personal_data else (lambda text: text)
    raw_lines = data.decode("utf-8", "replace").splitlines()
    subject = normalize_space(str(message.get("Subject", "")))
    blocks: list[Block] = []
    if subject:
        line = next((n for n, raw in enumerate(raw_lines, 1)
                     if raw.lower().startswith("subject:")), 1)
        blocks.append(Block(mask(subject), "email.subject",
                            Locator(display, line=first_line + line - 1)))
    body_line = next((n for n, raw in enumerate(raw_lines, 1) if not raw.strip()), 0) + 1
    finder = _LineFinder(raw_lines, body_line)
    for text, scope in body_paragraphs(message):
        line = finder.find(text) or body_line
        blocks.append(Block(mask(text), scope, Locator(display, line=first_line + line - 1)))

    campaign = str(message.get(options.campaign_header, "") or "").strip() or options.campaign
    recipients = [a for _, a in getaddresses([str(message.get(h, "")) for h in ("To", "Cc")])
                  if a]
    date = message.get("Date")
    when = getattr(date, "datetime", None) if date is not None else None
    metadata = {
        "from": str(message.get("From", "")),
        "to": ", ".join(recipients),
        "recipients": str(len(recipients)),
        "date": when.isoformat() if when else str(date or ""),
        "subject": subject,
    }
    if campaign:
        metadata["campaign"] = campaign
    metadata = {k: mask(v) for k, v in metadata.items() if v}
    language = declared_language(str(message.get("Content-Language", ""))) \
        or detect_language(" ".join(b.text for b in blocks))
    suffix = f"#{ordinal}" if ordinal else ""
    return Touchpoint(
        id=f"email:{display}{suffix}",
        channel="email",
        source=display,
        title=mask(subject) or "(no subject)",
        language=language,
        blocks=tuple(blocks),
        captured_at=when,
        metadata=metadata,
    )


def body_paragraphs(message: EmailMessage) -> list[tuple[str, str]]:
    """``(text, scope)`` of the copy in a message body, replies and signature stripped.

    ``text/plain`` is preferred when the message has both; HTML is read with the one HTML
    extractor, and its headings and buttons keep their own scopes (``email.heading``,
    ``email.cta``).
    """
    part = message.get_body(preferencelist=("plain", "html"))
    if part is None:
        return []
    content = _content(part)
    if part.get_content_subtype() == "html":
        return _html_paragraphs(content)
    lines = strip_reply_and_signature(content.splitlines())
    paragraphs: list[tuple[str, str]] = []
    current: list[str] = []
    for line in lines + [""]:
        if line.strip():
            current.append(line.strip())
        elif current:
            paragraphs.append((normalize_space(" ".join(current)), "email.body"))
            current = []
    return paragraphs


def _content(part: EmailMessage) -> str:
    charset = part.get_content_charset()
    payload = part.get_payload(decode=True)
    if charset in (None, "us-ascii") and isinstance(payload, bytes) and not payload.isascii():
        # 8-bit text with no charset declared (common in mbox exports): guess it as files do.
        try:
            return decode_text(payload)
        except ValueError:
            pass
    try:
        return str(part.get_content())
    except (LookupError, UnicodeError):  # an unknown or wrong charset: keep what decodes
        return payload.decode("utf-8", "replace") if isinstance(payload, bytes) else ""


def _html_paragraphs(html: str) -> list[tuple[str, str]]:
    soup = BeautifulSoup(html, "html.parser")
    # Quoted replies in HTML mail: Gmail, Apple Mail, Outlook, Yandex and Mail.ru all use
    # blockquote or a marked container; Outlook puts everything after its reply header.
    for node in soup.select("blockquote, div.gmail_quote, div.yahoo_quoted, #appendonsend"):
        node.decompose()
    marker = soup.select_one("#divRplyFwdMsg")
    if marker is not None:
        for sibling in list(marker.find_all_next()):
            sibling.decompose()
        marker.decompose()
    page = extract_page(str(soup), "email", positions=True)
    found = sorted(page.blocks + page.chrome_blocks,
                   key=lambda b: (b.locator.line or 0, b.locator.column or 0))
    paragraphs = []
    for block in found:
        kind = block.scope.split(".")[1] if block.scope.count(".") else "paragraph"
        if kind in ("title", "meta", "og"):
            continue  # <title> in a mail is the subject again
        scope = {"heading": "email.heading", "cta": "email.cta", "alt": "email.alt"}.get(
            kind, "email.body")
        paragraphs.append((block.text, scope))
    texts = strip_reply_and_signature([text for text, _ in paragraphs])
    kept, position = [], 0
    for text, scope in paragraphs:  # the kept texts, in order, with their scopes
        if position < len(texts) and text == texts[position]:
            kept.append((text, scope))
            position += 1
    return kept


def strip_reply_and_signature(lines: list[str]) -> list[str]:
    """``lines`` of a message body without the quoted reply and the signature.

    Cuts at the first reply marker (an "On ... wrote:" / "... пишет:" line, an "Original
    Message" rule, an Outlook ``From:`` + ``Sent:`` block) or the ``-- `` signature delimiter,
    drops ``>`` lines, then cuts at a closing sign-off ("Best regards,", "С уважением,") in the
    last few lines.
    """
    cut = len(lines)
    for index, raw in enumerate(lines):
        line = raw.strip()
        following = lines[index + 1].strip() if index + 1 < len(lines) else ""
        if raw.rstrip("\r\n") in ("-- ", "--") or _ORIGINAL.match(line):
            cut = index
        elif _QUOTE_INTRO.search(line):
            # "On Mon, 2 Nov 2026 at 10:00, Anna <anna@...>" may wrap onto a second line.
            cut = index - 1 if index and _ON_DATE.match(lines[index - 1].strip()) \
                and not lines[index - 1].strip().endswith((".", "!", "?")) else index
        elif _ON_DATE.match(line) and _QUOTE_INTRO.search(following):
            cut = index
        elif _OUTLOOK_FROM.match(line) and _OUTLOOK_NEXT.match(following):
            cut = index
        else:
            continue
        break
    kept = [line for line in lines[:cut] if not line.lstrip().startswith(">")]
    while kept and not kept[-1].strip():
        kept.pop()
    content = [n for n, line in enumerate(kept) if line.strip()]
    for n in content[-_SIGNATURE_LINES:]:
        line = kept[n].strip()
        if _SIGN_OFF.match(line) or _SENT_FROM.match(line):
            kept = kept[:n]
            break
    while kept and not kept[-1].strip():
        kept.pop()
    return kept


class _LineFinder:
    """Finds where a paragraph starts in the raw message, moving forward through the body."""

    def __init__(self, lines: list[str], start: int) -> None:
        self.lines = lines
        self.position = start - 1

    def find(self, text: str) -> int | None:
        probe = normalize_space(text)[:30]
        if not probe:
            return None
        for index in range(self.position, len(self.lines)):
            if probe[:20] in normalize_space(self.lines[index]):
                self.position = index + 1
                return index + 1
        return None  # encoded (base64, quoted-printable) or split by markup: the body line


KIND = ChannelKind(
    name="email",
    options=EmailOptions,
    collect=collect,
    description="E-mail (.eml, .mbox): subject and body copy, replies and signatures stripped",
)
