"""HTML copy extraction: one page in, its title, language, scoped copy blocks and links out.

Used by the web crawler for fetched pages, by the files channel for ``.html`` content files and
by the e-mail channel for HTML mail. Copy inside site chrome (``nav``, the page-level
``header``/``footer``, cookie/consent banners) is kept apart in ``Page.chrome_blocks`` so the
crawler can report it once per site instead of once per page.

The page is parsed by lxml (libxml2's HTML parser, the C tree walked from Python): a crawl
reads hundreds of pages a second, and building a Python object per node cost most of that
time. With ``positions=True`` every locator also carries the line and column of its element's
start tag, found by the standard library's ``html.parser`` tokenizer (libxml2 only records
lines, and the line where a start tag *ends*).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from urllib.parse import urldefrag, urljoin, urlsplit

from lxml import etree

from auditor.text import declared_language, detect_language, normalize_space
from auditor.types import Block, Locator

# Never copy: code, styling, hidden templates, vector graphics, form option lists.
_SKIP = frozenset({
    "script", "style", "noscript", "template", "svg", "math", "iframe", "object", "embed",
    "canvas", "select", "datalist", "textarea", "head",
})
_HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
# Elements that start a new block of text; inline text around them is a separate block.
_BLOCK_LEVEL = _HEADINGS | {
    "address", "article", "aside", "blockquote", "body", "caption", "dd", "details", "dialog",
    "div", "dl", "dt", "fieldset", "figcaption", "figure", "footer", "form", "header", "hgroup",
    "hr", "html", "legend", "li", "main", "nav", "ol", "p", "pre", "section", "summary", "table",
    "tbody", "td", "tfoot", "th", "thead", "tr", "ul",
}
_SCOPES = {**{h: f"web.heading.{h}" for h in _HEADINGS}, "li": "web.list_item"}
# Inside these, a <header>/<footer> belongs to the content, not to the site chrome
# (the HTML "banner"/"contentinfo" landmark rule).
_SECTIONING = frozenset({"article", "aside", "main", "section"})
_CHROME_ROLES = frozenset({"navigation", "banner", "contentinfo"})
_CHROME_MARKER = re.compile("cookie|consent")  # in an id or class, lower case
_CTA_CLASS = re.compile(r"btn|button|cta", re.IGNORECASE)
_SUBMIT_TYPES = frozenset({"submit", "button", "reset"})
#: Scopes of what a page's head says (its title and descriptions), not its body.
HEAD_SCOPES = frozenset({"web.title", "web.meta.description", "web.og.description"})
_PAGE_TAGS = ("a", "area", "link", "meta", "script", "base")
# Text inside these is not the text of the element around them (a title's or a flattened
# subtree's text leaves it out): the string kinds of the HTML model copy extraction follows.
_TEXT_CONTAINERS = frozenset({"rt", "rp", "style", "script", "template"})
_LEAVES = frozenset({"button", "input", "a", "img", "br"})  # elements _Walker.leaf may take


@dataclass(frozen=True)
class Page:
    """What one HTML document says, split into main copy and site chrome."""

    url: str
    title: str
    language: str
    blocks: tuple[Block, ...]         # main copy, in document order
    chrome_blocks: tuple[Block, ...]  # nav, page header/footer, cookie banners
    #: Absolute http(s) hrefs of links, image-map areas and ``<link>`` elements to more pages
    #: (``_page_links``), in that order, no repeats.
    links: tuple[str, ...]
    canonical: str | None = None
    #: ``<meta name="robots">`` directives, lower case (e.g. ``("noindex", "nofollow")``).
    robots: tuple[str, ...] = ()
    #: ``<script>`` elements in the document (an SPA shell has some and little copy).
    scripts: int = 0
    #: The copy was read from the DOM after a browser ran the page's scripts.
    rendered: bool = False
    #: ``<meta http-equiv="refresh">``: seconds until the browser goes on, and to which URL
    #: (absolute; the page's own URL when the refresh only reloads it).
    refresh: tuple[float, str] | None = None

    @property
    def redirect(self) -> str | None:
        """Where an instant refresh (0 seconds) sends visitors instead of showing this page,
        as static sites' redirect pages do (Hugo aliases, jekyll-redirect-from)."""
        if self.refresh is None or self.refresh[0] > 0:
            return None
        if urldefrag(self.refresh[1]).url == urldefrag(self.url).url:
            return None  # it only reloads this page (perhaps at an anchor)
        return self.refresh[1]

    @property
    def text(self) -> str:
        """The main copy as one string (used to recognise identical pages)."""
        return "\n".join(b.text for b in self.blocks)

    @property
    def body_chars(self) -> int:
        """Characters of copy a visitor sees in the body: main copy and chrome, no head tags."""
        return sum(len(b.text) for b in self.blocks + self.chrome_blocks
                   if b.scope not in HEAD_SCOPES)


