"""The Python face in a few lines: log in, keep a session, make a call (used by `make demo`).

Reads XPAY_BASE_URL, XPAY_USERNAME and XPAY_SECRET_KEY (`make demo` points them at xpay-mock).
"""

import json

import xpay_auth

client = xpay_auth.Client()  # base URL from XPAY_BASE_URL
session = client.session()  # credentials from XPAY_USERNAME / XPAY_SECRET_KEY

auth = session.authentication()
user = auth.user
print(
    f"login  user={user.username} scopes={json.dumps(user.scopes)} is_api={str(user.is_api).lower()}"
    f" token={xpay_auth.redact_token(auth.access_token)} expires_at={auth.expires_at}"
    f" ticket={auth.ticket} uuid={auth.uuid}"
)
data = session.call("/client/echo", {"hello": "xpay", "from": "python"})
print(f"call   /client/echo -> {json.dumps(data, separators=(',', ':'))}")
client.close()
