"""The installed-artifact smoke test (`make test-dist`): import the installed xpay_auth, log in
and make one call, sync and async, against the mock tests/with-mock.sh started (XPAY_BASE_URL,
XPAY_USERNAME, XPAY_SECRET_KEY). Runs on every CPython the wheel claims (3.9+), so it uses
nothing newer than 3.9. Prints one line; exits non-zero on any failure."""

import asyncio
import os
import platform
import sys

import xpay_auth

# The module must be the installed one, never the source tree's python/ folder.
assert "site-packages" in xpay_auth.__file__, xpay_auth.__file__

client = xpay_auth.Client()
auth = client.authenticate(os.environ["XPAY_USERNAME"], os.environ["XPAY_SECRET_KEY"])
assert auth.user.username == os.environ["XPAY_USERNAME"], auth.user.username
session = client.session()
echoed = session.call("/client/echo", {"smoke": sys.version_info[:2]})
assert echoed == {"smoke": list(sys.version_info[:2])}, echoed
client.close()


async def use_async() -> object:
    async_client = xpay_auth.AsyncClient()
    return await async_client.session().call("/client/echo", {"async": True})


assert asyncio.run(use_async()) == {"async": True}
print(
    f"smoke: ok  CPython {platform.python_version()}  xpay_auth {xpay_auth.__version__}"
    f"  from {os.path.dirname(xpay_auth.__file__)}"
)
