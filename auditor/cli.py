"""The ``brand-audit`` command: parses arguments, calls the library, prints.

Exit codes: 0 ok, 1 a gate failed, 2 usage, config or tool error.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from auditor import __version__
from auditor.errors import EXIT_GATE_FAILED, EXIT_USAGE, BrandAuditError

FAIL_ON = click.Choice(["error", "warning", "never"])
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
        if not self.enabled:
            return
        if stage != self.stage:
            self.close()
            self.stage, self.done = stage, 0
            self.bar = click.progressbar(length=max(total, 1), label=stage.ljust(24),
                                         file=sys.stderr, show_eta=False)
            self.bar.__enter__()
        if self.bar is not None and done > self.done:
            self.bar.update(done - self.done)
            self.done = done

    def close(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)
            self.bar = None


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
@click.pass_context
def demo(ctx: click.Context, out: Path, model: str | None) -> None:
    """Run the whole product offline on the bundled demo brand, Sosna.

    Serves the demo website on 127.0.0.1, crawls it, reads the demo's social posts and
    call transcripts, scores everything against the demo baseline and writes report.json
    and report.html. Prints the report's path.
    """
    from auditor.demo import run_demo

    progress = Progress(not ctx.find_root().params["quiet"])
    try:
        run, paths = run_demo(out, model=model, progress=progress, say=lambda m: _say(ctx, m))
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
    """Validate the baseline in DIRECTORY, embed its approved copy and calibrate thresholds."""
    index = _build_index(directory, model)
    cal = index.calibration
    click.echo(f"{index.baseline.name}: {len(index.units)} approved sentences from "
               f"{len(index.baseline.exemplars)} files, model {index.model_id}")
    click.echo(f"calibrated on {cal.samples} approved paragraphs (leave-one-file-out): "
               f"median similarity {cal.median:.3f}, warn below {cal.warn:.3f}, "
               f"diverges below {cal.diverge:.3f}")


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
    """Warn about approved copy that reads unlike the rest of the approved copy."""
    index = _build_index(directory, model)
    cal = index.calibration
    outliers = [(src, par, sim) for src, par, sim in index.loo_paragraphs if sim < cal.diverge]
    click.echo(f"{index.baseline.name}: {cal.samples} approved paragraphs; median similarity "
               f"to the rest {cal.median:.3f}")
    if not outliers:
        click.echo("✓ The approved copy is consistent: no paragraph stands apart.")
        return
    click.echo(f"! {len(outliers)} approved paragraph(s) read unlike the rest of the approved "
               "copy. Check they are really on-brand, or add more copy like them:")
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
    root = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return root / "brand-audit" / "cache.db"


@cli.command()
@click.option("--config", "config_path", type=click.Path(path_type=Path),
              default=Path("audit.toml"), show_default=True, help="The audit configuration.")
@click.option("--out", type=click.Path(path_type=Path), default=None,
              help="Report folder (default: [audit] out in the config).")
@click.option("--fail-on", type=FAIL_ON, default=None,
              help="Exit 1 when a touchpoint diverges (error) or warns (warning); "
                   "default: [audit] fail_on.")
@click.pass_context
def run(ctx: click.Context, config_path: Path, out: Path | None, fail_on: str | None) -> None:
    """Audit every channel in the config, store the run in the history, write the report."""
    from auditor.config import load_config
    from auditor.engine import run_audit, write_reports

    config = load_config(config_path)
    progress = Progress(not ctx.find_root().params["quiet"])
    try:
        audit_run, report = run_audit(config, progress=progress)
    finally:
        progress.close()
    paths = write_reports(report, out or config.out, ("json", "html", "markdown"))
    _print_summary(ctx, audit_run)
    click.echo(str(paths["html"].resolve()))
    _gate(audit_run, fail_on or config.fail_on)


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--baseline", "baseline_dir", type=click.Path(path_type=Path), required=True,
              help="The baseline folder (brand.toml and exemplars/).")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "markdown", "html"]),
              default="text", show_default=True, help="Output format.")
@click.option("--output", type=click.Path(path_type=Path), default=None,
              help="Write the output to this file instead of standard output.")
@click.option("--fail-on", type=FAIL_ON, default="error", show_default=True,
              help="Exit 1 when a file diverges (error) or warns too (warning).")
@click.option("--no-embeddings", is_flag=True,
              help="Rules only (respect, shouting, terminology): fast, no model loaded.")
@click.option("--model", default=None, help=MODEL_HELP)
@click.pass_context
def check(ctx: click.Context, paths: tuple[Path, ...], baseline_dir: Path, fmt: str,
          output: Path | None, fail_on: str, no_embeddings: bool, model: str | None) -> None:
    """Check content files (Markdown, MDX, HTML, text; folders are walked) against a baseline.

    One touchpoint per file; findings print as `path:line:col severity rule message`.
    """
    from auditor.engine import audit, open_embedder
    from auditor.store import Store
    from baselines import load_baseline
    from channels import CollectContext
    from channels.files import KIND as FILES
    from channels.files import FilesOptions
    from reports import render
    from reports.json_report import to_dict

    b = load_baseline(baseline_dir)
    touchpoints, errors = [], []
    for path in paths:
        if not path.exists():
            raise BrandAuditError("no such file or folder", source=str(path),
                                  hint="pass files or folders of Markdown, HTML or text")
        for item in FILES.collect(FilesOptions(path=str(path)), CollectContext(Path.cwd())):
            (touchpoints if hasattr(item, "blocks") else errors).append(item)
    if no_embeddings:
        audit_run = audit(touchpoints, errors, b, None)
    else:
        with Store(_cache_path()) as cache:
            audit_run = audit(touchpoints, errors, b, open_embedder(model, cache))
    text = render(to_dict(audit_run), fmt) if fmt != "text" else _render_text(audit_run, output)
    if output:
        output.write_text(text, encoding="utf-8")
    else:
        click.echo(text, nl=not text.endswith("\n"))
    _gate(audit_run, fail_on)


def _render_text(audit_run, output: Path | None) -> str:
    from reports.json_report import to_dict
    from reports.text import render_text

    color = output is None and sys.stdout.isatty() and "NO_COLOR" not in os.environ
    return render_text(to_dict(audit_run), color=color)


@cli.command()
@click.argument("run_ref")
@click.option("--format", "fmt", type=click.Choice(["html", "json", "markdown", "text"]),
              default="html", show_default=True)
@click.option("--output", type=click.Path(path_type=Path), default=None,
              help="Output file (default: standard output).")
@click.option("--store", "store_path", type=click.Path(path_type=Path),
              default=Path(".brand-audit/audit.db"), show_default=True,
              help="The history store to look RUN_ID up in.")
def report(run_ref: str, fmt: str, output: Path | None, store_path: Path) -> None:
    """Re-render a stored run (RUN_ID, or 'latest') or a report.json without re-collecting."""
    from auditor.store import Store
    from reports import render
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
    text = render(data, fmt)
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
                click.echo(f"No runs with channel {channel!r}.")
            for row in rows:
                click.echo(f"{row['started_at'][:19]}  {row['run_id']}  {_fmt(row['score'])}")
            return
        runs = store.list_runs(limit)
        if not runs:
            click.echo("No runs yet.")
        for r in reversed(runs):
            channels = "  ".join(f"{c} {_fmt(v.get('score'))}"
                                 for c, v in sorted((r.get("by_channel") or {}).items()))
            click.echo(f"{r['started_at'][:19]}  {r['id']}  score {_fmt(r['score'])}  {channels}")


@cli.command()
@click.argument("rule", required=False)
def explain(rule: str | None) -> None:
    """Explain what RULE looks for, with an example and how to fix it (no RULE: list them)."""
    from auditor.checks import rule_docs

    docs = rule_docs()
    if rule is None:
        for name in sorted(docs):
            click.echo(f"{name:28} {docs[name].splitlines()[0]}")
        return
    if rule not in docs:
        raise BrandAuditError(f"unknown rule {rule!r}",
                              hint="`brand-audit explain` lists the rules")
    click.echo(f"{rule}\n\n{docs[rule]}")


def _fmt(score: float | None) -> str:
    return "  n/a" if score is None else f"{score:5.1f}"


def _print_summary(ctx: click.Context, audit_run) -> None:
    _say(ctx, f"Brand score {_fmt(audit_run.score).strip()}: {len(audit_run.results)} "
              f"touchpoints, {audit_run.diverging} diverge, {audit_run.warnings} to watch, "
              f"{len(audit_run.errors)} could not be collected")
    for ch in audit_run.channels:
        _say(ctx, f"  {ch.channel:8} {_fmt(ch.score)}  {ch.touchpoints:4} touchpoints  "
                  f"{ch.diverging} diverge  {ch.warnings} warn")


def _gate(audit_run, fail_on: str) -> None:
    failing = {"error": ("diverges",), "warning": ("diverges", "warn"), "never": ()}[fail_on]
    if any(r.status in failing for r in audit_run.results):
        sys.exit(EXIT_GATE_FAILED)


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
