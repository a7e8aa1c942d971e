#!/usr/bin/env python3
"""`make bench`'s orchestrator: every face's bench program against one release xpay-mock, in
alternating rounds, then one table, also written to BENCHMARKS.md. Standard library only.

    tests/bench/run.py [--rounds N] [--ms N] [--token-n N] [--logins N] [--only FACES]
                       [--mock-cpu N] [--client-cpu N] [--out FILE] [-- SOAK_COMMAND...]

The protocol (tests/bench/README.md): each face's program is run with `rows --ms N` once per
round (round 1: rust python node c, round 2: the same again, ...; 5 rounds of 600 ms rows by
default), then `token --n N` once and `cold FACE` once per face, and prints `BENCH {json}`
lines. The mock and every bench program run pinned to one CPU (`taskset -c 0`; README: why the
same one). Around each `cold` run the mock's own count of `POST /client/authenticate` is read. After `--`, the soak command (target/release/xpay-soak
with its --face arguments) is run with `--logins N` for resident memory after 1,000 and after N
logins; its table is parsed, not re-measured.

Prints figures and checks issue 9's goals; exits non-zero only when a program fails.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shlex
import shutil
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
TARGET = Path(os.environ.get("CARGO_TARGET_DIR") or ROOT / "target")
LOGIN_PATH = "/client/authenticate"
USERNAME, SECRET_KEY = "demo@xpay.test", "demo-secret"
PROGRAM_TIMEOUT_S = 600


def rust_bench() -> list[str]:
    """The release `calls` bench executable, built here (cargo's messages on stderr)."""
    proc = subprocess.run(
        ["cargo", "bench", "-p", "xpay-auth", "--bench", "calls", "--no-run", "--message-format=json-render-diagnostics"],
        cwd=ROOT, stdout=subprocess.PIPE, text=True,
    )
    if proc.returncode != 0:
        sys.exit("run.py: cargo bench -p xpay-auth --bench calls --no-run failed")
    out = proc.stdout
    for line in out.splitlines():
        message = json.loads(line)
        if message.get("reason") == "compiler-artifact" and message.get("executable") and message["target"]["name"] == "calls":
            return [message["executable"]]
    sys.exit("run.py: cargo did not name the calls bench executable")


def programs(only: list[str]) -> dict[str, tuple[list[str], list[str]]]:
    """face -> (its bench program's command, the faces its `cold` mode takes), for `only`."""
    every = {
        "rust": (rust_bench, ["rust-async", "rust-blocking"]),
        "python": (lambda: [str(ROOT / "bindings-python/.venv/release/bin/python"), str(ROOT / "bindings-python/bench/bench.py")],
                   ["python-sync", "python-async"]),
        "node": (lambda: ["node", "--expose-gc", str(ROOT / "bindings-node/bench/calls.js")], ["node"]),
        "c": (lambda: [str(TARGET / "bindings-c/release/bench")], ["c"]),
    }
    unknown = set(only) - set(every)
    if unknown:
        sys.exit(f"run.py: --only: unknown face(s) {', '.join(sorted(unknown))} (known: {', '.join(every)})")
    return {face: (command(), cold) for face, (command, cold) in every.items() if face in only}


def node_module() -> dict[str, str]:
    """The release Node module's private copy (bindings-node's bench-build), for napi-rs's
    loader: bindings-node/*.node is rebuilt in debug by other targets (`make build`)."""
    copy = TARGET / "bench/xpay-auth.node"
    return {"NAPI_RS_NATIVE_LIBRARY_PATH": str(copy)} if copy.exists() else {}


# ---------------------------------------------------------------------------------------------
# The mock and the programs


class Mock:
    """The release xpay-mock, started once, pinned; it exits when its stdin closes."""

    def __init__(self, pin: list[str]) -> None:
        binary = TARGET / "release/xpay-mock"
        if not os.access(binary, os.X_OK):
            sys.exit(f"run.py: {binary} is not built (cargo build --release -p xpay-mock)")
        self.proc = subprocess.Popen(
            pin + [str(binary), "--port", "0", "--threads", "1", "--exit-on-stdin-close"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        )
        assert self.proc.stdout is not None
        self.url = self.proc.stdout.readline().strip()
        if not self.url.startswith("http://"):
            sys.exit(f"run.py: the mock did not start (printed {self.url!r})")

    def logins(self) -> int:
        with urllib.request.urlopen(f"{self.url}/__mock/counts", timeout=10) as reply:
            return int(json.loads(reply.read()).get(LOGIN_PATH, 0))

    def stop(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def run_program(command: list[str], env: dict[str, str], what: str) -> list[dict[str, Any]]:
    """Runs one bench program to the end; its BENCH lines, parsed. Exits on a failure."""
    started = time.monotonic()
    proc = subprocess.run(command, env=env, capture_output=True, text=True, timeout=PROGRAM_TIMEOUT_S)
    figures = [json.loads(line[6:]) for line in proc.stdout.splitlines() if line.startswith("BENCH ")]
    if proc.returncode != 0 or not figures:
        sys.stderr.write(proc.stdout + proc.stderr)
        sys.exit(f"run.py: {what} failed (exit {proc.returncode}): {shlex.join(command)}")
    print(f"  {what}: {len(figures)} figure(s) in {time.monotonic() - started:.1f} s", flush=True)
    return figures


# ---------------------------------------------------------------------------------------------
# Figures


def fmt_rate(x: float) -> str:
    return f"{x:,.0f}"


def fmt_ns(ns: float) -> str:
    if ns < 1_000:
        return f"{ns:.1f} ns"
    return f"{ns:,.0f} ns" if ns < 10_000 else f"{ns / 1000:,.1f} µs"


def speed_table(rounds: list[list[dict[str, Any]]]) -> tuple[list[str], dict[tuple[str, str, str], float]]:
    """Markdown lines, and the SDK ÷ hand-rolled ratios by (group, op, hand-rolled client)."""
    runs: dict[tuple[str, str, str], list[float]] = {}
    sdk_of: dict[tuple[str, str], str] = {}
    order: list[tuple[str, str, str]] = []
    # Per round, the SDK row's rate over each hand-rolled row's: the two ran seconds apart, so
    # the machine's slower drifts (other work on it) cancel out of the ratio.
    paired: dict[tuple[str, str, str], list[float]] = {}
    for figures in rounds:
        rates = {}
        for f in figures:
            key = (f["group"], f["op"], f["client"])
            if key not in runs:
                order.append(key)
            rates[key] = f["ops"] / f["secs"]
            runs.setdefault(key, []).append(rates[key])
            if f["sdk"]:
                sdk_of[(f["group"], f["op"])] = f["client"]
        for (group, op, client), rate in rates.items():
            sdk = rates.get((group, op, sdk_of.get((group, op), "")))
            if sdk is not None and rate > 0:
                paired.setdefault((group, op, client), []).append(sdk / rate)
    medians = {k: statistics.median(v) for k, v in runs.items()}
    ratios = {k: statistics.median(v) for k, v in paired.items()}
    lines = [
        "| face | op | client | median /s | each round /s | SDK ÷ this |",
        "|---|---|---|---:|---|---:|",
    ]
    # Logins first (the workload), then calls; within each, the program's own order.
    for op in ("login", "call"):
        for key in order:
            group, row_op, client = key
            if row_op != op:
                continue
            sdk = sdk_of.get((group, op))
            is_sdk = sdk == client
            ratio = "" if is_sdk or key not in ratios else f"{ratios[key]:.2f}×"
            name = f"**{client}**" if is_sdk else client
            spread = " / ".join(fmt_rate(x) for x in runs[key])
            lines.append(f"| {group} | {op} | {name} | {fmt_rate(medians[key])} | {spread} | {ratio} |")
    return lines, ratios


TOKEN_GOALS_NS = {"rust-async": 100, "rust-blocking": 100, "c": 200, "python-sync": 1000, "python-async": 1000, "node": 2000}


def parse_soak(text: str) -> list[dict[str, str]]:
    """xpay-soak's table: the rows under its `face  RSS@1k ...` header."""
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if line.startswith("face") and "RSS@1k" in line:
            header = re.split(r"\s{2,}", line.strip())
            rows = []
            for row in lines[i + 2:]:
                if not row.strip():
                    break
                rows.append(dict(zip(header, re.split(r"\s{2,}", row.strip()))))
            return rows
    return []


def machine() -> list[str]:
    def out(*cmd: str) -> str:
        try:
            return subprocess.run(cmd, capture_output=True, text=True, timeout=30).stdout.strip().splitlines()[0]
        except (OSError, IndexError, subprocess.SubprocessError):
            return "?"

    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    python = ROOT / "bindings-python/.venv/release/bin/python"
    return [
        f"- nproc: {os.cpu_count()}; CPU: {cpu}",
        f"- kernel: {platform.system()} {platform.release()}",
        f"- {out('rustc', '--version')}; {out(str(python), '--version')}; node {out('node', '--version')};"
        f" libcurl {out('curl-config', '--version').replace('libcurl ', '')}",
    ]


# ---------------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--ms", type=int, default=600, help="timed milliseconds per row and round")
    parser.add_argument("--token-n", type=int, default=1_000_000)
    parser.add_argument("--logins", type=int, default=100_000, help="soak logins per face")
    parser.add_argument("--only", default="rust,python,node,c")
    parser.add_argument("--mock-cpu", default="0", help="the CPU the mock is pinned to")
    parser.add_argument("--client-cpu", default="0", help="the CPU every bench program is pinned to")
    parser.add_argument("--out", default=str(ROOT / "BENCHMARKS.md"))
    parser.add_argument("--command", default="make bench", help="the command recorded in --out")
    parser.add_argument("--started", type=float, help="Unix time the whole command started")
    parser.add_argument("soak", nargs="*", help="after --: the soak command")
    args = parser.parse_args()
    pinned = shutil.which("taskset") is not None
    pin = lambda cpu: ["taskset", "-c", cpu] if pinned else []  # noqa: E731
    faces = programs(args.only.split(","))
    started = time.time()
    load_before = os.getloadavg()
    mock = Mock(pin(args.mock_cpu))
    env = {**os.environ, "XPAY_BASE_URL": mock.url, "XPAY_MOCK_URL": mock.url,
           "XPAY_USERNAME": USERNAME, "XPAY_SECRET_KEY": SECRET_KEY, **node_module()}
    print(f"mock at {mock.url}{' (CPU ' + args.mock_cpu + ')' if pinned else ''}; faces: {', '.join(faces)}", flush=True)
    try:
        rounds = []
        for r in range(1, args.rounds + 1):
            figures: list[dict[str, Any]] = []
            for face, (command, _) in faces.items():
                figures += run_program(pin(args.client_cpu) + command + ["rows", "--ms", str(args.ms)], env, f"round {r} {face}")
            rounds.append(figures)
        tokens: list[dict[str, Any]] = []
        colds: list[dict[str, Any]] = []
        for face, (command, cold_faces) in faces.items():
            tokens += run_program(pin(args.client_cpu) + command + ["token", "--n", str(args.token_n)], env, f"token {face}")
            for cold_face in cold_faces:
                before = mock.logins()
                (figure,) = run_program(pin(args.client_cpu) + command + ["cold", cold_face], env, f"cold {cold_face}")
                figure["logins"] = mock.logins() - before
                colds.append(figure)
    finally:
        mock.stop()

    soak_rows: list[dict[str, str]] = []
    soak_note = "not run (no soak command after --)"
    if args.soak:
        command = args.soak + ["--logins", str(args.logins), "--calls", "640"]
        print(f"  soak: {shlex.join(command)}", flush=True)
        t0 = time.monotonic()
        proc = subprocess.run(command, capture_output=True, text=True, timeout=PROGRAM_TIMEOUT_S,
                              env={**os.environ, **node_module()})
        soak_rows = parse_soak(proc.stdout)
        soak_note = f"exit {proc.returncode}, {time.monotonic() - t0:.0f} s"
        print(f"  soak: {soak_note}", flush=True)
        if not soak_rows:
            sys.stderr.write(proc.stdout + proc.stderr)

    # ---- the report ---------------------------------------------------------------------------
    speed, ratios = speed_table(rounds)
    out: list[str] = []
    out += ["## Speed: the SDK against what its users would hand-roll", ""]
    out += [f"Operations per second, median of {args.rounds} alternating rounds of {args.ms} ms per row"
            " (after a warm-up of a fifth of that), one after another on one thread unless the face says 8"
            " threads. login: `POST /client/authenticate` and the token picked out of the reply; call:"
            " `POST /client/echo` with the bearer and a fresh uuid, `success.data` picked out. The SDK row"
            " is in bold. SDK ÷ this: the median over the rounds of the SDK row's rate over this row's"
            " in the same round (> 1: the SDK is faster).", ""]
    out += speed + [""]

    out += ["## Cached `access_token()` (through the public API)", "",
            "| face | API | calls | per call | goal |", "|---|---|---:|---:|---|"]
    for t in tokens:
        goal = TOKEN_GOALS_NS.get(t["face"])
        verdict = "" if goal is None else f"≤ {goal:,} ns: {'met' if t['ns'] <= goal else 'NOT met'}"
        out.append(f"| {t['face']} | `{t['api']}` | {t['n']:,} | {fmt_ns(t['ns'])} | {verdict} |")
    out += ["", "## 1,000 concurrent callers on a cold session", "",
            "| face | callers | ok | logins the mock saw | took |", "|---|---:|---:|---:|---:|"]
    for c in colds:
        out.append(f"| {c['face']} | {c['callers']:,} | {c['ok']:,} | {c['logins']} | {c['ms']:.1f} ms |")
    out += ["", f"## Resident memory of each face's testee (`xpay-soak --logins {args.logins}`; {soak_note})", ""]
    if soak_rows:
        last = next((k for k in soak_rows[0] if k.startswith("RSS@") and k != "RSS@1k"), "")
        out += [f"| face | after 1,000 logins | after {args.logins:,} | growth | soak |", "|---|---:|---:|---:|---|"]
        for s in soak_rows:
            out.append(f"| {s.get('face')} | {s.get('RSS@1k')} | {s.get(last)} | {s.get('growth')} | {s.get('result')} |")
    else:
        out.append("(no figures)")

    # ---- issue 9's goals ----------------------------------------------------------------------
    def ratio(group: str, op: str, sdk: str, hand: str) -> float | None:
        return ratios.get((group, op, hand))

    goals: list[tuple[str, float | None, float]] = [
        ("C ≥ 1.0× libcurl, 1 thread (logins)", ratio("C, 1 thread", "login", "xpay_authenticate", "libcurl, one reused easy handle"), 1.0),
        ("C ≥ 1.0× libcurl, 8 threads (logins)", ratio("C, 8 threads", "login", "xpay_authenticate, one shared client", "libcurl, a handle per thread"), 1.0),
        ("Rust blocking ≥ 1.0× reqwest::blocking (logins)", ratio("Rust blocking", "login", "blocking::Client::authenticate", "reqwest::blocking"), 1.0),
        ("Rust async ≥ 0.95× raw async reqwest (logins)", ratio("Rust async", "login", "Client::authenticate", "raw async reqwest"), 0.95),
        ("Python sync ≥ 5× requests.Session (logins)", ratio("Python sync", "login", "Client.authenticate", "requests.Session"), 5.0),
        ("Python sync ≥ 5× httpx.Client (logins)", ratio("Python sync", "login", "Client.authenticate", "httpx.Client"), 5.0),
        ("Node ≥ 1.5× http.request + keep-alive Agent (logins)", ratio("Node", "login", "client.authenticate", "http.request + keep-alive Agent"), 1.5),
        ("Node ≥ 5× fetch (logins)", ratio("Node", "login", "client.authenticate", "fetch"), 5.0),
    ]
    out += ["", "## Issue 9's goals", "", "| goal | this run | |", "|---|---:|---|"]
    met_all = True
    for name, value, want in goals:
        ok = value is not None and value >= want
        met_all &= ok
        out.append(f"| {name} | {'-' if value is None else f'{value:.2f}×'} | {'met' if ok else 'NOT met'} |")
    for t in tokens:
        goal = TOKEN_GOALS_NS.get(t["face"])
        if goal is not None:
            ok = t["ns"] <= goal
            met_all &= ok
            out.append(f"| cached token, {t['face']} ≤ {goal:,} ns | {fmt_ns(t['ns'])} | {'met' if ok else 'NOT met'} |")
    one_login = bool(colds) and all(c["logins"] == 1 and c["ok"] == c["callers"] for c in colds)
    met_all &= one_login
    out.append(f"| 1,000 cold callers → 1 login, every face | {', '.join(str(c['logins']) for c in colds)} |"
               f" {'met' if one_login else 'NOT met'} |")
    if soak_rows:
        growths = [s.get("growth", "?") for s in soak_rows]
        ok_mem = all(s.get("result") == "ok" for s in soak_rows)
        met_all &= ok_mem
        out.append(f"| memory growth 1k → {args.logins // 1000}k logins < 5 MB | {', '.join(growths)} | {'met' if ok_mem else 'NOT met'} |")

    took = time.time() - started
    whole = f"; the whole command {time.time() - args.started:.0f} s with builds" if args.started else ""
    load_after = os.getloadavg()
    header = [
        "# Benchmarks", "",
        f"Written by `{args.command}` (tests/bench/run.py) on {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime(started))};"
        f" the measuring took {took:.0f} s{whole}. Figures, not assertions: `make bench` never fails on"
        " a slow figure.", "",
        "Machine:", *machine(),
        f"- load average at start / end: {load_before[0]:.2f} / {load_after[0]:.2f} (other work on the machine"
        " shows up as noise)", "",
        (f"Protocol: one release `xpay-mock --threads 1` pinned to CPU {args.mock_cpu}, every bench program"
         f" pinned to CPU {args.client_cpu} (`taskset -c`; the 8-thread rows share that CPU), release builds"
         + ("" if args.mock_cpu != args.client_cpu else
            " (one CPU for both: with the mock on the other CPU every request and reply waits for a"
            " sleeping vCPU to be woken, which cut the rates 5-7× and reordered the clients in a"
            " test on this machine; tests/bench/README.md)")
         if pinned else "Protocol: NOT pinned (no taskset); release builds") +
        f"; rounds alternate the faces and rows (A B C … A B C …, {args.rounds} rounds). The bench programs:"
        " core/benches/calls.rs, bindings-python/bench/bench.py, bindings-node/bench/calls.js,"
        " bindings-c/bench/bench.c; the protocol is tests/bench/README.md.", "",
    ]
    text = "\n".join(header + out) + "\n"
    Path(args.out).write_text(text)
    print("\n" + "\n".join(out))
    print(f"\n{'every goal met' if met_all else 'some goals not met'}; measuring took {took:.0f} s{whole}; wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
