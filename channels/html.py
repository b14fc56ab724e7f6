"""HTML copy extraction: one page in, its title, language, scoped copy blocks and links out.

Used by the web crawler for fetched pages and by the files channel for ``.html`` content files.
Copy inside site chrome (``nav``, the page-level ``header``/``footer``, cookie/consent banners) is
kept apart in ``Page.chrome_blocks`` so the crawler can report it once per site instead of once
per page.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

from bs4 import BeautifulSoup, Comment, NavigableString, Tag
from bs4.element import CData, Declaration, Doctype, ProcessingInstruction
from bs4.exceptions import ParserRejectedMarkup

from auditor.text import detect_language, normalize_space
from auditor.types import Block, Locator

# Never copy: code, styling, hidden templates, vector graphics, form option lists.
_SKIP = {
    "script", "style", "noscript", "template", "svg", "math", "iframe", "object", "embed",
    "canvas", "select", "datalist", "textarea", "head",
}
_HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
# Elements that start a new block of text; inline text around them is a separate block.
_BLOCK_LEVEL = _HEADINGS | {
    "address", "article", "aside", "blockquote", "body", "caption", "dd", "details", "dialog",
    "div", "dl", "dt", "fieldset", "figcaption", "figure", "footer", "form", "header", "hgroup",
    "hr", "html", "legend", "li", "main", "nav", "ol", "p", "pre", "section", "summary", "table",
    "tbody", "td", "tfoot", "th", "thead", "tr", "ul",
}
# Inside these, a <header>/<footer> belongs to the content, not to the site chrome
# (the HTML "banner"/"contentinfo" landmark rule).
_SECTIONING = {"article", "aside", "main", "section"}
_CHROME_ROLES = {"navigation", "banner", "contentinfo"}
_CHROME_MARKERS = ("cookie", "consent")
_CTA_CLASS = re.compile(r"btn|button|cta", re.IGNORECASE)
_SUBMIT_TYPES = {"submit", "button", "reset"}
_NOT_TEXT = (Comment, CData, Declaration, Doctype, ProcessingInstruction)
_HEAD_SCOPES = {"web.title", "web.meta.description", "web.og.description"}


@dataclass(frozen=True)
class Page:
    """What one HTML document says, split into main copy and site chrome."""

    url: str
    title: str
    language: str
    blocks: tuple[Block, ...]         # main copy, in document order
    chrome_blocks: tuple[Block, ...]  # nav, page header/footer, cookie banners
    links: tuple[str, ...]            # absolute http(s) hrefs, in document order, no repeats
    canonical: str | None = None
    #: ``<meta name="robots">`` directives, lower case (e.g. ``("noindex", "nofollow")``).
    robots: tuple[str, ...] = ()
    #: ``<script>`` elements in the document (an SPA shell has some and little copy).
    scripts: int = 0
    #: The copy was read from the DOM after a browser ran the page's scripts.
    rendered: bool = False

    @property
    def text(self) -> str:
        """The main copy as one string (used to recognise identical pages)."""
        return "\n".join(b.text for b in self.blocks)

    @property
    def body_chars(self) -> int:
        """Characters of copy a visitor sees in the body: main copy and chrome, no head tags."""
        return sum(len(b.text) for b in self.blocks + self.chrome_blocks
                   if b.scope not in _HEAD_SCOPES)


def extract_page(html: str, url: str, *, parser: str = "lxml") -> Page:
    """Parse ``html`` (fetched from or stored at ``url``) into a ``Page``.

    ``parser`` is a BeautifulSoup tree builder; ``"html.parser"`` records source line numbers,
    which the files channel puts in the locators (lxml does not report them).
    """
    try:
        soup = BeautifulSoup(html, parser)
    except ParserRejectedMarkup:
        # html.parser gives up on some broken markup (``<![DOCTYPE``) that lxml recovers
        # from; the page is still read, only without source line numbers.
        soup = BeautifulSoup(html, "lxml" if parser != "lxml" else "html.parser")
    _flatten_deep(soup)
    # One pass over the tree for every tag the page-level fields need (each find_all walks
    # the whole document; this keeps extraction cheap on large crawls).
    tags: dict[str, list[Tag]] = {}
    for tag in soup.find_all(["a", "area", "link", "meta", "script", "base"]):
        tags.setdefault(tag.name, []).append(tag)
    base = url
    base_tag = next((t for t in tags.get("base", ()) if t.has_attr("href")), None)
    if isinstance(base_tag, Tag):
        base = _join(url, str(base_tag["href"])) or url  # a broken <base> is ignored

    walker = _Walker(url)
    head_blocks = _head_blocks(soup, url, tags.get("meta", []))
    root = soup.body or soup
    walker.walk(root, chrome=False)

    blocks = tuple(b for _, b in sorted(head_blocks + walker.blocks, key=lambda item: item[0]))
    chrome = tuple(b for _, b in sorted(walker.chrome, key=lambda item: item[0]))

    title = next((b.text for b in blocks if b.scope == "web.title"), "")
    if not title:
        title = next((b.text for b in blocks if b.scope.startswith("web.heading")), "") or url

    return Page(
        url=url,
        title=title,
        language=_language(soup, blocks),
        blocks=blocks,
        chrome_blocks=chrome,
        links=_links(tags.get("a", []) + tags.get("area", []), base),
        canonical=_canonical(tags.get("link", []), base),
        robots=_robots_directives(tags.get("meta", [])),
        scripts=len(tags.get("script", [])),
    )


def _head_blocks(soup: BeautifulSoup, url: str, metas: list[Tag]) -> list[tuple[int, Block]]:
    found: list[tuple[int, Block]] = []
    title = soup.find("title")
    if isinstance(title, Tag):
        text = normalize_space(title.get_text(" "))
        if text:
            found.append((-3, Block(text, "web.title", _locator(url, title, "title"))))
    for order, (attr, name, scope) in enumerate((
        ("name", "description", "web.meta.description"),
        ("property", "og:description", "web.og.description"),
    )):
        meta = next((m for m in metas if str(m.get(attr, "")).strip().lower() == name), None)
        if isinstance(meta, Tag):
            text = normalize_space(str(meta.get("content") or ""))
            if text:
                css = f'meta[{attr}="{name}"]'
                found.append((order - 2, Block(text, scope, _locator(url, meta, css))))
    return found


class _Walker:
    """Walks the body once, collecting scoped blocks in document order."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.order = 0
        self.blocks: list[tuple[int, Block]] = []
        self.chrome: list[tuple[int, Block]] = []
        self.nth: dict[int, tuple[int, int]] = {}  # memo for css_path

    def emit(self, order: int, text: str, scope: str, el: Tag, chrome: bool) -> None:
        text = normalize_space(text)
        if not text:
            return
        block = Block(text, scope, _locator(self.url, el, css_path(el, self.nth)))
        (self.chrome if chrome else self.blocks).append((order, block))

    def walk(self, el: Tag, chrome: bool) -> None:
        """Emit ``el``'s own inline text runs under its scope, and recurse into block children."""
        scope = _text_scope(el)
        run: list[str] = []
        run_order: int | None = None

        def flush() -> None:
            nonlocal run, run_order
            if run_order is not None:
                self.emit(run_order, "".join(run), scope, el, chrome)
            run, run_order = [], None

        for child in el.children:
            self.order += 1
            if isinstance(child, NavigableString):
                if isinstance(child, _NOT_TEXT):
                    continue
                if run_order is None and str(child).strip():
                    run_order = self.order
                run.append(str(child))
                continue
            if not isinstance(child, Tag) or child.name in _SKIP or _hidden(child):
                continue
            child_chrome = chrome or _is_chrome(child)
            if _is_cta(child):
                self.emit(self.order, _cta_text(child), "web.cta", child, child_chrome)
                run.append(" ")
                continue
            if child.name == "img":
                self.emit(self.order, str(child.get("alt") or ""), "web.alt", child, child_chrome)
                continue
            if child.name == "br":
                run.append(" ")
                continue
            if child.name in _BLOCK_LEVEL:
                flush()
                self.walk(child, child_chrome)
                continue
            # Inline element (a, span, strong...): its text joins the current run, but blocks
            # nested in it (an <img>, a button, a stray <div>) are still found.
            if run_order is None and visible_text(child).strip():
                run_order = self.order
            run.append(self.inline_text(child, child_chrome))
        flush()

    def inline_text(self, el: Tag, chrome: bool) -> str:
        parts: list[str] = []
        for child in el.children:
            self.order += 1
            if isinstance(child, NavigableString):
                if not isinstance(child, _NOT_TEXT):
                    parts.append(str(child))
            elif isinstance(child, Tag) and child.name not in _SKIP and not _hidden(child):
                child_chrome = chrome or _is_chrome(child)
                if _is_cta(child):
                    self.emit(self.order, _cta_text(child), "web.cta", child, child_chrome)
                    parts.append(" ")
                elif child.name == "img":
                    alt = str(child.get("alt") or "")
                    self.emit(self.order, alt, "web.alt", child, child_chrome)
                elif child.name == "br":
                    parts.append(" ")
                elif child.name in _BLOCK_LEVEL:
                    self.walk(child, child_chrome)
                    parts.append(" ")
                else:
                    parts.append(self.inline_text(child, child_chrome))
        return "".join(parts)


