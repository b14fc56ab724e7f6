"""The command line as a user meets it: help, exit codes, errors without tracebacks."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from baselines import DEMO_BASELINE
from tests.conftest import FIXTURES

CONTENT = FIXTURES / "content"


def brand_audit(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "auditor", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=300)


@pytest.mark.parametrize("command", [
    [], ["demo"], ["init"], ["baseline"], ["baseline", "build"], ["baseline", "show"],
    ["baseline", "check"], ["run"], ["check"], ["report"], ["history"], ["explain"],
])
def test_every_command_has_help(command) -> None:
    result = brand_audit(*command, "--help")
    assert result.returncode == 0, result.stderr
    assert "Usage:" in result.stdout and len(result.stdout.splitlines()) > 4


def test_check_exit_codes_with_the_default_model() -> None:
    on = brand_audit("check", str(CONTENT / "on_brand.md"), "--baseline", str(DEMO_BASELINE))
    assert on.returncode == 0, on.stdout + on.stderr
    off = brand_audit("check", str(CONTENT / "off_brand.md"), "--baseline", str(DEMO_BASELINE))
    assert off.returncode == 1
    assert "off_brand.md:3:1" in off.stdout and "message.off_brand" in off.stdout
    # Closer than what: the finding says it is this file the approved copy is compared with.
    assert "of the approved copy is closer to the brand than this file." in off.stdout


def test_check_rules_only_and_formats(tmp_path) -> None:
    out = tmp_path / "report.json"
    result = brand_audit("check", str(CONTENT), "--baseline", str(DEMO_BASELINE),
                         "--no-embeddings", "--format", "json", "--output", str(out))
    assert result.returncode == 1  # pushy.md diverges on rules alone
    report = json.loads(out.read_text())
    assert report["schema"] == "brand-audit/report"
    assert len(report["touchpoints"]) == len(list(CONTENT.glob("*.md")))
    never = brand_audit("check", str(CONTENT / "pushy.md"), "--baseline", str(DEMO_BASELINE),
                        "--no-embeddings", "--fail-on", "never")
    assert never.returncode == 0


# Only vectors need these; loading numpy alone cost a rules-only check a fifth of a second of
# its start-up (docs/benchmarks.md, "check --no-embeddings cold start").
# (auditor.tone may load: SARIF's rule help includes the tone rules' documentation.)
VECTOR_ONLY_MODULES = {"numpy", "auditor.store", "auditor.offers"}

# `brand-audit check ARGS` in this interpreter, then the exit code and every module loaded.
_CHECK_AND_LIST_MODULES = """
import json, sys
from auditor.cli import main
sys.argv = ["brand-audit", "check", *sys.argv[1:]]
try:
    main()
    code = 0
except SystemExit as exit:
    code = exit.code