def extract_page(html: str, url: str, *, positions: bool = False) -> Page:
    """Parse ``html`` (fetched from or stored at ``url``) into a ``Page``.

    With ``positions`` each block's locator has the source line and column of its element
    (the files and e-mail channels point at ``path:line:col``); a crawl does not need them.
    """
    tops, where = _parse(html, positions)
    if not tops:  # nothing but white space, comments or a doctype
        return Page(url=url, title=url, language=detect_language(""), blocks=(),
                    chrome_blocks=(), links=())
    # One pass over the tree for every tag the page-level fields need.
    tags: dict[str, list[etree._Element]] = {}
    for top in tops:
        for tag in top.iter(_PAGE_TAGS):
            tags.setdefault(tag.tag, []).append(tag)
    base = url
    base_tag = next((t for t in tags.get("base", ()) if t.get("href") is not None), None)
    if base_tag is not None:
        base = _join(url, base_tag.get("href", "")) or url  # a broken <base> is ignored

    walker = _Walker(url, where)
    head_blocks = _head_blocks(tops, url, tags.get("meta", []), where)
    body = _first(tops, "body")
    if body is not None:
        walker.walk_body(body)
    else:
        walker.walk_document(tops)

    blocks = tuple(b for _, b in sorted(head_blocks + walker.blocks, key=lambda item: item[0]))
    chrome = tuple(b for _, b in sorted(walker.chrome, key=lambda item: item[0]))

    title = next((b.text for b in blocks if b.scope == "web.title"), "")
    if not title:
        title = next((b.text for b in blocks if b.scope.startswith("web.heading")), "") or url

    return Page(
        url=url,
        title=title,
        language=_language(tops, blocks),
        blocks=blocks,
        chrome_blocks=chrome,
        links=_links(tags.get("a", []) + tags.get("area", []) + _page_links(tags.get("link", [])),
                     base),
        canonical=_canonical(tags.get("link", []), base),
        robots=_robots_directives(tags.get("meta", [])),
        scripts=len(tags.get("script", [])),
        refresh=_refresh(tags.get("meta", []), url, base),
    )


def _first(tops: list[etree._Element], name: str) -> etree._Element | None:
    """The first ``name`` element of the document."""
    return next((el for top in tops for el in top.iter(name)), None)


# -- Parsing --------------------------------------------------------------------------------

#: Elements nested deeper than this have their subtree read as plain text. Real pages nest a
#: few dozen levels; a hostile one nests thousands, and the walk below recurses per level.
MAX_DEPTH = 120
# Elements MAX_DEPTH levels down (a top-level <html> is level 1).
_AT_MAX_DEPTH = etree.XPath("/".join(["*"] * (MAX_DEPTH - 1)))
_DOCUMENT = "brand-audit-document"
# Characters lxml refuses in the text of a tree it builds (libxml2 keeps them in its own).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
# ... and in its element names (the HTML tokenizer lets ``<l<table>`` name an element).
_NOT_A_NAME = re.compile("[\x00-\x20&<>/\"'{}\ufffe\uffff]")


def _parse(html: str, positions: bool,
           ) -> tuple[list[etree._Element], dict[etree._Element, tuple[int, int]] | None]:
    """The document's top-level elements and (with ``positions``) where each element's start
    tag is in ``html``.

    A page has one ``<html>`` element, or more: text after ``</html>`` opens another, whose
    links and scripts count but whose copy is not the page body's. A page nested
    ``MAX_DEPTH`` levels deep or more is read again through ``_FlatTree``.
    """
    source = html
    if html.startswith("\ufeff"):
        html = html[1:]  # a byte order mark left in the text is not copy
    root, _ = _feed(html, deep=False)
    if root is None:
        return [], None
    tops = [root, *(s for s in root.itersiblings() if _is_element(s))]
    elements: Iterable[tuple[str, etree._Element | None, int | None]]
    if any(_AT_MAX_DEPTH(top) for top in tops):
        document, flat = _feed(html, deep=True)
        assert document is not None and flat is not None
        tops = [child for child in document if _is_element(child)]
        elements = ((name, el, None) for name, el in flat.elements)
    else:
        elements = ((el.tag, el, el.sourceline) for top in tops for el in top.iter()
                    if _is_element(el))
    return tops, _source_positions(source, elements) if positions else None