#: Elements nested deeper than this have their subtree read as plain text. Real pages nest a
#: few dozen levels; a hostile one nests thousands, and the walk below recurses per level.
MAX_DEPTH = 120


def _flatten_deep(soup: BeautifulSoup) -> None:
    """Replace the children of every element at ``MAX_DEPTH`` with their text (iteratively,
    so a page nested 100,000 levels deep costs time, not Python's stack)."""
    stack: list[tuple[Tag, int]] = [(soup, 0)]
    while stack:
        el, depth = stack.pop()
        children = [c for c in el.contents if isinstance(c, Tag)]
        if not children:
            continue
        if depth >= MAX_DEPTH:
            text = el.get_text(" ")
            el.clear()
            el.append(text)
            continue
        stack.extend((c, depth + 1) for c in children)


def _text_scope(el: Tag) -> str:
    if el.name in _HEADINGS:
        return f"web.heading.{el.name}"
    if el.name == "li":
        return "web.list_item"
    return "web.paragraph"


def _hidden(el: Tag) -> bool:
    return el.has_attr("hidden") or str(el.get("aria-hidden", "")).lower() == "true"


def _classes(el: Tag) -> str:
    classes = el.get("class") or []
    if isinstance(classes, str):
        classes = [classes]
    return " ".join(classes)


