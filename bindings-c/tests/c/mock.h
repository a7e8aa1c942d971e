/* The xpay-mock server for the C tests: started by tests/with-mock.sh (its URL in
 * XPAY_MOCK_URL), controlled over its /__mock/ HTTP endpoints with a minimal HTTP/1.1 client. */
#ifndef XPAY_TEST_MOCK_H
#define XPAY_TEST_MOCK_H

/* Reads the mock's URL from XPAY_MOCK_URL (http://127.0.0.1:PORT); 0 on success. */
int mock_init(void);
/* The mock's base URL, e.g. "http://127.0.0.1:41234". */
const char *mock_url(void);

/* POST /__mock/reset with `settings_json` (NULL: defaults); 0 on success. */
int mock_reset(const char *settings_json);
/* POST /__mock/queue {"path": path, "replies": replies_json}; 0 on success. */
int mock_queue(const char *path, const char *replies_json);
/* POST /__mock/revoke; 0 on success. */
int mock_revoke(void);
/* The number of requests that reached `path` since the last reset; -1 on failure. */
long mock_count(const char *path);
/* The recorded requests to `path` as JSON text (caller frees with free()); NULL on failure. */
char *mock_requests(const char *path);

/* A loopback URL where nothing listens (a port that was free a moment ago). */
void refused_url(char *buf, unsigned long size);

#endif
