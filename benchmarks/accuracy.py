"""Accuracy on real copy nobody on the team wrote (``../shared/data``).

    .venv/bin/python -m benchmarks.accuracy [--quick] [--no-write]

Every figure is measured through the product's own scoring (``auditor.engine.prepare`` and
``score_touchpoints``), with the default embedding model and a persistent embedding cache:

1. Brand discrimination. A baseline of at most 200 approved paragraphs from one organisation
   or channel; its held-out copy must score above other brands' copy (ROC AUC of the raw brand
   similarity). English: public_sector_orgs_copy (18F, CDS, GOV.UK, three organisations writing
   in a very similar plain style). Russian: telegram_channels_ru, each channel against the
   others, without peers and with peers (the baseline's ``peers/`` copy taken from channels that
   are not among the negatives).
2. The same brand across channels: a baseline from the organisation's website, its blog as
   positives, other organisations' copy as negatives. And a large audit (full runs only): the
   English brands with 3,000 held-out paragraphs against 6,000 of the others', past the size
   the contrast model learns from (``auditor.scoring.CONTRAST_SAMPLE``), scored as the product
   scores them and, for comparison, with every paragraph learnt from.
3. Respect: Russian Telegram spam against ordinary messages, and English clickbait against news
   headlines. Flagged = the respect check raises an error-severity finding (what makes a
   touchpoint diverge). Precision and recall overall and on length-matched samples (spam is
   longer than chat replies: length alone separates them). The Russian spam figures are
   reported on a held-out half (ids with an odd hash); the phrase lists were written from
   knowledge of Russian spam and checked against the other half only.
4. False alarms of the respect check on brands' own copy (Russian media brands' Telegram posts,
   English public-sector web copy; held-out halves): the share flagged, each one a false alarm.

Writes the "## Accuracy" section of docs/benchmarks.md and benchmarks/accuracy.json; the floors
pinned in benchmarks/accuracy_floors.toml are checked by tests/test_accuracy.py.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import random
import sys
import time
import tomllib
from collections import Counter, defaultdict
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from benchmarks.common import DATA, REPO, machine_line, read_jsonl, write_section

SECTION = "## Accuracy"
RESULTS = REPO / "benchmarks" / "accuracy.json"
FLOORS = REPO / "benchmarks" / "accuracy_floors.toml"
SEED = 7
BASELINE_PARAGRAPHS = 200
LARGE_OWN = 3_000  # a brand's own paragraphs in the large audit (and each other brand's)
MIN_CHARS = 40


@dataclass
class Case:
    name: str
    language: str
    approved: list[tuple[str, str]]            # (text, file it belongs to)
    positives: list[str]
    negatives: list[str]
    peers: list[tuple[str, str]] = field(default_factory=list)


def _scorer(model: str | None = None):
    from auditor.engine import open_embedder
    from auditor.store import Store

    cache = Path.home() / ".cache" / "brand-audit" / "benchmarks.db"
    cache.parent.mkdir(parents=True, exist_ok=True)
    return open_embedder(model, Store(cache))


def brand_similarity(case: Case, embedder) -> tuple[np.ndarray, np.ndarray]:
    """Raw brand similarity of the case's positives and negatives, through the product."""
    from auditor.engine import prepare, score_touchpoints
    from auditor.types import Block, Locator, Touchpoint
    from baselines import Baseline, ExemplarDoc

    def docs(pairs: list[tuple[str, str]]) -> tuple[ExemplarDoc, ...]:
        grouped: dict[str, list[str]] = defaultdict(list)
        for text, source in pairs:
            grouped[source].append(text)
        return tuple(ExemplarDoc(src, case.language, tuple(texts))
                     for src, texts in grouped.items())

    baseline = Baseline(name=case.name, root=Path("."), languages=(case.language,),
                        key_messages=(), exemplars=docs(case.approved), peers=docs(case.peers))
    texts = case.positives + case.negatives
    touchpoints = [Touchpoint(id=f"t{i}", channel="social", source=f"t{i}", title="",
                              language=case.language,
                              blocks=(Block(text, "social.post", Locator(f"t{i}")),))
                   for i, text in enumerate(texts)]
    scoring = prepare(baseline, embedder)
    scored = score_touchpoints(touchpoints, scoring)
    values = np.array([r.similarity if r.similarity is not None else -1e9
                       for r in scored.results])
    labels = np.r_[np.ones(len(case.positives)), np.zeros(len(case.negatives))]
    return labels, values


