"""Social channel: generic and platform exports, feeds, cleaning, filters and de-duplication.

Fixtures (tests/fixtures/channels/social) follow each platform's published format: an X archive
(``data/tweets.js``), Facebook and Instagram JSON downloads (with Meta's ``\\u00XX`` encoding),
LinkedIn's ``Shares.csv``, RSS 2.0 and Atom feeds, a saved t.me/s preview page.
Network kinds (telegram paging, Mastodon API) are in test_channels_social_network.py, the
rendered-page kind in test_channels_social_html.py.
"""

from __future__ import annotations

import tomllib
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import pytest

from auditor.config import load_config
from auditor.engine import collect as engine_collect
from auditor.types import CollectionError, Touchpoint
from channels import CollectContext
from channels.social import SocialOptions, collect, kinds
from channels.social_posts import (
    ExportFormatError,
    canonical_key,
    clean_post_text,
    fix_meta_mojibake,
    iter_json_array,
)

FIXTURES = Path(__file__).parent / "fixtures" / "channels"
SOCIAL = FIXTURES / "social"
CTX = CollectContext(base_dir=FIXTURES)


def run(**options) -> tuple[list[Touchpoint], list[CollectionError]]:
    results = list(collect(SocialOptions(**options), CTX))
    return ([r for r in results if isinstance(r, Touchpoint)],
            [r for r in results if isinstance(r, CollectionError)])


def by_id(posts: list[Touchpoint]) -> dict[str, Touchpoint]:
    return {p.id: p for p in posts}


# -- generic JSONL and CSV (v1 behaviour kept) --------------------------------------------------

def test_jsonl_posts_and_bad_lines():
    posts, errors = run(kind="jsonl", path="social/posts.jsonl", platform="telegram")
    # Permalinks of a known platform give canonical ids, the same from any source.
    assert [p.id for p in posts] == [
        "social:telegram:acme_news/1001", "social:telegram:acme_news/1002",
        "social:telegram:1005"]
    first = posts[0]
    assert first.channel == "social"
    assert first.source == "https://t.me/acme_news/1001"
    assert first.title == "New widgets are in stock. Order today and we deliver…"
    assert first.language == "en"
    assert first.captured_at == datetime(2024, 5, 2, 10, 15, tzinfo=UTC)
    assert dict(first.metadata) == {
        "platform": "telegram", "author": "acme_news", "date": "2024-05-02T10:15:00+00:00",
        "permalink": "https://t.me/acme_news/1001", "post_id": "1001", "source_kind": "jsonl"}
    (block,) = first.blocks
    assert block.scope == "social.post" and block.scored
    assert (block.locator.source, block.locator.line) == ("social/posts.jsonl", 1)
    assert posts[1].language == "ru"
    assert posts[1].blocks[0].text == \
        "Мы открыли новый склад в Казани.\nТеперь доставка ещё быстрее!"
    assert posts[2].blocks[0].locator.line == 6  # line numbers count blank lines

    by_source = {e.source: e.error for e in errors}
    assert set(by_source) == {"social/posts.jsonl:4:92", "social/posts.jsonl:5",
                              "social/posts.jsonl:7"}
    assert "not valid JSON" in by_source["social/posts.jsonl:4:92"]
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
    assert [p.id for p in posts] == ["social:vk:wall-1_1", "social:vk:wall-1_2",
                                     "social:vk:wall-1_3"]
    assert posts[0].language == "ru"
    assert posts[0].metadata["post_id"] == "vk-1"
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


def test_unknown_kind_missing_file_bad_dates_and_no_source():
    _, errors = run(kind="myspace", path="social/posts.jsonl")
    assert "known kinds: csv, facebook-export, html, instagram-export, jsonl, linkedin-export, " \
           "mastodon, rss, telegram, x-archive" in errors[0].error
    assert kinds()[0] == "csv"
    _, errors = run(kind="jsonl", path="social/nope.jsonl")
    assert errors[0].source == "social/nope.jsonl" and "does not exist" in errors[0].error
    _, errors = run(kind="jsonl")
    assert "give `path` or `url`" in errors[0].error
    _, errors = run(kind="jsonl", path="social/posts.jsonl", url="https://example.org/x")
    assert "not both" in errors[0].error
    _, errors = run(kind="jsonl", path="social/posts.jsonl", since="last week")
    assert "`since`/`until` must be ISO dates" in errors[0].error


# -- cleaning -----------------------------------------------------------------------------------

CLEANING = tomllib.loads((SOCIAL / "cleaning.toml").read_text(encoding="utf-8"))["case"]


