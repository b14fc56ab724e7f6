"""Crawl speed: brand-audit's web crawler next to ``wget --recursive`` on the same local site.

    .venv/bin/python -m benchmarks.crawl [--pages 500] [--rounds 3] [--latency 0 20] [--no-write]

Generates a site of ``--pages`` linked HTML pages (nav, footer, a few paragraphs, links to
other pages; about 2.6 KB each), serves it on 127.0.0.1 with Python's threaded HTTP server in a
separate process (so neither client shares a process with the server), then, in the same run
and in alternating rounds:

* brand-audit: ``channels.web.collect`` with concurrency 4, no delay, robots.txt and sitemap
  look-ups on, a fresh validator cache, every page fetched *and* extracted into scoped blocks;
* wget: ``wget --recursive --level=inf --no-parent -q -P TMPDIR URL`` (Debian's wget; one
  connection at a time, pages saved to disk, links scanned).

Reports pages per second and CPU time per page (medians of the rounds) side by side and writes
the table to ``docs/benchmarks.md`` under "## Website crawl", with the machine and the date.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.common import DOC, REPO, machine, write_section

SECTION = "## Website crawl"
SECTIONS = ["pricing", "products", "support", "blog", "about", "careers", "partners", "help"]
WORDS = ("reliable widgets delivered tomorrow support answers quickly every team plan repairs "
         "free of charge honest prices no surprises our makers care about detail and time "
         "simple clear friendly quiet durable ready when you are").split()




def generate_site(root: Path, pages: int) -> None:
    """``pages`` HTML pages: a home page, section pages in the nav, and article pages, each
    linking to a few others so every page is reachable."""
    def words(seed: int, count: int) -> str:
        return " ".join(WORDS[(seed * 7 + k * 3) % len(WORDS)] for k in range(count))

    articles = pages - 1 - len(SECTIONS)
    nav = "".join(f'<li><a href="/{s}/">{s.capitalize()}</a></li>' for s in SECTIONS)
    paths = ["index.html"] + [f"{s}/index.html" for s in SECTIONS] + \
        [f"p/{n}.html" for n in range(articles)]
    for i, relative in enumerate(paths):
        links = sorted({(i + 1) % articles, (2 * i + 1) % articles, (2 * i + 2) % articles,
                        (i * 37 + 11) % articles})
        related = "".join(f'<li><a href="/p/{n}.html">{words(n, 4)}</a></li>' for n in links)
        paragraphs = "".join(f"<p>{words(i + k, 40)}.</p>" for k in range(6))
        html = (f'<!doctype html><html lang="en"><head><meta charset="utf-8">'
                f"<title>Page {i}: {words(i, 3)}</title>"
                f'<meta name="description" content="{words(i, 12)}"></head><body>'
                f'<header><nav><ul><li><a href="/">Home</a></li>{nav}</ul></nav></header>'
                f"<main><h1>{words(i, 5)} {i}</h1>{paragraphs}<h2>Related</h2><ul>{related}"
                f'</ul><a class="btn" href="/p/{(i + 3) % articles}.html">{words(i, 2)}</a>'
                f'</main><footer><p>© 2024 Acme. All rights reserved.</p>'
                f'<a href="/help/">Help</a></footer></body></html>\n')
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(html, encoding="utf-8")


_SERVER = """
import functools, http.server, sys, time
root, latency = sys.argv[1], float(sys.argv[2]) / 1000
class Handler(http.server.SimpleHTTPRequestHandler):
    def do_GET(self):
        if latency:
            time.sleep(latency)  # the round trip to a real site
        super().do_GET()
    def log_message(self, *args):
        pass
server = http.server.ThreadingHTTPServer(("127.0.0.1", 0),
                                         functools.partial(Handler, directory=root))
print(f"Serving HTTP on 127.0.0.1 port {server.server_address[1]}", flush=True)
server.serve_forever()
"""


def serve(root: Path, latency_ms: float = 0.0) -> tuple[subprocess.Popen[str], str]:
    """A threaded HTTP server on 127.0.0.1 in its own process, answering each request after
    ``latency_ms`` (0: as fast as loopback allows); its URL."""
    process = subprocess.Popen(
        [sys.executable, "-u", "-c", _SERVER, str(root), str(latency_ms)],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    assert process.stdout is not None
    line = process.stdout.readline()
    match = re.search(r"port (\d+)", line)
    if not match:
        process.kill()
        raise SystemExit(f"the test server did not start: {line!r}")
    return process, f"http://127.0.0.1:{match.group(1)}/"


def process_cpu(pid: int) -> float | None:
    """CPU seconds (user + system) process ``pid`` has used so far; None where ``/proc`` does
    not say (not Linux)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _spent(before: float | None, after: float | None, pages: int) -> float | None:
    """CPU ms a page between two ``process_cpu`` readings."""
    return None if before is None or after is None else 1000 * (after - before) / pages


