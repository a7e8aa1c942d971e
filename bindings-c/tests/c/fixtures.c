#include "fixtures.h"

xpay_client *client_for(const char *url, unsigned long long timeout_ms, unsigned retries) {
  xpay_config *cfg = xpay_config_new();
  xpay_client *client = NULL;
  xpay_error *err = NULL;
  CHECK_STATUS(xpay_config_set_base_url(cfg, url ? url : mock_url(), &err), XPAY_OK, err);
  xpay_config_set_timeout_ms(cfg, timeout_ms);
  xpay_config_set_max_retries(cfg, retries);
  CHECK_STATUS(xpay_client_new(cfg, &client, &err), XPAY_OK, err);
  xpay_error_free(err);
  xpay_config_free(cfg);
  return client;
}

xpay_client *mock_client(void) { return client_for(NULL, 10000, 0); }

xpay_session *demo_session(const xpay_client *client) {
  xpay_session *session = NULL;
  xpay_error *err = NULL;
  CHECK_STATUS(xpay_session_new(client, DEMO_USER, DEMO_SECRET, &session, &err), XPAY_OK, err);
  xpay_error_free(err);
  return session;
}

void fresh_mock(void) { CHECK(mock_reset(NULL) == 0); }