@pytest.mark.parametrize("case", CLEANING, ids=lambda c: c["name"])
def test_cleaning_cases(case):
    cleaned = clean_post_text(case["text"])
    assert cleaned.text == case["clean"]
    assert list(cleaned.hashtags) == case.get("hashtags", [])
    assert list(cleaned.mentions) == case.get("mentions", [])
    assert list(cleaned.links) == case.get("links", [])


def test_meta_mojibake_is_undone_and_real_text_left_alone():
    assert fix_meta_mojibake("\u00d0\u00a1\u00d0\u00be\u00d1\u0081\u00d0\u00bd\u00d0\u00b0") == \
        "Сосна"
    assert fix_meta_mojibake({"a": ["\u00f0\u009f\u0093\u00a6"]}) == {"a": ["📦"]}
    assert fix_meta_mojibake("Сосна café") == "Сосна café"  # not mojibake: unchanged
    assert fix_meta_mojibake("café") == "café"  # Latin-1 bytes that are not UTF-8


@pytest.mark.parametrize(("platform", "link", "post_id", "expected"), [
    ("social", "https://t.me/sosna_home/1041", "tg-1041", ("telegram", "sosna_home/1041")),
    ("rss", "https://t.me/s/Sosna_Home/1041?single", "", ("telegram", "sosna_home/1041")),
    ("x", "https://twitter.com/sosna_home/status/2040", "x-2040", ("x", "2040")),
    ("vk", "https://vk.com/sosna_home?w=wall-3330", "vk-3330", ("vk", "wall-3330")),
    ("mastodon", "https://mastodon.example/@acme/1124", "", ("mastodon", "mastodon.example/1124")),
    ("linkedin", "https://www.linkedin.com/feed/update/urn%3Ali%3Ashare%3A719", "",
     ("linkedin", "share:719")),
    ("instagram", "https://www.instagram.com/p/C6xYz/", "", ("instagram", "C6xYz")),
    ("facebook", "https://facebook.com/sosna.home/posts/5131", "fb-5131", ("facebook", "fb-5131")),
    ("rss", "", "", ("rss", "")),
])
def test_canonical_keys(platform, link, post_id, expected):
    assert canonical_key(platform, link, post_id) == expected


# -- X archive ----------------------------------------------------------------------------------

def test_x_archive_folder_with_replies_retweets_and_entities():
    posts, errors = run(kind="x-archive", path="social/x-archive")
    assert errors == []
    ids = [p.id for p in posts]
    # The retweet of @partnershop is left out by default; the reply to a customer is kept.
    assert ids == ["social:x:1788600000000000001", "social:x:1788400000000000003",
                   "social:x:1788300000000000004", "social:x:1788200000000000006",
                   "social:x:1788200000000000005"]
    tip = posts[0]
    assert tip.blocks[0].text == "Weekend tip: track every parcel with one tap in the app 👇"
    assert tip.metadata["hashtags"] == "tips acme"
    assert tip.metadata["links"] == "https://acme.example/app"  # t.co expanded
    assert tip.metadata["original_text"].endswith("https://acme.example/app #tips #acme")
    assert tip.metadata["permalink"] == "https://x.com/acme/status/1788600000000000001"
    assert tip.metadata["author"] == "@acme"  # from data/account.js
    assert (tip.metadata["likes"], tip.metadata["reposts"]) == ("21", "5")
    assert tip.captured_at == datetime(2024, 5, 12, 9, 0, tzinfo=UTC)
    assert tip.blocks[0].locator.describe() == "social/x-archive/data/tweets.js:2:3"
    reply = by_id(posts)["social:x:1788400000000000003"]
    assert reply.metadata["reply"] == "true" and reply.metadata["mentions"] == "maria_k"
    assert reply.blocks[0].text.startswith("sorry about the delay")
    russian = by_id(posts)["social:x:1788300000000000004"]
    assert russian.language == "ru"
    assert russian.blocks[0].text == "Мы открыли новый склад в Казани & теперь доставка ещё " \
                                     "быстрее! 🚀"  # entity decoded, photo link dropped
    # A reply in the account's own thread is its own copy, not a reply to someone else.
    assert "reply" not in by_id(posts)["social:x:1788200000000000006"].metadata