def _is_chrome(el: Tag) -> bool:
    if el.name == "nav" or str(el.get("role", "")).lower() in _CHROME_ROLES:
        return True
    if el.name in ("header", "footer") and not any(
        p.name in _SECTIONING for p in el.parents if isinstance(p, Tag)
    ):
        return True
    marker = f"{el.get('id', '')} {_classes(el)}".lower()
    return any(m in marker for m in _CHROME_MARKERS)


def _is_cta(el: Tag) -> bool:
    if el.name == "button":
        return True
    if el.name == "input":
        return str(el.get("type", "")).lower() in _SUBMIT_TYPES
    if el.name == "a":
        return bool(_CTA_CLASS.search(_classes(el))) or el.get("role") == "button"
    return False


def _cta_text(el: Tag) -> str:
    if el.name == "input":
        return str(el.get("value") or "")
    text = normalize_space(visible_text(el))
    if text:
        return text
    # Icon buttons: what a screen reader would announce.
    img = el.find("img", alt=True)
    alt = str(img["alt"]) if isinstance(img, Tag) else ""
    return str(el.get("aria-label") or el.get("title") or alt)


def visible_text(el: Tag) -> str:
    """``el``'s text without scripts, styles, SVG and hidden elements."""
    parts: list[str] = []
    for child in el.children:
        if isinstance(child, Tag):
            if child.name not in _SKIP and not _hidden(child):
                parts.append(" " if child.name in _BLOCK_LEVEL or child.name == "br" else "")
                parts.append(visible_text(child))
        elif isinstance(child, NavigableString) and not isinstance(child, _NOT_TEXT):
            parts.append(str(child))
    return "".join(parts)


