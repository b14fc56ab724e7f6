"""E-mail channel: .eml and .mbox, plain and HTML bodies, replies and signatures stripped."""

from __future__ import annotations

from pathlib import Path

from auditor.types import CollectionError, Touchpoint
from channels import CollectContext
from channels.email import EmailOptions, collect, strip_reply_and_signature

FIXTURES = Path(__file__).parent / "fixtures" / "channels"
CTX = CollectContext(base_dir=FIXTURES)


def run(path: str, **options) -> list[Touchpoint | CollectionError]:
    return list(collect(EmailOptions(path=path, **options), CTX))


def one(path: str, **options) -> Touchpoint:
    (result,) = run(path, **options)
    assert isinstance(result, Touchpoint), result
    return result


def copy(message: Touchpoint) -> list[tuple[str, str]]:
    return [(b.scope, b.text) for b in message.blocks]


def test_plain_part_preferred_signature_stripped_campaign_and_masking():
    message = one("email/campaign-en.eml")
    assert message.id == "email:email/campaign-en.eml" and message.channel == "email"
    assert message.title == "Planned maintenance on Sunday night" and message.language == "en"
    assert copy(message) == [
        ("email.subject", "Planned maintenance on Sunday night"),
        ("email.body", "Hello,"),
        ("email.body", "On Sunday 8 November between 02:00 and 04:00 we are upgrading the "
                       "equipment in your area. Your internet may drop for a few minutes."),
        ("email.body", "You don't need to do anything. If something still isn't right on "
                       "Monday, call us on [phone] or reply to this e-mail."),
    ]
    assert [b.locator.line for b in message.blocks] == [3, 15, 17, 20]
    assert dict(message.metadata) == {
        "from": "Acme <[email]>", "to": "[email]", "recipients": "1",
        "date": "2026-11-02T10:00:00+00:00", "subject": "Planned maintenance on Sunday night",
        "campaign": "maintenance-nov"}
    assert message.captured_at is not None and message.captured_at.year == 2026


def test_quoted_reply_with_wrapped_intro_and_sign_off_are_stripped():
    message = one("email/reply.eml")
    assert copy(message)[1:] == [
        ("email.body", "Hi Ivan,"),
        ("email.body", "Thanks for the photo. The red light means the router lost the line, "
                       "and the fault is on our side. An engineer will come tomorrow at 10:00, "
                       "free of charge."),
    ]
    text = " ".join(b.text for b in message.blocks)
    assert "4111" not in text and "912" not in text and "Best regards" not in text


def test_russian_reply_encoded_headers_and_outlook_block():
    message = one("email/ru-reply.eml")
    assert message.title == "Re: Счёт за ноябрь" and message.language == "ru"
    assert message.metadata["from"] == '"Ольга, Акме" <[email]>'
    assert [b.text for b in message.blocks][1:] == [
        "Здравствуйте!",
        "Вы правы: в счёте за ноябрь лишняя строка. Мы убрали её, деньги вернутся на карту "
        "в течение пяти рабочих дней.",
    ]
    outlook = one("email/outlook.eml")
    assert [b.text for b in outlook.blocks][-1] == ("Your invoice copy is attached. Nothing is "
                                                    "due until 30 November.")


def test_html_only_message_keeps_headings_and_buttons_and_drops_the_quote():
    message = one("email/html-only.eml")
    assert copy(message) == [
        ("email.subject", "Your new plan starts on 1 December"),
        ("email.body", "Here is what changes with your plan, and what stays the same."),
        ("email.heading", "Your new plan starts on 1 December"),
        ("email.body", "Hello Anna, from 1 December you are on Home 600 for €32 a month."),
        ("email.body", "Nothing else changes, and you can switch back any time."),
        ("email.cta", "See your plan"),
    ]


def test_mbox_messages_with_lines_and_a_broken_message_in_the_middle():
    results = run("email/archive.mbox")
    first, error, third = results
    assert isinstance(error, CollectionError)
    assert error.source == "email/archive.mbox:12"
    assert "message 2" in error.error and "not a header" in error.error
    assert first.id == "email:email/archive.mbox#1" and third.id == "email:email/archive.mbox#3"
    assert first.metadata["campaign"] == "riverside-launch"
    assert [b.locator.line for b in first.blocks] == [4, 8]
    # An 8-bit body with no charset declared is decoded, not turned into replacement marks.
    assert third.title == "Новый район" and third.language == "ru"
    assert third.blocks[1].text.startswith("Мы подключили новый район.")


def test_folder_reports_the_file_that_is_not_mail_and_reads_the_rest():
    results = run("email")
    errors = [r for r in results if isinstance(r, CollectionError)]
    assert [e.source for e in errors] == ["email/archive.mbox:12", "email/not-a-message.eml:1"]
    assert len([r for r in results if isinstance(r, Touchpoint)]) == 7


def test_campaign_option_senders_filter_and_masking_off():
    assert one("email/reply.eml", campaign="support-replies").metadata["campaign"] == \
        "support-replies"
    assert run("email/reply.eml", senders=["@example.org"]) == []
    assert one("email/reply.eml", senders=["@acme.example"]).id == "email:email/reply.eml"
    raw = one("email/campaign-en.eml", mask_personal_data=False)
    assert "+44 20 7946 0958" in raw.blocks[-1].text
    assert raw.metadata["to"] == "customer@example.com"


def test_strip_reply_and_signature_rules():
    assert strip_reply_and_signature(["Thanks for waiting, it's fixed.", "", "Thanks,",
                                      "Anna"]) == ["Thanks for waiting, it's fixed."]
    # A sign-off far from the end is part of the message.
    body = ["Thanks,"] + [f"line {n}" for n in range(8)]
    assert strip_reply_and_signature(body) == body
    assert strip_reply_and_signature(["Done.", "-----Original Message-----", "old"]) == ["Done."]
    assert strip_reply_and_signature(["Готово.", "", "Отправлено с iPhone"]) == ["Готово."]


def test_missing_path():
    (error,) = run("email/none")
    assert "does not exist" in error.error and error.channel == "email"