def test_x_archive_filters_replies_and_includes_reposts_on_request():
    posts, _ = run(kind="x-archive", path="social/x-archive/data/tweets.js",
                   include_replies=False, include_reposts=True)
    ids = {p.id for p in posts}
    assert "social:x:1788400000000000003" not in ids  # reply to a customer
    assert "social:x:1788200000000000006" in ids      # own thread
    retweet = by_id(posts)["social:x:1788500000000000002"]
    assert retweet.metadata["repost"] == "true"
    assert retweet.metadata["reposted_from"] == "@partnershop"
    assert retweet.blocks[0].text == "Our summer sale starts Monday! Up to 50% off garden " \
                                     "furniture."
    # tweets.js given alone still finds account.js beside it for permalinks.
    assert retweet.metadata["permalink"].startswith("https://x.com/acme/status/")


def test_x_archive_from_the_downloaded_zip(tmp_path):
    archive = tmp_path / "twitter-2024-05-13.zip"
    with zipfile.ZipFile(archive, "w") as bundle:
        for file in (SOCIAL / "x-archive" / "data").iterdir():
            bundle.write(file, f"data/{file.name}")
        bundle.writestr("Your archive.html", "<html></html>")
    results = list(collect(SocialOptions(kind="x-archive", path=str(archive)), CTX))
    assert [r.id for r in results if isinstance(r, Touchpoint)][0] == \
        "social:x:1788600000000000001"
    assert results[0].blocks[0].locator.source == f"{archive}!data/tweets.js"


def test_malformed_x_archive_names_file_line_and_column_and_keeps_earlier_tweets():
    posts, errors = run(kind="x-archive", path="social/x-archive-broken", account="acme")
    assert [p.id for p in posts] == ["social:x:1788600000000000001"]
    (error,) = errors
    assert error.source == "social/x-archive-broken/data/tweets.js:62:3"
    assert "expected ',' or ']'" in error.error


@pytest.mark.parametrize(("text", "kept"), [
    ('[{"a": 1}, {"a": 2}, {"a": ', "the 2 elements before it were read"),
    ('[{"a": 1}, {"a": ', "the element before it was read"),
    ('[{"a": ', "nothing could be read"),
])
def test_a_broken_json_array_says_how_much_of_it_was_read(text, kept):
    items = []
    with pytest.raises(ExportFormatError) as raised:
        items.extend(iter_json_array(text, "posts.json"))
    assert len(items) == text.count("{") - 1
    assert kept in raised.value.message and "export the file again" in raised.value.message


def test_x_archive_without_the_prefix_or_in_the_wrong_folder():
    _, errors = run(kind="x-archive", path="social/posts.jsonl")
    assert errors[0].source == "social/posts.jsonl:1:1"
    assert "window.YTD.tweets.part0" in errors[0].error
    _, errors = run(kind="x-archive", path="social/linkedin")
    assert errors[0].source == "social/linkedin" and "no data/tweets.js" in errors[0].error


# -- Facebook, Instagram, LinkedIn --------------------------------------------------------------

def test_facebook_export_fixes_encoding_marks_shares_and_reports_a_cut_off_file():
    posts, errors = run(kind="facebook-export", path="social/facebook")
    texts = [p.blocks[0].text for p in posts]
    assert texts == [
        "Мы открыли новый склад в Казани. Теперь доставка ещё быстрее! 🚀",
        "Thanks to our couriers for a record week! Read the full story on our blog.",
        "Режим работы в праздники: поддержка отвечает с 10:00 до 18:00. Хороших выходных! ☀️",
        "Добро пожаловать на нашу страницу!",  # the second file, before its broken element
    ]
    first = posts[0]
    assert first.language == "ru" and first.metadata["author"] == "Сосна"
    assert first.metadata["hashtags"] == "доставка"
    assert first.captured_at == datetime(2024, 5, 12, 9, 0, tzinfo=UTC)
    assert first.id.startswith("social:facebook:")
    assert posts[1].metadata["links"] == "https://acme.example/story"
    (error,) = errors
    assert error.source == ("social/facebook/your_facebook_activity/posts/"
                            "your_posts__check_ins__photos_and_videos_2.json:15:30")
    assert "element [1]" in error.error and "export the file again" in error.error

    shared, _ = run(kind="facebook-export", path="social/facebook", include_reposts=True)
    repost = next(p for p in shared if p.metadata.get("repost"))
    assert repost.metadata["reposted_from"] == "Partner Shop"


def test_instagram_export_captions_from_posts_and_reels():
    posts, errors = run(kind="instagram-export", path="social/instagram", account="acme")
    assert errors == []
    assert [p.blocks[0].text for p in posts] == [
        "Новый склад в Казани уже работает 📦 Доставка стала быстрее для всего Поволжья.",
        "Behind the scenes with our courier team 💪 Thank you courier_team!",
        "How we pack a parcel in 30 seconds ⏱️",
    ]
    assert posts[0].metadata["hashtags"] == "доставка казань acme"
    assert posts[0].metadata["author"] == "acme"
    assert posts[2].blocks[0].locator.describe() == \
        "social/instagram/your_instagram_activity/content/reels.json:3:5"


