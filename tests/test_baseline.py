"""Baseline loading: the demo brand, the paragraph splitter, and every error a user can make.

Error cases are fixture folders under ``tests/fixtures/baselines/<case>/``; each must produce
a :class:`BaselineError` naming the file, the key or line, and what was expected.
"""

from __future__ import annotations

import csv
import json
import re
import tomllib
from pathlib import Path

import pytest

from auditor.errors import BaselineError
from auditor.text import detect_language
from baselines import (
    DEMO_BASELINE,
    Baseline,
    Thresholds,
    VoiceTarget,
    load_baseline,
    markdown_paragraphs,
)

FIXTURES = Path(__file__).parent / "fixtures" / "baselines"
SOURCES = DEMO_BASELINE / "sources"


@pytest.fixture(scope="module")
def demo() -> Baseline:
    return load_baseline(DEMO_BASELINE)


def _paragraphs(baseline: Baseline, language: str) -> list[str]:
    return [p for doc in baseline.exemplars if doc.language == language for p in doc.paragraphs]


# -- the demo brand ----------------------------------------------------------------------------

def test_demo_loads_with_its_name_and_languages(demo: Baseline) -> None:
    assert demo.name == "Sosna"
    assert demo.languages == ("en", "ru")
    assert demo.root == DEMO_BASELINE


def test_demo_has_enough_approved_copy_in_both_languages(demo: Baseline) -> None:
    assert len(_paragraphs(demo, "en")) >= 40
    assert len(_paragraphs(demo, "ru")) >= 30
    channels = {doc.path.split("/")[1] for doc in demo.exemplars}
    assert channels == {"web", "social", "calls"}
    for doc in demo.exemplars:
        assert doc.path.startswith("exemplars/")
        assert all(detect_language(p) == doc.language for p in doc.paragraphs), doc.path


def test_demo_exemplars_skip_front_matter_and_code(demo: Baseline) -> None:
    text = " ".join(p for doc in demo.exemplars for p in doc.paragraphs)
    assert "approved:" not in text and "channel:" not in text
    assert "0800 555 0142 (free, any time)" not in text      # fenced block in support.md
    assert "Fibre internet at home, without the fuss" in text  # heading kept, '#' removed
    assert "#" not in text


def test_demo_key_messages_in_english_and_russian(demo: Baseline) -> None:
    languages = [detect_language(message) for message in demo.key_messages]
    assert languages.count("en") == languages.count("ru") >= 4
    assert any("hidden fees" in message for message in demo.key_messages)
    assert any("скрытых платежей" in message for message in demo.key_messages)


def test_demo_settings(demo: Baseline) -> None:
    assert demo.voice == {}, "the demo's voice is learned from its approved copy"
    assert {"cheap", "халява", "только сегодня"} <= set(demo.banned_terms)
    assert demo.preferred_terms["customer"] == "you"
    assert demo.readability == (50.0, 85.0)
    assert demo.thresholds == Thresholds(warn_percentile=10.0, diverge_percentile=5.0)


def test_demo_counter_examples_in_both_languages(demo: Baseline) -> None:
    assert {doc.language for doc in demo.counter_examples} == {"en", "ru"}
    assert all(doc.path.startswith("counter_examples/") for doc in demo.counter_examples)


# -- the demo's live sources and their answer key ------------------------------------------------

def _expected() -> dict:
    return tomllib.loads((SOURCES / "expected.toml").read_text(encoding="utf-8"))


def _social_ids(name: str) -> list[str]:
    path = SOURCES / "social" / name
    if name.endswith(".jsonl"):
        return [json.loads(line)["id"] for line in path.read_text("utf-8").splitlines()]
    with path.open(encoding="utf-8", newline="") as handle:
        return [row["id"] for row in csv.DictReader(handle)]


def _sms_ids() -> list[str]:
    with (SOURCES / "sms" / "campaigns.csv").open(encoding="utf-8", newline="") as handle:
        return [row["id"] for row in csv.DictReader(handle)]


def _exists(source: str) -> bool:
    path, _, post_id = source.partition("#")
    if post_id and path.startswith("sms/"):
        return post_id in _sms_ids()
    if post_id:
        return post_id in _social_ids(Path(path).name)
    return (SOURCES / path).is_file()