def _locator(url: str, el: Tag, css: str) -> Locator:
    line = getattr(el, "sourceline", None)
    pos = getattr(el, "sourcepos", None)
    return Locator(
        source=url,
        line=line,
        column=pos + 1 if line is not None and pos is not None else None,
        css=css,
    )


def css_path(el: Tag, memo: dict[int, tuple[int, int]] | None = None) -> str:
    """A short CSS path to ``el``, e.g. ``main > section:nth-of-type(2) > p:nth-of-type(1)``.

    It starts below ``<body>``, or at the nearest ancestor with an id (``#pricing > p``);
    ``:nth-of-type`` is added only where the parent has several children of the same tag.
    ``memo`` (one dict per document) saves counting siblings again for every element.
    """
    if memo is None:
        memo = {}
    parts: list[str] = []
    node: Tag | None = el
    while isinstance(node, Tag) and node.name not in ("body", "html", "[document]"):
        if node.get("id") and " " not in str(node["id"]):
            parts.append(f"{node.name}#{node['id']}")
            break
        parent = node.parent
        step = node.name
        if isinstance(parent, Tag):
            if id(node) not in memo:
                _count_children(parent, memo)
            index, total = memo[id(node)]
            if total > 1:
                step += f":nth-of-type({index})"
        parts.append(step)
        node = parent
    return " > ".join(reversed(parts)) or el.name


def _count_children(parent: Tag, memo: dict[int, tuple[int, int]]) -> None:
    """Record (position among same-name siblings, how many) for every child tag of parent."""
    children = [c for c in parent.children if isinstance(c, Tag)]
    totals: dict[str, int] = {}
    for child in children:
        totals[child.name] = totals.get(child.name, 0) + 1
    seen: dict[str, int] = {}
    for child in children:
        seen[child.name] = seen.get(child.name, 0) + 1
        memo[id(child)] = (seen[child.name], totals[child.name])


def _language(soup: BeautifulSoup, blocks: tuple[Block, ...]) -> str:
    html = soup.find("html")
    lang = str(html.get("lang") or html.get("xml:lang") or "") if isinstance(html, Tag) else ""
    primary = re.split(r"[-_]", lang.strip())[0].lower()
    if primary.isalpha():
        return primary
    return detect_language(" ".join(b.text for b in blocks))


def _links(anchors: list[Tag], base: str) -> tuple[str, ...]:
    seen: dict[str, None] = {}
    for a in anchors:
        href = str(a.get("href") or "").strip()
        if not href:
            continue
        absolute = _join(base, href)
        if absolute and urlsplit(absolute).scheme in ("http", "https"):
            seen.setdefault(absolute, None)
    return tuple(seen)


def _robots_directives(metas: list[Tag]) -> tuple[str, ...]:
    found: list[str] = []
    for meta in metas:
        if str(meta.get("name", "")).strip().lower() != "robots":
            continue
        for part in str(meta.get("content") or "").split(","):
            if part.strip():
                found.append(part.strip().lower())
    return tuple(found)


def _canonical(links: list[Tag], base: str) -> str | None:
    for link in links:
        if not link.has_attr("href"):
            continue
        rel = link.get("rel") or []
        rels = rel.split() if isinstance(rel, str) else rel
        if any(r.lower() == "canonical" for r in rels):
            return _join(base, str(link["href"]).strip())
    return None


def _join(base: str, href: str) -> str | None:
    """``href`` resolved against ``base``; ``None`` for a URL that cannot be parsed (e.g. a
    broken IPv6 literal like ``https://[host/``, which ``urllib`` refuses with ValueError)."""
    try:
        return urljoin(base, href)
    except ValueError:
        return None
