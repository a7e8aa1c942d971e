#!/bin/sh
# Runs examples/curl_bearer.c (built as $1) against the mock that tests/with-mock.sh started:
# the bearer reaches the server, a 401 makes one re-login and one re-send, the stats match the
# mock's counts, and nothing the program prints holds a token.
set -eu
example=$1
m=$XPAY_MOCK_URL
fail() { echo "curl example: $*" >&2; exit 1; }
count() { curl -sf "$m/__mock/counts" | sed -n "s|.*\"$1\":\([0-9]*\).*|\1|p"; }

curl -sf -X POST "$m/__mock/reset" >/dev/null
out=$("$example" "$m/client/echo" '{"a":1}') || fail "first run failed: $out"
echo "$out" | grep -q '^HTTP 200 .*"data":{"a":1}' || fail "no echo in: $out"
echo "$out" | grep -q '^stats logins=1 renewals=0 renewal_failures=0 waits=1 backoff_until_ms=0 expires_at_ms=[1-9]' \
  || fail "unexpected stats in: $out"
[ "$(count /client/authenticate)" = 1 ] || fail "logins: $(count /client/authenticate)"

# The next reply on /client/echo is a 401: one fresh login, one re-send.
curl -sf "$m/__mock/queue" -d '{"path": "/client/echo", "replies": [{"status": 401, "json": {"error": {"message": "unauthorized", "data": null, "tag": "t"}, "uuid": "u"}}]}' >/dev/null
out2=$("$example" "$m/client/echo" '{"b":2}') || fail "second run failed: $out2"
echo "$out2" | grep -q '^401: logging in again' || fail "no 401 step in: $out2"
echo "$out2" | grep -q '^HTTP 200 .*"data":{"b":2}' || fail "no echo after the re-send in: $out2"
echo "$out2" | grep -q '^stats logins=2 ' || fail "the re-login is not counted in: $out2"
[ "$(count /client/authenticate)" = 3 ] || fail "logins: $(count /client/authenticate), expected 3"
[ "$(count /client/echo)" = 3 ] || fail "echo requests: $(count /client/echo), expected 3"

# Every bearer the mock saw, and none of them in what the program printed.
tokens=$(curl -sf "$m/__mock/requests?path=/client/echo" | grep -o 'Bearer [^"]*' | sed 's/^Bearer //' | sort -u)
[ -n "$tokens" ] || fail "the mock saw no bearer"
for t in $tokens; do
  case "$out$out2" in *"$t"*) fail "a token appears in the output" ;; esac
done
echo "curl example: bearer, 401 -> one re-login + one re-send, stats = the mock's counts, no token printed"
