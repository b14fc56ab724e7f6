"""Content files as touchpoints: Markdown/MDX, HTML and plain text in a folder (content as code).

One file is one touchpoint (``files:<path>``). Every block carries the file path and the 1-based
line and column of its first character, so ``brand-audit check`` can print ``path:line:col``.
"""

from __future__ import annotations

import codecs
import fnmatch
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from markdown_it import MarkdownIt
from markdown_it.token import Token

from auditor.errors import InputError
from auditor.text import declared_language, detect_language, normalize_space, split_front_matter
from auditor.types import Block, CollectionError, Locator, Touchpoint, display_path
from channels import ChannelKind, CollectContext, CollectResult
from channels.limits import DEFAULT_LIMITS, LimitError, Limits, read_file

MARKDOWN_SUFFIXES = {".md", ".markdown", ".mdx"}
HTML_SUFFIXES = {".html", ".htm", ".xhtml"}


@dataclass(frozen=True)
class FilesOptions:
    """``[[channels.files]]``: local content files."""

    #: A file or a folder (walked recursively, in sorted order); relative to the config file.
    path: str
    #: Glob patterns for the files to read, matched against the file name or its path
    #: below ``path``.
    include: list[str] = field(default_factory=lambda: [
        "*.md", "*.markdown", "*.mdx", "*.html", "*.htm", "*.txt",
    ])
    #: Glob patterns for files or folders to leave out, e.g. ``"drafts/*"`` or ``"node_modules"``.
    exclude: list[str] = field(default_factory=list)


def collect(options: FilesOptions, ctx: CollectContext) -> Iterator[CollectResult]:
    """One touchpoint per matching file; a file that cannot be read is a ``CollectionError``."""
    root = Path(options.path).expanduser()
    if not root.is_absolute():
        root = ctx.base_dir / root
    if not root.exists():
        yield CollectionError(
            source=options.path,
            error=f"path does not exist: {root}; check `path` in [[channels.files]] "
                  f"(relative paths start at {ctx.base_dir})",
            channel="files",
        )
        return
    if root.is_file():
        files = [root]  # named explicitly: read it whatever its suffix
    else:
        files = list(_walk(root, options.include, options.exclude))
        if not files:
            yield CollectionError(
                source=options.path,
                error=f"no files in {root} match include={options.include} "
                      f"(exclude={options.exclude}); adjust the patterns",
                channel="files",
            )
            return
    for file in files:
        display = display_path(file, ctx.base_dir)
        try:
            touchpoint = read_content_file(file, display, ctx.limits)
            if touchpoint is not None:
                yield touchpoint
        except InputError as exc:
            yield CollectionError(source=display, error=exc.message, channel="files")
        except Exception as exc:  # one unparseable file must not end the run
            yield CollectionError(source=display, channel="files",
                                  error=f"could not parse the file: {type(exc).__name__}: {exc}")


def _walk(root: Path, include: list[str], exclude: list[str]) -> Iterator[Path]:
    for file in sorted(root.rglob("*")):
        rel = file.relative_to(root)
        # Hidden folders (.git, .github, .venv) hold tooling, not copy.
        if any(part.startswith(".") for part in rel.parts[:-1]) or not file.is_file():
            continue
        if _matches(rel, include) and not _matches(rel, exclude, folders=True):
            yield file


def _matches(rel: Path, patterns: list[str], *, folders: bool = False) -> bool:
    text = rel.as_posix()
    for pattern in patterns:
        if fnmatch.fnmatch(text, pattern) or fnmatch.fnmatch(rel.name, pattern):
            return True
        if folders and any(fnmatch.fnmatch(part, pattern.rstrip("/")) for part in rel.parts[:-1]):
            return True
        if folders and fnmatch.fnmatch(text, pattern.rstrip("/") + "/*"):
            return True
    return False


