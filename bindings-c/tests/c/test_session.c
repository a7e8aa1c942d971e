/* Sessions: token cache, calls, invalidate, environment credentials, argument checks. */
#include <stdlib.h>

#include "fixtures.h"
#include "tests.h"

void test_session_caches_the_token(void) {
  xpay_client *client = mock_client();
  xpay_session *session = demo_session(client);
  char *first = STALE, *second = NULL;
  xpay_error *err = STALE;
  fresh_mock();
  CHECK_STATUS(xpay_session_access_token(session, &first, &err), XPAY_OK, err);
  CHECK(err == NULL);
  CHECK_STATUS(xpay_session_access_token(session, &second, NULL), XPAY_OK, NULL);
  CHECK(first && second && strncmp(first, "eyJ", 3) == 0);
  CHECK_STR(first, second);
  CHECK(first != second); /* two owned copies */
  CHECK(mock_count(LOGIN) == 1);
  xpay_string_free(first);
  xpay_string_free(second);
  xpay_session_free(session);
  xpay_client_free(client);
}

void test_session_call_echoes_json(void) {
  xpay_client *client = mock_client();
  xpay_session *session = demo_session(client);
  char *json = STALE;
  xpay_error *err = NULL;
  fresh_mock();
  CHECK_STATUS(xpay_session_call(session, ECHO, "{\"a\": 1, \"s\": \"caf\xc3\xa9\"}", &json, &err),
               XPAY_OK, err);
  CHECK_STR(json, "{\"a\": 1, \"s\": \"caf\xc3\xa9\"}");
  xpay_string_free(json);
  CHECK_STATUS(xpay_session_call(session, ECHO, "null", &json, NULL), XPAY_OK, NULL);
  CHECK_STR(json, "null");
  xpay_string_free(json);
  CHECK(mock_count(LOGIN) == 1 && mock_count(ECHO) == 2);
  xpay_session_free(session);
  xpay_client_free(client);
}

/* Money-safe: a 21-digit amount and a 22-digit fraction go out and come back byte for byte. */
void test_session_call_numbers_exact(void) {
  static const char body[] = "{\"amount\":123456789012345678901,\"fee\":0.1000000000000000000001}";
  xpay_client *client = mock_client();
  xpay_session *session = demo_session(client);
  char *json = STALE, *recorded;
  xpay_error *err = NULL;
  fresh_mock();
  CHECK_STATUS(xpay_session_call(session, ECHO, body, &json, &err), XPAY_OK, err);
  CHECK_STR(json, body);
  xpay_string_free(json);
  recorded = mock_requests(ECHO);
  CHECK(recorded && strstr(recorded, "123456789012345678901,") && strstr(recorded, "0.1000000000000000000001"));
  free(recorded);
  CHECK(mock_queue(ECHO, "[{\"status\":200,\"body\":\"{\\\"success\\\":{\\\"data\\\": "
                         "[1E400, 99999999999999999999.50 ]}}\"}]") == 0);
  CHECK_STATUS(xpay_session_call(session, ECHO, "{}", &json, &err), XPAY_OK, err);
  CHECK_STR(json, "[1E400, 99999999999999999999.50 ]");
  xpay_string_free(json);
  CHECK_STATUS(xpay_session_call(session, ECHO, "{\"a\":1} x", &json, &err), XPAY_ERR_INVALID_ARGUMENT, err);
  CHECK(json == NULL);
  xpay_error_free(err);
  err = NULL;
  CHECK_STATUS(xpay_session_call(session, "/client/%2e%2e/admin", "{}", &json, &err), XPAY_ERR_INVALID_ARGUMENT, err);
  xpay_error_free(err);
  err = NULL;
  CHECK_STATUS(xpay_session_call_with_uuid(session, ECHO, "{}", "bad\nuuid", &json, &err),
               XPAY_ERR_INVALID_ARGUMENT, err);
  xpay_error_free(err);
  CHECK(mock_count(ECHO) == 2);
  xpay_session_free(session);
  xpay_client_free(client);
}

void test_session_invalidate_logs_in_again(void) {
  xpay_client *client = mock_client();
  xpay_session *session = demo_session(client);
  char *before = NULL, *after = NULL;
  fresh_mock();
  CHECK_STATUS(xpay_session_access_token(session, &before, NULL), XPAY_OK, NULL);
  xpay_session_invalidate(session);
  CHECK_STATUS(xpay_session_access_token(session, &after, NULL), XPAY_OK, NULL);
  CHECK(before && after && strcmp(before, after) != 0);
  CHECK(mock_count(LOGIN) == 2);
  xpay_string_free(before);
  xpay_string_free(after);
  xpay_session_free(session);
  xpay_client_free(client);
}

