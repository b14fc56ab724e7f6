"""The ``brand-audit`` command: parses arguments, calls the library, prints.

Exit codes: 0 ok, 1 a gate failed, 2 usage, config or tool error.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from auditor import __version__
from auditor.errors import EXIT_USAGE, BrandAuditError

FAIL_ON = click.Choice(["error", "warning", "never"])
report_lang = click.option("--report-lang", "lang", type=click.Choice(["en", "ru"]),
                           default="en", show_default=True,
                           help="Language of the findings in every report format but JSON, and "
                                "of the HTML report's interface.")


def _quiet_root(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if value:
        ctx.find_root().params["quiet"] = True


#: ``-q`` after a command too (``brand-audit run -q``), the same as ``brand-audit -q run``.
quiet_too = click.option("-q", "--quiet", is_flag=True, expose_value=False, is_eager=True,
                         callback=_quiet_root,
                         help="Print only results and errors (as `brand-audit -q`).")
MODEL_HELP = ("Embedding model: 'use' (multilingual Universal Sentence Encoder, default), "
              "'minilm' (English only), or any sentence-transformers name or local path.")


class Progress:
    """Progress bars on stderr for long stages; silent with --quiet or when not a terminal."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled and sys.stderr.isatty()
        self.stage: str | None = None
        self.bar = None
        self.done = 0

    def __call__(self, stage: str, done: int, total: int) -> None:
        _pause_for_tests(stage)
        if not self.enabled:
            return
        if stage != self.stage:
            self.close()
            self.stage, self.done = stage, 0
            self.bar = click.progressbar(length=max(total, 1), label=stage.ljust(24),
                                         file=sys.stderr, show_eta=False)
            self.bar.__enter__()
        if self.bar is None:
            return
        if max(total, 1) != self.bar.length:  # a crawl finds more pages as it goes
            self.bar.length = max(total, 1)
            if done <= self.done:
                self.bar.render_progress()
        if done > self.done:
            self.bar.update(done - self.done)
            self.done = done

    def close(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)
            self.bar = None


#: Fault-injection hook for the test suite: when set to a stage name ("scoring"), a run stops
#: there (after collecting, before saving) and sleeps, so a test can kill it mid-way.
PAUSE_ENV = "BRAND_AUDIT_TEST_PAUSE_AT"


def _pause_for_tests(stage: str) -> None:
    wanted = os.environ.get(PAUSE_ENV)
    if wanted and stage.startswith(wanted):
        import time

        print(f"paused at {stage}", file=sys.stderr, flush=True)
        time.sleep(3600)


def _say(ctx: click.Context, message: str) -> None:
    if not ctx.find_root().params.get("quiet"):
        click.echo(message, err=True)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="brand-audit")
@click.option("-q", "--quiet", is_flag=True, help="Print only results and errors.")
def cli(quiet: bool) -> None:
    """brand-audit: does your company speak with one voice everywhere?

    Collects copy from your website, social posts, call transcripts and content files,
    scores every touchpoint against your brand's approved copy (message and respect for the
    customer, in English and Russian) and writes one self-contained HTML report.

    Start with `brand-audit demo`, then `brand-audit init` for your own brand.
    """


@cli.command()
@click.option("--out", type=click.Path(path_type=Path), default=Path("brand-audit-demo"),
              show_default=True, help="Folder for the demo's report and history.")
@click.option("--model", default=None, help=MODEL_HELP)
@report_lang
@quiet_too
@click.pass_context
def demo(ctx: click.Context, out: Path, model: str | None, lang: str) -> None:
    """Run the whole product offline on the bundled demo brand, Sosna.

    Serves the demo website on 127.0.0.1, crawls it, reads the demo's social posts and
    call transcripts, scores everything against the demo baseline and writes report.json
    and report.html. Prints the report's path.
    """
    from auditor.demo import run_demo

    progress = Progress(not ctx.find_root().params["quiet"])
    try:
        run, paths = run_demo(out, model=model, progress=progress, say=lambda m: _say(ctx, m),
                              lang=lang)
    finally:
        progress.close()
    _print_summary(ctx, run)
    click.echo(str(paths["html"].resolve()))


