"""HTML extraction: scopes, CSS paths, chrome, links, refreshes (tests/fixtures/channels/html)."""

from __future__ import annotations

from pathlib import Path

import pytest

from channels.html import Page, extract_page

FIXTURES = Path(__file__).parent / "fixtures" / "channels" / "html"
URL = "https://acme.example/en/pricing"


@pytest.fixture(scope="module")
def page() -> Page:
    return extract_page((FIXTURES / "landing.html").read_text(encoding="utf-8"), URL)


def scoped(page: Page) -> list[tuple[str, str]]:
    return [(b.scope, b.text) for b in page.blocks]


def test_main_copy_scopes_in_document_order(page):
    assert scoped(page) == [
        ("web.title", "Acme Pricing"),
        ("web.meta.description", "Simple prices, no surprises."),
        ("web.og.description", "Pick a plan in a minute."),
        ("web.heading.h1", "Simple pricing"),
        ("web.paragraph", "Pay for what you use."),
        ("web.heading.h2", "Plans"),
        ("web.paragraph", "Every plan includes support."),
        ("web.paragraph", "Cancel any time. No questions asked."),
        ("web.list_item", "Starter: one team"),
        ("web.list_item", "Business: every team"),
        ("web.cta", "Start free trial"),
        ("web.cta", "Talk to sales"),
        ("web.cta", "Get the price list"),
        ("web.alt", "Price chart for three plans"),
        ("web.heading.h3", "Customer story"),
        ("web.paragraph", "Loose text in a div with inline parts."),
    ]


def test_page_fields(page):
    assert page.title == "Acme Pricing"
    assert page.language == "en"
    assert page.canonical == "https://acme.example/en/pricing"
    assert page.links == (
        "https://acme.example/privacy",
        "https://acme.example/",
        "https://acme.example/en/pricing#faq",
        "https://acme.example/en/business",
        "https://acme.example/en/signup",
    )


def test_chrome_is_kept_apart(page):
    assert [(b.scope, b.text) for b in page.chrome_blocks] == [
        ("web.paragraph", "Cookies keep this site working. Privacy"),
        ("web.paragraph", "Home Pricing"),
        ("web.paragraph", "Acme Ltd, 1 Widget Way"),
        ("web.paragraph", "Write to us"),
    ]


def test_css_paths(page):
    css = {b.text: b.locator.css for b in page.blocks}
    assert css["Simple pricing"] == "main > section:nth-of-type(1) > h1"
    assert css["Cancel any time. No questions asked."] == "section#plans > p:nth-of-type(2)"
    assert css["Business: every team"] == "section#plans > ul > li:nth-of-type(2)"
    assert css["Get the price list"] == "section#plans > form > input:nth-of-type(1)"
    assert css["Customer story"] == "main > article > header > h3"
    assert css["Acme Pricing"] == "title"
    assert {b.locator.source for b in page.blocks} == {URL}


def test_nothing_hidden_or_code_is_copy(page):
    everything = " ".join(b.text for b in page.blocks + page.chrome_blocks)
    for hidden in ("Organization", "icon", "Hidden", "JavaScript", "ignored"):
        assert hidden not in everything


def test_language_from_text_when_no_lang_attribute():
    page = extract_page("<html><body><p>Привет, это наш сайт.</p></body></html>", "http://x/")
    assert page.language == "ru"
    assert page.title == "http://x/"


def test_positions_give_source_lines_and_columns():
    html = (FIXTURES / "landing.html").read_text(encoding="utf-8")
    page = extract_page(html, "landing.html", positions=True)
    h1 = next(b for b in page.blocks if b.scope == "web.heading.h1")
    assert (h1.locator.line, h1.locator.column) == (17, 7)


def test_robots_meta_scripts_and_visible_copy():
    shell = (FIXTURES.parent / "site" / "app" / "index.html").read_text(encoding="utf-8")
    page = extract_page(shell, "http://x/app/")
    assert page.scripts == 1 and page.body_chars == 0  # an SPA shell: render it
    assert page.title == "Acme App" and not page.rendered
    html = ('<html><head><meta name="ROBOTS" content="noindex, NoFollow"></head>'
            "<body><p>Short copy.</p><nav><a href='/'>Home</a></nav></body></html>")
    page = extract_page(html, "http://x/")
    assert page.robots == ("noindex", "nofollow")
    assert page.body_chars == len("Short copy.") + len("Home")


def test_css_paths_with_many_siblings():
    items = "".join(f"<li>Item {n}</li>" for n in range(1, 41))
    page = extract_page(f"<html><body><ul>{items}</ul><ul><li>Other</li></ul></body></html>",
                        "http://x/")
    css = {b.text: b.locator.css for b in page.blocks}
    assert css["Item 1"] == "ul:nth-of-type(1) > li:nth-of-type(1)"
    assert css["Item 40"] == "ul:nth-of-type(1) > li:nth-of-type(40)"
    assert css["Other"] == "ul:nth-of-type(2) > li"