def _feed(html: str, *, deep: bool) -> tuple[etree._Element | None, _FlatTree | None]:
    """libxml2's tree of ``html`` (``deep``: the document element a ``_FlatTree`` built, and
    that target); the text is given to lxml again as UTF-8 bytes if it refuses the string."""
    for markup, encoding in ((html, None), (html.encode("utf-8"), "utf-8")):
        # A parser per document: it costs half a microsecond and is never shared by threads.
        target = _FlatTree() if deep else None
        parser = etree.HTMLParser(recover=True, encoding=encoding, huge_tree=True,
                                  target=target)
        try:
            parser.feed(markup)
            return parser.close(), target
        except (UnicodeDecodeError, LookupError, etree.ParserError):
            if encoding:
                raise
    return None, None


class _FlatTree:
    """Parser target for pages nested ``MAX_DEPTH`` levels or more: the tree built from the
    parser's events, with the children of each element ``MAX_DEPTH`` levels down replaced by
    their text, all under one element of its own.

    libxml2's own trees stop at 2,048 levels and silently drop the rest of the page; this one
    has no such limit, so copy after a deep part is still read, and no deep tree is ever
    built. lxml refuses control characters in the text of the trees it builds (here they
    become U+FFFD) and some characters in element names (here ``_``).
    """

    def __init__(self) -> None:
        # Names are checked the lenient HTML way (``xml:lang``, ``a:b`` are fine).
        self.builder = etree.TreeBuilder(parser=etree.HTMLParser())
        self.builder.start(_DOCUMENT, {})
        #: (name, text kind, element built or None) of the open elements.
        self.open: list[tuple[str, str | None, etree._Element | None]] = []
        #: Every element in document order: (name, element, or None for one flattened away).
        self.elements: list[tuple[str, etree._Element | None]] = []
        self.flat: etree._Element | None = None  # the open element MAX_DEPTH levels down
        self.wanted: str | None = None  # the text kind its text is made of (see _get_text)
        self.nested = False  # it has child elements: its text replaces them when it ends
        self.parts: list[str] = []
        self.run: list[str] = []  # consecutive text events: one string
        self.run_kind: str | None = None

    def start(self, tag: str, attrib: dict[str, str]) -> None:
        if self.run:
            self._end_run()
        depth = len(self.open) + 1
        kind = tag if tag in _TEXT_CONTAINERS else (self.open[-1][1] if self.open else None)
        if depth > MAX_DEPTH:
            self.open.append((tag, kind, None))
            self.nested = True
            self.elements.append((tag, None))
            return
        el = self.builder.start(_NOT_A_NAME.sub("_", tag),
                                {_NOT_A_NAME.sub("_", k): _NOT_XML.sub("\ufffd", v)
                                 for k, v in attrib.items()})
        self.open.append((tag, kind, el))
        self.elements.append((tag, el))
        if depth == MAX_DEPTH:
            self.flat, self.nested, self.parts = el, False, []
            self.wanted = tag if tag in _TEXT_CONTAINERS else None

    def data(self, data: str) -> None:
        if self.flat is not None:
            kind = self.open[-1][1] if self.open else None
            if self.run and kind != self.run_kind:
                self._end_run()
            self.run.append(data)
            self.run_kind = kind
        if self.flat is None or not self.nested:
            self.builder.data(_NOT_XML.sub("\ufffd", data))

    # Comments, a doctype and processing instructions are not copy (and lxml refuses some
    # comments, e.g. with "--"), but each ends a string of text.
    def comment(self, text: str) -> None:
        self._end_run()

    def doctype(self, *declaration: object) -> None:
        self._end_run()

    def pi(self, target: str, data: str | None = None) -> None:
        self._end_run()

    def end(self, tag: str) -> None:
        if self.run:
            self._end_run()
        # Like a tree builder that closes back to the last open element of that name (most
        # often the innermost one).
        innermost = self.open[-1][0] if self.open else None
        if innermost != tag and all(name != tag for name, _, _ in self.open):
            return
        while self.open:
            name, _, el = self.open.pop()
            if el is not None:  # None: below MAX_DEPTH, never built
                self._close(el, len(self.open) + 1)
            if name == tag:
                break

    def close(self) -> etree._Element:
        self._end_run()
        while self.open:
            _, _, el = self.open.pop()
            if el is not None:
                self._close(el, len(self.open) + 1)
        self.builder.end(_DOCUMENT)
        return self.builder.close()

    def _close(self, el: etree._Element, depth: int) -> None:
        self.builder.end(el.tag)
        if depth == MAX_DEPTH:
            if self.nested:
                del el[:]
                el.text = _NOT_XML.sub("\ufffd", " ".join(self.parts))
            self.flat = None

    def _end_run(self) -> None:
        if self.run:
            if self.run_kind == self.wanted:
                self.parts.append("".join(self.run))
            self.run = []


