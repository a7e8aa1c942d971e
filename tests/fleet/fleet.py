"""The fleet tests of the Redis token store (issue 13): see tests/fleet/README.md.

    python3 tests/fleet/fleet.py [--mock PATH] [--python PY] [--node NODE] [--only a,b]

Starts one redis-server on a free loopback port (no persistence) and one mock whose tokens live
4 s, then runs these checks, each printing its figures, and ends with one "N passed, N failed"
line (exit status 1 when a check failed):

  share     16 processes (8 Python, 8 Node) call for 20 s through redis://127.0.0.1:PORT/0:
            0 failed calls, the mock sees about one login per renewal (at most 8), not one per
            process per renewal
  sealed    SCAN + GET of every key: no token text, no secret key, no username in the clear
  wrongkey  a session with the same username and a wrong secret key cannot use the stored
            token (its call fails with `authentication`) and leaves the entry as it was; the
            next right-key process still logs in not at all
  outage    the same 16 processes; Redis stopped after 8 s, started again after 14 s: 0 failed
            calls, and in the last 8 s sharing is back (about one login per renewal again)
  stalled   the same, with Redis frozen (SIGSTOP: connections accepted, nothing answered)
            from 8 s to 14 s instead of stopped
  netns     the same as share with the processes spread over 4 network namespaces joined to
            this host by veth pairs (Redis and the mock on the host), when the machine allows
            it; else a skip line saying why

Never sleeps to wait for something: every wait is a poll with a deadline. Timed pauses are the
scenario itself (a 20-s run, Redis down for 6 s).
"""

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
USERNAME = "demo@xpay.test"
SECRET_KEY = "demo-secret"
TOKEN_TTL_MS = 4000
REFRESH_BEFORE_S = 1.0
MAX_LOGINS = 8

results = []  # (name, passed, detail)


def log(msg):
    print(msg, flush=True)


def check(name, ok, detail):
    results.append((name, ok, detail))
    log(f"{'PASS' if ok else 'FAIL'} {name}: {detail}")


