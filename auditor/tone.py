"""Voice dimensions: where a touchpoint sits between formal and casual, cold and warm,
hesitant and confident, about-us and about-you, pushy and respectful.

Each dimension combines a semantic axis (how much closer a sentence's meaning is to the
``high`` pole's anchor phrases than to the ``low`` pole's; anchors in English and Russian live
in ``baselines/tone/anchors.toml``) with style features a reviewer can see: contractions and
emoji, thanks and apologies, hedges, "you" versus "we", superlatives and competitors,
capitals, exclamation marks and imperatives. Values run from -1 to +1.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np  # imported where vectors are used: rules-only runs never load it

    from auditor.embedding import Embedder

ANCHORS = Path(__file__).resolve().parent.parent / "baselines" / "tone" / "anchors.toml"
DIMENSIONS = ("formality", "warmth", "confidence", "customer_focus", "respect")
#: The anchor languages that make the axes (their scale, ``_SCALE``, was set with these);
#: phrases in other languages only measure what the model loses across languages
#: (``parallel_phrases``), and copy in any language is placed on the same axes.
AXIS_LANGUAGES = ("en", "ru")
SEMANTIC_WEIGHT = 0.7
_SCALE = 6.0  # similarity differences of ~0.1-0.2 map to clear positions on the axis


@dataclass(frozen=True)
class Dimension:
    name: str
    title: str
    low_label: str
    high_label: str
    low: tuple[str, ...]
    high: tuple[str, ...]


@cache
def dimensions(path: Path = ANCHORS) -> tuple[Dimension, ...]:
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    out = []
    for name in DIMENSIONS:
        table = data[name]
        low, high = (tuple(p for lang in AXIS_LANGUAGES for p in table[pole].get(lang, ()))
                     for pole in ("low", "high"))
        out.append(Dimension(name, table["title"], table["low_label"], table["high_label"],
                             low, high))
    return tuple(out)


@cache
def parallel_phrases(path: Path = ANCHORS) -> dict[str, list[str]]:
    """The anchor phrases by language, in parallel order (each is a translation of the
    others), for measuring what a multilingual model loses across languages."""
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    out: dict[str, list[str]] = {}
    for name in DIMENSIONS:
        for pole in ("low", "high"):
            for language, phrases in data[name][pole].items():
                out.setdefault(language, []).extend(phrases)
    lengths = {len(v) for v in out.values()}
    return out if len(lengths) == 1 else {}


@dataclass(frozen=True)
class ToneAxes:
    """The anchor phrases embedded once per model."""

    low: tuple[np.ndarray, ...]
    high: tuple[np.ndarray, ...]
    embedder: Embedder | None = None

    def encode(self, texts: list[str]) -> np.ndarray:
        return self.embedder.encode(texts)

    @classmethod
    def build(cls, embedder: Embedder) -> ToneAxes:
        dims = dimensions()
        texts = [p for d in dims for p in (*d.low, *d.high)]
        vectors = embedder.encode(texts)
        low, high, i = [], [], 0
        for d in dims:
            low.append(vectors[i:i + len(d.low)])
            i += len(d.low)
            high.append(vectors[i:i + len(d.high)])
            i += len(d.high)
        return cls(tuple(low), tuple(high), embedder)

    def semantic(self, vectors: np.ndarray) -> np.ndarray:
        """(n, len(DIMENSIONS)) semantic positions of sentence vectors, -1 .. +1."""
        import numpy as np

        out = np.zeros((len(vectors), len(DIMENSIONS)), dtype=np.float32)
        if not len(vectors):
            return out
        for j, (low, high) in enumerate(zip(self.low, self.high)):
            s_low = _top_mean(vectors @ low.T)
            s_high = _top_mean(vectors @ high.T)
            out[:, j] = np.tanh((s_high - s_low) * _SCALE)
        return out


def _top_mean(sims: np.ndarray, k: int = 3) -> np.ndarray:
    from auditor.embedding import top_k

    return top_k(sims, min(k, sims.shape[1])).mean(axis=1)


def _words(alternatives: str, whole: bool = True) -> re.Pattern[str]:
    """Case-insensitive ``alternatives`` ("a|b|c", each starting with a plain letter) found
    at the start of a word, and ending one when ``whole``.

    Their first letters are looked for first (a lookahead the search skips to at C speed):
    four times faster than trying every alternative at every character of a text.
    """
    firsts = {alternative[:1] for alternative in alternatives.split("|")}
    if not all(first.isalpha() or first == "№" for first in firsts):
        raise ValueError(f"every alternative must start with a letter: {alternatives!r}")
    return re.compile(f"(?=[{''.join(sorted(firsts))}])(?<!\\w)(?:{alternatives})"
                      + ("(?!\\w)" if whole else ""), re.I)


# Style features: (pattern, language) lists. Rates are per word or per sentence.
_CONTRACTIONS = re.compile(r"\b\w+'(?:re|ll|ve|m|d|s|t)\b|\b(?:gonna|wanna|yep|nope|hey|cool|"
                           r"awesome|oops)\b", re.I)
_INFORMAL_RU = _words("ты|тебя|тебе|тобой|твой|твоя|твоё|твои|твоих|привет|щас|ок|окей|круто|"
                      "супер|норм")
_WARM = _words("thank|thanks|glad|happy to|delighted|sorry|apologi[sz]e|understand|appreciate|"
               "welcome|спасибо|благодар|рады|рад |с удовольствием|извин|прости|понимаем|"
               "понимаю|ценим|добро пожаловать", whole=False)
_HEDGES = _words("maybe|perhaps|might|possibly|probably|hopefully|we think|we believe|try to|"
                 "not sure|seems?|возможно|наверное|может быть|постараемся|попробуем|вероятно|"
                 "кажется|не уверен|скорее всего")
_YOU = _words("you|your|yours|yourself|вы|вас|вам|вами|ваш|ваша|ваше|ваши|вашего|вашей|вашу|"
              "ваших|ты|тебя|тебе|твой")
_WE = _words("we|our|ours|us|мы|нас|нам|нами|наш|наша|наше|наши|нашего|нашей|нашу|наших")
_BOAST = _words(r"best|leading|leader|number one|no\.? ?1|№ ?1|unmatched|unrivall?ed|world-class|"
                r"best-in-class|competitors?|rivals?|лучш\w*|ведущ\w*|лидер\w*|номер один|"
                r"конкурент\w*|непревзойд\w*")
_EMOJI = re.compile("[\U0001F300-\U0001FAFF\u2600-\u27BF]")
_IMPERATIVE_EN = re.compile(r"^(?:buy|order|call|click|get|grab|hurry|act|sign|join|upgrade|"
                            r"subscribe|book|don't|shop|claim|register|download)\b", re.I)
_IMPERATIVE_RU = re.compile(r"^(?:купи|закажи|звони|позвони|жми|нажми|успей|спеши|торопи|"
                            r"оформи|подключи|переходи|регистрируй|получи|забери|не упусти)\w*",
                            re.I)


def style(sentences: list[str]) -> np.ndarray:
    """Style features of a text as positions on each dimension, -1 .. +1."""
    import numpy as np

    text = " ".join(sentences)
    words = max(len(text.split()), 1)
    n = max(len(sentences), 1)
    per100 = 100.0 / words

    def rate(pattern: re.Pattern[str]) -> float:
        return len(pattern.findall(text)) * per100

    exclaim = text.count("!") / n
    emoji = len(_EMOJI.findall(text)) / n
    caps = sum(1 for w in re.findall(r"[^\W\d_]{3,}", text) if w.isupper()) * per100
    imperative = sum(bool(_IMPERATIVE_EN.match(s.strip()) or _IMPERATIVE_RU.match(s.strip()))
                     for s in sentences) / n
    you, we = rate(_YOU), rate(_WE)
    formality = np.tanh(0.4 * rate(_CONTRACTIONS) + 0.6 * rate(_INFORMAL_RU) + 0.8 * exclaim
                        + 1.0 * emoji) * 2 - 1
    warmth = np.tanh(0.5 * rate(_WARM) + 0.5 * emoji) * 2 - 1
    confidence = 1 - 2 * np.tanh(0.6 * rate(_HEDGES))
    focus = np.tanh(0.25 * (you - we) - 0.6 * rate(_BOAST))
    respect = 1 - 2 * np.tanh(0.5 * max(exclaim - 0.3, 0) + 0.3 * caps + 1.2 * imperative)
    return np.clip(np.array([formality, warmth, confidence, focus, respect],
                            dtype=np.float32), -1, 1)


def tone_of(sentences: list[str], vectors: np.ndarray | None, axes: ToneAxes,
            weights: np.ndarray | None = None, styled: np.ndarray | None = None,
            semantic: np.ndarray | None = None) -> np.ndarray:
    """Positions of one text on every dimension, from its sentences and their vectors.

    ``styled`` (``style(sentences)``) and ``semantic`` (``axes.semantic(vectors)``) are used
    when they were computed already."""
    import numpy as np

    if not sentences:
        return np.zeros(len(DIMENSIONS), dtype=np.float32)
    semantic = axes.semantic(vectors) if semantic is None else semantic
    w = np.ones(len(sentences)) if weights is None else weights
    mean_semantic = (semantic * w[:, None]).sum(axis=0) / w.sum()
    styled = style(sentences) if styled is None else styled
    return np.clip(SEMANTIC_WEIGHT * mean_semantic + (1 - SEMANTIC_WEIGHT) * styled, -1, 1)


def describe(dimension: str, value: float) -> str:
    """'warm', 'rather cold', ... for people to read."""
    d = next(x for x in dimensions() if x.name == dimension)
    label = d.high_label if value >= 0 else d.low_label
    strength = abs(value)
    if strength < 0.15:
        return f"neither {d.low_label} nor {d.high_label}"
    return f"{'very ' if strength > 0.6 else 'rather ' if strength < 0.35 else ''}{label}"


@dataclass(frozen=True)
class ToneTarget:
    target: float
    tolerance: float
    learned: bool
    sentence_sd: float = 0.0  # how much single approved sentences vary on this dimension

    def allowed(self, sentences: int) -> float:
        """The tolerance for a text of ``sentences`` sentences: short texts vary more."""
        return max(self.tolerance, 2.0 * self.sentence_sd / max(sentences, 1) ** 0.5)


def learn_targets(doc_tones: dict[str, list[np.ndarray]], declared: dict,
                  sentence_tones: dict[str, np.ndarray] | None = None) -> dict[str, dict]:
    """Targets per language and dimension: declared in brand.toml, else learned.

    ``doc_tones`` maps a language to the tone of each approved file in it. A learned target is
    the approved files' mean; its tolerance covers the approved copy's own spread (the largest
    deviation among its files, plus a margin), so on-brand copy is not flagged for a variation
    the brand already shows. Key "*" holds the targets over all languages.
    """
    import numpy as np

    out: dict[str, dict] = {}
    all_tones = [t for tones in doc_tones.values() for t in tones]
    for language, tones in [("*", all_tones), *doc_tones.items()]:
        if len(tones) < 2 and language != "*":
            continue
        matrix = np.array(tones) if tones else np.zeros((1, len(DIMENSIONS)))
        per_sentence = (sentence_tones or {}).get(language)
        targets = {}
        for j, name in enumerate(DIMENSIONS):
            spread = float(np.max(np.abs(matrix[:, j] - matrix[:, j].mean()))) + 0.1
            sd = (round(float(np.std(per_sentence[:, j])), 3)
                  if per_sentence is not None and len(per_sentence) > 1 else 0.0)
            if name in declared:
                d = declared[name]
                targets[name] = ToneTarget(d.target, max(d.tolerance, 0.05), False, sd)
            else:
                targets[name] = ToneTarget(round(float(matrix[:, j].mean()), 3),
                                           round(max(spread, 0.25), 3), True, sd)
        out[language] = targets
    return out


_ADVICE = {
    ("formality", -1): "Say it the way you would to a customer across the counter: shorter "
                       "sentences, everyday words, 'you' and 'we'.",
    ("formality", 1): "Drop the slang and the exclamation marks; plain, friendly sentences "
                      "carry the brand better.",
    ("warmth", -1): "Acknowledge the person: thank them, say you understand, and say what "
                    "you will do for them.",
    ("warmth", 1): "Keep the kindness but cut the gushing; one sincere sentence is enough.",
    ("confidence", -1): "State what you do and when; drop 'maybe', 'we'll try', 'hopefully'.",
    ("confidence", 1): "Back the claim with a fact the customer can check, or soften it.",
    ("customer_focus", -1): "Write about the customer and their problem, not about the "
                            "company, its awards or its competitors.",
    ("customer_focus", 1): "",
    ("respect", -1): "Invite instead of pushing: no pressure, no invented deadlines, no "
                     "capitals; let the customer decide in their own time.",
    ("respect", 1): "",
}
_ADVICE_RU = {
    ("formality", -1): "Скажите так, как сказали бы клиенту у стойки: короче, обычными словами, "
                       "на «вы» и «мы».",
    ("formality", 1): "Уберите сленг и восклицательные знаки: простые дружелюбные фразы лучше "
                      "несут бренд.",
    ("warmth", -1): "Обратитесь к человеку: поблагодарите, скажите, что понимаете, и что вы для "
                    "него сделаете.",
    ("warmth", 1): "Сохраните доброту, но без сюсюканья: одной искренней фразы достаточно.",
    ("confidence", -1): "Скажите, что вы делаете и когда; уберите «может быть», «постараемся», "
                        "«надеемся».",
    ("confidence", 1): "Подкрепите утверждение фактом, который клиент может проверить, или "
                       "смягчите его.",
    ("customer_focus", -1): "Пишите о клиенте и его задаче, а не о компании, её наградах или "
                            "конкурентах.",
    ("respect", -1): "Приглашайте, а не давите: без нажима, выдуманных сроков и заглавных "
                     "букв; пусть клиент решит в своё время.",
}


#: Dimensions where only falling short is a problem: copy is never too respectful or too
#: much about the customer.
ONE_SIDED = ("customer_focus", "respect")


def off_target(values: np.ndarray, targets: dict[str, ToneTarget], sentences: int
               ) -> list[tuple[int, str, float, ToneTarget]]:
    """(dimension index, name, value, target) for every dimension outside its tolerance."""
    out = []
    for j, name in enumerate(DIMENSIONS):
        t = targets.get(name)
        if t is None:
            continue
        deviation = float(values[j]) - t.target
        if name in ONE_SIDED:
            deviation = min(deviation, 0.0)
        if abs(deviation) > t.allowed(sentences):
            out.append((j, name, float(values[j]), t))
    return out


def rule_titles() -> dict[str, dict[str, str]]:
    """``tone.<dimension>`` → title by report language (``checks.rule_titles``)."""
    return {f"tone.{d.name}": {"en": f"Tone: {d.title.lower()}",
                               **({"ru": f"Тон: {_RU[d.name][0]}"} if d.name in _RU else {})}
            for d in dimensions()}


def rule_docs() -> dict[str, str]:
    """``tone.<dimension>`` → documentation, for ``brand-audit explain``."""
    docs = {}
    for d in dimensions():
        sides = [(-1, d.low_label), (1, d.high_label)]
        if d.name in ONE_SIDED:
            sides = sides[:1]
        fixes = "\n".join(f"Fix (too {label}): {_ADVICE[(d.name, direction)]}"
                           for direction, label in sides if _ADVICE.get((d.name, direction)))
        examples = "\n".join(f"Example ({label}): \"{phrases[0]}\""
                             for (_, label), phrases in zip(sides, (d.low, d.high)) if phrases)
        docs[f"tone.{d.name}"] = (
            f"Tone: {d.title.lower()}. Flags a touchpoint whose voice sits further from the "
            f"brand's target than the approved copy's own spread ('info'), or twice as far "
            f"('warning').\n\n"
            f"Where copy sits between {d.low_label} (-1) and {d.high_label} (+1) combines its "
            "meaning (closeness to anchor phrases in English and Russian, "
            "baselines/tone/anchors.toml) with style a reviewer can see: contractions and "
            "emoji, thanks and apologies, hedges, 'you' versus 'we', capitals, exclamation "
            "marks and imperatives. The target comes from brand.toml [voice] or is learned "
            "from the approved copy; the finding quotes the sentence that pulls furthest off "
            "target and the nearest approved example."
            + (" Only falling short counts: copy is never too "
               f"{d.high_label}." if d.name in ONE_SIDED else "")
            + (f"\n\n{examples}" if examples else "")
            + (f"\n{fixes}" if fixes else ""))
    return docs


#: Each dimension in Russian: its scale, and "more ..." towards its low and its high end.
_RU = {
    "formality": ("официально ↔ разговорно", "официальнее", "разговорнее"),
    "warmth": ("холодно ↔ тепло", "холоднее", "теплее"),
    "confidence": ("неуверенно ↔ уверенно", "неувереннее", "увереннее"),
    "customer_focus": ("о себе ↔ о клиенте", "больше о себе и меньше о клиенте",
                       "больше о клиенте"),
    "respect": ("напористо ↔ уважительно", "напористее", "уважительнее"),
}


def advice(dimension: str, direction: int, language: str = "en") -> str:
    """What to do about copy too far towards ``direction`` (-1 low, +1 high) on
    ``dimension``, in ``language`` ("en", "ru"); "" when there is no advice."""
    return (_ADVICE_RU if language == "ru" else _ADVICE).get((dimension, direction), "")


def explain_off_target(name: str, value: float, target: ToneTarget, brand: str) -> str:
    d = next(x for x in dimensions() if x.name == name)
    direction = d.high_label if value > target.target else d.low_label
    return (f"Sounds more {direction} than {brand}: {describe(name, value)} ({value:+.2f}) "
            f"where the brand is {describe(name, target.target)} ({target.target:+.2f} ± "
            f"{target.tolerance:.2f}) on {d.title.lower()}.")


def explain_off_target_ru(name: str, value: float, target: ToneTarget, brand: str) -> str:
    """``explain_off_target`` in Russian."""
    def number(v: float, sign: str = "+") -> str:
        return format(v, f"{sign}.2f").replace(".", ",")  # a decimal comma in Russian

    scale, lower, higher = _RU[name]
    return (f"Звучит {higher if value > target.target else lower}, чем «{brand}»: "
            f"{number(value)} по шкале «{scale}», а бренд держится {number(target.target)} ± "
            f"{number(target.tolerance, '')}.")
