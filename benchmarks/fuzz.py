"""``make fuzz``: the parser fuzzers of tests/test_fuzz_parsers.py at length, recorded.

Runs every fuzz target with the hypothesis profile ``fuzz`` (``--examples`` per parser, 10,000
by default), then writes the "Fuzzing" section of docs/benchmarks.md: examples run and the
result per parser, time, machine and date. A failure is printed by pytest with the input that
caused it (shrunk); keep it under tests/fixtures/fuzz/<target>/ once fixed.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from datetime import date
from pathlib import Path

from benchmarks.common import REPO, machine_line, write_section

SECTION = "## Fuzzing"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=10_000,
                        help="examples per parser (default 10,000)")
    parser.add_argument("-k", default="", help="pytest -k expression to run some parsers")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1,
                        help="pytest processes, each fuzzing a share of the parsers "
                             "(default: one per CPU)")
    parser.add_argument("--no-write", action="store_true", help="do not update the doc")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "HYPOTHESIS_PROFILE": "fuzz", "FUZZ_EXAMPLES": str(args.examples)}
        jobs = []
        for n, share in enumerate(_shares(max(1, args.jobs))):
            counts_file, junit = Path(tmp) / f"counts-{n}.json", Path(tmp) / f"junit-{n}.xml"
            command = [sys.executable, "-m", "pytest", *share, "-q", "-p", "no:cacheprovider",
                       f"--junitxml={junit}", *(["-k", args.k] if args.k else [])]
            jobs.append((subprocess.Popen(command, cwd=REPO,
                                          env={**env, "FUZZ_COUNTS": str(counts_file)}),
                         counts_file, junit))
        began = time.monotonic()
        code = 0
        counts: dict[str, int] = {}
        outcomes: dict[str, str] = {}
        for process, counts_file, junit in jobs:
            status = process.wait()
            code = code or (0 if status == 5 else status)  # 5: -k left this share nothing
            if counts_file.exists():
                counts.update(json.loads(counts_file.read_text()))
            outcomes.update(_outcomes(junit))
        seconds = time.monotonic() - began
    rows = []
    for name in sorted(outcomes):
        target = name.removeprefix("test_fuzz_").replace("_", "-")
        count = counts.get(target, 0)
        rows.append(f"| {target} | {count:,} | {outcomes[name]} |")
    failed = sum(1 for v in outcomes.values() if v != "no failure")
    markdown = "\n".join([
        SECTION, "",
        f"`make fuzz` (`python -m benchmarks.fuzz --examples {args.examples}`), "
        f"{date.today().isoformat()}; {machine_line()}. {len(outcomes)} parsers, "
        f"{sum(counts.values()):,} inputs in {seconds / 60:.1f} min; "
        f"{'no failure' if not failed else f'{failed} parser(s) failed'}.",
        "",
        "Each input is a mutated fixture (bytes flipped, cut, duplicated, tokens such as `[` "
        "or `<div>` piled up thousands deep), random bytes or random text. Passing means every "
        "input ended in touchpoints or the documented error naming the file, within the "
        "10 s deadline. CI runs the same tests with 50 examples each (`make test`).",
        "", "| parser | inputs | result |", "|---|---:|---|", *rows,
    ])
    print(markdown)
    if not outcomes:  # interrupted before pytest wrote its results: nothing true to record
        print("no results recorded (run interrupted?); docs/benchmarks.md left alone",
              file=sys.stderr)
        return code or 1
    if not args.no_write:
        write_section(SECTION, markdown)
    return code


def _shares(jobs: int) -> list[list[str]]:
    """The fuzz targets as pytest node ids, dealt round-robin into ``jobs`` shares (the first
    share also replays the kept regressions and the seeds)."""
    sys.path.insert(0, str(REPO))
    from tests.test_fuzz_parsers import TARGETS

    ids = [f"tests/test_fuzz_parsers.py::test_fuzz_{t.name.replace('-', '_')}" for t in TARGETS]
    shares = [ids[n::jobs] for n in range(jobs)]
    shares[0] += ["tests/test_fuzz_parsers.py::test_seeds_parse_into_something",
                  "tests/test_fuzz_parsers.py::test_regressions"]
    return [share for share in shares if share]


def _outcomes(junit: Path) -> dict[str, str]:
    if not junit.exists():
        return {}
    found = {}
    for case in ET.parse(junit).getroot().iter("testcase"):
        name = case.get("name", "")
        if not name.startswith("test_fuzz_"):
            continue  # seeds and regression replays run too, but are not fuzz targets
        if case.find("failure") is not None or case.find("error") is not None:
            found[name] = "**failed**"
        elif case.find("skipped") is not None:
            found[name] = "skipped"
        else:
            found[name] = "no failure"
    return found


if __name__ == "__main__":
    sys.exit(main())