def run_brand_audit(url: str, workdir: Path) -> tuple[int, float, int, float]:
    """Pages collected, seconds, errors, CPU seconds (the crawl runs in this process)."""
    from auditor.types import Touchpoint
    from channels import CollectContext
    from channels.web import WebOptions, collect

    options = WebOptions(start=[url], concurrency=4, delay=0.0, max_pages=100_000,
                         max_depth=10_000, cache=str(workdir / "web-cache.sqlite"))
    began, cpu = time.perf_counter(), time.process_time()
    results = list(collect(options, CollectContext(base_dir=workdir)))
    seconds, cpu = time.perf_counter() - began, time.process_time() - cpu
    pages = sum(isinstance(r, Touchpoint) and not r.id.endswith("#site-wide") for r in results)
    errors = sum(not isinstance(r, Touchpoint) for r in results)
    return pages, seconds, errors, cpu


def run_wget(wget: str, url: str, workdir: Path) -> tuple[int, float, float]:
    """Pages saved, seconds, CPU seconds of wget."""
    began, before = time.perf_counter(), os.times()
    subprocess.run([wget, "--recursive", "--level=inf", "--no-parent", "-q", "-P",
                    str(workdir), url], check=False)
    seconds, after = time.perf_counter() - began, os.times()
    pages = sum(1 for p in workdir.rglob("*.html"))
    cpu = (after.children_user + after.children_system
           - before.children_user - before.children_system)
    return pages, seconds, cpu


def verdict(median: float, rounds: list[float], fastest: float | None = None) -> str:
    """Whether brand-audit kept up with wget (ratios of pages per second): in every round, by
    the median only (the machine is shared: say so), or not. ``fastest`` is the ratio of each
    crawler's fastest round, the least disturbed by other work on the machine; below 1 (wget
    at its best beat brand-audit at its best) the verdict says so too."""
    every, best = min(rounds) >= 1, fastest is None or fastest >= 1
    if every and best:
        return "met"
    at_best = "" if best else (f"; *not* at each crawler's fastest round (brand-audit's "
                               f"fastest made {fastest:.2f}× wget's fastest)")
    if median < 1:
        return "*not* met" + at_best
    rounds_note = "" if every else (f", *not* in every round (the rounds: "
                                    f"{min(rounds):.2f}-{max(rounds):.2f})")
    return "met by the median" + rounds_note + at_best


def cpu_budget(results: dict[float, tuple[list[float], list[float]]],
               served: dict[float, tuple[list[float | None], list[float | None]]]) -> str:
    """What keeping up with wget on loopback would take, from this run's figures: at wget's
    median pages/s on this machine's cores, the CPU a page left once the server has had its
    share, and the most of it one thread can have."""
    if 0.0 not in results or _median(served[0.0][1]) is None:
        return ""
    pages = statistics.median(results[0.0][1])
    server = _median(served[0.0][1])
    assert server is not None
    cores = os.cpu_count() or 1
    left = 1000 * cores / pages - server
    return (f"The arithmetic of {cores} cores: at wget's {pages:,.0f} pages/s the server "
            f"needs {server:.2f} ms a page, so to keep up brand-audit would have to do all "
            f"it does for a page in {left:.2f} ms of CPU across the cores, at most "
            f"{1000 / pages:.2f} ms of it in the thread that runs its Python.")


def _median(values: list[float | None]) -> float | None:
    known = [v for v in values if v is not None]
    return statistics.median(known) if known else None


