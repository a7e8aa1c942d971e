"""Stubs and module agree (mypy's stubtest), and a typed usage of every public name passes
`mypy --strict` and runs."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import xpay_auth
from mockctl import Mock

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "typed_usage.py"


def run(*args: str, env: "dict[str, str] | None" = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, env=env, timeout=600)


def test_stubs_match_the_module() -> None:
    result = run("-m", "mypy.stubtest", "xpay_auth")
    assert result.returncode == 0, result.stdout + result.stderr


def test_typed_usage_passes_mypy_strict() -> None:
    result = run("-m", "mypy", "--strict", "--no-incremental", str(EXAMPLE))
    assert result.returncode == 0, result.stdout + result.stderr


def test_typed_usage_uses_every_public_name() -> None:
    tree = ast.parse(EXAMPLE.read_text())
    used = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
    used |= {n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute)}
    used |= {a.name for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) for a in n.names}
    assert set(xpay_auth.__all__) - used == set()


def test_typed_usage_runs(mock: Mock) -> None:
    env = {**os.environ, "XPAY_BASE_URL": mock.url, "XPAY_USERNAME": "demo@xpay.test", "XPAY_SECRET_KEY": "demo-secret"}
    result = run(str(EXAMPLE), env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "AuthenticationError" not in result.stderr
    assert "demo-secret" not in result.stdout


def test_package_ships_py_typed() -> None:
    assert (Path(xpay_auth.__file__).parent / "py.typed").exists()
    assert (Path(xpay_auth.__file__).parent / "_native.pyi").exists()
