/* The header helper for your own HTTP client (xpay_session_authorization_header, the re-login
 * after a 401: xpay_session_reauthorize) and the session's figures (xpay_session_stats). */
#include <stdlib.h>

#include "fixtures.h"
#include "tests.h"

void test_authorization_header_is_bearer_and_the_token(void) {
  xpay_client *client = mock_client();
  xpay_session *session = demo_session(client);
  char *header = STALE, *token = NULL;
  xpay_error *err = STALE;
  fresh_mock();
  CHECK_STATUS(xpay_session_authorization_header(session, &header, &err), XPAY_OK, err);
  CHECK(err == NULL);
  CHECK_STATUS(xpay_session_access_token(session, &token, NULL), XPAY_OK, NULL);
  CHECK(header && token && strncmp(header, "Bearer ", 7) == 0);
  CHECK_STR(header + 7, token);
  CHECK(mock_count(LOGIN) == 1);
  xpay_string_free(header);
  xpay_string_free(token);
  /* Bad arguments: invalid_argument, the out-parameter NULL, nothing sent. */
  header = STALE;
  CHECK_STATUS(xpay_session_authorization_header(NULL, &header, NULL), XPAY_ERR_INVALID_ARGUMENT, NULL);
  CHECK(header == NULL);
  CHECK_STATUS(xpay_session_authorization_header(session, NULL, NULL), XPAY_ERR_INVALID_ARGUMENT, NULL);
  header = STALE;
  CHECK_STATUS(xpay_session_reauthorize(session, NULL, &header, NULL), XPAY_ERR_INVALID_ARGUMENT, NULL);
  CHECK(header == NULL);
  CHECK_STATUS(xpay_session_reauthorize(session, NOT_UTF8, &header, NULL), XPAY_ERR_INVALID_ARGUMENT, NULL);
  CHECK(mock_count(LOGIN) == 1);
  xpay_session_free(session);
  xpay_client_free(client);
}

/* After a 401 the rejected token is dropped and one fresh login made; a late second report of
 * the same rejected header finds the newer token and makes no login. */
void test_reauthorize_after_401_logs_in_once(void) {
  xpay_client *client = mock_client();
  xpay_session *session = demo_session(client);
  char *old = NULL, *fresh = NULL, *late = NULL;
  xpay_error *err = NULL;
  fresh_mock();
  CHECK_STATUS(xpay_session_authorization_header(session, &old, &err), XPAY_OK, err);
  CHECK_STATUS(xpay_session_reauthorize(session, old, &fresh, &err), XPAY_OK, err);
  CHECK(old && fresh && strcmp(old, fresh) != 0 && strncmp(fresh, "Bearer ", 7) == 0);
  CHECK(mock_count(LOGIN) == 2);
  CHECK_STATUS(xpay_session_reauthorize(session, old, &late, &err), XPAY_OK, err);
  CHECK_STR(late, fresh);
  CHECK(mock_count(LOGIN) == 2);
  xpay_string_free(old);
  xpay_string_free(fresh);
  xpay_string_free(late);
  xpay_session_free(session);
  xpay_client_free(client);
}

void test_session_stats_match_the_mock(void) {
  xpay_client *client = mock_client();
  xpay_session *session = demo_session(client), *bad = NULL;
  xpay_session_stats_t stats, untouched;
  xpay_auth *auth = NULL;
  char *token = STALE;
  fresh_mock();
  memset(&stats, 0xff, sizeof stats);
  CHECK_STATUS(xpay_session_stats(session, &stats), XPAY_OK, NULL);
  CHECK(stats.logins == 0 && stats.renewals == 0 && stats.renewal_failures == 0 && stats.waits == 0);
  CHECK(stats.backoff_until_ms == 0 && stats.expires_at_ms == 0);
  CHECK_STATUS(xpay_session_authentication(session, &auth, NULL), XPAY_OK, NULL);
  CHECK_STATUS(xpay_session_stats(session, &stats), XPAY_OK, NULL);
  CHECK(stats.logins == (uint64_t)mock_count(LOGIN) && stats.logins == 1 && stats.waits == 1);
  CHECK(stats.expires_at_ms == xpay_auth_expires_at(auth));
  /* A refused login: one login, a back-off deadline (ms since the epoch), no token. */
  CHECK_STATUS(xpay_session_new(client, DEMO_USER, "wrong", &bad, NULL), XPAY_OK, NULL);
  CHECK_STATUS(xpay_session_access_token(bad, &token, NULL), XPAY_ERR_AUTHENTICATION, NULL);
  CHECK(token == NULL);
  CHECK_STATUS(xpay_session_stats(bad, &stats), XPAY_OK, NULL);
  CHECK(stats.logins == 1 && stats.backoff_until_ms > 1600000000000LL && stats.expires_at_ms == 0);
  /* NULL arguments: invalid_argument, *out untouched. */
  memset(&untouched, 0x5a, sizeof untouched);
  stats = untouched;
  CHECK_STATUS(xpay_session_stats(NULL, &stats), XPAY_ERR_INVALID_ARGUMENT, NULL);
  CHECK(memcmp(&stats, &untouched, sizeof stats) == 0);
  CHECK_STATUS(xpay_session_stats(session, NULL), XPAY_ERR_INVALID_ARGUMENT, NULL);
  xpay_auth_free(auth);
  xpay_session_free(bad);
  xpay_session_free(session);
  xpay_client_free(client);
}