def _is_element(node: etree._Element) -> bool:
    return isinstance(node.tag, str)


def _get_text(el: etree._Element, separator: str) -> str:
    """The text of ``el``'s subtree joined by ``separator``: no comments, and of a normal
    element no text inside ``script``/``style``/``template``/``rt``/``rp`` (of one of those,
    only the text inside the same kind of element)."""
    def kind(name: object) -> str | None:
        return name if name in _TEXT_CONTAINERS else None

    context = next((kind(a.tag) for a in el.iterancestors() if kind(a.tag)), None)
    wanted = kind(el.tag)
    parts: list[str] = []
    # Iterative (a flattened subtree may be thousands of levels deep): a stack of elements to
    # read and texts to take, each with the kind of element it is inside.
    todo: list[tuple[etree._Element | str, str | None]] = [(el, wanted or context)]
    while todo:
        item, inside = todo.pop()
        if isinstance(item, str):
            if inside == wanted:
                parts.append(item)
            continue
        if item.text is not None and inside == wanted:
            parts.append(item.text)
        for child in reversed(item):
            if child.tail is not None:
                todo.append((child.tail, inside))
            if _is_element(child):
                todo.append((child, kind(child.tag) or inside))
    return separator.join(parts)


# -- Source positions -----------------------------------------------------------------------

