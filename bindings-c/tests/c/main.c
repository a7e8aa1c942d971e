/* The C test runner: against the mock at $XPAY_MOCK_URL (run it as
 * `tests/with-mock.sh target/bindings-c/c_tests`), runs every test (or those whose
 * name contains argv[1]) and prints "c_tests: N passed, M failed". */
#include <stdlib.h>

#include "fixtures.h"
#include "tests.h"

#define T(name) {#name, name}

static const h_test all[] = {
    T(test_version), T(test_user_agent_names_the_c_face), T(test_free_null_is_a_no_op),
    T(test_config_base_url_accepted), T(test_config_base_url_refused),
    T(test_config_base_url_bad_pointers), T(test_client_new_defaults_from_environment),
    T(test_client_new_bad_arguments), T(test_authenticate_returns_every_field),
    T(test_authenticate_is_api_false), T(test_authenticate_refused),
    T(test_authenticate_bad_arguments_send_nothing), T(test_auth_accessors_accept_null),
    T(test_status_api), T(test_status_http_status), T(test_status_timeout),
    T(test_status_connection), T(test_status_decode), T(test_status_decode_nul_in_token),
    T(test_status_invalid_argument_codes), T(test_status_numbers_are_the_contract),
    T(test_error_accessors_accept_null), T(test_session_caches_the_token),
    T(test_session_call_echoes_json), T(test_session_call_numbers_exact), T(test_session_invalidate_logs_in_again),
    T(test_session_relogs_in_after_401), T(test_session_call_with_uuid), T(test_session_authentication),
    T(test_session_from_environment), T(test_session_empty_secret_fails_at_first_use),
    T(test_session_new_bad_arguments), T(test_session_bad_arguments_send_nothing),
    T(test_threads_share_one_client_and_session), T(test_session_outlives_its_client),
    T(test_client_outlives_its_config), T(test_string_free_after_the_caller_wrote_a_nul), T(test_owned_token_outlives_its_session),
    T(test_borrowed_strings_live_with_their_object), T(test_out_parameters_are_cleared),
    T(test_authorization_header_is_bearer_and_the_token), T(test_reauthorize_after_401_logs_in_once),
    T(test_session_stats_match_the_mock),
    T(test_store_file_two_sessions_one_login), T(test_store_null_url_is_the_default_and_bad_urls_send_nothing),
    T(test_network_setters_refuse_bad_input_and_keep_the_config),
    T(test_network_setters_accept_every_roots_choice_and_proxy_scheme),
    T(test_an_explicit_proxy_is_used_for_loopback),
};

int main(int argc, char **argv) {
  int failed;
  if (mock_init() != 0) {
    fprintf(stderr, "c_tests: no mock (run me as tests/with-mock.sh target/bindings-c/c_tests)\n");
    return 2;
  }
  /* The tests choose their own base URL and credentials. */
  unsetenv("XPAY_BASE_URL");
  unsetenv("XPAY_USERNAME");
  unsetenv("XPAY_SECRET_KEY");
  failed = h_run(all, sizeof all / sizeof *all, argc > 1 ? argv[1] : NULL);
  return failed ? 1 : 0;
}