def read_content_file(path: Path, display: str, limits: Limits = DEFAULT_LIMITS
                      ) -> Touchpoint | None:
    """Read one Markdown, HTML or text file as a touchpoint with id ``files:<display>``;
    ``None`` for an HTML redirect page (an instant ``<meta http-equiv="refresh">``, as static
    site generators write for a moved page), whose copy no visitor sees.

    ``display`` is how the path is shown in locators and reports. Raises ``InputError`` naming
    the file when it is missing, unreadable, not text or over ``limits.max_file_bytes``.
    """
    try:
        data = read_file(path, limits)
    except LimitError as exc:
        raise InputError(str(exc), source=display) from None
    except FileNotFoundError:
        raise InputError("file does not exist", source=display) from None
    except IsADirectoryError:
        raise InputError("is a folder, not a file", source=display) from None
    except OSError as exc:
        raise InputError(f"cannot read file: {exc.strerror or exc}", source=display) from None
    try:
        text = decode_text(data)
    except ValueError as exc:
        raise InputError(str(exc), source=display, hint="brand-audit reads text files") from None

    suffix = path.suffix.lower()
    if suffix in HTML_SUFFIXES:
        # Imported here: a CI check of Markdown files needs no HTML parser.
        from channels.html import extract_page

        page = extract_page(text, display, positions=True)
        if page.redirect is not None:
            return None
        # A content file is all copy its author owns, navigation included.
        blocks = tuple(sorted(page.blocks + page.chrome_blocks,
                              key=lambda b: (b.locator.line or 0, b.locator.column or 0)))
        title, language = page.title, page.language
    else:
        front: dict[str, str] = {}
        if suffix in MARKDOWN_SUFFIXES:
            blocks, front = markdown_blocks(text, display, mdx=suffix == ".mdx")
        else:
            blocks = text_blocks(text, display)
        title = front.get("title") or next(
            (b.text for b in blocks if b.scope == "files.heading"), path.stem)
        language = declared_language(front.get("lang") or front.get("language")) \
            or detect_language(" ".join(b.text for b in blocks))
    return Touchpoint(
        id=f"files:{display}",
        channel="files",
        source=display,
        title=title,
        language=language,
        blocks=blocks,
        metadata={"path": display},
    )