@cli.command()
@click.argument("directory", type=click.Path(path_type=Path), default=Path("."))
@click.option("--name", default="My Brand", show_default=True, help="Your brand's name.")
@click.pass_context
def init(ctx: click.Context, directory: Path, name: str) -> None:
    """Write a commented audit.toml and a baseline skeleton into DIRECTORY."""
    from auditor.init import write_skeleton

    for path in write_skeleton(directory, name):
        _say(ctx, f"wrote {path}")
    _say(ctx, "Next: put approved copy into the baseline's exemplars/ folder, point "
              "[[channels.files]] at your content, then run `brand-audit run`.")


@cli.group()
def baseline() -> None:
    """Validate a baseline, build its index, show its profile and self-consistency."""


@baseline.command("build")
@click.argument("directory", type=click.Path(path_type=Path))
@click.option("--model", default=None, help=MODEL_HELP)
def baseline_build(directory: Path, model: str | None) -> None:
    """Validate the baseline in DIRECTORY, embed its approved copy, calibrate thresholds and
    print the voice its approved copy has."""
    from auditor.engine import open_embedder
    from auditor.scoring import build_index
    from auditor.store import Store
    from baselines import load_baseline

    b = load_baseline(directory)
    with Store(_cache_path()) as cache:
        embedder = open_embedder(model, cache)
        index = build_index(b, embedder)
        _print_calibration(index)
        _print_voice(index, embedder)


def _print_calibration(index) -> None:
    cal = index.calibration
    click.echo(f"{index.baseline.name}: {len(index.units)} approved sentences from "
               f"{len(index.baseline.exemplars)} files, model {index.model_id}")
    click.echo(f"calibrated on {cal.samples} approved paragraphs (leave-one-file-out): "
               f"median similarity {cal.median:.3f}, warn below {cal.warn:.3f}, "
               f"diverges below {cal.diverge:.3f}")


def _print_voice(index, embedder) -> None:
    """The voice the approved copy has, per language, next to what brand.toml declares."""
    from auditor.engine import exemplar_tone_targets
    from auditor.tone import ToneAxes, describe

    targets = exemplar_tone_targets(index, ToneAxes.build(embedder))
    click.echo("Voice (-1..+1; learned from the approved copy unless declared in brand.toml):")
    for language, dims in sorted(targets.items()):
        if language == "*":
            continue
        click.echo(f"  {language}: " + ", ".join(
            f"{name} {t.target:+.2f} ({describe(name, t.target)}"
            f"{'' if t.learned else ', declared'})" for name, t in dims.items()))


@baseline.command("show")
@click.argument("directory", type=click.Path(path_type=Path))
def baseline_show(directory: Path) -> None:
    """Print the baseline's profile: languages, key messages, voice, terms, exemplars."""
    from collections import Counter

    from baselines import load_baseline

    b = load_baseline(directory)
    click.echo(f"Brand:        {b.name}")
    click.echo(f"Languages:    {', '.join(b.languages)}")
    by_language = Counter(e.language for e in b.exemplars)
    click.echo(f"Exemplars:    {len(b.exemplars)} files, "
               f"{sum(len(e.paragraphs) for e in b.exemplars)} paragraphs "
               f"({', '.join(f'{k}: {v}' for k, v in by_language.items())})")
    if b.counter_examples:
        click.echo(f"Off-brand examples: {len(b.counter_examples)} files")
    click.echo("Key messages:")
    for m in b.key_messages:
        click.echo(f"  - {m}")
    if b.voice:
        click.echo("Voice targets:")
        for dim, t in b.voice.items():
            click.echo(f"  {dim}: {t.target:+.2f} ± {t.tolerance:.2f}")
    if b.banned_terms or b.preferred_terms:
        click.echo("Terminology:")
        for term, why in b.banned_terms.items():
            click.echo(f"  banned {term!r}: {why}")
        for avoid, use in b.preferred_terms.items():
            click.echo(f"  say {use!r}, not {avoid!r}")
    if b.readability:
        click.echo(f"Readability:  {b.readability[0]:g}-{b.readability[1]:g}")
    click.echo(f"Thresholds:   warn below the {b.thresholds.warn_percentile:g}th percentile, "
               f"diverges below the {b.thresholds.diverge_percentile:g}th, of the approved "
               "copy's own scores")