def wait_until(what, predicate, timeout=15.0, every=0.05):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise RuntimeError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(every)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Redis:
    """One redis-server, no persistence; can be stopped and started again on the same port."""

    def __init__(self, workdir, binds=("127.0.0.1",), password=None):
        self.port = free_port()
        self.binds = binds
        self.password = password
        self.workdir = workdir
        self.proc = None

    def start(self):
        args = [
            "redis-server", "--port", str(self.port), "--bind", *self.binds,
            "--save", "", "--appendonly", "no", "--dir", self.workdir, "--daemonize", "no",
        ]
        if self.password:
            args += ["--requirepass", self.password]
        logfile = open(os.path.join(self.workdir, f"redis-{self.port}.log"), "ab")
        self.proc = subprocess.Popen(args, stdout=logfile, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        logfile.close()
        wait_until("redis-server to answer PING", lambda: self.ping() or self.proc.poll() is not None)
        if self.proc.poll() is not None:
            raise RuntimeError(f"redis-server exited ({self.proc.returncode}); see {self.workdir}")

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def cli(self, *args):
        cmd = ["redis-cli", "-h", "127.0.0.1", "-p", str(self.port), "--no-auth-warning"]
        if self.password:
            cmd += ["-a", self.password]
        return subprocess.run(cmd + list(args), capture_output=True, timeout=10)

    def ping(self):
        try:
            return self.cli("PING").stdout.strip() == b"PONG"
        except (OSError, subprocess.TimeoutExpired):
            return False

    def dump(self):
        """Every key with its value, as a reader of Redis without the secret key sees them."""
        keys, cursor = [], "0"
        while True:
            out = self.cli("--raw", "SCAN", cursor, "COUNT", "1000").stdout.decode().split("\n")
            cursor, batch = out[0], [k for k in out[1:] if k]
            keys += batch
            if cursor == "0":
                break
        values = {}
        for key in keys:
            kind = self.cli("--raw", "TYPE", key).stdout.strip().decode()
            if kind == "string":
                values[key] = self.cli("--raw", "GET", key).stdout.rstrip(b"\n")
            else:
                values[key] = kind.encode() + b":" + self.cli("--raw", "DUMP", key).stdout
        return values

    def url(self, host="127.0.0.1"):
        auth = f":{self.password}@" if self.password else ""
        return f"redis://{auth}{host}:{self.port}/0"


class Mock:
    def __init__(self, path):
        self.proc = subprocess.Popen(
            [path, "--port", "0", "--token-ttl-ms", str(TOKEN_TTL_MS), "--exit-on-stdin-close"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        )
        self.url = self.proc.stdout.readline().decode().strip()
        if not self.url.startswith("http://"):
            raise RuntimeError("the mock did not start")
        self.port = int(self.url.rsplit(":", 1)[1])

    def control(self, path, body=None):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.url + "/__mock/" + path, data=data, method="POST" if data else "GET")
        with urllib.request.urlopen(req, timeout=10) as reply:
            return json.loads(reply.read())

    def logins(self):
        return self.control("counts").get("/client/authenticate", 0)

    def reset(self, **settings):
        self.control("reset", settings or {})

    def stop(self):
        self.proc.stdin.close()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


class Fleet:
    """Worker processes: started, made ready, released together, collected."""

    def __init__(self, args, workdir):
        self.args = args
        self.workdir = workdir
        self.procs = []
        self.count = 0

    def spawn(self, face, base_url, store, seconds, secret_key=SECRET_KEY, netns=None, once=False):
        self.count += 1
        tokens = os.path.join(self.workdir, f"tokens-{self.count}")
        common = ["--base-url", base_url, "--store", store, "--username", USERNAME,
                  "--seconds", str(seconds), "--tokens", tokens,
                  "--refresh-before", str(REFRESH_BEFORE_S)] + (["--once"] if once else [])
        if face == "python":
            cmd = [self.args.python, os.path.join(HERE, "worker.py")] + common
        else:
            cmd = [self.args.node, os.path.join(HERE, "worker.js")] + common
        if netns:
            cmd = ["ip", "netns", "exec", netns] + cmd
        env = dict(os.environ, XPAY_SECRET_KEY=secret_key)
        env.pop("XPAY_TOKEN_STORE", None)
        if self.args.store_via == "env":
            env["XPAY_TOKEN_STORE"] = store
            cmd[cmd.index("--store") + 1] = "env"
        proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env)
        proc.tokens_file = tokens
        proc.face = face
        self.procs.append(proc)
        return proc

    def run(self, timeline=None):
        """Waits until every worker is ready, says go, runs `timeline` (a function given the
        start time) meanwhile, and returns the workers' reports."""
        for proc in self.procs:
            line = proc.stdout.readline().decode().strip()
            if line != "ready":
                raise RuntimeError(f"a {proc.face} worker did not start (said {line!r}, exit {proc.poll()})")
        start = time.monotonic()
        for proc in self.procs:
            proc.stdin.write(b"go\n")
            proc.stdin.flush()
        if timeline:
            timeline(start)
        reports = []
        for proc in self.procs:
            line = proc.stdout.readline().decode().strip()
            proc.wait(60)
            try:
                report = json.loads(line)
            except ValueError:
                report = {"face": proc.face, "calls": 0, "failed": 1, "errors": [f"no report (exit {proc.returncode})"], "tokens": 0}
            with open(proc.tokens_file) as f:
                report["token_texts"] = [t for t in f.read().split("\n") if t]
            reports.append(report)
        self.procs = []
        return reports

    def kill(self):
        for proc in self.procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        self.procs = []


def summary(reports):
    calls = sum(r["calls"] for r in reports)
    failed = sum(r["failed"] for r in reports)
    tokens = set(t for r in reports for t in r["token_texts"])
    errors = [e for r in reports for e in r["errors"]][:3]
    return calls, failed, tokens, errors


