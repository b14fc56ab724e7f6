"""Content files: Markdown/MDX, HTML and text, with exact line:column locators."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from auditor.errors import InputError
from auditor.types import CollectionError, Touchpoint
from channels import CollectContext
from channels.files import FilesOptions, collect, read_content_file

FIXTURES = Path(__file__).parent / "fixtures" / "channels" / "files"
CONTENT = FIXTURES / "content"


def run(path: str, **options) -> tuple[list[Touchpoint], list[CollectionError]]:
    results = list(collect(FilesOptions(path=path, **options), CollectContext(base_dir=FIXTURES)))
    return ([r for r in results if isinstance(r, Touchpoint)],
            [r for r in results if isinstance(r, CollectionError)])


def located(touchpoint: Touchpoint) -> list[tuple[str, int | None, int | None, str]]:
    return [(b.scope, b.locator.line, b.locator.column, b.text) for b in touchpoint.blocks]


def test_markdown_blocks_lines_and_columns():
    guide = read_content_file(CONTENT / "guide.md", "content/guide.md")
    assert guide.id == "files:content/guide.md"
    assert guide.channel == "files"
    assert guide.title == "Getting started with Acme"  # from the front matter
    assert guide.language == "en"
    assert located(guide) == [
        ("files.heading", 7, 3, "Welcome to Acme"),
        ("files.paragraph", 9, 1, "Acme widgets are easy to set up and just work with acme-cli."),
        ("files.heading", 21, 4, "What you get"),
        ("files.list_item", 23, 3, "Delivery tomorrow"),
        ("files.list_item", 24, 3, "Support that answers in an hour"),
        ("files.list_item", 26, 6, "nested old new step"),
        ("files.list_item", 27, 3, "A task that is done"),
        ("files.blockquote", 29, 3,
         "We switched to Acme and never looked back. The Widget Company"),
        ("files.heading", 32, 1, "Setext heading"),
        ("files.table_cell", 35, 3, "Plan"),
        ("files.table_cell", 35, 13, "Price"),
        ("files.table_cell", 37, 3, "Starter"),
        ("files.table_cell", 37, 13, "Free"),
        ("files.paragraph", 39, 1, "Last paragraph with an image inside."),
        ("files.alt", 39, 32, "Acme logo"),
    ]
    assert {b.locator.source for b in guide.blocks} == {"content/guide.md"}
    text = " ".join(b.text for b in guide.blocks)
    for skipped in ("never copy", "indented code", "TODO", "guide, onboarding", "title"):
        assert skipped not in text


def test_mdx_statements_and_components_are_not_copy():
    launch = read_content_file(CONTENT / "launch.mdx", "launch.mdx")
    assert located(launch) == [
        ("files.heading", 4, 3, "Launch week"),
        ("files.paragraph", 8, 1, "Everything ships on Monday."),
    ]


def test_html_file_uses_html_extraction_with_lines():
    page = read_content_file(CONTENT / "page.html", "content/page.html")
    assert page.title == "Acme careers"
    assert ("web.heading.h1", 7, 5, "Work with us") in located(page)
    assert ("web.paragraph", 5, 3, "Home") in located(page)  # a file's nav is its own copy


def test_plain_text_paragraphs_and_legacy_encoding():
    notes = read_content_file(CONTENT / "notes.txt", "notes.txt")
    assert located(notes) == [
        ("files.paragraph", 1, 1, "Plain notes about our voice. We keep it short."),
        ("files.paragraph", 4, 4, "Second paragraph, indented."),
    ]
    legacy = read_content_file(CONTENT / "legacy-ru.txt", "legacy-ru.txt")  # windows-1251
    assert legacy.language == "ru"
    assert legacy.blocks[1].text == "Ваша поддержка Акме."


def test_folder_is_walked_sorted_with_include_and_exclude():
    touchpoints, errors = run("content")
    assert errors == []
    assert [t.id for t in touchpoints] == [
        "files:content/drafts/wip.md", "files:content/guide.md", "files:content/launch.mdx",
        "files:content/legacy-ru.txt", "files:content/notes.txt", "files:content/page.html",
    ]  # hidden .github/ and the .png are left out
    touchpoints, _ = run("content", exclude=["drafts"], include=["*.md"])
    assert [t.id for t in touchpoints] == ["files:content/guide.md"]


def test_single_file_and_absolute_path():
    touchpoints, _ = run("content/notes.txt")
    assert [t.id for t in touchpoints] == ["files:content/notes.txt"]
    touchpoints, _ = run(str(CONTENT / "guide.md"))
    assert touchpoints[0].id == "files:content/guide.md"


def test_missing_path_and_unreadable_file_are_errors(tmp_path):
    touchpoints, errors = run("no/such/folder")
    assert touchpoints == []
    assert len(errors) == 1 and errors[0].source == "no/such/folder"
    assert "does not exist" in errors[0].error

    _, errors = run("content", include=["*.rst"])
    assert "no files" in errors[0].error

    folder = tmp_path / "mixed"
    folder.mkdir()
    shutil.copy(CONTENT / "notes.txt", folder / "a.txt")
    (folder / "b.txt").write_bytes(bytes(range(256)) * 4)  # not text
    results = list(collect(FilesOptions(path="mixed"), CollectContext(base_dir=tmp_path)))
    assert isinstance(results[0], Touchpoint) and results[0].id == "files:mixed/a.txt"
    assert isinstance(results[1], CollectionError) and results[1].source == "mixed/b.txt"


def test_an_html_redirect_page_is_no_touchpoint(tmp_path):
    # What Hugo writes for an alias, or jekyll-redirect-from for a moved page.
    folder = tmp_path / "public"
    (folder / "old").mkdir(parents=True)
    (folder / "old" / "index.html").write_text(
        '<!DOCTYPE html><html lang="en"><head><title>Redirecting…</title>'
        '<meta http-equiv="refresh" content="0; url=/new/"></head><body><h1>Redirecting…</h1>'
        '<a href="/new/">Click here if you are not redirected.</a></body></html>',
        encoding="utf-8")
    shutil.copy(CONTENT / "page.html", folder / "new.html")
    results = list(collect(FilesOptions(path="public"), CollectContext(base_dir=tmp_path)))
    assert [r.id for r in results] == ["files:public/new.html"]


def test_read_content_file_raises_input_error_naming_the_file(tmp_path):
    with pytest.raises(InputError, match="missing.md"):
        read_content_file(tmp_path / "missing.md", "missing.md")
    with pytest.raises(InputError, match="folder"):
        read_content_file(tmp_path, "somewhere")


def test_a_file_that_breaks_the_parser_is_an_error_not_a_crash(tmp_path, monkeypatch):
    import channels.html

    def broken(*args, **kwargs):
        raise RuntimeError("parser bug")

    monkeypatch.setattr(channels.html, "extract_page", broken)
    (tmp_path / "a.html").write_text("<p>Some copy</p>")
    (tmp_path / "b.md").write_text("# Fine\n")
    results = list(collect(FilesOptions(path="."), CollectContext(base_dir=tmp_path)))
    assert isinstance(results[0], CollectionError) and results[0].source == "a.html"
    assert "RuntimeError: parser bug" in results[0].error
    assert isinstance(results[1], Touchpoint) and results[1].title == "Fine"


def test_deeply_nested_html_is_read(tmp_path):
    # 3,000 nested <div>s once exhausted Python's stack; deep subtrees are now read as text.
    (tmp_path / "a.html").write_text("<div>" * 3000 + "deep" + "</div>" * 3000)
    (result,) = collect(FilesOptions(path="."), CollectContext(base_dir=tmp_path))
    assert isinstance(result, Touchpoint) and [b.text for b in result.blocks] == ["deep"]


def test_french_copy_is_french(tmp_path: Path):
    page = tmp_path / "a-propos.md"
    page.write_text("# À propos\n\nNous aidons les ministères à offrir des services "
                    "numériques simples, accessibles et fiables à toute la population.\n",
                    encoding="utf-8")
    assert read_content_file(page, "a-propos.md").language == "fr"
    page.write_text("---\nlang: en\n---\n# À propos\n\nNous aidons les ministères à offrir "
                    "des services numériques simples.\n", encoding="utf-8")
    assert read_content_file(page, "a-propos.md").language == "en"  # as declared
    page.write_text("---\nlang: fr-CA\n---\n# À propos\n\nBonjour.\n", encoding="utf-8")
    assert read_content_file(page, "a-propos.md").language == "fr"  # its primary subtag
