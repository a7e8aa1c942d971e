/* Who owns what: objects outlive what made them, strings live as long as their owner. */
#include <stdlib.h>

#include "fixtures.h"
#include "tests.h"

void test_session_outlives_its_client(void) {
  xpay_client *client = mock_client();
  xpay_session *session = demo_session(client);
  char *json = NULL;
  fresh_mock();
  xpay_client_free(client);
  CHECK_STATUS(xpay_session_call(session, ECHO, "[1,2]", &json, NULL), XPAY_OK, NULL);
  CHECK_STR(json, "[1,2]");
  xpay_string_free(json);
  xpay_session_free(session);
}

/* xpay_string_free keeps the length with the allocation: a NUL the caller wrote is harmless. */
void test_string_free_after_the_caller_wrote_a_nul(void) {
  xpay_client *client = mock_client();
  xpay_session *session = demo_session(client);
  char *token = NULL, *json = NULL;
  fresh_mock();
  CHECK_STATUS(xpay_session_access_token(session, &token, NULL), XPAY_OK, NULL);
  CHECK_STATUS(xpay_session_call(session, ECHO, "[\"0123456789\"]", &json, NULL), XPAY_OK, NULL);
  token[1] = '\0';
  json[0] = '\0';
  xpay_string_free(token);
  xpay_string_free(json);
  xpay_session_free(session);
  xpay_client_free(client);
}

void test_client_outlives_its_config(void) {
  xpay_config *cfg = xpay_config_new();
  xpay_client *client = NULL;
  xpay_auth *auth = NULL;
  fresh_mock();
  CHECK_STATUS(xpay_config_set_base_url(cfg, mock_url(), NULL), XPAY_OK, NULL);
  CHECK_STATUS(xpay_client_new(cfg, &client, NULL), XPAY_OK, NULL);
  xpay_config_free(cfg);
  CHECK_STATUS(xpay_authenticate(client, DEMO_USER, DEMO_SECRET, true, &auth, NULL), XPAY_OK, NULL);
  xpay_auth_free(auth);
  xpay_client_free(client);
}

void test_owned_token_outlives_its_session(void) {
  xpay_client *client = mock_client();
  xpay_session *session = demo_session(client);
  char *token = NULL;
  fresh_mock();
  CHECK_STATUS(xpay_session_access_token(session, &token, NULL), XPAY_OK, NULL);
  xpay_session_free(session);
  xpay_client_free(client);
  CHECK(token && strncmp(token, "eyJ", 3) == 0);
  xpay_string_free(token);
}

/* Accessor strings stay valid and unchanged while their object lives, whatever else runs. */
void test_borrowed_strings_live_with_their_object(void) {
  xpay_client *client = mock_client();
  xpay_auth *auth = NULL, *other = NULL;
  xpay_error *err = NULL;
  const char *token, *uuid, *message;
  char token_copy[4096];
  fresh_mock();
  CHECK_STATUS(xpay_authenticate(client, DEMO_USER, DEMO_SECRET, true, &auth, NULL), XPAY_OK, NULL);
  CHECK_STATUS(xpay_authenticate(client, DEMO_USER, "wrong", true, &other, &err),
               XPAY_ERR_AUTHENTICATION, err);
  token = xpay_auth_access_token(auth);
  uuid = xpay_auth_uuid(auth);
  message = xpay_error_message(err);
  snprintf(token_copy, sizeof token_copy, "%s", token);
  CHECK_STATUS(xpay_authenticate(client, DEMO_USER, DEMO_SECRET, true, &other, NULL), XPAY_OK, NULL);
  xpay_auth_free(other);
  CHECK_STR(xpay_auth_access_token(auth), token_copy);
  CHECK(xpay_auth_access_token(auth) == token && xpay_auth_uuid(auth) == uuid);
  CHECK(strlen(uuid) == 36);
  CHECK_CONTAINS(message, "invalid credentials");
  CHECK(xpay_error_message(err) == message);
  xpay_error_free(err);
  xpay_auth_free(auth);
  xpay_client_free(client);
}

/* Out-parameters and *err never keep a stale value: NULL on failure, NULL err on success. */
void test_out_parameters_are_cleared(void) {
  xpay_client *client = STALE;
  xpay_config *cfg = xpay_config_new();
  xpay_error *err = STALE;
  xpay_config_set_timeout_ms(cfg, 0);
  CHECK_STATUS(xpay_client_new(cfg, &client, &err), XPAY_ERR_INVALID_ARGUMENT, err);
  CHECK(client == NULL && err != NULL && err != STALE);
  xpay_error_free(err);
  err = STALE;
  CHECK_STATUS(xpay_config_set_base_url(cfg, mock_url(), &err), XPAY_OK, NULL);
  CHECK(err == NULL);
  xpay_config_free(cfg);
}