def renewals_in(seconds):
    """Renewals a fleet sharing one token makes in `seconds`: one every (lifetime - lead)."""
    return int(seconds // (TOKEN_TTL_MS / 1000 - REFRESH_BEFORE_S))


def fleet_run(name, args, workdir, mock, placement, seconds, timeline=None):
    """`placement`: a list of (face, base_url, store, netns) per process."""
    fleet = Fleet(args, workdir)
    try:
        for face, base_url, store, netns in placement:
            fleet.spawn(face, base_url, store, seconds, netns=netns)
        before = mock.logins()
        reports = fleet.run(timeline)
        logins = mock.logins() - before
    finally:
        fleet.kill()
    calls, failed, tokens, errors = summary(reports)
    faces = sorted(set(p[0] for p in placement))
    log(f"  {name}: {len(placement)} processes ({', '.join(faces)}), {seconds} s, token lifetime "
        f"{TOKEN_TTL_MS} ms: {calls} calls, {failed} failed, {logins} logins seen by the mock, "
        f"{len(tokens)} distinct tokens, {renewals_in(seconds)} renewals due"
        + (f"; first errors: {errors}" if errors else ""))
    return calls, failed, tokens, logins


def placement(mock, store, processes, netns=None):
    return [("python" if i % 2 == 0 else "node", mock.url, store, netns) for i in range(processes)]


def test_share(args, workdir, mock, redis):
    _, failed, tokens, logins = fleet_run("share", args, workdir, mock,
                                          placement(mock, redis.url(), args.processes), args.seconds)
    check("share", failed == 0 and 1 <= logins <= MAX_LOGINS,
          f"{failed} failed calls, {logins} logins for {args.processes} processes over {args.seconds} s "
          f"(at most {MAX_LOGINS}; unshared it would be about {args.processes * (renewals_in(args.seconds) + 1)})")
    return tokens


def test_sealed(redis, tokens):
    dump = redis.dump()
    needles = [t.encode() for t in tokens] + [SECRET_KEY.encode(), USERNAME.encode()]
    # Token fragments too: the mock's tokens are JWT-like, three dot-separated parts.
    needles += [part.encode() for t in tokens for part in t.split(".") if len(part) >= 16]
    leaks = [k for k, v in dump.items() if any(n in v or n in k.encode() for n in needles)]
    sizes = ", ".join(f"{k} ({len(v)} bytes)" for k, v in sorted(dump.items()))
    check("sealed", bool(dump) and bool(tokens) and not leaks,
          f"{len(dump)} keys read with SCAN + GET: {sizes or 'none'}; checked for {len(tokens)} tokens, "
          f"the secret key and the username: {'found in ' + ', '.join(leaks) if leaks else 'none found'}")


def test_wrongkey(args, workdir, mock, redis):
    redis.cli("FLUSHALL")
    mock.reset(token_ttl_ms=600000)
    fleet = Fleet(args, workdir)
    try:
        fleet.spawn("python", mock.url, redis.url(), 1, once=True)
        (first,) = fleet.run()
        entries = {k: v for k, v in redis.dump().items() if not k.endswith(":lock")}
        logins = mock.logins()
        wrong = []
        for face in ("python", "node"):
            fleet.spawn(face, mock.url, redis.url(), 1, secret_key="not-the-secret", once=True)
            wrong += fleet.run()
        after = {k: v for k, v in redis.dump().items() if not k.endswith(":lock")}
        wrong_logins = mock.logins() - logins
        fleet.spawn("node", mock.url, redis.url(), 1, once=True)
        (right,) = fleet.run()
        right_logins = mock.logins() - logins - wrong_logins
    finally:
        fleet.kill()
        mock.reset()
    wrong_codes = [e.split(":")[0] for r in wrong for e in r["errors"]]
    ok = (first["failed"] == 0 and bool(entries) and entries == after
          and wrong_codes == ["authentication", "authentication"]
          and all(not r["token_texts"] for r in wrong)
          and right["failed"] == 0 and right_logins == 0
          and right["token_texts"] == first["token_texts"])
    check("wrongkey", ok,
          f"wrong-key sessions (python, node) got {wrong_codes} after {wrong_logins} login attempts, "
          f"used no token; stored entries {'unchanged' if entries == after else 'CHANGED'}; the next "
          f"right-key process made {right_logins} logins and used the stored token: "
          f"{right['token_texts'] == first['token_texts']}")


def disrupted_run(name, args, workdir, mock, redis, disrupt, restore):
    """The fleet for the run's time plus 6 s with Redis disrupted from 8 s to 14 s (`disrupt`,
    then `restore`; restored in any case). Returns the failed calls and the mock's login count
    at each mark: before, down (8 s), up (14 s), settled (8 s before the end) and end."""
    seconds = args.seconds + 6
    marks = {"before": mock.logins()}

    def timeline(start):
        def at(t):
            time.sleep(max(0.0, start + t - time.monotonic()))
        at(8)
        marks["down"] = mock.logins()
        disrupt()
        at(14)
        restore()
        marks["up"] = mock.logins()
        at(seconds - 8)
        marks["settled"] = mock.logins()

    try:
        _, failed, _, logins = fleet_run(name, args, workdir, mock,
                                         placement(mock, redis.url(), args.processes), seconds, timeline)
    finally:
        if "down" in marks and "up" not in marks:
            restore()
    marks["end"] = marks["before"] + logins
    return failed, marks


def test_outage(args, workdir, mock, redis):
    failed, m = disrupted_run("outage", args, workdir, mock, redis, redis.stop, redis.start)
    last = m["end"] - m["settled"]
    due = renewals_in(8) + 2
    check("outage", failed == 0 and last <= due,
          f"{failed} failed calls; logins: {m['down'] - m['before']} before Redis stopped at 8 s, "
          f"{m['up'] - m['down']} while it was down (6 s, each process by itself), "
          f"{m['settled'] - m['up']} in the 4 s after it came back, {last} in the last 8 s "
          f"(at most {due}: shared again)")


def test_stalled(args, workdir, mock, redis):
    """Redis that accepts connections but answers nothing (SIGSTOP) for 6 s: calls go on."""
    failed, m = disrupted_run("stalled", args, workdir, mock, redis,
                              lambda: redis.proc.send_signal(signal.SIGSTOP),
                              lambda: redis.proc.send_signal(signal.SIGCONT))
    last = m["end"] - m["settled"]
    due = renewals_in(8) + 2
    check("stalled", failed == 0 and last <= due,
          f"{failed} failed calls; logins: {m['up'] - m['down']} while Redis answered "
          f"nothing (6 s), {last} in the last 8 s (at most {due}: shared again)")


def netns_possible():
    if os.geteuid() != 0:
        return "not root (creating network namespaces needs CAP_NET_ADMIN)"
    if not shutil.which("ip"):
        return "the `ip` command (iproute2) is missing"
    probe = "xpayfleetprobe"
    made = subprocess.run(["ip", "netns", "add", probe], capture_output=True)
    if made.returncode != 0:
        return f"`ip netns add` failed: {made.stderr.decode().strip()}"
    try:
        inside = subprocess.run(["ip", "netns", "exec", probe, "true"], capture_output=True)
        if inside.returncode != 0:
            return f"`ip netns exec` failed: {inside.stderr.decode().strip()}"
        veth = subprocess.run(["ip", "link", "add", "xpf-probe0", "type", "veth", "peer", "name", "xpf-probe1"],
                              capture_output=True)
        if veth.returncode != 0:
            return f"cannot create a veth pair: {veth.stderr.decode().strip()}"
        subprocess.run(["ip", "link", "del", "xpf-probe0"], capture_output=True)
    finally:
        subprocess.run(["ip", "netns", "del", probe], capture_output=True)
    return None


class Namespaces:
    """N namespaces xpf-fleetK, each joined to the host by a veth pair 10.213.K.1 <-> 10.213.K.2."""

    def __init__(self, count):
        self.names = [f"xpf-fleet{k}" for k in range(1, count + 1)]
        self.made = []

    def create(self):
        for k, ns in enumerate(self.names, start=1):
            host_if, ns_if = f"xpf{k}h", f"xpf{k}n"
            subprocess.run(["ip", "netns", "del", ns], capture_output=True)
            subprocess.run(["ip", "link", "del", host_if], capture_output=True)
            self.made.append((ns, host_if))
            for cmd in (
                ["ip", "netns", "add", ns],
                ["ip", "link", "add", host_if, "type", "veth", "peer", "name", ns_if],
                ["ip", "link", "set", ns_if, "netns", ns],
                ["ip", "addr", "add", f"10.213.{k}.1/30", "dev", host_if],
                ["ip", "link", "set", host_if, "up"],
                ["ip", "netns", "exec", ns, "ip", "addr", "add", f"10.213.{k}.2/30", "dev", ns_if],
                ["ip", "netns", "exec", ns, "ip", "link", "set", ns_if, "up"],
                ["ip", "netns", "exec", ns, "ip", "link", "set", "lo", "up"],
            ):
                subprocess.run(cmd, check=True, capture_output=True)

    def remove(self):
        for ns, host_if in self.made:
            subprocess.run(["ip", "link", "del", host_if], capture_output=True)
            subprocess.run(["ip", "netns", "del", ns], capture_output=True)
        self.made = []


def start_relay(host, port, target_host, target_port, netns=None):
    cmd = [sys.executable, os.path.join(HERE, "relay.py"), host, str(port), target_host, str(target_port)]
    if netns:
        cmd = ["ip", "netns", "exec", netns] + cmd
    proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    if proc.stdout.readline().strip() != b"ready":
        raise RuntimeError(f"a relay on {host}:{port} did not start")
    return proc


def test_netns(args, workdir, mock):
    reason = netns_possible()
    if reason:
        log(f"SKIP netns: {reason}")
        return
    spaces = Namespaces(4)
    relays = []
    redis = None
    try:
        spaces.create()
        hosts = [f"10.213.{k}.1" for k in range(1, 5)]
        # Redis listens on the host's end of every veth pair (and loopback, for the harness),
        # with a password since it is reachable beyond loopback.
        redis = Redis(workdir, binds=("127.0.0.1", *hosts), password=os.urandom(12).hex())
        redis.start()
        for ns, host in zip(spaces.names, hosts):
            relays.append(start_relay(host, mock.port, "127.0.0.1", mock.port))
            relays.append(start_relay("127.0.0.1", mock.port, host, mock.port, netns=ns))
        where = []
        for i in range(args.processes):
            k = i % 4
            where.append(("python" if (i // 4) % 2 == 0 else "node", mock.url, redis.url(hosts[k]), spaces.names[k]))
        _, failed, tokens, logins = fleet_run("netns", args, workdir, mock, where, args.seconds)
        check("netns", failed == 0 and 1 <= logins <= MAX_LOGINS,
              f"{args.processes} processes in 4 namespaces (4 each, over veth pairs): {failed} failed "
              f"calls, {logins} logins over {args.seconds} s (at most {MAX_LOGINS})")
    finally:
        for relay in relays:
            relay.stdin.close()
            relay.wait(10)
        if redis:
            redis.stop()
        spaces.remove()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    target = os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target"))
    parser.add_argument("--mock", default=os.path.join(target, "debug", "xpay-mock"))
    parser.add_argument("--python", default=os.path.join(ROOT, "bindings-python", ".venv", "bin", "python"))
    parser.add_argument("--node", default="node")
    parser.add_argument("--processes", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--only", default="share,sealed,wrongkey,outage,stalled,netns")
    parser.add_argument("--store-via", choices=("arg", "env"), default="arg",
                        help="give the store URL as the session's parameter (default) or in XPAY_TOKEN_STORE")
    args = parser.parse_args()
    only = set(args.only.split(","))

    if not shutil.which("redis-server"):
        log("SKIP fleet: redis-server is not installed (apt-get install redis-server)")
        return 0
    workdir = tempfile.mkdtemp(prefix="xpay-fleet-")
    os.chmod(workdir, 0o700)
    mock = redis = None
    try:
        mock = Mock(args.mock)
        redis = Redis(workdir)
        redis.start()
        log(f"fleet: redis-server {redis.url()} (no persistence), mock {mock.url} (tokens live {TOKEN_TTL_MS} ms)")
        tokens = set()
        if "share" in only or "sealed" in only:
            tokens = test_share(args, workdir, mock, redis)
        if "sealed" in only:
            test_sealed(redis, tokens)
        if "wrongkey" in only:
            test_wrongkey(args, workdir, mock, redis)
        if "outage" in only:
            redis.cli("FLUSHALL")
            mock.reset()
            test_outage(args, workdir, mock, redis)
        if "stalled" in only:
            redis.cli("FLUSHALL")
            mock.reset()
            test_stalled(args, workdir, mock, redis)
        if "netns" in only:
            mock.reset()
            test_netns(args, workdir, mock)
    except Exception as e:  # a harness failure is a failed check, with its reason
        check("harness", False, f"{type(e).__name__}: {e}")
    finally:
        if redis:
            redis.stop()
        if mock:
            mock.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    passed = sum(1 for r in results if r[1])
    failed = len(results) - passed
    log(f"fleet: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    sys.exit(main())