@baseline.command("check")
@click.argument("directory", type=click.Path(path_type=Path))
@click.option("--model", default=None, help=MODEL_HELP)
def baseline_check(directory: Path, model: str | None) -> None:
    """Warn about approved copy that reads unlike the rest of the approved copy; exit 2 when
    it is all in one file, which cannot calibrate the scores."""
    index = _build_index(directory, model)
    cal = index.calibration
    outliers = index.inconsistent_paragraphs()
    click.echo(f"{index.baseline.name}: {cal.samples} approved paragraphs; median similarity "
               f"to the rest {cal.median:.3f}")
    from auditor.doctor import one_file_problem

    problem = one_file_problem(index.baseline)
    if problem:
        click.echo(f"! {problem}")
        sys.exit(EXIT_USAGE)
    if not outliers:
        click.echo("✓ The approved copy is consistent: no paragraph stands apart.")
        return
    from reports.i18n import counted

    click.echo(f"! {counted(len(outliers), 'approved paragraph')} read unlike the rest of the "
               "approved copy. Check they are really on-brand, or add more copy like them:")
    for src, par, sim in outliers:
        click.echo(f"  {src}: {par[:100]}{'…' if len(par) > 100 else ''} (similarity {sim:.3f})")


def _build_index(directory: Path, model: str | None):
    from auditor.engine import open_embedder
    from auditor.scoring import build_index
    from auditor.store import Store
    from baselines import load_baseline

    b = load_baseline(directory)
    with Store(_cache_path()) as cache:
        return build_index(b, open_embedder(model, cache))


def _cache_path() -> Path:
    """The embedding cache for commands without a store of their own (check, baseline)."""
    explicit = os.environ.get("BRAND_AUDIT_CACHE")
    if explicit:
        return Path(explicit)
    from auditor.usercache import cache_dir

    return cache_dir() / "cache.db"


@cli.command()
@click.option("--config", "config_path", type=click.Path(path_type=Path),
              default=Path("audit.toml"), show_default=True, help="The audit configuration.")
@click.option("--out", type=click.Path(path_type=Path), default=None,
              help="Report folder (default: [audit] out in the config).")
@click.option("--fail-on", type=FAIL_ON, default=None,
              help="Shorthand gate: exit 1 when a touchpoint diverges (error) or warns "
                   "(warning); default: [gates] fail_on, else [audit] fail_on.")
@click.option("--waivers", "waivers_path", type=click.Path(path_type=Path), default=None,
              help="Waiver file (default: .brand-audit-waivers.toml next to the config).")
@click.option("--executor", type=click.Choice(["local", "ray"]), default="local",
              show_default=True,
              help="Where collection of file sources and embedding run: this process, or a "
                   "Ray cluster (pip install 'brand-auditor[ray]'); results are the same.")
@click.option("--ray-address", default=None, metavar="ADDRESS",
              help="An existing Ray cluster (ray://head:10001, or auto); default with "
                   "--executor ray: a local Ray instance with 2 CPUs for this run.")
