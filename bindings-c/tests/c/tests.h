/* Every C test, by file. main.c lists them in one table. */
#ifndef XPAY_TESTS_H
#define XPAY_TESTS_H

#ifndef XPAY_TEST_VERSION
#error "build with -DXPAY_TEST_VERSION='\"x.y.z\"' (the crate version)"
#endif

/* test_config.c */
void test_version(void);
void test_user_agent_names_the_c_face(void);
void test_free_null_is_a_no_op(void);
void test_config_base_url_accepted(void);
void test_config_base_url_refused(void);
void test_config_base_url_bad_pointers(void);
void test_client_new_defaults_from_environment(void);
void test_client_new_bad_arguments(void);
/* test_authenticate.c */
void test_authenticate_returns_every_field(void);
void test_authenticate_is_api_false(void);
void test_authenticate_refused(void);
void test_authenticate_bad_arguments_send_nothing(void);
void test_auth_accessors_accept_null(void);
/* test_errors.c */
void test_status_api(void);
void test_status_http_status(void);
void test_status_timeout(void);
void test_status_connection(void);
void test_status_decode(void);
void test_status_decode_nul_in_token(void);
void test_status_invalid_argument_codes(void);
void test_status_numbers_are_the_contract(void);
void test_error_accessors_accept_null(void);
/* test_store.c */
void test_store_file_two_sessions_one_login(void);
void test_store_null_url_is_the_default_and_bad_urls_send_nothing(void);
/* test_networks.c */
void test_network_setters_refuse_bad_input_and_keep_the_config(void);
void test_network_setters_accept_every_roots_choice_and_proxy_scheme(void);
void test_an_explicit_proxy_is_used_for_loopback(void);
/* test_adapters.c */
void test_authorization_header_is_bearer_and_the_token(void);
void test_reauthorize_after_401_logs_in_once(void);
void test_session_stats_match_the_mock(void);
/* test_session.c */
void test_session_caches_the_token(void);
void test_session_call_echoes_json(void);
void test_session_call_numbers_exact(void);
void test_session_invalidate_logs_in_again(void);
void test_session_relogs_in_after_401(void);
void test_session_call_with_uuid(void);
void test_session_authentication(void);
void test_session_from_environment(void);
void test_session_empty_secret_fails_at_first_use(void);
void test_session_new_bad_arguments(void);
void test_session_bad_arguments_send_nothing(void);
/* test_threads.c */
void test_threads_share_one_client_and_session(void);
/* test_ownership.c */
void test_session_outlives_its_client(void);
void test_client_outlives_its_config(void);
void test_string_free_after_the_caller_wrote_a_nul(void);
void test_owned_token_outlives_its_session(void);
void test_borrowed_strings_live_with_their_object(void);
void test_out_parameters_are_cleared(void);

#endif
