"""Masking personal data: phones, e-mail addresses, cards masked; prices, dates, times kept."""

from __future__ import annotations

import pytest

from auditor.privacy import mask_personal_data


@pytest.mark.parametrize(("text", "masked"), [
    ("+7 (912) 345-67-89", "[phone]"),
    ("Звоните: 8 (912) 345-67-89.", "Звоните: [phone]."),
    ("8-912-345-67-89", "[phone]"),
    ("89123456789", "[phone]"),
    ("+79123456789", "[phone]"),
    ("9123456789", "[phone]"),
    ("Тел.: +7 495 123-45-67.", "Тел.: [phone]."),
    ("городской 345-67-89", "городской [phone]"),
    ("+44 20 7946 0958", "[phone]"),
    ("soon+44 20 7946 0958", "soon[phone]"),  # the country code goes with the number
    ("+1-202-555-0143", "[phone]"),
    ("(212) 555-0199", "[phone]"),
    ("212-555-0199", "[phone]"),
    ("8 800 555-35-35", "[phone]"),
    ("anna@example.com", "[email]"),
    ("write to Anna.Petrova+bills@mail.example.co.uk, please", "write to [email], please"),
    ("почта@пример.рф", "[email]"),
    ("4111 1111 1111 1111", "[card]"),
    ("4111-1111-1111-1111", "[card]"),
    ("card 4111111111111111 expires", "card [card] expires"),
    ("Amex 3782 822463 10005", "Amex [card]"),
])
def test_personal_data_is_masked(text, masked):
    assert mask_personal_data(text) == masked


@pytest.mark.parametrize("text", [
    "20:00", "00:01:02.500", "2026-11-02", "02.11.2026", "2026-11-02 20:00",
    "2026-11-02-0931", "call-2026-11-02-0931", "2026-11-02 2026-11-03",
    "€32 every month", "1 990 ₽", "12 000 000 руб", "1 000 000 000", "Home 600 and Home 1000",
    "50%", "order 123456789012", "4111 1111 1111 1112",  # fails Luhn: not a card
    "0000 0000 0000 0000", "192.168.100.200", "v1.2.3", "555-0199", "C++11", "Q+1 answers",
])
def test_prices_dates_times_and_ids_are_kept(text):
    assert mask_personal_data(text) == text


def test_a_sentence_with_everything():
    text = ("Anna (anna@example.com, +7 912 345-67-89) paid €32 with 4111 1111 1111 1111 "
            "on 2026-11-02 at 20:00.")
    assert mask_personal_data(text) == ("Anna ([email], [phone]) paid €32 with [card] "
                                        "on 2026-11-02 at 20:00.")
    assert mask_personal_data("") == ""


def test_errors_that_quote_a_transcript_or_an_e_mail_mask_it_too(tmp_path):
    """A parse error quotes the line it stumbled on; that copy is masked like the rest."""
    from auditor.types import CollectionError
    from channels import CollectContext
    from channels.calls import CallsOptions
    from channels.calls import collect as collect_calls
    from channels.email import EmailOptions
    from channels.email import collect as collect_email

    (tmp_path / "call.txt").write_text("+7 912 345-67-89 called about the bill\n",
                                       encoding="utf-8")
    (tmp_path / "calls.csv").write_text(
        "call_id,speaker,text,start\nC-1,Agent,Hello,0\nC-1,Customer,Hi,+44 20 7946 0958\n",
        encoding="utf-8")
    (tmp_path / "note.eml").write_text("Ring anna@example.com on +44 20 7946 0958\n\nhi\n",
                                       encoding="utf-8")
    ctx = CollectContext(base_dir=tmp_path)
    errors = [r for options in (CallsOptions(path="call.txt"), CallsOptions(path="calls.csv"))
              for r in collect_calls(options, ctx)]
    errors += list(collect_email(EmailOptions(path="note.eml"), ctx))
    assert [type(e) for e in errors] == [CollectionError] * 3
    assert [e.source for e in errors] == ["call.txt:1", "calls.csv:3", "note.eml:1"]
    text = " ".join(e.error for e in errors)
    assert "[phone] called about" in text and "[email]" in text
    for raw in ("912", "7946", "anna@"):
        assert raw not in text
    (raw,) = list(collect_calls(CallsOptions(path="call.txt", mask_personal_data=False), ctx))
    assert "+7 912 345-67-89" in raw.error