@report_lang
@quiet_too
@click.pass_context
def run(ctx: click.Context, config_path: Path, out: Path | None, fail_on: str | None,
        waivers_path: Path | None, executor: str, ray_address: str | None, lang: str) -> None:
    """Audit every channel in the config, store the run in the history, write the report.

    Writes report.json, report.html and summary.md (what is new and resolved since the
    previous run), appends the summary to $GITHUB_STEP_SUMMARY when set, and applies the
    [gates] of the config: exit 1 when an error-level gate fails.
    """
    from auditor.config import load_config
    from auditor.engine import run_audit, write_reports
    from auditor.gates import default_gates, with_resolved_details
    from auditor.store import Store

    config = load_config(config_path)
    gates = (config.gates or default_gates(config.fail_on)).with_fail_on(fail_on)
    waivers = _load_waivers(waivers_path, config.base_dir)
    from auditor.executors import make_executor

    runner = make_executor(executor, address=ray_address)
    progress = Progress(not ctx.find_root().params["quiet"])
    try:
        audit_run, report = run_audit(config, progress=progress, executor=runner)
    finally:
        progress.close()
        runner.close()
    previous = None
    if report.get("comparison"):
        with Store(config.store) as store:
            previous = store.get_run(report["comparison"]["previous_run"])
        report["comparison"] = with_resolved_details(report["comparison"], previous)
    report, gate_report = _apply_gates(report, gates, waivers, previous=previous)
    paths = write_reports(report, out or config.out, ("json", "html", "markdown"), lang=lang)
    _step_summary(report)
    _print_summary(ctx, audit_run)
    _print_gates(ctx, gate_report)
    click.echo(str(paths["html"].resolve()))
    if gate_report.exit_code:
        sys.exit(gate_report.exit_code)


CHECK_FORMATS = ["text", "json", "sarif", "junit", "github", "markdown", "html"]


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--baseline", "baseline_dir", type=click.Path(path_type=Path), default=None,
              help="The baseline folder (brand.toml and exemplars/); default: the config's.")
@click.option("--config", "config_path", type=click.Path(path_type=Path), default=None,
              help="An audit.toml for the baseline, model, [gates] and [check] keys/waivers.")
@click.option("--format", "fmt", type=click.Choice(CHECK_FORMATS), default="text",
              show_default=True, help="Output format.")
@click.option("--output", type=click.Path(path_type=Path), default=None,
              help="Write the output to this file instead of standard output.")
@click.option("--keys", default=None,
              help="YAML/JSON string fields to check, by key path: 'hero.title,pages.*.body' "
                   "(* is one level, ** any depth). Default: fields of 3+ words.")
@click.option("--changed-since", "changed_since", default=None, metavar="REF",
              help="Only files changed since git REF (plus untracked files), and only findings "
                   "on the changed lines.")
@click.option("--gates", "gates_path", type=click.Path(path_type=Path), default=None,
              help="A TOML file of gates ([gates] table); overrides the config's.")
@click.option("--baseline-report", "baseline_report", type=click.Path(path_type=Path),
              default=None, help="A report.json to compare with (no_regression, new/resolved).")
@click.option("--store", "store_path", type=click.Path(path_type=Path), default=None,
              help="Compare with the latest run in this history store instead.")
@click.option("--waivers", "waivers_path", type=click.Path(path_type=Path), default=None,
              help="Waiver file (default: .brand-audit-waivers.toml here, if present).")
@click.option("--fail-on", type=FAIL_ON, default=None,
              help="Shorthand gate: exit 1 when a file diverges (error) or warns too "
                   "(warning). Default without gates: error.")
@click.option("--no-embeddings", is_flag=True,
              help="Rules only (respect, shouting, terminology): fast, no model loaded.")
