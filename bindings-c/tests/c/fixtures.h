/* Shared set-up for the C tests: clients and sessions pointed at the running mock. */
#ifndef XPAY_TEST_FIXTURES_H
#define XPAY_TEST_FIXTURES_H

#include "harness.h"
#include "mock.h"

#define DEMO_USER "demo@xpay.test"
#define DEMO_SECRET "demo-secret"
#define LOGIN "/client/authenticate"
#define ECHO "/client/echo"
/* A byte sequence that is not UTF-8. */
#define NOT_UTF8 "\xff\xfe"
/* A stand-in for "whatever was in the slot before": must be overwritten. */
#define STALE ((void *)0x1)

/* A client for `url` (NULL: the mock) with a timeout and retries. */
xpay_client *client_for(const char *url, unsigned long long timeout_ms, unsigned retries);
/* A client for the mock with generous limits and no retries. */
xpay_client *mock_client(void);
/* A session on `client` for the mock's default account. */
xpay_session *demo_session(const xpay_client *client);
/* Resets the mock to its defaults; records a failure if it cannot. */
void fresh_mock(void);

#endif