void test_session_relogs_in_after_401(void) {
  xpay_client *client = mock_client();
  xpay_session *session = demo_session(client);
  char *token = NULL, *json = NULL;
  fresh_mock();
  CHECK_STATUS(xpay_session_access_token(session, &token, NULL), XPAY_OK, NULL);
  CHECK(mock_revoke() == 0);
  CHECK_STATUS(xpay_session_call(session, ECHO, "{}", &json, NULL), XPAY_OK, NULL);
  CHECK_STR(json, "{}");
  CHECK(mock_count(LOGIN) == 2 && mock_count(ECHO) == 2);
  xpay_string_free(json);
  xpay_string_free(token);
  xpay_session_free(session);
  xpay_client_free(client);
}

void test_session_authentication(void) {
  xpay_client *client = mock_client();
  xpay_session *session = demo_session(client);
  xpay_auth *auth = STALE;
  char *token = NULL;
  xpay_error *err = NULL;
  fresh_mock();
  CHECK_STATUS(xpay_session_authentication(session, &auth, &err), XPAY_OK, err);
  CHECK_STATUS(xpay_session_access_token(session, &token, NULL), XPAY_OK, NULL);
  CHECK_STR(xpay_auth_access_token(auth), token);
  CHECK_STR(xpay_auth_username(auth), DEMO_USER);
  CHECK(mock_count(LOGIN) == 1);
  xpay_auth_free(auth);
  auth = STALE;
  CHECK_STATUS(xpay_session_authentication(NULL, &auth, NULL), XPAY_ERR_INVALID_ARGUMENT, NULL);
  CHECK(auth == NULL);
  xpay_string_free(token);
  xpay_session_free(session);
  xpay_client_free(client);
}

void test_session_from_environment(void) {
  xpay_client *client = mock_client();
  xpay_session *session = STALE;
  xpay_error *err = NULL;
  char *token = NULL;
  fresh_mock();
  setenv("XPAY_USERNAME", DEMO_USER, 1);
  setenv("XPAY_SECRET_KEY", DEMO_SECRET, 1);
  CHECK_STATUS(xpay_session_new_from_env(client, &session, &err), XPAY_OK, err);
  CHECK_STATUS(xpay_session_access_token(session, &token, NULL), XPAY_OK, NULL);
  xpay_string_free(token);
  xpay_session_free(session);
  unsetenv("XPAY_SECRET_KEY");
  CHECK_STATUS(xpay_session_new_from_env(client, &session, &err), XPAY_ERR_INVALID_ARGUMENT, err);
  CHECK(session == NULL);
  CHECK_CONTAINS(xpay_error_message(err), "XPAY_SECRET_KEY");
  xpay_error_free(err);
  unsetenv("XPAY_USERNAME");
  CHECK_STATUS(xpay_session_new_from_env(NULL, &session, NULL), XPAY_ERR_INVALID_ARGUMENT, NULL);
  CHECK_STATUS(xpay_session_new_from_env(client, NULL, NULL), XPAY_ERR_INVALID_ARGUMENT, NULL);
  CHECK(mock_count(LOGIN) == 1);
  xpay_client_free(client);
}

/* Empty credentials are accepted by xpay_session_new and refused at the first login. */
void test_session_empty_secret_fails_at_first_use(void) {
  xpay_client *client = mock_client();
  xpay_session *session = NULL;
  char *token = STALE;
  xpay_error *err = NULL;
  fresh_mock();
  CHECK_STATUS(xpay_session_new(client, DEMO_USER, "", &session, NULL), XPAY_OK, NULL);
  CHECK_STATUS(xpay_session_access_token(session, &token, &err), XPAY_ERR_INVALID_ARGUMENT, err);
  CHECK(token == NULL);
  CHECK_CONTAINS(xpay_error_message(err), "secret key is empty");
  CHECK(mock_count(LOGIN) == 0);
  xpay_error_free(err);
  xpay_session_free(session);
  xpay_client_free(client);
}

static void expect_session_new_invalid(const xpay_client *client, const char *user,
                                       const char *secret, xpay_session **out, const char *named) {
  xpay_error *err = NULL;
  if (out) *out = STALE;
  CHECK_STATUS(xpay_session_new(client, user, secret, out, &err), XPAY_ERR_INVALID_ARGUMENT, err);
  CHECK_CONTAINS(xpay_error_message(err), named);
  if (out) CHECK(*out == NULL);
  xpay_error_free(err);
}