def test_linkedin_shares_csv():
    posts, errors = run(kind="linkedin-export", path="social/linkedin/Shares.csv")
    assert errors == []
    assert [p.id for p in posts] == ["social:linkedin:share:7195400000000000001",
                                     "social:linkedin:share:7195300000000000002",
                                     "social:linkedin:share:7195100000000000004"]
    assert posts[0].blocks[0].text == ("We opened a new warehouse in Kazan this week.\n"
                                       "Deliveries across the Volga region now arrive a day "
                                       "sooner.")
    assert posts[1].blocks[0].text == ('Thank you to our courier team for a record week. Read '
                                       '"How we deliver 10,000 parcels a day" on our blog:')
    assert posts[0].captured_at == datetime(2024, 5, 12, 9, 0, tzinfo=UTC)
    assert posts[2].language == "ru"


# -- RSS and Atom -------------------------------------------------------------------------------

def test_rss_bridge_of_a_telegram_channel():
    posts, errors = run(kind="rss", path="social/feed-rss.xml")
    assert errors == []
    # The same post twice in the feed (t.me/... and t.me/s/...) is one touchpoint.
    assert [p.id for p in posts] == ["social:telegram:acme_news/1016",
                                     "social:telegram:acme_news/1015",
                                     "social:telegram:acme_news/1014",
                                     "social:telegram:acme_news/1009"]
    assert posts[0].metadata["hashtags"] == "tips acme"
    assert posts[0].metadata["post_id"] == "acme_news/1016"
    # The bridge's title repeats the first words: not said twice.
    assert posts[3].blocks[0].text == "Delivery update: trucks leave at 7:00 & arrive by noon. " \
                                      "Details:"
    assert posts[3].blocks[0].locator.describe() == "social/feed-rss.xml (item:nth-of-type(5))"


def test_atom_feed_with_date_range():
    posts, _ = run(kind="rss", path="social/feed-atom.xml", platform="blog")
    assert [p.id for p in posts] == ["social:blog:tag:blog.acme.example,2024:post-58",
                                     "social:blog:tag:blog.acme.example,2024:post-57",
                                     "social:blog:tag:blog.acme.example,2024:post-31"]
    first = posts[0]
    assert first.blocks[0].text.startswith("Как мы доставляем 10 000 посылок в день\n\n"
                                           "Каждое утро в 7:00 от склада уходят сорок машин.")
    assert first.blocks[0].text.endswith("пишите в наш канал 🙂")
    assert first.metadata["links"] == "https://t.me/acme_news"
    assert first.metadata["author"] == "Анна Петрова"
    assert first.captured_at == datetime(2024, 5, 12, 9, 0, tzinfo=UTC)

    in_may, _ = run(kind="rss", path="social/feed-atom.xml", since="2024-05-01",
                    until="2024-05-06")
    assert [p.id for p in in_may] == ["social:rss:tag:blog.acme.example,2024:post-57"]


def test_broken_feed_reports_line_and_column_and_keeps_what_was_read():
    posts, errors = run(kind="rss", path="social/feed-broken.xml")
    assert [p.metadata["permalink"] for p in posts] == ["https://blog.acme.example/first",
                                                        "https://blog.acme.example/second"]
    assert errors[0].source == "social/feed-broken.xml:14:51"
    assert "not well-formed" in errors[0].error and "2 entries were still read" in errors[0].error
    _, errors = run(kind="rss", path="social/posts.csv")
    assert "is this an RSS or Atom feed?" in errors[0].error


# -- Telegram saved page, de-duplication across sections, errors do not stop a run -------------

def test_saved_telegram_preview_page():
    posts, errors = run(kind="telegram", path="social/telegram/acme_news.html")
    assert errors == []
    assert [p.id for p in posts] == [f"social:telegram:acme_news/{n}"
                                     for n in (1016, 1015, 1014, 1013)]
    tip = posts[0]
    assert tip.blocks[0].text == "Weekend tip: track every parcel with one tap in the app 👇"
    assert tip.blocks[0].locator.css == '.tgme_widget_message[data-post="acme_news/1016"]'
    assert tip.metadata["views"] == "956"
    assert posts[1].metadata["likes"] == "12"


