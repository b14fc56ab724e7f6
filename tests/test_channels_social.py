"""Social exports: JSONL and CSV posts, with line-accurate errors (fixtures/channels/social)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from auditor.types import CollectionError, Touchpoint
from channels import CollectContext
from channels.social import SocialOptions, collect

FIXTURES = Path(__file__).parent / "fixtures" / "channels"
CTX = CollectContext(base_dir=FIXTURES)


def run(**options) -> tuple[list[Touchpoint], list[CollectionError]]:
    results = list(collect(SocialOptions(**options), CTX))
    return ([r for r in results if isinstance(r, Touchpoint)],
            [r for r in results if isinstance(r, CollectionError)])


def test_jsonl_posts_and_bad_lines():
    posts, errors = run(kind="jsonl", path="social/posts.jsonl", platform="telegram")
    assert [p.id for p in posts] == [
        "social:telegram:1001", "social:telegram:1002", "social:telegram:1005"]
    first = posts[0]
    assert first.channel == "social"
    assert first.source == "https://t.me/acme_news/1001"
    assert first.title == "New widgets are in stock. Order today and we deliver…"
    assert first.language == "en"
    assert first.captured_at == datetime(2024, 5, 2, 10, 15, tzinfo=UTC)
    assert dict(first.metadata) == {
        "platform": "telegram", "author": "acme_news", "date": "2024-05-02T10:15:00Z",
        "permalink": "https://t.me/acme_news/1001", "post_id": "1001"}
    (block,) = first.blocks
    assert block.scope == "social.post" and block.scored
    assert (block.locator.source, block.locator.line) == ("social/posts.jsonl", 1)
    assert posts[1].language == "ru"
    assert posts[1].blocks[0].text == \
        "Мы открыли новый склад в Казани.\nТеперь доставка ещё быстрее!"
    assert posts[2].blocks[0].locator.line == 6  # line numbers count blank lines

    by_source = {e.source: e.error for e in errors}
    assert set(by_source) == {"social/posts.jsonl:4", "social/posts.jsonl:5",
                              "social/posts.jsonl:7"}
    assert "not valid JSON" in by_source["social/posts.jsonl:4"]
    missing = by_source["social/posts.jsonl:5"]
    assert "'text'" in missing and "id, author, date, message" in missing
    assert "JSON object" in by_source["social/posts.jsonl:7"]
    assert all(e.channel == "social" for e in errors)


def test_custom_text_field():
    posts, _ = run(kind="jsonl", path="social/posts.jsonl", text_field="message")
    assert [p.id for p in posts] == ["social:social:1004"]


def test_csv_posts_with_multiline_field():
    posts, errors = run(kind="csv", path="social/posts.csv")
    assert errors == []
    assert [p.id for p in posts] == ["social:vk:vk-1", "social:vk:vk-2", "social:vk:vk-3"]
    assert posts[0].language == "ru"
    assert posts[1].blocks[0].text == "A post that spans\ntwo lines, with a comma, inside quotes."
    assert [p.blocks[0].locator.line for p in posts] == [2, 3, 5]
    assert posts[2].metadata["permalink"] == "https://vk.com/wall-1_3"


def test_excel_csv_in_windows_1251_with_semicolons():
    posts, errors = run(kind="csv", path="social/excel-ru.csv", text_field="message",
                        platform="vk")
    assert errors == []
    assert posts[0].id == "social:vk:1"
    assert posts[0].blocks[0].text == "Скидки для постоянных клиентов"


def test_csv_without_the_text_column():
    posts, errors = run(kind="csv", path="social/excel-ru.csv")
    assert posts == []
    assert errors[0].source == "social/excel-ru.csv:1"
    assert "no 'text' column (columns: id, author, message)" in errors[0].error


def test_unknown_kind_missing_file_and_no_source():
    _, errors = run(kind="rss", path="social/posts.jsonl")
    assert "known kinds: csv, jsonl" in errors[0].error
    _, errors = run(kind="jsonl", path="social/nope.jsonl")
    assert errors[0].source == "social/nope.jsonl" and "does not exist" in errors[0].error
    _, errors = run(kind="jsonl")
    assert "exactly one of `path`" in errors[0].error