def decode_text(data: bytes) -> str:
    """Bytes of a text file as ``str``: BOM, else UTF-8, else what charset-normalizer finds.

    Raises ``ValueError`` for bytes that are not text in any encoding (images, archives).
    """
    for bom, encoding in ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF32_LE, "utf-32"),
                          (codecs.BOM_UTF32_BE, "utf-32"), (codecs.BOM_UTF16_LE, "utf-16"),
                          (codecs.BOM_UTF16_BE, "utf-16")):
        if data.startswith(bom):
            return data.decode(encoding, errors="replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes  # rarely needed; slow to import

    best = from_bytes(data).best()
    if best is None:
        raise ValueError("not a text file: its bytes decode in no known encoding")
    return str(best)


# -- Markdown -------------------------------------------------------------------------------

_MARKDOWN = MarkdownIt("commonmark").enable(["table", "strikethrough"])
_TASK_BOX = re.compile(r"^\[[ xX]\]\s+")
_MDX_STATEMENT = re.compile(r"^(import|export)\s")
# The line breaks Markdown knows (str.splitlines also splits on \x0c, \u2028...).
_LINE_BREAK = re.compile(r"\r\n|\r|\n")


def markdown_blocks(text: str, source: str, *, mdx: bool = False
                    ) -> tuple[tuple[Block, ...], dict[str, str]]:
    """Blocks of a Markdown document and the simple string fields of its front matter.

    Front matter, fenced and indented code and HTML comments are skipped; inline markup is
    reduced to its visible text (``[text](url)`` -> ``text``).
    """
    lines = _LINE_BREAK.split(text)
    front, body_lines = split_front_matter(lines)
    if mdx:  # ESM statements are code, not copy
        body_lines = ["" if _MDX_STATEMENT.match(line) else line for line in body_lines]

    blocks: list[Block] = []
    containers: list[str] = []
    line_map: list[int] | None = None
    for token in _MARKDOWN.parse("\n".join(body_lines)):
        if token.map:
            line_map = token.map
        if token.nesting == 1:
            containers.append(token.type)
        elif token.nesting == -1 and containers:
            containers.pop()
        if token.type == "inline" and line_map is not None:
            scope = _markdown_scope(containers)
            _add_inline(blocks, token, scope, line_map[0], lines, source)
        elif token.type == "html_block" and token.map:
            _add_html_block(blocks, token, lines, source)
    # An image's alt text is found before the paragraph around it; put it back in reading order.
    blocks.sort(key=lambda b: (b.locator.line or 0, b.locator.column or 0))
    return tuple(blocks), front


def _markdown_scope(containers: list[str]) -> str:
    if "heading_open" in containers:
        return "files.heading"
    if "th_open" in containers or "td_open" in containers:
        return "files.table_cell"
    for container in reversed(containers):
        if container == "list_item_open":
            return "files.list_item"
        if container == "blockquote_open":
            return "files.blockquote"
    return "files.paragraph"


def _add_inline(blocks: list[Block], token: Token, scope: str, first: int,
                lines: list[str], source: str) -> None:
    parts: list[str] = []
    for child in token.children or []:
        if child.type in ("text", "code_inline"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append(" ")
        elif child.type == "image":
            alt = normalize_space(child.content)
            if alt:
                line, column = _position(lines, first, alt, alt)
                blocks.append(Block(alt, "files.alt", Locator(source, line, column)))
        # html_inline (tags, comments) and markup open/close tokens carry no visible text.
    text = normalize_space("".join(parts))
    if scope == "files.list_item":
        text = _TASK_BOX.sub("", text)
    if text:
        raw_first = token.content.split("\n", 1)[0].strip()
        line, column = _position(lines, first, raw_first, text)
        blocks.append(Block(text, scope, Locator(source, line, column)))


def _add_html_block(blocks: list[Block], token: Token, lines: list[str], source: str) -> None:
    if token.content.lstrip().startswith("<!--"):
        return
    from bs4 import BeautifulSoup

    text = normalize_space(BeautifulSoup(token.content, "html.parser").get_text(" "))
    if text:
        first = token.map[0] if token.map else 0
        line, column = _position(lines, first, text.split(" ", 1)[0], text)
        blocks.append(Block(text, "files.paragraph", Locator(source, line, column)))


def _position(lines: list[str], index: int, raw: str, text: str) -> tuple[int, int]:
    """1-based line and column of the first visible character of ``text``.

    ``raw`` is the block's first source line without container markers; the column of
    ``text[0]`` is searched from there so leading ``**`` or ``[`` is stepped over.
    """
    # The block may start on a later line than the token map says (e.g. after a blank
    # blockquote line); look a few lines ahead.
    for offset in range(0, 4):
        if index + offset >= len(lines):
            break
        line = lines[index + offset]
        start = line.find(raw) if raw else -1
        if start < 0:
            continue
        visible = line.find(text[0], start)
        if 0 <= visible - start <= 3:
            start = visible
        return index + offset + 1, start + 1
    line = lines[index] if index < len(lines) else ""
    return index + 1, len(line) - len(line.lstrip()) + 1


# -- Plain text -----------------------------------------------------------------------------

def text_blocks(text: str, source: str) -> tuple[Block, ...]:
    """Paragraphs (runs of non-blank lines) of a plain-text file, lines joined."""
    blocks: list[Block] = []
    start: tuple[int, int] | None = None
    current: list[str] = []
    for number, line in enumerate(_LINE_BREAK.split(text) + [""], 1):
        if line.strip():
            if start is None:
                start = (number, len(line) - len(line.lstrip()) + 1)
            current.append(line)
        elif start is not None:
            blocks.append(Block(normalize_space(" ".join(current)), "files.paragraph",
                                Locator(source, start[0], start[1])))
            start, current = None, []
    return tuple(blocks)


KIND = ChannelKind(
    name="files",
    options=FilesOptions,
    collect=collect,
    description="Markdown, MDX, HTML and text files in a folder (content as code)",
)