def _ms(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--no-write", action="store_true", help="print only")
    parser.add_argument("--latency", type=float, nargs="+", default=[0.0, 20.0],
                        help="server delays to measure, in ms per response (default: 0 20)")
    args = parser.parse_args(argv)

    wget = shutil.which("wget")
    if wget is None:
        print("wget not found; install Debian's wget (apt-get install -y wget)", file=sys.stderr)
        return 2
    version = subprocess.run([wget, "--version"], capture_output=True, text=True,
                             check=False).stdout.splitlines()[0]
    results: dict[float, tuple[list[float], list[float]]] = {}
    cpu: dict[float, tuple[list[float], list[float]]] = {}  # CPU ms per page
    # The server's CPU ms per page while each crawler ran (None where it cannot be read).
    served: dict[float, tuple[list[float | None], list[float | None]]] = {}
    loads: list[float] = []  # 1-minute load average as each round starts
    with tempfile.TemporaryDirectory(prefix="brand-audit-crawl-") as tmp:
        site = Path(tmp) / "site"
        generate_site(site, args.pages)
        size = statistics.mean(p.stat().st_size for p in site.rglob("*.html"))
        for latency in args.latency:
            ours, theirs = results.setdefault(latency, ([], []))
            our_cpu, their_cpu = cpu.setdefault(latency, ([], []))
            our_server, their_server = served.setdefault(latency, ([], []))
            process, url = serve(site, latency)
            try:
                for round_ in range(args.rounds):
                    work = Path(tmp) / f"latency-{latency}-round-{round_}"
                    loads.append(os.getloadavg()[0])
                    server_before = process_cpu(process.pid)
                    pages, seconds, errors, used = run_brand_audit(url, work / "ba")
                    server_between = process_cpu(process.pid)
                    if pages != args.pages:
                        raise SystemExit(f"brand-audit collected {pages} of {args.pages} "
                                         f"pages ({errors} errors)")
                    ours.append(pages / seconds)
                    our_cpu.append(1000 * used / pages)
                    got, wget_seconds, wget_used = run_wget(wget, url, work / "wget")
                    server_after = process_cpu(process.pid)
                    our_server.append(_spent(server_before, server_between, pages))
                    their_server.append(_spent(server_between, server_after, got))
                    if got != args.pages:
                        raise SystemExit(f"wget saved {got} of {args.pages} pages")
                    theirs.append(got / wget_seconds)
                    their_cpu.append(1000 * wget_used / got)
                    print(f"latency {latency:g} ms, round {round_ + 1}: brand-audit "
                          f"{pages / seconds:7.1f} pages/s ({our_cpu[-1]:.2f} ms CPU a page), "
                          f"wget {got / wget_seconds:7.1f} pages/s ({their_cpu[-1]:.2f} ms); "
                          f"server {_ms(our_server[-1])} / {_ms(their_server[-1])} ms a page")
            finally:
                process.terminate()
                process.wait(timeout=10)

    info = machine()
    load = f"{min(loads):.1f}" + (f"-{max(loads):.1f}" if max(loads) - min(loads) >= 0.05 else "")
    rows = []
    verdicts = []
    for latency, (ours, theirs) in results.items():
        ratio = statistics.median(ours) / statistics.median(theirs)
        each = [a / b for a, b in zip(ours, theirs)]  # the rounds, each against its wget run
        where = "loopback, no added latency" if not latency else f"{latency:g} ms per response"
        our_cpu, their_cpu = cpu[latency]
        our_server, their_server = served[latency]
        rows.append(f"| {where} | {statistics.median(ours):.1f} | "
                    f"{statistics.median(theirs):.1f} | **{ratio:.2f}×** "
                    f"(rounds {min(each):.2f}-{max(each):.2f}) | "
                    f"{statistics.median(our_cpu):.2f} | {statistics.median(their_cpu):.2f} | "
                    f"{_ms(_median(our_server))} / {_ms(_median(their_server))} |")
        verdicts.append(f"{where}: {verdict(ratio, each, max(ours) / max(theirs))}")
    budget = cpu_budget(results, served)
    table = "\n".join([
        SECTION,
        "",
        f"`.venv/bin/python -m benchmarks.crawl --pages {args.pages} --rounds {args.rounds}`, "
        f"{dt.date.today().isoformat()}; {info['cores']} cores ({info['cpu']}), "
        f"{info['ram_gb']:.0f} GiB RAM, Python {info['python']}, {version.rstrip('.')}. "
        f"The machine is shared, so absolute numbers move between runs; the two crawlers "
        f"alternate rounds in one run against one server. 1-minute load average as the rounds "
        f"started: {load} (other work on the machine slows wget's "
        f"one connection at a time most).",
        "",
        f"A generated site of {args.pages} linked pages (~{size / 1000:.1f} KB each) served on "
        f"127.0.0.1 by a threaded Python server in its own process, answering at once or after "
        f"a delay that stands for a real site's round trip. brand-audit: concurrency 4, no "
        f"delay, robots.txt and sitemap look-ups, validator cache written, every page extracted "
        f"into scoped blocks. wget: `--recursive --level=inf --no-parent`, one connection, "
        f"pages saved to disk.",
        "",
        "| server | brand-audit pages/s (median) | wget pages/s (median) | brand-audit / wget "
        "| brand-audit CPU ms/page | wget CPU ms/page | server CPU ms/page (brand-audit / wget) |",
        "|---|---:|---:|---:|---:|---:|---:|",
        *rows,
        "",
        "Target (at least as fast as wget): " + "; ".join(verdicts) + ". On loopback with no "
        "latency both crawlers are held back by CPU, and the CPU columns say whose. "
        "brand-audit's crawl runs in one Python thread (the interpreter's lock lets one "
        "thread run Python at a time), which keeps one core busy, while the server uses part "
        "of the other; wget spends a fraction of brand-audit's CPU a page and only saves "
        "bytes, so one connection at a time keeps up with the server. "
        + (budget + " " if budget else "") + "Where brand-audit's time goes (2026-12-02, "
        "py-spy sampling ten crawls of this site): "
        "extracting every page's copy into scoped blocks about 0.35 ms a page (libxml2 "
        "parses, the tree is walked in Python; 0.31-0.34 ms a page timed on its own), "
        "libcurl's transfers about 0.25 ms (kernel time included: a new connection per page, "
        "as the test server speaks HTTP/1.0), the validator cache about 0.1 ms (twice that "
        "until 2026-12-02, when zlib set up its full 32 KB window for every 3 KB page and "
        "each row was a statement of its own), and the event loop, robots.txt, politeness "
        "and the crawl's bookkeeping the rest. Since 2026-12-02 a fetched page waits a few "
        "turns of the event loop before it is parsed, so the request waiting for its "
        "connection is already on its way and the server answers while the crawl parses "
        "(`channels.web._hand_off`): about a tenth more pages/s on loopback, and 160 to 177 "
        "with a 20 ms round trip, where 182 is what the same server gives four connections "
        "that do nothing else. The crawl's results reach the audit's thread in batches "
        "(`channels.web._HandOver`): waking that thread for every page cost about a tenth "
        "of the pages per second. With extraction replaced by a regular-expression link "
        "scan (2026-12-02), the crawl made 1,480-1,670 pages/s, about wget's pace in the "
        "same hour: copy extraction at no cost at all would only draw level. Tried and not "
        "kept, as they did not close "
        "the gap (2026-12-01 and 02): extracting in a process pool (the crawl's CPU a page "
        "stayed where it was: the pool's hand-offs cost the crawl's thread what extraction "
        "saved it; unpickling a page's blocks alone takes 40 µs against 300 µs to extract "
        "them, but a leaner second process would have to share the second core with the "
        "server, and the two need more than that core at wget's pace), uvloop, the garbage "
        "collector off; and (2026-12-04) that leaner process: one forked helper fed pages "
        "through a pipe the crawl's event loop reads, which took the crawl's own CPU a page "
        "from 0.65-0.68 to 0.52-0.56 ms but not its pages/s (median 1,350 against 1,456 "
        "extracting in the crawl, same quarter hour): the helper and the server share the "
        "second core. wget's speed moves most with how busy "
        "the machine is (one connection, so every scheduling delay adds up): in one run of "
        "2026-12-02 it made 58-208 pages/s in every round, in the next 1,320-1,470, with "
        "the same code; on 2026-12-04 the written run had wget at 1,400 pages/s and 0.36 ms "
        "of CPU a page (0.80x), and a loopback re-run 45 minutes later at 1,055 pages/s and "
        "0.66 ms (brand-audit 1,337: 1.27x, every round 1.02 or more). Against a server "
        "with a real round trip, concurrency wins (the "
        "second row).",
    ])
    print()
    print(table)
    if not args.no_write:
        write_section(SECTION, table)
        print(f"\nwritten to {DOC.relative_to(REPO)}")
    return 0




if __name__ == "__main__":
    raise SystemExit(main())
