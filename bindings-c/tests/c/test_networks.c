/* Corporate networks: the TLS and proxy setters refuse bad input with a clear error, leave the
 * config as it was and send nothing; the proxy's password is never repeated. (Trusting a
 * private CA, mutual TLS and the proxies themselves are the shared scenarios of
 * tests/conformance/networks.json, run by the C testee.) */
#include <stdlib.h>

#include "fixtures.h"
#include "tests.h"

#define PASSWORD "hunter2"

/* Checks that `status` and `*err` (set by a call made before this one: C leaves the order of
 * arguments open) are invalid_argument, say `says` and never the proxy password; frees it. */
static void check_refused(xpay_status status, xpay_error **err, const char *says) {
  CHECK_STATUS(status, XPAY_ERR_INVALID_ARGUMENT, *err);
  CHECK_STR(xpay_error_code(*err), "invalid_argument");
  CHECK_CONTAINS(xpay_error_message(*err), says);
  CHECK(xpay_error_display(*err) == NULL || strstr(xpay_error_display(*err), PASSWORD) == NULL);
  xpay_error_free(*err);
  *err = NULL;
}

/* Logs in once through a client made from `cfg`: the mock sees it when nothing bad was kept. */
static void check_config_still_logs_in(const xpay_config *cfg) {
  xpay_client *client = NULL;
  xpay_auth *auth = NULL;
  CHECK_STATUS(xpay_client_new(cfg, &client, NULL), XPAY_OK, NULL);
  CHECK_STATUS(xpay_authenticate(client, DEMO_USER, DEMO_SECRET, true, &auth, NULL), XPAY_OK, NULL);
  CHECK(mock_count(LOGIN) == 1);
  xpay_auth_free(auth);
  xpay_client_free(client);
}

void test_network_setters_refuse_bad_input_and_keep_the_config(void) {
  static const char *bad_proxies[] = {"ftp://user:" PASSWORD "@127.0.0.1:21", "http://", "not a url", ""};
  static const char *bad_pem[] = {"not a certificate",
                                  "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"};
  xpay_config *cfg = xpay_config_new();
  xpay_error *err = NULL;
  xpay_status st;
  size_t i;
  fresh_mock();
  CHECK_STATUS(xpay_config_set_base_url(cfg, mock_url(), NULL), XPAY_OK, NULL);
  for (i = 0; i < sizeof bad_proxies / sizeof *bad_proxies; i++) {
    st = xpay_config_set_proxy(cfg, bad_proxies[i], &err);
    check_refused(st, &err, "proxy");
  }
  for (i = 0; i < sizeof bad_pem / sizeof *bad_pem; i++) {
    st = xpay_config_set_ca_bundle_pem(cfg, bad_pem[i], &err);
    check_refused(st, &err, "CA bundle");
  }
  st = xpay_config_set_ca_bundle_file(cfg, "/nonexistent/ca.pem", &err);
  check_refused(st, &err, "/nonexistent/ca.pem");
  st = xpay_config_set_tls_roots(cfg, 4, &err);
  check_refused(st, &err, "XPAY_TLS_ROOTS_");
  st = xpay_config_set_client_identity_pem(cfg, "-----BEGIN CERTIFICATE-----\n", "key", &err);
  check_refused(st, &err, "client certificate");
  /* Bad pointers: NULL config or argument, nothing changes. */
  st = xpay_config_set_proxy(NULL, "http://127.0.0.1:3128", &err);
  check_refused(st, &err, "cfg");
  st = xpay_config_set_proxy(cfg, NULL, &err);
  check_refused(st, &err, "url");
  st = xpay_config_set_ca_bundle_pem(cfg, NOT_UTF8, &err);
  check_refused(st, &err, "pem");
  st = xpay_config_set_client_identity_pem(cfg, NULL, "key", &err);
  check_refused(st, &err, "cert_pem");
  /* None of it was kept: the client goes straight to the mock with the default roots. */
  check_config_still_logs_in(cfg);
  xpay_config_free(cfg);
}

void test_network_setters_accept_every_roots_choice_and_proxy_scheme(void) {
  static const char *proxies[] = {"http://127.0.0.1:3128", "https://proxy.example:8443",
                                  "socks5://user:pw@127.0.0.1:1080"};
  static const unsigned roots[] = {XPAY_TLS_ROOTS_SYSTEM_AND_BUNDLED, XPAY_TLS_ROOTS_SYSTEM,
                                   XPAY_TLS_ROOTS_BUNDLED, XPAY_TLS_ROOTS_NONE};
  xpay_config *cfg = xpay_config_new();
  xpay_client *client = NULL;
  size_t i;
  for (i = 0; i < sizeof roots / sizeof *roots; i++) {
    CHECK_STATUS(xpay_config_set_tls_roots(cfg, roots[i], NULL), XPAY_OK, NULL);
    CHECK_STATUS(xpay_client_new(cfg, &client, NULL), XPAY_OK, NULL);
    xpay_client_free(client);
    client = NULL;
  }
  for (i = 0; i < sizeof proxies / sizeof *proxies; i++) {
    CHECK_STATUS(xpay_config_set_proxy(cfg, proxies[i], NULL), XPAY_OK, NULL);
    CHECK_STATUS(xpay_client_new(cfg, &client, NULL), XPAY_OK, NULL);
    xpay_client_free(client);
    client = NULL;
  }
  xpay_config_free(cfg);
}

/* An explicit proxy applies to loopback too: with nothing listening on its port the login fails
 * to connect, naming the proxy but not its password, and the mock sees nothing. */
void test_an_explicit_proxy_is_used_for_loopback(void) {
  xpay_config *cfg = xpay_config_new();
  xpay_client *client = NULL;
  xpay_auth *auth = NULL;
  xpay_error *err = NULL;
  fresh_mock();
  CHECK_STATUS(xpay_config_set_base_url(cfg, mock_url(), NULL), XPAY_OK, NULL);
  xpay_config_set_max_retries(cfg, 0);
  CHECK_STATUS(xpay_config_set_proxy(cfg, "http://u:" PASSWORD "@127.0.0.1:9", NULL), XPAY_OK, NULL);
  CHECK_STATUS(xpay_client_new(cfg, &client, NULL), XPAY_OK, NULL);
  CHECK_STATUS(xpay_authenticate(client, DEMO_USER, DEMO_SECRET, true, &auth, &err), XPAY_ERR_CONNECTION, err);
  CHECK(auth == NULL);
  CHECK_CONTAINS(xpay_error_message(err), "127.0.0.1:9");
  CHECK(strstr(xpay_error_display(err), PASSWORD) == NULL);
  CHECK(mock_count(LOGIN) == 0);
  xpay_error_free(err);
  xpay_client_free(client);
  xpay_config_free(cfg);
}
