/* Every xpay_status a network failure can give, and the xpay_error accessors. (The panic
 * boundary's XPAY_ERR_INTERNAL is tested in Rust: nothing in the API can panic on purpose.) */
#include "fixtures.h"
#include "tests.h"

/* Logs in on a fresh mock after queueing `replies` for the login; returns the status. */
static xpay_status login_after(const char *replies, xpay_client *client, xpay_error **err) {
  xpay_auth *auth = STALE;
  xpay_status status;
  fresh_mock();
  CHECK(mock_queue(LOGIN, replies) == 0);
  status = xpay_authenticate(client, DEMO_USER, DEMO_SECRET, true, &auth, err);
  CHECK(auth == NULL || status == XPAY_OK);
  if (status == XPAY_OK) xpay_auth_free(auth);
  return status;
}

/* Calls /client/echo with a session that already has a token, after queueing `replies`. */
static xpay_status call_after(const char *replies, xpay_error **err) {
  xpay_client *client = mock_client();
  xpay_session *session = demo_session(client);
  char *token = NULL, *json = STALE;
  xpay_status status;
  fresh_mock();
  CHECK_STATUS(xpay_session_access_token(session, &token, NULL), XPAY_OK, NULL);
  CHECK(mock_queue(ECHO, replies) == 0);
  status = xpay_session_call(session, ECHO, "{}", &json, err);
  CHECK(json == NULL);
  xpay_string_free(token);
  xpay_session_free(session);
  xpay_client_free(client);
  return status;
}

void test_status_api(void) {
  xpay_error *err = NULL;
  CHECK_STATUS(call_after("[{\"json\": {\"error\": {\"message\": \"wallet is locked\", "
                          "\"data\": {\"wallet\": 7}, \"tag\": \"t-42\"}, \"uuid\": \"{{uuid}}\"}}]",
                          &err),
               XPAY_ERR_API, err);
  CHECK_STR(xpay_error_code(err), "api");
  CHECK_STR(xpay_error_message(err), "wallet is locked");
  CHECK_STR(xpay_error_tag(err), "t-42");
  CHECK_STR(xpay_error_data_json(err), "{\"wallet\":7}");
  CHECK(xpay_error_uuid(err) && strlen(xpay_error_uuid(err)) == 36);
  xpay_error_free(err);
}

void test_status_http_status(void) {
  xpay_error *err = NULL;
  CHECK_STATUS(call_after("[{\"status\": 502, \"headers\": {\"Content-Type\": \"text/html\"}, "
                          "\"body\": \"<html>bad gateway</html>\"}]", &err),
               XPAY_ERR_HTTP_STATUS, err);
  CHECK_STR(xpay_error_code(err), "http_status");
  CHECK(xpay_error_http_status(err) == 502);
  CHECK(xpay_error_tag(err) == NULL && xpay_error_data_json(err) == NULL);
  xpay_error_free(err);
}

void test_status_timeout(void) {
  xpay_client *client = client_for(NULL, 300, 0);
  xpay_error *err = NULL;
  CHECK_STATUS(login_after("[{\"delay_ms\": 5000}]", client, &err), XPAY_ERR_TIMEOUT, err);
  CHECK_STR(xpay_error_code(err), "timeout");
  xpay_error_free(err);
  xpay_client_free(client);
}

void test_status_connection(void) {
  char url[64];
  xpay_client *client;
  xpay_auth *auth = STALE;
  xpay_error *err = NULL;
  refused_url(url, sizeof url);
  client = client_for(url, 5000, 0);
  CHECK_STATUS(xpay_authenticate(client, DEMO_USER, DEMO_SECRET, true, &auth, &err),
               XPAY_ERR_CONNECTION, err);
  CHECK_STR(xpay_error_code(err), "connection");
  CHECK(auth == NULL);
  xpay_error_free(err);
  xpay_client_free(client);
}

void test_status_decode(void) {
  xpay_client *client = mock_client();
  xpay_error *err = NULL;
  CHECK_STATUS(login_after("[{\"body\": \"this is not json\"}]", client, &err), XPAY_ERR_DECODE, err);
  CHECK_STR(xpay_error_code(err), "decode");
  CHECK(xpay_error_http_status(err) == 200);
  xpay_error_free(err);
  xpay_client_free(client);
}

/* A token with a NUL cannot be a C string: a decode error, never a token cut short. */
void test_status_decode_nul_in_token(void) {
  xpay_client *client = mock_client();
  xpay_error *err = NULL;
  CHECK_STATUS(login_after("[{\"json\": {\"success\": {\"message\": \"Authenticated\", \"data\": "
                           "{\"success\": true, \"expiresAt\": \"{{now_ms+600000}}\", "
                           "\"ticket\": \"0123456789abcdef0123456789abcdef\", \"user\": "
                           "{\"username\": \"demo@xpay.test\", \"scopes\": [], \"isAPI\": true}, "
                           "\"access_token\": \"eyJ\\u0000cut\"}}, \"uuid\": \"{{uuid}}\"}}]",
                           client, &err),
               XPAY_ERR_DECODE, err);
  CHECK_CONTAINS(xpay_error_message(err), "NUL");
  xpay_error_free(err);
  xpay_client_free(client);
}

void test_status_invalid_argument_codes(void) {
  xpay_error *err = NULL;
  CHECK_STATUS(xpay_client_new(NULL, NULL, &err), XPAY_ERR_INVALID_ARGUMENT, err);
  CHECK(xpay_error_status(err) == XPAY_ERR_INVALID_ARGUMENT);
  CHECK_STR(xpay_error_code(err), "invalid_argument");
  CHECK_CONTAINS(xpay_error_display(err), "nothing was sent");
  xpay_error_free(err);
}

void test_status_numbers_are_the_contract(void) {
  CHECK(XPAY_OK == 0 && XPAY_ERR_INVALID_ARGUMENT == 1 && XPAY_ERR_AUTHENTICATION == 2);
  CHECK(XPAY_ERR_API == 3 && XPAY_ERR_HTTP_STATUS == 4 && XPAY_ERR_TIMEOUT == 5);
  CHECK(XPAY_ERR_CONNECTION == 6 && XPAY_ERR_DECODE == 7 && XPAY_ERR_INTERNAL == 99);
}

void test_error_accessors_accept_null(void) {
  CHECK(xpay_error_status(NULL) == XPAY_OK);
  CHECK(xpay_error_code(NULL) == NULL);
  CHECK(xpay_error_message(NULL) == NULL);
  CHECK(xpay_error_display(NULL) == NULL);
  CHECK(xpay_error_http_status(NULL) == 0);
  CHECK(xpay_error_tag(NULL) == NULL);
  CHECK(xpay_error_uuid(NULL) == NULL);
  CHECK(xpay_error_data_json(NULL) == NULL);
}
