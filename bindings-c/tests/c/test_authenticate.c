/* xpay_authenticate and the xpay_auth accessors. */
#include <stdlib.h>
#include <sys/time.h>

#include "fixtures.h"
#include "tests.h"

static long long now_ms(void) {
  struct timeval tv;
  gettimeofday(&tv, NULL);
  return (long long)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

void test_authenticate_returns_every_field(void) {
  xpay_client *client = mock_client();
  xpay_auth *auth = STALE;
  xpay_error *err = STALE;
  fresh_mock();
  CHECK_STATUS(xpay_authenticate(client, DEMO_USER, DEMO_SECRET, true, &auth, &err), XPAY_OK, err);
  CHECK(err == NULL);
  CHECK(strncmp(xpay_auth_access_token(auth), "eyJ", 3) == 0);
  CHECK(xpay_auth_expires_at(auth) > now_ms());
  CHECK_STR(xpay_auth_username(auth), DEMO_USER);
  CHECK(xpay_auth_scopes_len(auth) == 1);
  CHECK_STR(xpay_auth_scope(auth, 0), "tme_user");
  CHECK(xpay_auth_scope(auth, 1) == NULL);
  CHECK(xpay_auth_scope(auth, (size_t)-1) == NULL);
  CHECK(xpay_auth_is_api(auth));
  CHECK(strlen(xpay_auth_ticket(auth)) == 32);
  CHECK(strlen(xpay_auth_uuid(auth)) == 36);
  CHECK_STR(xpay_auth_message(auth), "Authenticated");
  CHECK(mock_count(LOGIN) == 1);
  xpay_auth_free(auth);
  xpay_client_free(client);
}

void test_authenticate_is_api_false(void) {
  xpay_client *client = mock_client();
  xpay_auth *auth = NULL;
  char *recorded;
  fresh_mock();
  CHECK_STATUS(xpay_authenticate(client, DEMO_USER, DEMO_SECRET, false, &auth, NULL), XPAY_OK, NULL);
  CHECK(!xpay_auth_is_api(auth));
  recorded = mock_requests(LOGIN);
  CHECK_CONTAINS(recorded, "\"isAPI\":false");
  free(recorded);
  xpay_auth_free(auth);
  xpay_client_free(client);
}

void test_authenticate_refused(void) {
  xpay_client *client = mock_client();
  xpay_auth *auth = STALE;
  xpay_error *err = NULL;
  fresh_mock();
  CHECK_STATUS(xpay_authenticate(client, DEMO_USER, "wrong-secret", true, &auth, &err),
               XPAY_ERR_AUTHENTICATION, err);
  CHECK(auth == NULL);
  CHECK(xpay_error_status(err) == XPAY_ERR_AUTHENTICATION);
  CHECK_STR(xpay_error_code(err), "authentication");
  CHECK_CONTAINS(xpay_error_message(err), "invalid credentials");
  CHECK(xpay_error_http_status(err) == 200);
  CHECK(xpay_error_tag(err) && strlen(xpay_error_tag(err)) == 36);
  CHECK(xpay_error_uuid(err) && strlen(xpay_error_uuid(err)) == 36);
  CHECK_STR(xpay_error_data_json(err), "{\"invalid\":true}");
  CHECK_CONTAINS(xpay_error_display(err), "check the username and secret key");
  CHECK(!strstr(xpay_error_display(err), "wrong-secret"));
  xpay_error_free(err);
  xpay_client_free(client);
}

/* One bad argument of xpay_authenticate: INVALID_ARGUMENT naming it, *out NULL. */
static void expect_invalid(const xpay_client *client, const char *user, const char *secret,
                           xpay_auth **out, const char *named) {
  xpay_error *err = NULL;
  if (out) *out = STALE;
  CHECK_STATUS(xpay_authenticate(client, user, secret, true, out, &err), XPAY_ERR_INVALID_ARGUMENT, err);
  CHECK_STR(xpay_error_code(err), "invalid_argument");
  CHECK_CONTAINS(xpay_error_message(err), named);
  CHECK(xpay_error_http_status(err) == 0 && xpay_error_uuid(err) == NULL);
  if (out) CHECK(*out == NULL);
  xpay_error_free(err);
}

void test_authenticate_bad_arguments_send_nothing(void) {
  xpay_client *client = mock_client();
  xpay_auth *auth = NULL;
  fresh_mock();
  expect_invalid(NULL, DEMO_USER, DEMO_SECRET, &auth, "client must not be NULL");
  expect_invalid(client, NULL, DEMO_SECRET, &auth, "username must not be NULL");
  expect_invalid(client, DEMO_USER, NULL, &auth, "secret_key must not be NULL");
  expect_invalid(client, DEMO_USER, DEMO_SECRET, NULL, "out must not be NULL");
  expect_invalid(client, NOT_UTF8, DEMO_SECRET, &auth, "username is not valid UTF-8");
  expect_invalid(client, DEMO_USER, NOT_UTF8, &auth, "secret_key is not valid UTF-8");
  expect_invalid(client, "", DEMO_SECRET, &auth, "username is empty");
  expect_invalid(client, DEMO_USER, "", &auth, "secret key is empty");
  CHECK_STATUS(xpay_authenticate(NULL, NULL, NULL, true, NULL, NULL), XPAY_ERR_INVALID_ARGUMENT, NULL);
  CHECK(mock_count(LOGIN) == 0);
  xpay_client_free(client);
}

void test_auth_accessors_accept_null(void) {
  CHECK(xpay_auth_access_token(NULL) == NULL);
  CHECK(xpay_auth_expires_at(NULL) == 0);
  CHECK(xpay_auth_username(NULL) == NULL);
  CHECK(xpay_auth_scopes_len(NULL) == 0);
  CHECK(xpay_auth_scope(NULL, 0) == NULL);
  CHECK(!xpay_auth_is_api(NULL));
  CHECK(xpay_auth_ticket(NULL) == NULL);
  CHECK(xpay_auth_uuid(NULL) == NULL);
  CHECK(xpay_auth_message(NULL) == NULL);
}
