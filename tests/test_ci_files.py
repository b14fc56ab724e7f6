"""The CI files shipped in the repository: the GitHub Action, the pre-commit hooks and the
documented cron / systemd / GitHub Actions / GitLab examples only use options that exist."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from auditor.cli import cli

REPO = Path(__file__).resolve().parents[1]
COMMANDS = {name: {o for p in command.params for o in p.opts}
            for name, command in cli.commands.items()}
GLOBAL = {o for p in cli.params for o in p.opts}
# `brand-audit [-q] SUBCOMMAND ...` up to the end of the shell command.
INVOCATION = re.compile(r"brand-audit(?:\s+-q)?\s+([a-z]+)([^|;&`\n]*)")


def invocations(path: Path, text: str | None = None) -> list[tuple[int, str, list[str]]]:
    found = []
    text = path.read_text(encoding="utf-8") if text is None else text
    for number, line in enumerate(text.splitlines(), 1):
        for match in INVOCATION.finditer(line):
            if match.group(1) in COMMANDS:
                flags = re.findall(r"(?<![\w-])--[a-z][a-z-]*", match.group(2))
                found.append((number, match.group(1), flags))
    return found


@pytest.mark.parametrize("name", ["docs/ci.md", "action.yml", ".pre-commit-hooks.yaml",
                                  "README.md"])
def test_every_documented_command_line_uses_real_options(name) -> None:
    calls = invocations(REPO / name)
    assert calls, f"{name} shows no brand-audit command"
    unknown = [(line, command, flag) for line, command, flags in calls for flag in flags
               if flag not in COMMANDS[command] | GLOBAL]
    assert unknown == [], f"{name}: options that `brand-audit` does not have: {unknown}"


def test_docs_show_every_schedule() -> None:
    text = (REPO / "docs" / "ci.md").read_text(encoding="utf-8")
    for heading in ("### cron", "### systemd timer", "### GitHub Actions, scheduled",
                    "### GitLab CI schedule", "## pre-commit"):
        assert heading in text
    blocks = re.findall(r"```yaml\n(.*?)```", text, flags=re.S)
    assert len(blocks) >= 4
    for block in blocks:
        yaml.safe_load(block)  # every YAML example parses (`${{ }}` breaks a flow mapping)
    gitlab = text.split("### GitLab CI schedule", 1)[1]
    # A failed gate must not stop the script before the JUnit report is written.
    assert "|| status=$?" in gitlab and "exit $status" in gitlab


def test_action_checks_once_and_renders_sarif_and_annotations() -> None:
    action = yaml.safe_load((REPO / "action.yml").read_text(encoding="utf-8"))
    assert action["runs"]["using"] == "composite"
    assert {"paths", "baseline", "config", "changed-since", "gates",
            "baseline-report"} <= set(action["inputs"])
    assert set(action["outputs"]) == {"sarif", "exit-code"}
    steps = {step.get("id") or step.get("name"): step for step in action["runs"]["steps"]}
    script = steps["check"]["run"]
    commands = [c for _, c, _ in invocations(REPO / "action.yml", script)]
    assert commands == ["check", "report", "report"]
    assert "--format json" in script and "--format sarif" in script and \
        "--format github" in script
    # The gate is applied last, after the SARIF upload, with the exit code of the check.
    assert steps["Gate"]["run"] == "exit ${{ steps.check.outputs.exit-code }}"
    assert steps["Upload SARIF"]["uses"].startswith("github/codeql-action/upload-sarif@")


def test_pre_commit_hooks() -> None:
    hooks = {h["id"]: h for h in
             yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))}
    assert set(hooks) == {"brand-audit", "brand-audit-full"}
    assert hooks["brand-audit"]["entry"] == "brand-audit check --no-embeddings"
    assert hooks["brand-audit-full"]["entry"] == "brand-audit check"
    assert hooks["brand-audit-full"]["stages"] == ["manual"]
    for hook in hooks.values():
        assert hook["language"] == "python"
        assert {"markdown", "html", "yaml", "json"} <= set(hook["types_or"])