def test_expected_sources_exist_and_cover_every_source() -> None:
    expected = _expected()
    listed = [e["source"] for e in expected["divergent"] + expected["on_brand"]]
    assert len(listed) == len(set(listed))
    assert all(_exists(source) for source in listed), [s for s in listed if not _exists(s)]

    pages = {f"site/{p.relative_to(SOURCES / 'site').as_posix()}"
             for p in (SOURCES / "site").rglob("*.html")}
    posts = {f"social/{name}#{pid}" for name in ("posts.jsonl", "posts.csv")
             for pid in _social_ids(name)}
    calls = {f"calls/{p.name}" for p in (SOURCES / "calls").iterdir() if p.is_file()}
    emails = {f"email/{p.name}" for p in (SOURCES / "email").glob("*.eml")}
    # One touchpoint per distinct SMS text: every listed campaign message exists (above).
    sms = {s for s in listed if s.startswith("sms/")}
    assert set(listed) == pages | posts | calls | emails | sms
    divergent = {e["source"] for e in expected["divergent"]}
    assert {"site/ru/aktsiya.html", "site/investors.html"} <= divergent


def test_every_expected_source_is_in_the_readme() -> None:
    readme = (SOURCES / "README.md").read_text(encoding="utf-8")
    for entry in _expected()["divergent"] + _expected()["on_brand"]:
        name = entry["source"].split("/", 1)[1]
        assert name.split("#")[-1] in readme or name in readme, entry["source"]


def test_site_pages_share_nav_and_footer() -> None:
    pages = sorted((SOURCES / "site").rglob("*.html"))
    assert 6 <= len(pages) <= 8
    shared = set()
    for page in pages:
        html = page.read_text(encoding="utf-8")
        nav = re.search(r"<header>.*?</header>", html, re.S).group(0)
        footer = re.search(r"<footer>.*?</footer>", html, re.S).group(0)
        shared.add((nav, footer))
        for needle in ("<title>", '<meta name="description"', "<h1>", "<h2>", "<ul>",
                       'class="button"', 'alt="'):
            assert needle in html, (page.name, needle)
        assert "http" not in re.sub(r'href="(mailto|tel):[^"]*"', "", html.split("<body>")[1])
    assert len(shared) == 1
    index = (SOURCES / "site" / "index.html").read_text(encoding="utf-8")
    for page in pages:
        assert f'href="/{page.relative_to(SOURCES / "site").as_posix()}"' in index
    assert '<html lang="ru">' in (SOURCES / "site" / "ru" / "aktsiya.html").read_text("utf-8")


def test_call_transcripts_format() -> None:
    agents: dict[str, int] = {}
    for path in sorted((SOURCES / "calls").glob("*.txt")):
        lines = path.read_text(encoding="utf-8").splitlines()
        header = dict(re.match(r"# (\w+): (.+)", line).groups() for line in lines[:3])
        assert header["call"] in path.name
        turns = lines[3:]
        assert 8 <= len(turns) <= 16, path.name
        labels = ("Agent", "Customer") if header["language"] == "en" else ("Оператор", "Клиент")
        for turn in turns:
            assert re.match(rf"(\[\d\d:\d\d:\d\d\] )?({'|'.join(labels)}): \S", turn), turn
        agents[header["agent"]] = agents.get(header["agent"], 0) + 1
    assert set(agents) == {"anna", "olga", "mark"}
    assert min(agents.values()) >= 2


# -- paragraphs ---------------------------------------------------------------------------------

def test_paragraph_rules_per_format() -> None:
    baseline = load_baseline(FIXTURES / "parsing")
    docs = {doc.path: doc for doc in baseline.exemplars}
    assert list(docs) == ["exemplars/social/post.ru.txt", "exemplars/web/page.html",
                          "exemplars/web/page.md"]  # sorted; .pdf and hidden folders ignored
    assert docs["exemplars/web/page.md"].paragraphs == (
        "A heading kept as text",
        "First paragraph starts here and continues on the next line with bold and italic words.",
        "A list item becomes its own paragraph.",
        "Another item, with a link to pricing.",
        "Numbered items lose their markers too.",
        "A quoted testimonial keeps its words.",
        "Last paragraph with inline code kept as words.",
    )
    assert docs["exemplars/web/page.html"].paragraphs == (
        "The main heading of the page",
        "A paragraph with a link inside it.",
        "A plain list item here.",
        "A list item holding a paragraph.",
    )
    ru = docs["exemplars/social/post.ru.txt"]
    assert ru.language == "ru" and len(ru.paragraphs) == 2
    assert [doc.path for doc in baseline.counter_examples] == ["counter_examples/pushy.md"]
    assert baseline.counter_examples[0].paragraphs == (
        "HURRY!!! Buy now before it is gone forever!!!",)


