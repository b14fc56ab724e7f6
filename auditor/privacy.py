"""Personal data out of collected copy: phone numbers, e-mail addresses and payment cards.

Call transcripts, e-mails and SMS exports carry customers' contact details. Collectors of those
channels mask them at collection time (``mask_personal_data = true`` by default in their config
sections), so nothing unmasked reaches the store or any report.

What is masked, and what is deliberately left alone:

* e-mail addresses, Unicode ones too (``почта@пример.рф``) -> ``[email]``;
* card-like numbers: 13-19 digits, optionally grouped with single spaces or dashes, that pass
  the Luhn check -> ``[card]`` (a 16-digit order number that fails Luhn stays);
* phone numbers -> ``[phone]``: international ``+CC ...`` (8-15 digits), Russian ``8 (912)
  345-67-89`` / ``+7 912 345 67 89`` / ``89123456789``, grouped national numbers such as
  ``(912) 345-67-89`` or ``212-555-0199`` (10-15 digits), and dashed local numbers
  ``345-67-89``;
* left alone: prices (``€32``, ``1 990 ₽``, ``12 000 000``), dates (``2026-11-02``,
  ``02.11.2026``), times (``20:00``, ``00:01:02``), percentages and short numbers.
"""

from __future__ import annotations

import re

PHONE = "[phone]"
EMAIL = "[email]"
CARD = "[card]"

_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)+", re.UNICODE)
# 13-19 digits, single space or dash between groups; checked with Luhn afterwards.
_CARD = re.compile(r"(?<![\w+.,:-])\d(?:[ -]?\d){12,18}(?![\w.,:-]?\d)")
# A phone candidate: optional "+", digits in groups separated by one space, dash, dot or a
# bracketed area code. Counting digits and looking at the groups happens in ``_is_phone``.
_PHONE = re.compile(
    # Not inside a word, URL, decimal or time; a "+" may follow a letter ("call us+44 ..."),
    # so the country code goes with the number.
    r"(?:(?<![\w+/.:])|(?<=[^\W\d_])(?=\+))"
    r"(?:\+\s?)?"
    r"(?:\(\d{1,5}\)\s?|\d{1,5}[ \-.]?\(\d{1,5}\)\s?)?"
    r"\d{1,15}(?:[ \-.]\d{1,5}){0,5}"
    r"(?![\w/]|[.:,]\d)"                   # not followed by more of a number or a word
)
_ISO_DATE = re.compile(r"^(?:19|20)\d\d[-./](?:0?[1-9]|1[0-2])[-./](?:0?[1-9]|[12]\d|3[01])")
_DMY_DATE = re.compile(r"^(?:0?[1-9]|[12]\d|3[01])[-./](?:0?[1-9]|1[0-2])[-./](?:19|20)\d\d")
_LOCAL_DASHED = re.compile(r"^\d{3}-\d{2}-\d{2}$")  # Russian local number: 345-67-89


def mask_personal_data(text: str) -> str:
    """``text`` with phone numbers, e-mail addresses and card numbers replaced by placeholders.

    >>> mask_personal_data("Call +7 (912) 345-67-89 or write to anna@example.com")
    'Call [phone] or write to [email]'
    >>> mask_personal_data("Card 4111 1111 1111 1111, €32 from 2026-11-02 at 20:00")
    'Card [card], €32 from 2026-11-02 at 20:00'
    """
    if not text:
        return text
    text = _EMAIL.sub(EMAIL, text)
    text = _CARD.sub(lambda m: CARD if _is_card(m.group(0)) else m.group(0), text)
    return _PHONE.sub(lambda m: PHONE if _is_phone(m.group(0)) else m.group(0), text)


def _is_card(candidate: str) -> bool:
    # Printed cards group digits by 4 (Amex 4-6-5); "2026-11-02 2026-11-03" is two dates.
    groups = re.split(r"[ -]", candidate)
    if len(groups) > 1 and not all(4 <= len(g) <= 6 for g in groups[:-1]):
        return False
    return _luhn(candidate)


def _luhn(candidate: str) -> bool:
    digits = [int(c) for c in candidate if c.isdigit()]
    if not 13 <= len(digits) <= 19 or len(set(digits)) == 1:  # 0000 0000 0000 0000 is no card
        return False
    total = 0
    for position, digit in enumerate(reversed(digits)):
        if position % 2:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return total % 10 == 0


def _is_phone(candidate: str) -> bool:
    digits = re.sub(r"\D", "", candidate)
    stripped = candidate.strip()
    if _ISO_DATE.match(stripped) or _DMY_DATE.match(stripped):
        return False
    if stripped.startswith("+"):
        return 8 <= len(digits) <= 15
    if _LOCAL_DASHED.match(stripped):
        return True
    if "(" in stripped:  # a bracketed area code is a phone number's signature
        return 7 <= len(digits) <= 15
    groups = re.split(r"[ \-.]", stripped)
    if len(groups) == 1:
        # A bare run of digits is an account or order number unless it has a mobile number's
        # shape: 8/7 + ten digits (Russia), or ten digits starting with 9 (Russian mobile).
        return (len(digits) == 11 and digits[0] in "78" and digits[1] == "9") or (
            len(digits) == 10 and digits[0] == "9")
    if not 10 <= len(digits) <= 15:
        return False
    # "12 000 000 000": thousands separators, an amount, not a phone number.
    if len(groups[0]) <= 3 and all(len(g) == 3 for g in groups[1:]) and not re.search(
            r"-", stripped):
        return False
    return True