class _StartTags(HTMLParser):
    """Every start tag with its line and column, as Python's tokenizer reads the source."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        #: (tag name, line, column from 0, line of the tag's closing ``>``)
        self.found: list[tuple[str, int, int, int]] = []

    def handle_starttag(self, tag: str, attrs: object) -> None:
        line, column = self.getpos()
        text = self.get_starttag_text() or ""
        self.found.append((tag, line, column, line + text.count("\n")))

    handle_startendtag = handle_starttag


def _source_positions(html: str,
                      elements: Iterable[tuple[str, etree._Element | None, int | None]],
                      ) -> dict[etree._Element, tuple[int, int]]:
    """``(line, column from 1)`` of each element's start tag in ``html``.

    ``elements`` are (name, element, line its start tag ends on) in document order (element
    ``None``: one left out of the tree, which still takes its start tag; line ``None``: not
    known). libxml2 knows the line each element's start tag ends on; Python's tokenizer knows
    where each start tag begins. An element is matched to the next unmatched start tag of its
    name ending on its line. Elements the parser implied (an ``<html>`` or ``<body>`` the
    source leaves out) have no start tag and no position.
    """
    scanner = _StartTags()
    try:
        scanner.feed(html)
        scanner.close()
    except AssertionError:
        return {}  # the tokenizer gives up on some broken declarations (``<![DOCTYPE``)
    by_name: dict[str, list[tuple[int, int, int, int]]] = {}
    for index, (name, line, column, end) in enumerate(scanner.found):
        by_name.setdefault(name, []).append((index, line, column, end))
    next_of: dict[str, int] = {}  # name -> first candidate in its list not yet passed over
    found: dict[etree._Element, tuple[int, int]] = {}
    after = -1  # the start tag matched last: elements and start tags are both in order
    for name, el, line in elements:
        candidates = by_name.get(name)
        if candidates is None:
            continue
        k = next_of.get(name, 0)
        # Lines only grow in document order: a start tag ending above this element's line, or
        # before the last match, belongs to no later element either.
        while k < len(candidates) and (candidates[k][0] <= after
                                       or (line is not None and candidates[k][3] < line)):
            k += 1
        next_of[name] = k
        if k == len(candidates):
            continue
        index, tag_line, column, end = candidates[k]
        # libxml2 stores lines in 16 bits: from line 65,535 on, it says 65,535. (Before 2.14
        # it gave the line a start tag begins on.)
        if line is None or tag_line <= line <= end or line == 65535:
            if el is not None:
                found[el] = (tag_line, column + 1)
            next_of[name] = k + 1
            after = index
    return found


# -- Walking the body -----------------------------------------------------------------------

def _head_blocks(tops: list[etree._Element], url: str, metas: list[etree._Element],
                 where: dict[etree._Element, tuple[int, int]] | None,
                 ) -> list[tuple[int, Block]]:
    found: list[tuple[int, Block]] = []
    title = _first(tops, "title")
    if title is not None:
        text = normalize_space(_get_text(title, " "))
        if text:
            found.append((-3, Block(text, "web.title", _locator(url, title, "title", where))))
    for order, (attr, name, scope) in enumerate((
        ("name", "description", "web.meta.description"),
        ("property", "og:description", "web.og.description"),
    )):
        meta = next((m for m in metas if m.get(attr, "").strip().lower() == name), None)
        if meta is not None:
            text = normalize_space(meta.get("content") or "")
            if text:
                css = f'meta[{attr}="{name}"]'
                found.append((order - 2, Block(text, scope, _locator(url, meta, css, where))))
    return found


class _Walker:
    """Walks the body once, collecting scoped blocks in document order.

    What an element's ancestors decide about it is carried down the walk instead of looked
    up again for every element: whether it is site chrome, whether it is inside a sectioning
    element (where a ``<header>``/``<footer>`` is content), and its CSS path.

    A CSS path is short, e.g. ``main > section:nth-of-type(2) > p:nth-of-type(1)``: it starts
    below ``<body>``, or at the nearest ancestor with an id (``section#pricing > p``);
    ``:nth-of-type`` is added only where the parent has several children of the same tag.
    """

    def __init__(self, url: str, where: dict[etree._Element, tuple[int, int]] | None) -> None:
        self.url = url
        self.where = where
        self.order = 0
        self.blocks: list[tuple[int, Block]] = []
        self.chrome: list[tuple[int, Block]] = []

    def emit(self, order: int, text: str, scope: str, el: etree._Element, path: str,
             chrome: bool) -> None:
        text = normalize_space(text)
        if not text:
            return
        # <body> itself (and <html>) has an empty path: its locator names its tag.
        block = Block(text, scope, _locator(self.url, el, path or el.tag, self.where))
        (self.chrome if chrome else self.blocks).append((order, block))

    def walk_body(self, body: etree._Element) -> None:
        """``<body>`` and everything in it."""
        self.walk(body, _css_path(body), chrome=False, sectioned=_in_sectioning(body))

    def walk_document(self, tops: list[etree._Element]) -> None:
        """A document without ``<body>`` (a head only): its top-level elements."""
        for top in tops:
            self.order += 1
            name = top.tag
            if name not in _SKIP and not _hidden(top, top.keys()):
                sectioned = _in_sectioning(top)
                self.walk(top, _css_path(top), _is_chrome(top, name, top.keys(), sectioned),
                          sectioned)

    def walk(self, el: etree._Element, path: str, chrome: bool, sectioned: bool) -> None:
        """Emit ``el``'s own inline text runs under its scope, and recurse into block children.

        ``path`` is ``el``'s CSS path, ``chrome`` whether it is site chrome, ``sectioned``
        whether an ancestor is a sectioning element. Text is ``el.text`` and each child's
        ``tail``; ``self.order`` counts every text, element and comment, so blocks found out
        of order (a button inside a paragraph) sort back.
        """
        tag = el.tag
        scope = _SCOPES.get(tag, "web.paragraph")
        sectioned = sectioned or tag in _SECTIONING  # for the children
        run: list[str] = []
        run_order: int | None = None
        text = el.text
        if text is not None:
            self.order += 1
            if text.strip():
                run_order = self.order
            run.append(text)
        for child, shown in self.children(el, path, chrome, sectioned):
            if shown is not None:
                name, child_path, child_chrome, leaf = shown
                if leaf is not None:
                    run.append(leaf)
                elif name in _BLOCK_LEVEL:
                    if run_order is not None:
                        self.emit(run_order, "".join(run), scope, el, path, chrome)
                    run, run_order = [], None
                    self.walk(child, child_path, child_chrome, sectioned)
                else:
                    # Inline element (a, span, strong...): its text joins the current run, but
                    # blocks nested in it (an <img>, a button, a stray <div>) are still found.
                    if run_order is None and _has_visible_text(child):
                        run_order = self.order
                    self.inline_text(child, run, child_path, child_chrome, sectioned)
            tail = child.tail
            if tail is not None:
                self.order += 1
                if run_order is None and tail.strip():
                    run_order = self.order
                run.append(tail)
        if run_order is not None:
            self.emit(run_order, "".join(run), scope, el, path, chrome)

    def children(self, el: etree._Element, path: str, chrome: bool, sectioned: bool
                 ) -> Iterator[tuple[etree._Element, tuple[str, str, bool, str | None] | None]]:
        """Each child of ``el``, counted in ``self.order``, with ``(tag, CSS path, chrome,
        leaf)`` when visitors see it (``leaf``: what a button, image or line break leaves in
        the text, its own block emitted), else ``None`` (a comment, a script, hidden)."""
        totals = _tag_counts(el) if len(el) > 1 else {}
        seen: dict[str, int] = {}
        for child in el:
            self.order += 1
            name = child.tag
            shown = None
            if isinstance(name, str):
                seen[name] = index = seen.get(name, 0) + 1
                # Its attributes' names: looking up an attribute an element lacks costs as
                # much as reading one, and most elements have none of those asked about.
                attributes = child.keys()
                if name not in _SKIP and not _hidden(child, attributes):
                    child_path = _css_step(child, name, attributes, path, index,
                                           totals.get(name, 1))
                    child_chrome = chrome or _is_chrome(child, name, attributes, sectioned)
                    leaf = (self.leaf(child, name, child_path, child_chrome)
                            if name in _LEAVES else None)
                    shown = (name, child_path, child_chrome, leaf)
            yield child, shown

    def leaf(self, el: etree._Element, name: str, path: str, chrome: bool) -> str | None:
        """A button, an image or a line break (``name`` is ``el``'s tag): emitted as its own
        block (buttons, alt text) and what it leaves in the surrounding text; None for any
        other element."""
        if _is_cta(el, name):
            self.emit(self.order, _cta_text(el), "web.cta", el, path, chrome)
            return " "
        if name == "img":
            self.emit(self.order, el.get("alt") or "", "web.alt", el, path, chrome)
            return ""
        if name == "br":
            return " "
        return None

    def inline_text(self, el: etree._Element, parts: list[str], path: str, chrome: bool,
                    sectioned: bool) -> None:
        """Add the text of inline element ``el`` to the run ``parts``, emitting the blocks
        nested in it."""
        # An inline element is never a sectioning one: its children have its ``sectioned``.
        text = el.text
        if text is not None:
            self.order += 1
            parts.append(text)
        for child, shown in self.children(el, path, chrome, sectioned):
            if shown is not None:
                name, child_path, child_chrome, leaf = shown
                if leaf is not None:
                    parts.append(leaf)
                elif name in _BLOCK_LEVEL:
                    self.walk(child, child_path, child_chrome, sectioned)
                    parts.append(" ")
                else:
                    self.inline_text(child, parts, child_path, child_chrome, sectioned)
            tail = child.tail
            if tail is not None:
                self.order += 1
                parts.append(tail)


def _hidden(el: etree._Element, attributes: list[str]) -> bool:
    """Whether ``el`` (``attributes``: the names of its attributes) is hidden from visitors."""
    if "hidden" in attributes:
        return True
    return "aria-hidden" in attributes and el.get("aria-hidden", "").lower() == "true"


def _in_sectioning(el: etree._Element) -> bool:
    """Whether an ancestor of ``el`` is an article, aside, main or section."""
    return any(a.tag in _SECTIONING for a in el.iterancestors())


def _is_chrome(el: etree._Element, name: str, attributes: list[str], sectioned: bool) -> bool:
    """Whether ``el`` (tag ``name``, ``attributes`` the names of its attributes; ``sectioned``:
    inside an article, aside, main or section) starts site chrome."""
    if name == "nav":
        return True
    role = el.get("role") if "role" in attributes else None
    if role and role.lower() in _CHROME_ROLES:
        return True
    if name in ("header", "footer") and not sectioned:
        return True
    ident = el.get("id") if "id" in attributes else None
    classes = el.get("class") if "class" in attributes else None
    if not (ident or classes):
        return False
    return _CHROME_MARKER.search(f"{ident or ''} {classes or ''}".lower()) is not None


def _is_cta(el: etree._Element, name: str) -> bool:
    if name == "button":
        return True
    if name == "input":
        return el.get("type", "").lower() in _SUBMIT_TYPES
    if name == "a":
        classes = el.get("class")
        return bool(classes and _CTA_CLASS.search(classes)) or el.get("role") == "button"
    return False


def _cta_text(el: etree._Element) -> str:
    if el.tag == "input":
        return el.get("value") or ""
    text = normalize_space(visible_text(el))
    if text:
        return text
    # Icon buttons: what a screen reader would announce.
    img = next((i for i in el.iter("img") if i.get("alt") is not None), None)
    alt = img.get("alt", "") if img is not None else ""
    return el.get("aria-label") or el.get("title") or alt


def visible_text(el: etree._Element) -> str:
    """``el``'s text without scripts, styles, SVG and hidden elements."""
    parts: list[str] = []
    text = el.text
    if text is not None:
        parts.append(text)
    for child in el:
        name = child.tag
        if isinstance(name, str) and name not in _SKIP and not _hidden(child, child.keys()):
            parts.append(" " if name in _BLOCK_LEVEL or name == "br" else "")
            parts.append(visible_text(child))
        tail = child.tail
        if tail is not None:
            parts.append(tail)
    return "".join(parts)


def _has_visible_text(el: etree._Element) -> bool:
    """Whether ``visible_text(el)`` has anything but white space, without building it."""
    text = el.text
    if text is not None and text.strip():
        return True
    for child in el:
        name = child.tag
        if (isinstance(name, str) and name not in _SKIP and not _hidden(child, child.keys())
                and _has_visible_text(child)):
            return True
        tail = child.tail
        if tail is not None and tail.strip():
            return True
    return False


def _locator(url: str, el: etree._Element, css: str,
             where: dict[etree._Element, tuple[int, int]] | None) -> Locator:
    if where is None:
        return Locator(source=url, css=css)
    line, column = where.get(el, (None, None))
    return Locator(source=url, line=line, column=column, css=css)


def _css_step(el: etree._Element, name: str, attributes: list[str], above: str | None,
              index: int, total: int) -> str:
    """The CSS path (see ``_Walker``) of ``el`` (tag ``name``, ``attributes`` the names of its
    attributes), the ``index``-th of ``total`` children of that tag of a parent whose path is
    ``above`` (``None``: it has no parent)."""
    if name in ("body", "html"):
        return ""
    ident = el.get("id") if "id" in attributes else None
    if ident and " " not in ident:
        return f"{name}#{ident}"
    if above is None:
        return name
    step = f"{name}:nth-of-type({index})" if total > 1 else name
    return f"{above} > {step}" if above else step


def _css_path(el: etree._Element) -> str:
    """``el``'s CSS path worked out from its ancestors, for the element a walk starts at."""
    chain = [el, *el.iterancestors()]
    chain.reverse()
    path: str | None = None
    parent: etree._Element | None = None
    for node in chain:
        name = node.tag
        index = total = 1
        if parent is not None:
            same = [c for c in parent if c.tag == name]
            index, total = same.index(node) + 1, len(same)
        path = _css_step(node, name, node.keys(), path, index, total)
        parent = node
    assert path is not None
    return path


def _tag_counts(el: etree._Element) -> dict[str, int]:
    """How many child elements of each tag ``el`` has."""
    counts: dict[str, int] = {}
    for child in el:
        name = child.tag
        if isinstance(name, str):
            counts[name] = counts.get(name, 0) + 1
    return counts


def _language(tops: list[etree._Element], blocks: tuple[Block, ...]) -> str:
    html = _first(tops, "html")
    lang = (html.get("lang") or html.get("xml:lang") or "") if html is not None else ""
    return declared_language(lang) or detect_language(" ".join(b.text for b in blocks))


def _links(anchors: list[etree._Element], base: str) -> tuple[str, ...]:
    seen: dict[str, None] = {}
    try:
        parts = urlsplit(base)
        site = f"{parts.scheme}://{parts.netloc}"
    except ValueError:
        site = None
    for a in anchors:
        href = (a.get("href") or "").strip()
        if not href:
            continue
        # Resolving a site-absolute path ("/pricing") needs only the base's scheme and host;
        # the same navigation links are on every page of a site, so they are resolved once.
        local = site is not None and href[0] == "/" and href[:2] != "//"
        key = (site if local else base, href)
        absolute = _RESOLVED.get(key, "")
        if absolute == "":
            absolute = _join(base, href)
            if absolute and urlsplit(absolute).scheme not in ("http", "https"):
                absolute = None
            if len(_RESOLVED) >= 20_000:
                _RESOLVED.clear()
            _RESOLVED[key] = absolute
        if absolute:
            seen.setdefault(absolute, None)
    return tuple(seen)


#: ``rel`` values of a ``<link>`` to the next or previous page of a paginated list.
_PAGE_RELS = frozenset({"next", "prev", "previous"})


def _page_links(links: list[etree._Element]) -> list[etree._Element]:
    """The ``<link>`` elements that lead to more pages visitors read: the page in other
    languages (``rel=alternate`` with ``hreflang``, often the only way to a site's Russian
    pages when the language switcher is a script) and the next and previous pages of a
    paginated list (``rel=next``, ``rel=prev``)."""
    found = []
    for link in links:
        rel = set(link.get("rel", "").lower().split())
        if rel & _PAGE_RELS or ("alternate" in rel and link.get("hreflang")):
            found.append(link)
    return found


#: (base, or its scheme://host for "/..." links; href) -> absolute http(s) URL or None.
_RESOLVED: dict[tuple[str | None, str], str | None] = {}


def _robots_directives(metas: list[etree._Element]) -> tuple[str, ...]:
    found: list[str] = []
    for meta in metas:
        if meta.get("name", "").strip().lower() != "robots":
            continue
        for part in (meta.get("content") or "").split(","):
            if part.strip():
                found.append(part.strip().lower())
    return tuple(found)


#: ``<meta http-equiv="refresh" content="...">``: the delay (digits, perhaps a fraction: only
#: the whole seconds count), then optionally ``;`` or ``,``, ``url=`` and the URL, perhaps
#: quoted (the HTML standard's "shared declarative refresh steps").
_REFRESH = re.compile(r"""\s*(\d*)(\.[\d.]*)?\s*(?:[;,]\s*)?(?:url\s*=\s*)?(.*)""",
                      re.IGNORECASE | re.DOTALL)


def _refresh(metas: list[etree._Element], url: str, base: str) -> tuple[float, str] | None:
    """The first valid refresh of the page at ``url``: ``(seconds, absolute URL)``."""
    for meta in metas:
        if meta.get("http-equiv", "").strip().lower() != "refresh":
            continue
        match = _REFRESH.fullmatch(meta.get("content") or "")
        if match is None or not (match.group(1) or match.group(2)):
            continue  # no delay: browsers ignore it
        seconds = float(match.group(1) or 0)
        target = match.group(3).strip()
        if target[:1] in ("'", '"'):
            target = target[1:].split(target[0], 1)[0]
        if not target:
            return seconds, url
        joined = _join(base, target)
        if joined is not None:
            return seconds, joined
    return None


def _canonical(links: list[etree._Element], base: str) -> str | None:
    for link in links:
        href = link.get("href")
        if href is None:
            continue
        if any(r.lower() == "canonical" for r in link.get("rel", "").split()):
            return _join(base, href.strip())
    return None


def _join(base: str, href: str) -> str | None:
    """``href`` resolved against ``base``; ``None`` for a URL that cannot be parsed (e.g. a
    broken IPv6 literal like ``https://[host/``, which ``urllib`` refuses with ValueError)."""
    try:
        return urljoin(base, href)
    except ValueError:
        return None