def test_sections_share_ids_and_a_broken_export_does_not_stop_the_others():
    config = load_config(SOCIAL / "audit.toml")
    collected = engine_collect(config)
    ids = [t.id for t in collected.touchpoints]
    assert ids == ["social:x:1788600000000000001",
                   *(f"social:telegram:acme_news/{n}" for n in (1016, 1015, 1014, 1013)),
                   "social:telegram:acme_news/1009"]  # the feed's copies of 1014-1016 dropped
    (error,) = collected.errors
    assert error.source.endswith("x-archive-broken/data/tweets.js:62:3")


def test_date_range_on_a_generic_export():
    posts, _ = run(kind="jsonl", path="social/posts.jsonl", since="2024-05-03",
                   until="2024-05-05T23:59:59+00:00")
    # 1002 is dated 2024-05-03 (its whole day counts); 1005 is after; 1001 before.
    assert [p.metadata["post_id"] for p in posts] == ["1002"]


def test_demo_sources_overlap_is_reported_once():
    """The demo's Telegram preview repeats posts of its JSONL and CSV exports (Russian)."""
    from auditor.config import parse_config
    from auditor.demo import SOURCES

    social = SOURCES / "social"
    config = parse_config({"audit": {"baseline": "b"}, "channels": {"social": [
        {"kind": "jsonl", "path": str(social / "posts.jsonl")},
        {"kind": "csv", "path": str(social / "posts.csv")},
        {"kind": "telegram", "path": str(social / "telegram-sosna_home_ru.html")},
    ]}}, SOCIAL / "demo.toml")
    collected = engine_collect(config)
    assert collected.errors == []
    from_page = [t for t in collected.touchpoints
                 if t.metadata["source_kind"] == "telegram"]
    # 1048 and 1058 came first from the exports; 1053 is a forward from another channel.
    assert [t.id for t in from_page] == [f"social:telegram:sosna_home_ru/{n}"
                                         for n in (1061, 1055, 1050)]
    assert all(t.language == "ru" for t in from_page)
    assert from_page[0].metadata["hashtags"] == "сосна оптоволокно"
    ids = [t.id for t in collected.touchpoints]
    assert len(ids) == len(set(ids)) == 13 + 5 + 3


def test_a_quote_left_open_is_an_error_on_its_line_and_later_rows_are_still_read(tmp_path):
    export = tmp_path / "posts.csv"
    export.write_text('id,text\n1,"First post."\n2,"Second post, its quote left open.\n'
                      '3,"Third post."\n4,"Fourth post."\n', encoding="utf-8")
    posts, errors = run(kind="csv", path=str(export))
    # Record 2 runs into line 4 before it breaks: both lines are that one bad record.
    assert [p.blocks[0].text for p in posts] == ["First post.", "Fourth post."]
    assert [p.blocks[0].locator.line for p in posts] == [2, 5]
    assert [e.source for e in errors] == [f"{export}:3"]
    assert "a quote is not closed" in errors[0].error
    export.write_text('Date,ShareLink,ShareCommentary\n2024-05-01 10:00:00,,"Kept."\n'
                      '2024-05-02 10:00:00,,"Never closed\n', encoding="utf-8")
    posts, errors = run(kind="linkedin-export", path=str(export))
    assert [p.blocks[0].text for p in posts] == ["Kept."]
    assert [e.source for e in errors] == [f"{export}:3"]
    assert "unexpected end of data" in errors[0].error


def test_field_names_for_date_author_link_and_platform_are_options(tmp_path):
    export = tmp_path / "export.jsonl"
    export.write_text('{"post": {"body": "We opened a new warehouse in Kazan.", "when": '
                      '"2024-05-02T10:15:00+00:00", "by": "acme_news", "href": '
                      '"https://t.me/acme_news/1001"}, "site": "telegram", "num": "p-1"}\n',
                      encoding="utf-8")
    (post,), errors = run(kind="jsonl", path=str(export), text_field="post.body",
                          date_field="post.when", author_field="post.by",
                          link_field="post.href", platform_field="site", id_field="num")
    assert errors == []
    assert post.blocks[0].text == "We opened a new warehouse in Kazan."
    assert post.captured_at == datetime(2024, 5, 2, 10, 15, tzinfo=UTC)
    assert (post.metadata["author"], post.metadata["permalink"], post.metadata["platform"],
            post.metadata["post_id"]) == ("acme_news", "https://t.me/acme_news/1001",
                                          "telegram", "p-1")
    assert post.id == "social:telegram:acme_news/1001"
    (default,), _ = run(kind="jsonl", path=str(export), text_field="post.body")
    assert "author" not in default.metadata and default.captured_at is None
