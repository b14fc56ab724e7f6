"""What every benchmark shares: where the data is, the machine, and docs/benchmarks.md."""

from __future__ import annotations

import json
import os
import platform
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DATA = Path(os.environ.get("BRAND_AUDIT_DATA", REPO.parent / "shared" / "data"))
DOC = REPO / "docs" / "benchmarks.md"


def read_jsonl(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def machine() -> dict:
    """Cores, RAM, CPU model and Python version, for the record next to every figure."""
    cpu = platform.processor() or "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ram_gb = float("nan")
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                ram_gb = int(line.split()[1]) / 1024 / 1024
    except OSError:
        pass
    return {"cores": os.cpu_count(), "ram_gb": ram_gb, "cpu": cpu,
            "python": platform.python_version()}


def machine_line(info: dict | None = None) -> str:
    info = info or machine()
    return (f"{info['cores']} cores, {info['ram_gb']:.0f} GiB RAM, {info['cpu']}, "
            f"Python {info['python']}")


def write_section(section: str, markdown: str, path: Path = DOC) -> None:
    """Replace (or add) one ``## `` section of docs/benchmarks.md, leaving the others alone."""
    current = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n"
    lines = current.splitlines()
    if section in lines:
        start = lines.index(section)
        end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")),
                   len(lines))
        lines[start:end] = markdown.rstrip("\n").splitlines() + ([""] if end < len(lines) else [])
    else:
        lines += ["", *markdown.rstrip("\n").splitlines()]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines).rstrip("\n") + "\n", encoding="utf-8")
