/* Version, config, client creation, and _free(NULL) everywhere. */
#include <stdlib.h>

#include "fixtures.h"
#include "tests.h"

void test_version(void) {
  CHECK_STR(xpay_version(), XPAY_TEST_VERSION);
}

void test_user_agent_names_the_c_face(void) {
  xpay_client *client = mock_client();
  xpay_auth *auth = NULL;
  char *recorded, want[64];
  fresh_mock();
  CHECK_STATUS(xpay_authenticate(client, DEMO_USER, DEMO_SECRET, true, &auth, NULL), XPAY_OK, NULL);
  recorded = mock_requests(LOGIN);
  snprintf(want, sizeof want, "\"user-agent\":\"xpay-auth-c/%s\"", XPAY_TEST_VERSION);
  CHECK_CONTAINS(recorded, want);
  CHECK_CONTAINS(recorded, "\"isAPI\":true");
  free(recorded);
  xpay_auth_free(auth);
  xpay_client_free(client);
}

void test_free_null_is_a_no_op(void) {
  xpay_config_free(NULL);
  xpay_client_free(NULL);
  xpay_auth_free(NULL);
  xpay_session_free(NULL);
  xpay_error_free(NULL);
  xpay_string_free(NULL);
  xpay_session_invalidate(NULL);
  xpay_config_set_timeout_ms(NULL, 1);
  xpay_config_set_connect_timeout_ms(NULL, 1);
  xpay_config_set_max_retries(NULL, 1);
  CHECK(1); /* reaching here is the test */
}

void test_config_base_url_accepted(void) {
  xpay_config *cfg = xpay_config_new();
  xpay_error *err = STALE;
  CHECK(cfg != NULL);
  CHECK_STATUS(xpay_config_set_base_url(cfg, "https://apis.xpay.stream/", &err), XPAY_OK, err);
  CHECK(err == NULL);
  CHECK_STATUS(xpay_config_set_base_url(cfg, "http://localhost:9", NULL), XPAY_OK, NULL);
  xpay_config_free(cfg);
}

/* A refused URL fails with a clear message and leaves the config as it was. */
void test_config_base_url_refused(void) {
  static const char *bad[] = {"http://example.com", "ftp://127.0.0.1", "not a url", "",
                              "https://user:pw@apis.xpay.stream"};
  xpay_config *cfg = xpay_config_new();
  xpay_client *client = NULL;
  xpay_auth *auth = NULL;
  xpay_error *err = NULL;
  size_t i;
  fresh_mock();
  CHECK_STATUS(xpay_config_set_base_url(cfg, mock_url(), NULL), XPAY_OK, NULL);
  for (i = 0; i < sizeof bad / sizeof *bad; i++) {
    CHECK_STATUS(xpay_config_set_base_url(cfg, bad[i], &err), XPAY_ERR_INVALID_ARGUMENT, err);
    CHECK_STR(xpay_error_code(err), "invalid_argument");
    CHECK_CONTAINS(xpay_error_message(err), "base URL");
    xpay_error_free(err);
  }
  CHECK_STATUS(xpay_config_set_base_url(cfg, "http://example.com", &err), XPAY_ERR_INVALID_ARGUMENT, err);
  CHECK_CONTAINS(xpay_error_message(err), "https://");
  xpay_error_free(err);
  /* Still the mock's URL: */
  CHECK_STATUS(xpay_client_new(cfg, &client, NULL), XPAY_OK, NULL);
  CHECK_STATUS(xpay_authenticate(client, DEMO_USER, DEMO_SECRET, true, &auth, NULL), XPAY_OK, NULL);
  CHECK(mock_count(LOGIN) == 1);
  xpay_auth_free(auth);
  xpay_client_free(client);
  xpay_config_free(cfg);
}

void test_config_base_url_bad_pointers(void) {
  xpay_config *cfg = xpay_config_new();
  xpay_error *err = NULL;
  CHECK_STATUS(xpay_config_set_base_url(NULL, mock_url(), &err), XPAY_ERR_INVALID_ARGUMENT, err);
  CHECK_CONTAINS(xpay_error_message(err), "cfg");
  xpay_error_free(err);
  CHECK_STATUS(xpay_config_set_base_url(cfg, NULL, &err), XPAY_ERR_INVALID_ARGUMENT, err);
  CHECK_CONTAINS(xpay_error_message(err), "url");
  xpay_error_free(err);
  CHECK_STATUS(xpay_config_set_base_url(cfg, NOT_UTF8, &err), XPAY_ERR_INVALID_ARGUMENT, err);
  CHECK_CONTAINS(xpay_error_message(err), "url is not valid UTF-8");
  xpay_error_free(err);
  CHECK_STATUS(xpay_config_set_base_url(NULL, NULL, NULL), XPAY_ERR_INVALID_ARGUMENT, NULL);
  xpay_config_free(cfg);
}

/* A NULL config means the defaults, with the base URL from XPAY_BASE_URL. */
void test_client_new_defaults_from_environment(void) {
  xpay_client *client = STALE;
  xpay_auth *auth = NULL;
  xpay_error *err = STALE;
  fresh_mock();
  setenv("XPAY_BASE_URL", mock_url(), 1);
  CHECK_STATUS(xpay_client_new(NULL, &client, &err), XPAY_OK, err);
  unsetenv("XPAY_BASE_URL");
  CHECK(err == NULL && client != NULL && client != STALE);
  CHECK_STATUS(xpay_authenticate(client, DEMO_USER, DEMO_SECRET, true, &auth, NULL), XPAY_OK, NULL);
  CHECK(mock_count(LOGIN) == 1);
  xpay_auth_free(auth);
  xpay_client_free(client);
}

void test_client_new_bad_arguments(void) {
  xpay_config *cfg = xpay_config_new();
  xpay_client *client = STALE;
  xpay_error *err = NULL;
  CHECK_STATUS(xpay_client_new(cfg, NULL, &err), XPAY_ERR_INVALID_ARGUMENT, err);
  CHECK_CONTAINS(xpay_error_message(err), "out must not be NULL");
  xpay_error_free(err);
  xpay_config_set_timeout_ms(cfg, 0);
  CHECK_STATUS(xpay_client_new(cfg, &client, &err), XPAY_ERR_INVALID_ARGUMENT, err);
  CHECK(client == NULL);
  CHECK_CONTAINS(xpay_error_message(err), "timeout");
  xpay_error_free(err);
  xpay_config_set_timeout_ms(cfg, 1000);
  xpay_config_set_connect_timeout_ms(cfg, 0);
  CHECK_STATUS(xpay_client_new(cfg, &client, &err), XPAY_ERR_INVALID_ARGUMENT, err);
  xpay_error_free(err);
  xpay_config_set_connect_timeout_ms(cfg, 1000);
  CHECK_STATUS(xpay_config_set_base_url(cfg, mock_url(), NULL), XPAY_OK, NULL);
  CHECK_STATUS(xpay_client_new(cfg, &client, &err), XPAY_OK, err);
  xpay_client_free(client);
  xpay_config_free(cfg);
}
