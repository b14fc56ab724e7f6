"""SMS channel: CSV exports, identical texts grouped, inbound messages skipped, bad rows named."""

from __future__ import annotations

from pathlib import Path

from auditor.types import CollectionError, Touchpoint
from channels import CollectContext
from channels.sms import SmsOptions, collect

FIXTURES = Path(__file__).parent / "fixtures" / "channels"
CTX = CollectContext(base_dir=FIXTURES)


def run(path: str, **options) -> list[Touchpoint | CollectionError]:
    return list(collect(SmsOptions(path=path, **options), CTX))


def test_identical_texts_are_one_touchpoint_with_a_recipient_count():
    maintenance, anna, card = run("sms/export.csv")
    assert maintenance.id == "sms:sms/export.csv#m-1001" and maintenance.channel == "sms"
    assert maintenance.title == "SMS: maintenance-nov"
    # Spacing differences do not make a different message.
    assert dict(maintenance.metadata) == {
        "campaign": "maintenance-nov", "sender": "ACME", "recipients": "3", "messages": "3",
        "first_sent": "2026-11-02T09:00:00", "last_sent": "2026-11-02T09:00:02"}
    (block,) = maintenance.blocks
    assert block.scope == "sms.message" and block.locator.line == 2
    assert block.text.endswith("Questions: [phone]")
    assert anna.metadata["agent_id"] == "anna" and anna.agent_id == "anna"
    assert card.blocks[0].text == "Пароль для входа: [card]" and card.language == "ru"
    # The customer's reply (direction "in") is not brand copy, and its address never shows.
    assert not any("ivan" in b.text for tp in (maintenance, anna, card) for b in tp.blocks)


def test_one_touchpoint_per_row_when_asked():
    results = run("sms/export.csv", group_identical=False)
    assert [r.id for r in results] == ["sms:sms/export.csv#m-1001", "sms:sms/export.csv#m-1002",
                                       "sms:sms/export.csv#m-1003", "sms:sms/export.csv#m-1004",
                                       "sms:sms/export.csv#m-1006"]


def test_semicolon_export_with_broken_rows_keeps_the_good_ones():
    results = run("sms/excel-ru.csv")
    errors = [r for r in results if isinstance(r, CollectionError)]
    assert [(e.source, e.channel) for e in errors] == [("sms/excel-ru.csv:4", "sms"),
                                                       ("sms/excel-ru.csv:5", "sms")]
    assert "has 6 fields, the header has 5" in errors[0].error
    assert "no 'text' field" in errors[1].error
    (promo,) = [r for r in results if isinstance(r, Touchpoint)]
    assert promo.metadata["recipients"] == "2" and promo.language == "ru"
    assert promo.blocks[0].text.startswith("СРОЧНО!!! Только сегодня")


def test_column_names_and_campaign_are_options():
    (error,) = run("sms/export.csv", text_column="body")
    assert error.source == "sms/export.csv:1" and "no 'body' column" in error.error
    results = run("sms/excel-ru.csv", campaign_column="none", campaign="autumn")
    promo = [r for r in results if isinstance(r, Touchpoint)][0]
    assert promo.metadata["campaign"] == "autumn"


def test_masking_off_keeps_numbers_and_recipients_are_never_listed():
    maintenance = run("sms/export.csv", mask_personal_data=False)[0]
    assert "8 800 555-35-35" in maintenance.blocks[0].text
    assert not any("+7912" in value for value in maintenance.metadata.values())


def test_missing_path_and_empty_folder(tmp_path):
    (error,) = run("sms/none.csv")
    assert "does not exist" in error.error
    (error,) = list(collect(SmsOptions(path=str(tmp_path)), CTX))
    assert "no SMS exports" in error.error


def test_a_quote_left_open_names_its_line_and_the_other_rows_are_read(tmp_path):
    (tmp_path / "out.csv").write_text(
        'id,to,text,campaign\ns1,+447700900101,"Your engineer comes at 10:00.",visit\n'
        's2,+447700900102,"Left open, the next row was swallowed.,visit\n'
        's3,+447700900103,"Your bill is ready.",bills\n'
        's4,+447700900104,"Your bill is ready.",bills\n', encoding="utf-8")
    results = list(collect(SmsOptions(path="out.csv"), CollectContext(base_dir=tmp_path)))
    errors = [r for r in results if isinstance(r, CollectionError)]
    assert [e.source for e in errors] == ["out.csv:3"]
    assert "a quote is not closed" in errors[0].error
    sent = [r for r in results if isinstance(r, Touchpoint)]
    assert [(t.blocks[0].text, t.metadata["recipients"]) for t in sent] == [
        ("Your engineer comes at 10:00.", "1"), ("Your bill is ready.", "1")]
