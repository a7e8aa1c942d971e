"""The README's Python quick start runs, as written, against xpay-mock."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from mockctl import Mock

README = Path(__file__).resolve().parents[1] / "README.md"


def quick_start() -> str:
    section = README.read_text().split("## Quick start", 1)[1]
    match = re.search(r"```python\n(.*?)```", section, re.S)
    assert match, "no python block under Quick start"
    return match.group(1)


def test_quick_start_is_short_and_runs(mock: Mock) -> None:
    code = quick_start()
    assert len(code.strip().splitlines()) <= 10
    env = {**os.environ, "XPAY_BASE_URL": mock.url}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "{'a': 1}" in result.stdout
    assert "demo-secret" not in result.stdout