def test_settings_are_read_and_normalised() -> None:
    baseline = load_baseline(FIXTURES / "parsing" / "brand.toml")  # the file works too
    assert baseline.languages == ("en", "ru")
    assert baseline.key_messages == ("We answer any time.", "Отвечаем в любое время.")
    assert baseline.voice == {"warmth": VoiceTarget(0.6, 0.3), "respect": VoiceTarget(0.9, 0.1)}
    assert baseline.banned_terms == {"cheap": "say affordable", "халява": "скажите «бесплатно»"}
    assert baseline.readability == (50.0, 80.5)
    assert baseline.thresholds == Thresholds(warn_percentile=20.0, diverge_percentile=2.5)


def test_minimal_baseline_gets_defaults() -> None:
    baseline = load_baseline(str(FIXTURES / "minimal"))
    assert baseline.languages == ("en",)
    assert baseline.key_messages == () and baseline.counter_examples == ()
    assert baseline.voice == {} and baseline.readability is None
    assert baseline.thresholds == Thresholds()
    assert baseline.exemplars[0].paragraphs == (  # "Ok." is under three words
        "We answer the phone any time, day or night.",
        "Our prices include everything, and they never change without warning.",
    )


def test_languages_learned_most_copy_first(tmp_path: Path) -> None:
    (tmp_path / "exemplars").mkdir()
    (tmp_path / "brand.toml").write_text('name = "Two"\n', encoding="utf-8")
    (tmp_path / "exemplars" / "a.md").write_text("One English paragraph here.\n", "utf-8")
    (tmp_path / "exemplars" / "b.md").write_text(
        "Первый абзац по-русски.\n\nВторой абзац по-русски.\n", "utf-8")
    assert load_baseline(tmp_path).languages == ("ru", "en")


def test_markdown_front_matter_only_at_the_top() -> None:
    text = "Intro paragraph of copy.\n\n---\n\nAfter a rule, still copy.\n"
    assert markdown_paragraphs(text) == ["Intro paragraph of copy.", "After a rule, still copy."]
    assert markdown_paragraphs("+++\ntitle = 'x'\n+++\nBody text here.\n") == ["Body text here."]


# -- errors -------------------------------------------------------------------------------------

ERROR_CASES = [
    # case, key, line, fragments the message must contain (file is always checked)
    ("no_brand_toml", None, None, ["brand.toml not found", 'name = "Your brand"']),
    ("toml_syntax", None, 3, ["TOML syntax error", "quotes"]),
    ("unknown_top_key", "langauges", 3, ["unknown key (did you mean 'languages'?",
                                         "allowed: name, languages, key_messages"]),
    ("unknown_sub_key", "thresholds.diverge_percentil", 5,
     ["did you mean 'diverge_percentile'", "allowed: warn_percentile, diverge_percentile"]),
    ("unknown_voice_dimension", "voice.friendliness", 5,
     ["unknown key", "allowed: formality, warmth, confidence, customer_focus, respect"]),
    ("unknown_voice_key", "voice.warmth.tolerence", 4, ["did you mean 'tolerance'"]),
    ("voice_not_table", "voice", 2,
     ['got "warm and friendly", expected a table', "[voice] section"]),
    ("key_messages_not_list", "key_messages", 2,
     ['got "We answer any time.", expected a list of strings']),
    ("key_messages_bad_item", "key_messages", 2,
     ["entry 2 is 42, not a non-empty string", "a list of statements"]),
    ("tolerance_not_number", "voice.warmth.tolerance", 5,
     ['got "wide"', "expected a number above 0"]),
    ("target_out_of_range", "voice.respect.target", 4, ["got 2 (expected a number from -1 to 1)"]),
    ("banned_not_table", "terminology.banned", 4,
     ['got ["cheap", "hurry"], expected a table', "banned = {"]),
    ("readability_reversed", "readability.range", 4, ["got [80, 50]", "low < high"]),
    ("readability_one_number", "readability.range", 4, ["got [50]", "expected two numbers"]),
    ("percentiles_reversed", "thresholds.diverge_percentile", 5,
     ["out of order", "0 < diverge_percentile < warn_percentile < 100"]),
    ("missing_name", "name", None, ["missing required key 'name'", 'name = "Your brand"']),
    ("name_empty", "name", 1, ['got "  ", expected a non-empty string']),
]