@click.option("--model", default=None, help=MODEL_HELP)
@report_lang
@quiet_too
@click.pass_context
def check(ctx: click.Context, paths: tuple[Path, ...], baseline_dir: Path | None,
          config_path: Path | None, fmt: str, output: Path | None, keys: str | None,
          changed_since: str | None, gates_path: Path | None, baseline_report: Path | None,
          store_path: Path | None, waivers_path: Path | None, fail_on: str | None,
          no_embeddings: bool, model: str | None, lang: str) -> None:
    """Check content files against a baseline: Markdown, MDX, HTML, text, and string fields
    of YAML / JSON files (folders are walked).

    One touchpoint per file; findings print as `path:line:col severity rule message`.
    Inline `<!-- brand-audit: ignore RULE -->` comments and the waiver file set findings
    aside; gates decide the exit code: 0 pass, 1 an error-level gate failed, 2 usage error.
    """
    from auditor.content import check_content, parse_key_paths
    from auditor.gates import default_gates, load_gates_file
    from baselines import load_baseline

    config = None
    if config_path is not None:
        from auditor.config import load_config

        config = load_config(config_path)
    if baseline_dir is None and config is None:
        raise click.UsageError("pass --baseline DIR (or --config audit.toml with a baseline)")
    if baseline_report is not None and store_path is not None:
        raise click.UsageError("--baseline-report and --store both name what to compare with; "
                               "pass one")
    for path in paths:
        if not path.exists():
            raise BrandAuditError("no such file or folder", source=str(path),
                                  hint="pass files or folders of Markdown, HTML, text, YAML "
                                       "or JSON")
    b = load_baseline(baseline_dir or config.baseline)
    if gates_path is not None:
        gates = load_gates_file(gates_path)
    elif config is not None and config.gates is not None:
        gates = config.gates
    else:
        gates = default_gates("error")
    gates = gates.with_fail_on(fail_on)
    key_paths = parse_key_paths(keys) if keys is not None else tuple(
        config.check.keys if config is not None and config.check is not None else ())
    waiver_file = waivers_path
    if waiver_file is None and config is not None and config.check and config.check.waivers:
        waiver_file = config.base_dir / config.check.waivers
    waivers = _load_waivers(waiver_file, config.base_dir if config else Path.cwd())
    previous, label = None, None
    if baseline_report is not None:
        from reports.json_report import load_json

        previous, label = load_json(baseline_report), f"reference report {baseline_report}"
    elif store_path is not None:
        from auditor.store import Store

        if not store_path.is_file():
            raise BrandAuditError("no history store here", source=str(store_path),
                                  hint="run `brand-audit run` first, or drop --store")
        with Store(store_path) as store:
            previous = store.latest_run()
    changes = None
    if changed_since:
        from auditor.content import changed_lines

        changes = changed_lines(changed_since)

    def score(embedder_cache):
        return check_content(
            list(paths), b, embedder_cache, keys=key_paths, changes=changes, waivers=waivers,
            gates=gates, previous=previous, previous_label=label,
            limits=config.limits if config is not None else None)

    if no_embeddings:
        result = score(None)
    else:
        from auditor.engine import open_embedder
        from auditor.store import Store

        with Store(_cache_path()) as cache:
            result = score(open_embedder(model or (config.model if config else None), cache))
    report = result.report
    if fmt == "text":
        from reports.i18n import localized
        from reports.text import render_text

        color = output is None and sys.stdout.isatty() and "NO_COLOR" not in os.environ
        text = render_text(localized(report, lang), color=color)
    else:
        text = _render(report, fmt, lang)
    if output:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(text, encoding="utf-8")
    else:
        click.echo(text, nl=not text.endswith("\n"))
    _step_summary(report)
    if fmt != "text":
        _print_gates(ctx, result.gates)
    if result.gates.exit_code:
        sys.exit(result.gates.exit_code)


def _render(report: dict, fmt: str, lang: str = "en") -> str:
    """``reports.render``, with the rules' documentation for SARIF."""
    from reports import render

    if fmt == "sarif":
        from auditor.checks import rule_docs
        from reports.i18n import localized
        from reports.sarif import render_sarif

        return render_sarif(localized(report, lang), rule_docs())
    return render(report, fmt, lang=lang)