def auc(labels: np.ndarray, values: np.ndarray) -> float:
    from sklearn.metrics import roc_auc_score

    return float(roc_auc_score(labels, values))


# ------------------------------------------------------------------------------ cases


def english_cases(quick: bool) -> list[Case]:
    rows = [r for r in read_jsonl(DATA / "public_sector_orgs_copy.jsonl")
            if r["lang"] == "en" and len(r["text"]) >= MIN_CHARS]
    by_brand: dict[str, list[dict]] = defaultdict(list)
    for r in rows:
        by_brand[r["brand"]].append(r)
    rng = random.Random(SEED)
    n_test = 100 if quick else 300
    cases = []
    held: dict[str, list[dict]] = {}
    approved: dict[str, list[dict]] = {}
    for brand, items in sorted(by_brand.items()):
        items = items[:]
        rng.shuffle(items)
        approved[brand] = items[:BASELINE_PARAGRAPHS]
        held[brand] = items[BASELINE_PARAGRAPHS:]
    for brand in sorted(by_brand):
        negatives = [r["text"] for other in sorted(by_brand) if other != brand
                     for r in held[other][:n_test]]
        cases.append(Case(f"en {brand}", "en",
                          [(r["text"], r["doc_path"]) for r in approved[brand]],
                          [r["text"] for r in held[brand][:n_test]], negatives))
    return cases


def cross_channel_cases(quick: bool) -> list[Case]:
    rows = [r for r in read_jsonl(DATA / "public_sector_orgs_copy.jsonl")
            if r["lang"] == "en" and len(r["text"]) >= MIN_CHARS]
    rng = random.Random(SEED + 1)
    rng.shuffle(rows)
    n_test = 100 if quick else 300
    cases = []
    for brand in ("18F", "CDS-SNC (Canadian Digital Service)"):
        website = [r for r in rows if r["brand"] == brand and r["channel"] == "website"]
        blog = [r["text"] for r in rows if r["brand"] == brand and r["channel"] == "blog"]
        others = [r["text"] for r in rows if r["brand"] != brand][:n_test * 2]
        cases.append(Case(f"en {brand}: website → blog", "en",
                          [(r["text"], r["doc_path"]) for r in website[:BASELINE_PARAGRAPHS]],
                          blog[:n_test], others))
    return cases


def large_cases(quick: bool) -> list[Case]:
    """Each English brand in an audit of 9,000 paragraphs (3,000 its own): more than the
    contrast model learns from, so most paragraphs are scored by models fitted on a sample."""
    if quick:
        return []
    rows = [r for r in read_jsonl(DATA / "public_sector_orgs_copy.jsonl")
            if r["lang"] == "en" and len(r["text"]) >= MIN_CHARS]
    by_brand: dict[str, list[dict]] = defaultdict(list)
    for r in rows:
        by_brand[r["brand"]].append(r)
    rng = random.Random(SEED)  # the same approved copy as the English cases
    approved, held = {}, {}
    for brand, items in sorted(by_brand.items()):
        items = items[:]
        rng.shuffle(items)
        approved[brand], held[brand] = items[:BASELINE_PARAGRAPHS], items[BASELINE_PARAGRAPHS:]
    return [Case(f"en {brand}", "en", [(r["text"], r["doc_path"]) for r in approved[brand]],
                 [r["text"] for r in held[brand][:LARGE_OWN]],
                 [r["text"] for other in sorted(by_brand) if other != brand
                  for r in held[other][:LARGE_OWN]])
            for brand in sorted(by_brand)]


@contextmanager
def every_paragraph_learnt():
    """The contrast model learns from the whole audit, however large (for comparison)."""
    from auditor import scoring

    sample = scoring.CONTRAST_SAMPLE
    scoring.CONTRAST_SAMPLE = 10**12
    try:
        yield
    finally:
        scoring.CONTRAST_SAMPLE = sample