print(json.dumps({"exit": code, "modules": sorted(sys.modules)}))
"""


@pytest.mark.parametrize("fmt", ["text", "sarif"])
def test_rules_only_check_never_loads_numpy(tmp_path, fmt) -> None:
    # A new interpreter, so nothing this test session imported counts.
    out = tmp_path / f"report.{fmt}"
    result = subprocess.run(
        [sys.executable, "-c", _CHECK_AND_LIST_MODULES, str(CONTENT), "--baseline",
         str(DEMO_BASELINE), "--no-embeddings", "--format", fmt, "--output", str(out)],
        capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout.splitlines()[-1])
    assert seen["exit"] == 1, result.stderr  # pushy.md diverges: the rules did run
    assert out.read_text(encoding="utf-8").strip()
    loaded = VECTOR_ONLY_MODULES & set(seen["modules"])
    assert not loaded, f"a rules-only check imported {sorted(loaded)}"


def test_usage_errors_exit_2_without_traceback(tmp_path) -> None:
    missing = brand_audit("check", str(tmp_path / "nope.md"), "--baseline", str(DEMO_BASELINE))
    assert missing.returncode == 2 and "nope.md" in missing.stderr
    bad_config = brand_audit("run", "--config", str(FIXTURES / "config" / "unknown_key.toml"))
    assert bad_config.returncode == 2
    assert "unknown_key.toml:7" in bad_config.stderr and "pathh" in bad_config.stderr
    bad_baseline = brand_audit("baseline", "show",
                               str(FIXTURES / "baselines" / "toml_syntax"))
    assert bad_baseline.returncode == 2 and "brand.toml:" in bad_baseline.stderr
    for result in (missing, bad_config, bad_baseline):
        assert "Traceback" not in result.stderr


def test_init_then_run_on_markdown(tmp_path) -> None:
    result = brand_audit("init", str(tmp_path), "--name", "Sosna Test")
    assert result.returncode == 0, result.stderr
    config = tmp_path / "audit.toml"
    baseline = tmp_path / "baselines" / "sosna-test"
    assert config.is_file() and (baseline / "brand.toml").is_file()
    # Before approved copy exists, the run says where it goes.
    early = brand_audit("run", "--config", str(config))
    assert early.returncode == 2 and "exemplars" in early.stderr
    shutil.copytree(DEMO_BASELINE / "exemplars", baseline / "exemplars", dirs_exist_ok=True)
    for name in ("on_brand.md", "off_brand.md"):
        shutil.copy(CONTENT / name, tmp_path / "content" / name)
    run = brand_audit("run", "--config", str(config))
    assert run.returncode == 1, run.stderr  # off_brand.md diverges; fail_on = "error"
    report = json.loads((tmp_path / "brand-audit-report" / "report.json").read_text())
    status = {Path(t["source"]).name: t["status"] for t in report["touchpoints"]}
    assert status == {"on_brand.md": "ok", "off_brand.md": "diverges"}
    assert run.stdout.strip().endswith("report.html")
    # History and re-rendering from the store.
    store = tmp_path / ".brand-audit" / "audit.db"
    history = brand_audit("history", "--store", str(store))
    assert history.returncode == 0 and report["run"]["id"] in history.stdout
    html = tmp_path / "again.html"
    again = brand_audit("report", "latest", "--store", str(store), "--output", str(html))
    assert again.returncode == 0 and "<html" in html.read_text()
    russian = tmp_path / "ru.html"
    in_russian = brand_audit("report", str(tmp_path / "brand-audit-report" / "report.json"),
                             "--report-lang", "ru", "--output", str(russian))
    assert in_russian.returncode == 0 and 'lang="ru"' in russian.read_text()
    assert brand_audit("init", str(tmp_path)).returncode == 2, "init never overwrites"


def test_init_names_the_baseline_folder_in_the_brands_own_alphabet() -> None:
    # A Russian brand's folder was "brand": its name has no Latin letters.
    from auditor.init import brand_slug

    assert brand_slug("Sosna Test") == "sosna-test"
    assert brand_slug("Хабр") == "хабр"
    assert brand_slug("Сосна / Дом & Ко") == "сосна-дом-ко"
    assert brand_slug("!!!") == "brand"


def test_explain_rules() -> None:
    listing = brand_audit("explain")
    assert "respect.pressure" in listing.stdout and "message.off_brand" in listing.stdout
    one = brand_audit("explain", "respect.false_urgency")
    assert one.returncode == 0 and "Fix" in one.stdout
    assert brand_audit("explain", "no.such.rule").returncode == 2
    tone = brand_audit("explain", "tone.respect")
    assert tone.returncode == 0 and "pushy" in tone.stdout and "Fix (too pushy)" in tone.stdout
    assert "tone.warmth" in listing.stdout
    # A brand's own Vale rule is explained by its kind.
    vale = brand_audit("explain", "vale.Sosna.Jargon")
    assert vale.returncode == 0 and "Vale" in vale.stdout


def test_baseline_build_and_check_describe_the_approved_copy() -> None:
    built = brand_audit("baseline", "build", str(DEMO_BASELINE))
    assert built.returncode == 0, built.stderr
    assert "calibrated on" in built.stdout and "Voice" in built.stdout
    assert "ru: formality" in built.stdout
    checked = brand_audit("baseline", "check", str(DEMO_BASELINE))
    assert checked.returncode == 0 and "approved paragraphs" in checked.stdout


def test_summary_counts_agree_with_their_number(capsys):
    from types import SimpleNamespace

    import click

    from auditor.cli import _print_summary, cli
    from auditor.types import ChannelSummary

    run = SimpleNamespace(score=61.5, results=[object()], diverging=0, warnings=1, errors=[],
                          channels=[ChannelSummary("social", 61.5, 1, 0, 1),
                                    ChannelSummary("web", 80.0, 12, 1, 0)])
    with click.Context(cli, obj={}) as ctx:
        ctx.params["quiet"] = False
        _print_summary(ctx, run)
    lines = capsys.readouterr().err.splitlines()
    assert lines[0].startswith("Brand score 61.5: 1 touchpoint, 0 diverge")
    assert "    1 touchpoint  0 diverge" in lines[1] and "12 touchpoints  1 diverge" in lines[2]


@pytest.mark.parametrize("quiet", [False, True])
def test_summary_names_what_could_not_be_collected_and_why(capsys, quiet):
    # "1 could not be collected" alone sent the user into report.json for the file to fix;
    # --quiet prints results and errors, so the list comes with it too.
    from types import SimpleNamespace

    import click

    from auditor import cli as cli_module
    from auditor.types import CollectionError

    errors = [CollectionError("calls/c1.vtt:3", "line 3: a WebVTT cue needs a timing line",
                              "calls"),
              *(CollectionError(f"https://example.com/{n}", "HTTP 500") for n in range(11))]
    run = SimpleNamespace(score=None, results=[], diverging=0, warnings=0, errors=errors,
                          channels=[])
    with click.Context(cli_module.cli, obj={}) as ctx:
        ctx.params["quiet"] = quiet
        cli_module._print_summary(ctx, run)
    err = capsys.readouterr().err
    assert "could not collect 12 sources (and nothing else was collected):" in err
    assert "  calls/c1.vtt:3 (calls): line 3: a WebVTT cue needs a timing line" in err
    assert "  https://example.com/8: HTTP 500" in err
    assert "https://example.com/9:" not in err  # ten listed, the rest counted
    assert "... and 2 more" in err
    assert ("Brand score" in err) is not quiet
    run.results = [object()]
    with click.Context(cli_module.cli, obj={}) as ctx:
        ctx.params["quiet"] = quiet
        cli_module._print_summary(ctx, run)
    assert "could not collect 12 sources (the run went on without them):" in \
        capsys.readouterr().err
    # A PDF left out by design comes after the failures, marked, and is counted apart.
    run.errors = [CollectionError("https://example.com/a.pdf", "skipped: not HTML (a .pdf file)",
                                  "web"), CollectionError("https://example.com/x", "HTTP 404")]
    with click.Context(cli_module.cli, obj={}) as ctx:
        ctx.params["quiet"] = quiet
        cli_module._print_summary(ctx, run)
    lines = capsys.readouterr().err.splitlines()
    start = next(n for n, line in enumerate(lines) if line.startswith("could not collect"))
    assert lines[start:start + 3] == [
        "could not collect 2 sources (the run went on without them; 1 of them skipped by "
        "design, marked –):",
        "  https://example.com/x: HTTP 404",
        "– https://example.com/a.pdf (web): skipped: not HTML (a .pdf file)"]


@pytest.mark.parametrize("args", [["-q", "demo"], ["demo", "-q"], ["demo", "--quiet"]])
def test_quiet_goes_before_or_after_the_command(monkeypatch, tmp_path, args):
    # `brand-audit run -q` said "No such option: -q"; only `brand-audit -q run` worked.
    from types import SimpleNamespace

    from click.testing import CliRunner

    from auditor import demo as demo_module
    from auditor.cli import cli

    def fake_demo(out, *, model, progress, say, lang):
        say("serving the demo site")
        run = SimpleNamespace(score=70.0, results=[], diverging=0, warnings=0, errors=[],
                              channels=[])
        return run, {"html": tmp_path / "report.html"}

    monkeypatch.setattr(demo_module, "run_demo", fake_demo)
    loud = CliRunner().invoke(cli, ["demo"])
    quiet = CliRunner().invoke(cli, args)
    assert loud.exit_code == quiet.exit_code == 0, quiet.output
    assert "serving the demo site" in loud.output and "Brand score 70.0" in loud.output
    assert "serving the demo site" not in quiet.output and "Brand score" not in quiet.output
    assert quiet.output.strip().endswith("report.html")