def _load_waivers(path: Path | None, base_dir: Path):
    """The explicit waiver file, else the default one in ``base_dir`` if it exists."""
    from auditor.waivers import DEFAULT_WAIVERS_FILE, load_waivers

    if path is not None:
        return load_waivers(path)
    default = base_dir / DEFAULT_WAIVERS_FILE
    return load_waivers(default) if default.is_file() else ()


def _apply_gates(report: dict, gates, waivers, *, previous: dict | None):
    """Waivers set aside, gates evaluated; the gate verdicts go into the report."""
    from auditor.gates import evaluate
    from auditor.waivers import apply_exceptions

    report, status = apply_exceptions(report, waivers=waivers)
    gate_report = evaluate(report, gates, previous=previous, waivers=status)
    report["gates"] = gate_report.as_list()
    return report, gate_report


def _step_summary(report: dict) -> None:
    """Append the Markdown summary to the GitHub Actions job summary, when there is one."""
    path = os.environ.get("GITHUB_STEP_SUMMARY")
    if not path:
        return
    from reports.text import render_markdown

    try:
        with open(path, "a", encoding="utf-8") as handle:
            handle.write(render_markdown(report) + "\n")
    except OSError as exc:
        click.echo(f"warning: cannot write $GITHUB_STEP_SUMMARY ({path}): {exc}", err=True)


def _print_gates(ctx: click.Context, gate_report) -> None:
    for result in gate_report.results:
        if result.passed:
            continue
        mark = "FAIL" if result.failed else "warn"
        message = f"gate {mark}: {result.gate}: {result.message}"
        if result.failed:
            click.secho(message, err=True, fg="red")
        else:
            _say(ctx, message)
        for detail in result.details[:10]:
            _say(ctx, f"  {detail}")


@cli.command()
@click.argument("run_ref")
@click.option("--format", "fmt", type=click.Choice(["html", "json", "markdown", "text", "sarif",
                                                  "junit", "github"]),
              default="html", show_default=True, help="Output format.")
@click.option("--output", type=click.Path(path_type=Path), default=None,
              help="Output file (default: standard output).")
@click.option("--store", "store_path", type=click.Path(path_type=Path),
              default=Path(".brand-audit/audit.db"), show_default=True,
              help="The history store to look RUN_ID up in.")
@report_lang
def report(run_ref: str, fmt: str, output: Path | None, store_path: Path, lang: str) -> None:
    """Re-render a stored run (RUN_ID, or 'latest') or a report.json without re-collecting."""
    from auditor.store import Store
    from reports.json_report import load_json

    if Path(run_ref).is_file():
        data = load_json(Path(run_ref))
    else:
        if not store_path.is_file():
            raise BrandAuditError("no history store here", source=str(store_path),
                                  hint="pass --store PATH or a report.json file")
        with Store(store_path) as store:
            data = store.latest_run() if run_ref == "latest" else store.get_run(run_ref)
        if data is None:
            raise BrandAuditError(f"no run {run_ref!r} in the history", source=str(store_path),
                                  hint="`brand-audit history` lists the runs")
    text = _render(data, fmt, lang)
    if output:
        output.write_text(text, encoding="utf-8")
        click.echo(str(output))
    else:
        click.echo(text, nl=not text.endswith("\n"))


@cli.command()
@click.option("--channel", default=None, help="Show one channel's score trend.")
@click.option("--store", "store_path", type=click.Path(path_type=Path),
              default=Path(".brand-audit/audit.db"), show_default=True,
              help="The history store (see [audit] store in audit.toml).")