void test_session_new_bad_arguments(void) {
  xpay_client *client = mock_client();
  xpay_session *session = NULL;
  expect_session_new_invalid(NULL, DEMO_USER, DEMO_SECRET, &session, "client must not be NULL");
  expect_session_new_invalid(client, NULL, DEMO_SECRET, &session, "username must not be NULL");
  expect_session_new_invalid(client, DEMO_USER, NULL, &session, "secret_key must not be NULL");
  expect_session_new_invalid(client, DEMO_USER, DEMO_SECRET, NULL, "out must not be NULL");
  expect_session_new_invalid(client, NOT_UTF8, DEMO_SECRET, &session, "username is not valid UTF-8");
  expect_session_new_invalid(client, DEMO_USER, NOT_UTF8, &session, "secret_key is not valid UTF-8");
  xpay_client_free(client);
}

/* Occurrences of `part` in `text`. */
static int count_of(const char *text, const char *part) {
  int n = 0;
  for (; text && (text = strstr(text, part)) != NULL; text += strlen(part)) n++;
  return n;
}

/* The caller's uuid goes on both attempts of a call re-sent after a 401; NULL is a fresh one. */
void test_session_call_with_uuid(void) {
  xpay_client *client = mock_client();
  xpay_session *session = demo_session(client);
  char *token = NULL, *json = STALE, *recorded;
  xpay_error *err = NULL;
  fresh_mock();
  CHECK_STATUS(xpay_session_access_token(session, &token, NULL), XPAY_OK, NULL);
  CHECK(mock_revoke() == 0);
  CHECK_STATUS(xpay_session_call_with_uuid(session, ECHO, "{\"n\": 1}", "caller-ref-42", &json, &err),
               XPAY_OK, err);
  CHECK_STR(json, "{\"n\": 1}");
  xpay_string_free(json);
  CHECK_STATUS(xpay_session_call_with_uuid(session, ECHO, "{}", NULL, &json, NULL), XPAY_OK, NULL);
  xpay_string_free(json);
  recorded = mock_requests(ECHO);
  CHECK(mock_count(ECHO) == 3);
  CHECK(count_of(recorded, "\"uuid\":\"caller-ref-42\"") == 2);
  free(recorded);
  json = STALE;
  CHECK_STATUS(xpay_session_call_with_uuid(session, ECHO, "{}", NOT_UTF8, &json, &err),
               XPAY_ERR_INVALID_ARGUMENT, err);
  CHECK_CONTAINS(xpay_error_message(err), "uuid is not valid UTF-8");
  CHECK(json == NULL && mock_count(ECHO) == 3);
  xpay_error_free(err);
  xpay_string_free(token);
  xpay_session_free(session);
  xpay_client_free(client);
}

static void expect_call_invalid(xpay_session *session, const char *path, const char *body,
                                char **out, const char *named) {
  xpay_error *err = NULL;
  if (out) *out = STALE;
  CHECK_STATUS(xpay_session_call(session, path, body, out, &err), XPAY_ERR_INVALID_ARGUMENT, err);
  CHECK_CONTAINS(xpay_error_message(err), named);
  if (out) CHECK(*out == NULL);
  xpay_error_free(err);
}

/* Bad arguments to the session's network functions fail before anything is sent. */
void test_session_bad_arguments_send_nothing(void) {
  xpay_client *client = mock_client();
  xpay_session *session = demo_session(client);
  char *out = NULL;
  xpay_error *err = NULL;
  fresh_mock();
  expect_call_invalid(NULL, ECHO, "{}", &out, "session must not be NULL");
  expect_call_invalid(session, NULL, "{}", &out, "path must not be NULL");
  expect_call_invalid(session, ECHO, NULL, &out, "json_body must not be NULL");
  expect_call_invalid(session, ECHO, "{}", NULL, "json_out must not be NULL");
  expect_call_invalid(session, "/client/" NOT_UTF8, "{}", &out, "path is not valid UTF-8");
  expect_call_invalid(session, ECHO, "{\"a\": \"" NOT_UTF8 "\"}", &out, "json_body is not valid UTF-8");
  expect_call_invalid(session, ECHO, "{\"a\": ", &out, "json_body is not valid JSON");
  expect_call_invalid(session, "client/echo", "{}", &out, "must start with a single '/'");
  CHECK_STATUS(xpay_session_access_token(NULL, &out, &err), XPAY_ERR_INVALID_ARGUMENT, err);
  CHECK_CONTAINS(xpay_error_message(err), "session must not be NULL");
  xpay_error_free(err);
  CHECK_STATUS(xpay_session_access_token(session, NULL, &err), XPAY_ERR_INVALID_ARGUMENT, err);
  CHECK_CONTAINS(xpay_error_message(err), "token_out must not be NULL");
  xpay_error_free(err);
  CHECK_STATUS(xpay_session_authentication(session, NULL, NULL), XPAY_ERR_INVALID_ARGUMENT, NULL);
  CHECK(mock_count(LOGIN) == 0 && mock_count(ECHO) == 0);
  xpay_session_free(session);
  xpay_client_free(client);
}