def russian_cases(quick: bool, with_peers: bool) -> list[Case]:
    """Each channel against the others. With peers, the brand's peers are its siblings from
    the same publisher and half of the other channels (the competitors a brand would name);
    the negatives come only from the remaining channels."""
    rows = [r for r in read_jsonl(DATA / "telegram_channels_ru.jsonl")
            if len(r["text"]) >= MIN_CHARS]
    by_brand: dict[str, list[str]] = defaultdict(list)
    family: dict[str, str] = {}
    for r in rows:
        by_brand[r["brand"]].append(r["text"])
        family[r["brand"]] = r.get("brand_family") or r["brand"]
    rng = random.Random(SEED + 2)
    brands = sorted(by_brand)
    for items in by_brand.values():
        rng.shuffle(items)
    n_test = 75 if quick else 150
    picked = brands[::3] if quick else brands
    cases = []
    for brand in picked:
        others = [b for b in brands if b != brand]
        rng.shuffle(others)
        if with_peers:
            siblings = [b for b in others if family[b] == family[brand]]
            rest = [b for b in others if b not in siblings]
            peer_brands = siblings + rest[:len(rest) // 2]
            negative_brands = rest[len(rest) // 2:]
        else:
            peer_brands, negative_brands = [], others
        pool = [t for b in negative_brands for t in by_brand[b][BASELINE_PARAGRAPHS:]]
        rng.shuffle(pool)
        peers = [(t, f"{b}/{i}") for b in peer_brands
                 for i, t in enumerate(by_brand[b][:BASELINE_PARAGRAPHS])]
        mine = by_brand[brand]
        cases.append(Case(f"ru {brand}{' + peers' if with_peers else ''}", "ru",
                          [(t, f"post {i}") for i, t in enumerate(mine[:BASELINE_PARAGRAPHS])],
                          mine[BASELINE_PARAGRAPHS:BASELINE_PARAGRAPHS + n_test],
                          pool[:n_test], peers))
    return cases


# ------------------------------------------------------------------------------ respect


def respect_flags(texts: list[str], language: str, embedder=None) -> np.ndarray:
    """Whether the product's respect check raises an error on each message, scored as posts
    against the demo baseline (the respect check runs whatever the baseline)."""
    from auditor.engine import prepare, score_touchpoints
    from auditor.types import Block, Locator, Touchpoint
    from baselines import DEMO_BASELINE, load_baseline

    scoring = prepare(load_baseline(DEMO_BASELINE), embedder)
    touchpoints = [Touchpoint(f"m{i}", "social", f"m{i}", "", language,
                              (Block(text, "social.post", Locator(f"m{i}")),))
                   for i, text in enumerate(texts)]
    results = score_touchpoints(touchpoints, scoring).results
    return np.array([any(f.severity == "error" and f.rule.startswith("respect.")
                         for f in r.findings) for r in results])


def length_matched(rows: list[dict], positive: str, rng: random.Random) -> list[dict]:
    """Equal numbers of positives and negatives in each length decile."""
    lengths = np.array([len(r["text"]) for r in rows])
    edges = np.quantile(lengths, np.linspace(0, 1, 11))
    bins: dict[int, dict[bool, list[dict]]] = defaultdict(lambda: {True: [], False: []})
    for r, n in zip(rows, lengths):
        b = int(np.searchsorted(edges[1:-1], n, side="right"))
        bins[b][r["label"] == positive].append(r)
    out = []
    for groups in bins.values():
        k = min(len(groups[True]), len(groups[False]))
        out += rng.sample(groups[True], k) + rng.sample(groups[False], k)
    return out


def precision_recall(rows: list[dict], positive: str, language: str, embedder) -> dict:
    labels = np.array([r["label"] == positive for r in rows])
    flags = respect_flags([r["text"] for r in rows], language, embedder)
    tp = int((flags & labels).sum())
    fp = int((flags & ~labels).sum())
    fn = int((~flags & labels).sum())
    negatives = int((~labels).sum())
    return {"n": len(rows), "precision": tp / (tp + fp) if tp + fp else 0.0,
            "recall": tp / (tp + fn) if tp + fn else 0.0,
            "negatives_flagged": fp / negatives if negatives else 0.0}


def held_out(row: dict) -> bool:
    return int(hashlib.sha1(row["id"].encode()).hexdigest(), 16) % 2 == 1


def respect_results(quick: bool, embedder) -> dict:
    rng = random.Random(SEED + 3)
    spam = [r for r in read_jsonl(DATA / "telegram_spam_ru.jsonl") if held_out(r)]
    clickbait = read_jsonl(DATA / "clickbait_headlines_en.jsonl")
    if quick:
        spam = rng.sample(spam, 1500)
        clickbait = rng.sample(clickbait, 1500)
    return {
        "ru spam (held-out half)": precision_recall(spam, "spam", "ru", embedder),
        "ru spam, length-matched": precision_recall(length_matched(spam, "spam", rng), "spam",
                                                    "ru", embedder),
        "en clickbait": precision_recall(clickbait, "clickbait", "en", embedder),
        "en clickbait, length-matched": precision_recall(
            length_matched(clickbait, "clickbait", rng), "clickbait", "en", embedder),
    }


def false_alarm_results(quick: bool, embedder) -> dict:
    """Share of brands' own copy the respect check flags (every flag a false alarm): Russian
    media brands' Telegram posts and English public-sector web copy, held-out halves."""
    rng = random.Random(SEED + 4)
    n = 1000 if quick else 3000
    sets = {
        "ru brands' Telegram posts": ("ru", [
            r for r in read_jsonl(DATA / "telegram_channels_ru.jsonl") if held_out(r)]),
        "en public-sector web copy": ("en", [
            r for r in read_jsonl(DATA / "public_sector_orgs_copy.jsonl")
            if held_out(r) and r["lang"] == "en"]),
    }
    out = {}
    for name, (language, rows) in sets.items():
        rows = rng.sample(rows, min(n, len(rows)))
        flags = respect_flags([r["text"] for r in rows], language, embedder)
        out[name] = {"n": len(rows), "flagged": float(flags.mean())}
    return out


def language_results(quick: bool) -> dict:
    """Share of texts ``auditor.text.detect_language`` gives the data's own language label:
    public-sector paragraphs in English and French, news headlines in English, Telegram posts
    in Russian; texts of at least ``MIN_LETTERS`` letters (shorter Latin copy is English by
    design)."""
    from auditor.text import MIN_LETTERS, detect_language

    rng = random.Random(SEED + 5)
    public = read_jsonl(DATA / "public_sector_orgs_copy.jsonl")
    sets = {
        "en public-sector paragraphs": ("en", [r["text"] for r in public if r["lang"] == "en"]),
        "fr public-sector paragraphs": ("fr", [r["text"] for r in public if r["lang"] == "fr"]),
        "en news and clickbait headlines": ("en", [
            r["text"] for r in read_jsonl(DATA / "clickbait_headlines_en.jsonl")]),
        "ru Telegram posts": ("ru", [
            r["text"] for r in read_jsonl(DATA / "telegram_channels_ru.jsonl")]),
    }
    out = {}
    for name, (language, texts) in sets.items():
        texts = [t for t in texts if sum(ch.isalpha() for ch in t) >= MIN_LETTERS]
        if quick:
            texts = rng.sample(texts, min(1000, len(texts)))
        found = Counter(detect_language(t) for t in texts)
        out[name] = {"n": len(texts), "correct": round(found[language] / len(texts), 4),
                     "taken for": dict(found.most_common(4))}
    return out


# ------------------------------------------------------------------------------ main


def measure(quick: bool = False, model: str | None = None, log=print) -> dict:
    embedder = _scorer(model)
    started = time.perf_counter()
    results: dict = {"model": embedder.model_id, "quick": quick,
                     "date": dt.date.today().isoformat(), "machine": machine_line()}
    large = large_cases(quick)
    groups = {
        "en": (english_cases(quick), nullcontext),
        "en cross-channel": (cross_channel_cases(quick), nullcontext),
        "ru": (russian_cases(quick, with_peers=False), nullcontext),
        "ru with peers": (russian_cases(quick, with_peers=True), nullcontext),
        **({"en large audit": (large, nullcontext),
            "en large audit, every paragraph learnt": (large, every_paragraph_learnt)}
           if large else {}),
    }
    for group, (cases, setting) in groups.items():
        scores = {}
        for case in cases:
            with setting():
                labels, values = brand_similarity(case, embedder)
            scores[case.name] = round(auc(labels, values), 3)
            label = f"{group}: {case.name[3:]}" if cases is large else case.name
            log(f"{label:55} ROC AUC {scores[case.name]:.3f}")
        results[group] = {"cases": scores,
                          "mean_auc": round(float(np.mean(list(scores.values()))), 3)}
        log(f"{group}: mean ROC AUC {results[group]['mean_auc']:.3f}")
    results["respect"] = {k: {m: round(v, 3) if isinstance(v, float) else v
                              for m, v in r.items()}
                          for k, r in respect_results(quick, embedder).items()}
    for k, r in results["respect"].items():
        log(f"{k:35} precision {r['precision']:.3f} recall {r['recall']:.3f} (n={r['n']})")
    results["false_alarms"] = {k: {"n": r["n"], "flagged": round(r["flagged"], 4)}
                               for k, r in false_alarm_results(quick, embedder).items()}
    for k, r in results["false_alarms"].items():
        log(f"{k:35} flagged {r['flagged']:.2%} (n={r['n']})")
    results["languages"] = language_results(quick)
    for k, r in results["languages"].items():
        log(f"{k:35} language right {r['correct']:.2%} (n={r['n']})")
    results["seconds"] = round(time.perf_counter() - started, 1)
    return results


def check_floors(results: dict, floors: dict | None = None) -> list[str]:
    """Which pinned floors the results fall below (empty: all hold)."""
    floors = floors or tomllib.loads(FLOORS.read_text(encoding="utf-8"))
    mode = floors["quick" if results["quick"] else "full"]
    failures = []
    for group, floor in mode.get("mean_auc", {}).items():
        value = results[group]["mean_auc"]
        if value < floor:
            failures.append(f"{group}: mean ROC AUC {value:.3f} < floor {floor}")
    for name, pair in mode.get("respect", {}).items():
        r = results["respect"][name]
        if r["precision"] < pair[0] or r["recall"] < pair[1]:
            failures.append(f"{name}: precision {r['precision']:.3f} / recall "
                            f"{r['recall']:.3f} < floor {pair[0]} / {pair[1]}")
    for name, floor in mode.get("languages", {}).items():
        correct = results.get("languages", {}).get(name, {}).get("correct")
        if correct is None or correct < floor:
            failures.append(f"{name}: language right {correct} < floor {floor}")
    for name, ceiling in mode.get("false_alarms", {}).items():
        flagged = results.get("false_alarms", {}).get(name, {}).get("flagged")
        if flagged is None or flagged > ceiling:
            failures.append(f"{name}: flagged {flagged} > ceiling {ceiling}")
    return failures


def render(results: dict) -> str:
    lines = [SECTION, "",
             f"Measured by `make accuracy` (`python -m benchmarks.accuracy`) on {results['date']}"
             f", model `{results['model']}`, on {results['machine']}; "
             f"{results['seconds']:.0f} s. Data: `../shared/data` (not in the repo). Floors "
             "pinned in `benchmarks/accuracy_floors.toml`, checked by `tests/test_accuracy.py`.",
             "", "| brand discrimination | mean ROC AUC | per case |", "|---|---|---|"]
    for group in ("en", "en cross-channel", "ru", "ru with peers", "en large audit",
                  "en large audit, every paragraph learnt"):
        if group not in results:
            continue
        cases = ", ".join(f"{k.split(' ', 1)[1]} {v:.3f}" for k, v in
                          results[group]["cases"].items())
        lines.append(f"| {group} | **{results[group]['mean_auc']:.3f}** | {cases} |")
    lines += ["", "| respect check | messages | precision | recall | negatives flagged |",
              "|---|---|---|---|---|"]
    for name, r in results["respect"].items():
        lines.append(f"| {name} | {r['n']} | {r['precision']:.3f} | {r['recall']:.3f} | "
                     f"{r['negatives_flagged']:.1%} |")
    lines += ["", "| respect check on brands' own copy (false alarms) | messages | flagged |",
              "|---|---|---|"]
    for name, r in results.get("false_alarms", {}).items():
        lines.append(f"| {name} | {r['n']} | {r['flagged']:.1%} |")
    if results.get("languages"):
        lines += ["", "| language identification (`auditor.text.detect_language`) | texts | "
                  "right | taken for |", "|---|---|---|---|"]
        for name, r in results["languages"].items():
            taken = ", ".join(f"{k} {v}" for k, v in r["taken for"].items())
            lines.append(f"| {name} | {r['n']} | {r['correct']:.2%} | {taken} |")
    lines += ["", "How to read it:", "",
              "- A baseline holds at most 200 approved paragraphs. Brand similarity combines the "
              "nearest approved paragraphs with a contrast model over meaning (sentence "
              "vectors) and letter patterns (character n-grams): the approved copy against "
              "peers' copy and the audited copy when the baseline has `peers/`, else against "
              "the audited copy alone; see README \"How scoring works\". Nearest approved "
              "paragraphs alone gave 0.67-0.68 (en) and 0.84 (ru) in the backend comparison "
              "above.",
              "- Russian with peers: a channel's peers are its siblings from the same publisher "
              "and half of the other channels (the competitors a brand would name); the "
              "negatives come only from the remaining channels.",
              "- Cross-channel: a baseline of website copy scoring the same organisation's blog "
              "is weak (the blog's subjects and register differ, and the contrast model learns "
              "the website's). Approved copy should come from every channel a brand audits.",
              "- Large audit: each English brand's 3,000 held-out paragraphs against 3,000 of "
              "each other brand's, 9,000 audited paragraphs in all. Past "
              "`auditor.scoring.CONTRAST_SAMPLE` audited paragraphs the contrast model learns "
              "from a fixed sample of whole touchpoints and scores the rest with the models it "
              "fitted (memory stays bounded); the second row learns from every paragraph, for "
              "comparison.",
              "- Respect: the spam phrase lists, the unsolicited-offer prototypes and "
              "threshold were set on the even-hash halves of the spam set and of the brands' "
              "own copy; the figures are on the other halves. Brands' own copy is not spam, so "
              "every message flagged there is a false alarm: news about money, rates and fraud "
              "once read as unsolicited offers (5.9% of the Russian posts and 1.9% of the "
              "English copy were flagged before 2026-12-01's prototypes of ordinary news, and "
              "4.5% of the news headlines). A brand's own terms of service (\"installation is "
              "free, a technician comes when it suits you\") and its invitations to take part "
              "(\"join the challenge, the world needs your ideas!\") read as offers too, until "
              "prototypes of them joined the ordinary messages and the threshold was chosen "
              "again (0.075, was 0.08): on the held-out halves that moved length-matched spam "
              "from 0.925 / 0.722 to about 0.92 / 0.71 for fewer false alarms on brands' own "
              "copy (the rows above). The invitation that showed the gap is a post of the "
              "held-out half (seen while auditing a brand built from this data), so the Russian "
              "posts' figure may read slightly better than a truly unseen half would. "
              "Clickbait is not pushy by itself (a curiosity "
              "headline is not pressure), so its recall is expected to stay low: the row shows "
              "how rarely the check fires on ordinary headlines (negatives flagged).",
              "- Language identification: texts of at least 40 letters (shorter Latin copy, "
              "such as a button, is taken as English). The labels are the data's own, and not "
              "all right: some of 18F's posts are in Spanish and some of CDS's English pages "
              "quote French, which is most of what the English rows count as wrong."]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller samples (for tests)")
    parser.add_argument("--no-write", action="store_true", help="print only")
    parser.add_argument("--model", default=None)
    args = parser.parse_args(argv)
    if not DATA.is_dir():
        print(f"no data at {DATA}: set BRAND_AUDIT_DATA or put ../shared beside the repo")
        return 0
    results = measure(args.quick, args.model)
    if not args.no_write:
        RESULTS.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
        if not args.quick:
            write_section(SECTION, render(results))
    failures = check_floors(results) if FLOORS.exists() else []
    for f in failures:
        print("below floor:", f)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
