#!/usr/bin/env python3
"""The root README's quick starts are the bindings' own, which their test suites run.

Each binding README's first code block under "## Quick start" is executed by that binding's
tests (pytest, node --test, the C install check); this check fails when the copy in the root
README drifts from it, so the root README never shows code that was not run.
"""
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def quick_start(readme: Path) -> str:
    section = readme.read_text().split("## Quick start", 1)[1]
    match = re.search(r"```\w+\n.*?```", section, re.S)
    if not match:
        sys.exit(f"{readme}: no code block under '## Quick start'")
    return match.group(0)


root = (ROOT / "README.md").read_text()
stale = [face for face in ("python", "node", "c") if quick_start(ROOT / f"bindings-{face}" / "README.md") not in root]
if stale:
    sys.exit(f"README.md: the quick start of {', '.join(stale)} differs from bindings-<face>/README.md; copy it over")
print("check-readme: the root README's quick starts match the tested ones (python, node, c)")