@pytest.mark.parametrize(("case", "key", "line", "fragments"), ERROR_CASES,
                         ids=[case[0] for case in ERROR_CASES])
def test_brand_file_errors(case: str, key: str | None, line: int | None,
                           fragments: list[str]) -> None:
    with pytest.raises(BaselineError) as caught:
        load_baseline(FIXTURES / case)
    error = caught.value
    assert error.source == str(FIXTURES / case / "brand.toml")
    assert error.key == key
    assert error.line == line
    text = str(error)
    assert text.startswith(error.source + (f":{line}" if line else "") + ": ")
    if key:
        assert f"[{key}]" in text
    for fragment in fragments:
        assert fragment in text


def test_missing_folder() -> None:
    folder = FIXTURES / "does-not-exist"
    with pytest.raises(BaselineError) as caught:
        load_baseline(folder)
    assert caught.value.source == str(folder)
    assert "baseline folder not found" in str(caught.value)
    assert "brand.toml and exemplars/" in str(caught.value)


def test_folder_is_a_file() -> None:
    path = FIXTURES / "minimal" / "exemplars" / "only.txt"
    with pytest.raises(BaselineError, match="not a folder"):
        load_baseline(path)


@pytest.mark.parametrize("case", ["no_exemplars", "exemplars_wrong_type"])
def test_no_exemplar_files(case: str) -> None:
    with pytest.raises(BaselineError) as caught:
        load_baseline(FIXTURES / case)
    text = str(caught.value)
    assert caught.value.source == str(FIXTURES / case / "exemplars")
    assert "no exemplar files" in text
    assert ".md, .txt, .html, .htm" in text


def test_exemplars_with_only_short_paragraphs(tmp_path: Path) -> None:
    (tmp_path / "exemplars").mkdir()
    (tmp_path / "brand.toml").write_text('name = "Short"\n', encoding="utf-8")
    (tmp_path / "exemplars" / "a.txt").write_text("Hi there.\n\nBye.\n", encoding="utf-8")
    with pytest.raises(BaselineError, match="no paragraphs of 3\\+ words"):
        load_baseline(tmp_path)


def test_exemplar_not_utf8(tmp_path: Path) -> None:
    (tmp_path / "exemplars").mkdir()
    (tmp_path / "brand.toml").write_text('name = "Enc"\n', encoding="utf-8")
    bad = tmp_path / "exemplars" / "cp1251.txt"
    bad.write_bytes("Привет, это старая кодировка.".encode("cp1251"))
    with pytest.raises(BaselineError) as caught:
        load_baseline(tmp_path)
    assert caught.value.source == str(bad)
    assert "UTF-8" in str(caught.value)


def test_key_in_a_comment_is_not_its_line(tmp_path: Path) -> None:
    (tmp_path / "brand.toml").write_text(
        '# warmth = { target = 9 } is how not to do it\nname = "C"\n\n[voice]\n'
        'warmth = { target = 9 }\n', encoding="utf-8")
    with pytest.raises(BaselineError) as caught:
        load_baseline(tmp_path)
    assert caught.value.line == 5


def test_an_exemplars_front_matter_declares_its_language(tmp_path: Path) -> None:
    """Copy full of product names reads as English to the identifier; a Markdown exemplar's
    front matter (YAML or TOML, ``lang`` or ``language``) says what it is, as an audited
    file's does, and is not copy itself."""
    (tmp_path / "exemplars").mkdir()
    (tmp_path / "brand.toml").write_text('name = "Sosna"\n', encoding="utf-8")
    tagline = "Sosna Fibre 500 Mbit, Wi-Fi 6 router and Smart TV box included.\n"
    files = {"yaml.md": f"---\nlang: ru-RU\ntitle: Tariffs\n---\n{tagline}",
             "toml.md": f'+++\nlanguage = "ru"\n+++\n{tagline}',
             "plain.md": tagline}
    for name, text in files.items():
        (tmp_path / "exemplars" / name).write_text(text, encoding="utf-8")
    docs = {Path(d.path).name: d for d in load_baseline(tmp_path).exemplars}
    assert {n: d.language for n, d in docs.items()} == {
        "yaml.md": "ru", "toml.md": "ru", "plain.md": "en"}
    assert all(d.paragraphs == (tagline.strip(),) for d in docs.values())
