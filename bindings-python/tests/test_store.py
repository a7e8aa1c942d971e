"""Token stores from Python: `store=` on session creation (sync and async), bad URLs, and
gunicorn --preload with 4 workers sharing one file store: one login for all of them."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import xpay_auth
from mockctl import SECRET, USERNAME, Mock, wait_until

LOGIN = "/client/authenticate"


def test_two_sessions_on_one_file_store_make_one_login(mock: Mock, tmp_path: Path) -> None:
    store = f"file:{tmp_path / 'store'}"
    client = xpay_auth.Client(base_url=mock.url)
    first = client.session(USERNAME, SECRET, store=store).access_token()
    second = client.session(USERNAME, SECRET, store=store).access_token()
    assert first == second
    assert mock.count(LOGIN) == 1
    record = next((tmp_path / "store").glob("*.token"))
    assert record.stat().st_mode & 0o777 == 0o600
    assert first.encode() not in record.read_bytes()


def test_async_sessions_share_the_store_too(mock: Mock, tmp_path: Path) -> None:
    store = f"file:{tmp_path / 'store'}"

    async def run() -> list[str]:
        async with xpay_auth.AsyncClient(base_url=mock.url) as client:
            sessions = [client.session(USERNAME, SECRET, store=store) for _ in range(3)]
            return list(await asyncio.gather(*(s.access_token() for s in sessions)))

    tokens = asyncio.run(run())
    assert len(set(tokens)) == 1
    assert mock.count(LOGIN) == 1


def test_a_bad_store_url_is_invalid_argument_and_nothing_is_sent(mock: Mock) -> None:
    client = xpay_auth.Client(base_url=mock.url)
    for bad in ["ftp://x", "file:", "memory:x", "nonsense"]:
        with pytest.raises(xpay_auth.InvalidArgumentError):
            client.session(USERNAME, SECRET, store=bad)
    with pytest.raises(xpay_auth.InvalidArgumentError):
        xpay_auth.AsyncClient(base_url=mock.url).session(USERNAME, SECRET, store="ftp://x")
    assert mock.requests() == []


def test_xpay_token_store_from_the_environment(mock: Mock, tmp_path: Path) -> None:
    code = textwrap.dedent(
        f"""
        import xpay_auth
        c = xpay_auth.Client(base_url={mock.url!r})
        print(c.session({USERNAME!r}, {SECRET!r}).access_token())
        """
    )
    env = dict(os.environ, XPAY_TOKEN_STORE=f"file:{tmp_path / 'env-store'}")
    runs = [subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True) for _ in range(2)]
    assert runs[0].stdout == runs[1].stdout
    assert mock.count(LOGIN) == 1


APP = '''
import os
import xpay_auth

# Made in the gunicorn master (--preload), before the workers are forked; nothing sent yet.
client = xpay_auth.Client(base_url=os.environ["XPAY_BASE_URL"])
session = client.session(os.environ["XPAY_USERNAME"], os.environ["XPAY_SECRET_KEY"],
                         store=os.environ["TEST_STORE"])


def app(environ, start_response):
    start_response("200 OK", [("content-type", "text/plain")])
    return [session.access_token().encode()]
'''

CONFIG = '''
import os

def post_worker_init(worker):
    # Each worker asks for a token as soon as it starts: 4 at once.
    import app
    token = app.session.access_token()
    with open(os.path.join(os.environ["TEST_OUT"], f"{os.getpid()}.txt"), "w") as f:
        f.write(token)
'''


def test_gunicorn_preload_four_workers_one_file_store_one_login(mock: Mock, tmp_path: Path) -> None:
    pytest.importorskip("gunicorn")
    (tmp_path / "app.py").write_text(APP)
    (tmp_path / "gunicorn_conf.py").write_text(CONFIG)
    out = tmp_path / "out"
    out.mkdir()
    env = dict(
        os.environ,
        XPAY_BASE_URL=mock.url,
        XPAY_USERNAME=USERNAME,
        XPAY_SECRET_KEY=SECRET,
        TEST_STORE=f"file:{tmp_path / 'store'}",
        TEST_OUT=str(out),
        PYTHONPATH=str(tmp_path),
    )
    gunicorn = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--preload", "--workers", "4", "--bind", "127.0.0.1:0",
         "--config", str(tmp_path / "gunicorn_conf.py"), "app:app"],
        cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    try:
        wait_until(lambda: len(list(out.glob("*.txt"))) == 4 or gunicorn.poll() is not None, 30)
        assert gunicorn.poll() is None, gunicorn.stderr.read().decode() if gunicorn.stderr else ""
        tokens = {p.read_text() for p in out.glob("*.txt")}
        assert len(tokens) == 1, tokens
        assert tokens.pop().startswith("eyJ")
        assert mock.count(LOGIN) == 1, "4 gunicorn workers on one file store"
    finally:
        gunicorn.send_signal(signal.SIGTERM)
        gunicorn.wait(timeout=30)