def test_what_ancestors_decide_reaches_blocks_inside_inline_elements():
    # The walk hands each element's CSS path, chrome status and sectioning down to its
    # children, through inline elements too; hidden siblings still count for :nth-of-type.
    html = ("<html><body><main><section id='plans'><span><header><p>Plan copy</p></header>"
            "<b><button>Buy</button></b></span></section></main>"
            "<span><header><p>Site header</p></header></span>"
            "<div><p>One</p><p hidden>No</p><p>Two</p></div></body></html>")
    page = extract_page(html, "http://x/")
    assert [(b.scope, b.text, b.locator.css) for b in page.blocks] == [
        ("web.paragraph", "Plan copy", "section#plans > span > header > p"),
        ("web.cta", "Buy", "section#plans > span > b > button"),
        ("web.paragraph", "One", "div > p:nth-of-type(1)"),
        ("web.paragraph", "Two", "div > p:nth-of-type(3)"),
    ]
    assert [(b.text, b.locator.css) for b in page.chrome_blocks] == [
        ("Site header", "span > header > p")]


def test_positions_are_where_start_tags_begin():
    # libxml2 records the line a start tag *ends* on; locators point at its "<".
    html = '<html><body>\n  <p\n    class="lead">Lead copy.</p>\n<ul><li>One</li><li>Two</li></ul>'
    page = extract_page(html, "page.html", positions=True)
    assert [(b.text, b.locator.line, b.locator.column) for b in page.blocks] == [
        ("Lead copy.", 2, 3), ("One", 4, 5), ("Two", 4, 17)]
    assert extract_page(html, "https://x/").blocks[0].locator.line is None  # a crawl: no lines


def test_links_and_scripts_after_the_closing_html_tag_count():
    # Text after </html> opens a second document element: its links are followed and its
    # scripts counted, but it is not the page's copy.
    html = ("<html><body><p>Copy.</p></body></html>\n"
            "<p>Late <a href='/late'>link</a></p><script src='/t.js'></script>")
    page = extract_page(html, "https://x/")
    assert [b.text for b in page.blocks] == ["Copy."]
    assert page.links == ("https://x/late",) and page.scripts == 1


@pytest.mark.parametrize("depth", [119, 120, 2100, 5000])
def test_copy_after_a_very_deep_subtree_is_read(depth):
    # libxml2's own trees stop at 2,048 levels and drop the rest of the page.
    html = ("<html lang='en'><body><h1>Top</h1>" + "<div>" * depth + "Deep <b>copy</b>"
            + "</div>" * depth + "<p>After the deep part.</p></body></html>")
    page = extract_page(html, "https://x/")
    texts = [b.text for b in page.blocks]
    assert texts[0] == "Top" and texts[-1] == "After the deep part."
    assert "Deep copy" in texts[1]


@pytest.mark.parametrize(("content", "refresh", "redirect"), [
    ("0; url=/blog/", (0.0, "https://acme.example/blog/"), "https://acme.example/blog/"),
    ("0;URL='/new page'", (0.0, "https://acme.example/new page"), "https://acme.example/new page"),
    (' 0 , url = "https://other.example/" ', (0.0, "https://other.example/"),
     "https://other.example/"),
    ("0.5, /next", (0.0, "https://acme.example/next"), "https://acme.example/next"),
    # After a delay the page is shown first; without a URL it only reloads itself.
    ("5; url=/later", (5.0, "https://acme.example/later"), None),
    ("30", (30.0, "https://acme.example/en/old"), None),
    ("0", (0.0, "https://acme.example/en/old"), None),
    ("0; url=#top", (0.0, "https://acme.example/en/old#top"), None),
    # No delay: browsers ignore it.
    ("url=/x", None, None),
    ("", None, None),
])
def test_meta_refresh(content, refresh, redirect):
    page = extract_page(f'<html><head><meta http-equiv="Refresh" content="{content}">'
                        f"</head><body><p>Moved.</p></body></html>"
                        if '"' not in content else
                        f"<html><head><meta http-equiv=refresh content='{content}'></head>"
                        f"<body><p>Moved.</p></body></html>", "https://acme.example/en/old")
    assert (page.refresh, page.redirect) == (refresh, redirect)


def test_links_to_other_languages_and_pages_of_a_list_are_followed():
    page = extract_page(
        '<html><head><link rel="alternate" hreflang="ru" href="/ru/pricing">'
        '<link rel="alternate" hreflang="x-default" href="/pricing">'
        '<link rel="alternate" type="application/rss+xml" href="/feed.xml">'
        '<link rel="stylesheet" href="/site.css"><link rel="icon" href="/favicon.ico">'
        '<link rel="next" href="?page=3"><link rel="Prev" href="?page=1"></head>'
        '<body><p>See <a href="/contact">contact</a>.</p></body></html>',
        "https://acme.example/pricing?page=2")
    assert page.links == (
        "https://acme.example/contact", "https://acme.example/ru/pricing",
        "https://acme.example/pricing", "https://acme.example/pricing?page=3",
        "https://acme.example/pricing?page=1")