@click.option("--limit", default=20, show_default=True, help="How many runs to show.")
def history(channel: str | None, store_path: Path, limit: int) -> None:
    """List past runs and the score trend, overall or for one channel."""
    from auditor.store import Store

    if not store_path.is_file():
        raise BrandAuditError("no history store here", source=str(store_path),
                              hint="run `brand-audit run` first, or pass --store PATH")
    with Store(store_path) as store:
        if channel:
            rows = store.channel_history(channel)[-limit:]
            if not rows:
                known = sorted({r["channel"] for r in store.channel_history()})
                click.echo(f"No runs with channel {channel!r}"
                           + (f" (channels in the history: {', '.join(known)})." if known
                              else "."))
                return
            click.echo(f"{'started (UTC)':19}  {'run':24}  {'score':>5}  {'change':>6}  "
                       f"{'touchpoints':>11}  {'diverging':>9}")
            before = None
            for row in rows:
                click.echo(f"{row['started_at'][:19]:19}  {row['run_id']:24}  "
                           f"{_fmt(row['score'])}  {_delta(before, row['score']):>6}  "
                           f"{row['touchpoints'] or 0:>11}  {row['diverging'] or 0:>9}")
                before = row["score"] if row["score"] is not None else before
            click.echo(_trend_line(channel, [r["score"] for r in rows]))
            return
        runs = list(reversed(store.list_runs(limit)))
        if not runs:
            click.echo("No runs yet.")
            return
        channels = sorted({c for r in runs for c in (r.get("by_channel") or {})})
        click.echo(f"{'started (UTC)':19}  {'run':24}  {'score':>5}  {'change':>6}  "
                   + "  ".join(f"{c:>7}" for c in channels))
        before = None
        for r in runs:
            by_channel = r.get("by_channel") or {}
            cells = "  ".join(f"{_fmt((by_channel.get(c) or {}).get('score')):>7}"
                              if c in by_channel else f"{'-':>7}" for c in channels)
            click.echo(f"{r['started_at'][:19]:19}  {r['id']:24}  {_fmt(r['score'])}  "
                       f"{_delta(before, r['score']):>6}  {cells}")
            before = r["score"] if r["score"] is not None else before
        click.echo("")
        click.echo(_trend_line("overall", [r["score"] for r in runs]))
        for c in channels:
            click.echo(_trend_line(c, [(r.get("by_channel") or {}).get(c, {}).get("score")
                                       for r in runs if c in (r.get("by_channel") or {})]))


_SPARK = "▁▂▃▄▅▆▇█"


def _delta(before: float | None, now: float | None) -> str:
    if before is None or now is None:
        return ""
    return f"{now - before:+.1f}"


def _trend_line(name: str, scores: list[float | None]) -> str:
    """``web      71.0 → 74.5 (+3.5) over 5 runs  ▃▄▄▆█``: first and last score, sparkline."""
    known = [v for v in scores if v is not None]
    if not known:
        return f"{name:10} not scored"
    spark = "".join(" " if v is None else _SPARK[min(int(v / 100 * len(_SPARK)), len(_SPARK) - 1)]
                    for v in scores)
    change = f"{known[-1] - known[0]:+.1f}"
    return (f"{name:10} {known[0]:.1f} → {known[-1]:.1f} ({change}) over {len(scores)} "
            f"run{'s' if len(scores) != 1 else ''}  {spark}")


@cli.command()
@click.argument("rule", required=False)
def explain(rule: str | None) -> None:
    """Explain what RULE looks for, with an example and how to fix it (no RULE: list them)."""
    from auditor.checks import rule_doc, rule_docs

    docs = rule_docs()
    if rule is None:
        for name in sorted(docs):
            click.echo(f"{name:28} {docs[name].splitlines()[0]}")
        return
    doc = rule_doc(rule, docs)
    if doc is None:
        raise BrandAuditError(f"unknown rule {rule!r}",
                              hint="`brand-audit explain` lists the rules")
    click.echo(f"{rule}\n\n{doc}")


@cli.command()
@click.option("--config", "config_path", type=click.Path(path_type=Path), default=None,
              help="audit.toml to check (default: ./audit.toml if it exists).")
@click.option("--store", "store_path", type=click.Path(path_type=Path), default=None,
              help="History store to check (default: the config's store).")
@click.option("--online", is_flag=True,
              help="Also request each web section's start URLs (robots.txt obeyed, as the "
                   "crawler would): does the site answer brand-audit?")
def doctor(config_path: Path | None, store_path: Path | None, online: bool) -> None:
    """Check a config (loads, baseline, input paths, Chromium, secrets) and a history store
    (integrity, schema version, runs); exit 0 when all is well, 2 when something is wrong.
    Nothing is fetched unless --online is given."""
    from auditor.doctor import diagnose

    if config_path is None and store_path is None:
        if not Path("audit.toml").is_file():
            raise BrandAuditError("nothing to check", hint="pass --config audit.toml and/or "
                                                          "--store PATH")
        config_path = Path("audit.toml")
    checks = diagnose(config_path, store_path, online=online)
    for check in checks:
        click.echo(check.describe())
    from reports.i18n import counted

    failed = sum(not c.ok for c in checks)
    click.echo(f"{counted(failed, 'problem')} found" if failed else "all checks passed")
    if failed:
        sys.exit(EXIT_USAGE)


def _fmt(score: float | None) -> str:
    return "  n/a" if score is None else f"{score:5.1f}"


def _print_summary(ctx: click.Context, audit_run) -> None:
    from reports.i18n import counted

    _say(ctx, f"Brand score {_fmt(audit_run.score).strip()}: "
              f"{counted(len(audit_run.results), 'touchpoint')}, {audit_run.diverging} diverge, "
              f"{audit_run.warnings} to watch, "
              f"{len(audit_run.errors)} could not be collected")
    for ch in audit_run.channels:
        _say(ctx, f"  {ch.channel:8} {_fmt(ch.score)}  {counted(ch.touchpoints, 'touchpoint'):>16}"
                  f"  {ch.diverging} diverge  {ch.warnings} warn")
    _print_errors(audit_run.errors, collected=len(audit_run.results))


#: Collection errors listed on the terminal; report.json and the report have them all.
ERRORS_SHOWN = 10


def _print_errors(errors, collected: int) -> None:
    """What could not be collected and why, even with --quiet (it prints results and errors):
    a count alone left the user to dig through report.json for the file to fix."""
    from auditor.types import skipped_by_design
    from reports.i18n import counted

    if not errors:
        return
    went_on = (f"the run went on without {'it' if len(errors) == 1 else 'them'}" if collected
               else "and nothing else was collected")
    # Failures first; what was left out by design (a PDF on a crawled site) after them.
    errors = sorted(errors, key=lambda e: skipped_by_design(e.error))
    skipped = sum(skipped_by_design(e.error) for e in errors)
    by_design = f"; {skipped} of them skipped by design, marked –" if skipped else ""
    click.echo(f"could not collect {counted(len(errors), 'source')} ({went_on}{by_design}):",
               err=True)
    for error in errors[:ERRORS_SHOWN]:
        where = f"{error.source} ({error.channel})" if error.channel else error.source
        mark = "– " if skipped_by_design(error.error) else "  "
        click.echo(f"{mark}{where}: {error.error}", err=True)
    if len(errors) > ERRORS_SHOWN:
        click.echo(f"  ... and {len(errors) - ERRORS_SHOWN} more: report.json \"errors\" and "
                   "the report's collection errors list them all", err=True)


def main() -> None:
    try:
        cli.main(standalone_mode=False)
    except BrandAuditError as exc:
        click.secho(f"error: {exc.describe()}", err=True, fg="red")
        sys.exit(exc.exit_code)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        sys.exit(EXIT_USAGE)
    except click.ClickException as exc:
        exc.show()
        sys.exit(EXIT_USAGE)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        sys.exit(130)
