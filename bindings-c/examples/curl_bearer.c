/* The session's token on your own libcurl requests: xpay_session_authorization_header gives
 * "Bearer <token>" (cached, renewed in the background, one login shared by every thread); on
 * a 401 xpay_session_reauthorize drops that token and gives a fresh one's header, and the
 * request is sent once more. Prints the reply and the session's figures (xpay_session_stats).
 *
 *   curl_bearer URL [JSON_BODY]     e.g. curl_bearer "$XPAY_BASE_URL/client/echo" '{"a":1}'
 *
 * Credentials from XPAY_USERNAME / XPAY_SECRET_KEY, base URL of the login from XPAY_BASE_URL.
 * Build: cc curl_bearer.c $(pkg-config --cflags --libs xpay_auth libcurl) -o curl_bearer */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <xpay_auth.h>

/* The reply body, collected by libcurl's write callback. */
typedef struct {
  char *text;
  size_t len;
} reply;

static size_t collect(char *data, size_t size, size_t n, void *userdata) {
  reply *r = userdata;
  size_t more = size * n;
  char *grown = realloc(r->text, r->len + more + 1);
  if (!grown) return 0; /* libcurl then fails the transfer */
  memcpy(grown + r->len, data, more);
  r->len += more;
  grown[r->len] = '\0';
  r->text = grown;
  return more;
}

/* POSTs `body` to `url` with `authorization` ("Bearer <token>"); returns the HTTP status, or
 * -1 when the request failed. The reply's body goes to `*out`. */
static long post(CURL *curl, const char *url, const char *body, const char *authorization, reply *out) {
  struct curl_slist *headers = NULL;
  char *line = malloc(strlen("Authorization: ") + strlen(authorization) + 1);
  long status = -1;
  if (!line) return -1;
  strcpy(line, "Authorization: ");
  strcat(line, authorization);
  headers = curl_slist_append(headers, line);
  headers = curl_slist_append(headers, "Content-Type: application/json");
  free(out->text);
  out->text = NULL;
  out->len = 0;
  curl_easy_reset(curl);
  curl_easy_setopt(curl, CURLOPT_URL, url);
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, collect);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, out);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT, 30L);
  if (headers && curl_easy_perform(curl) == CURLE_OK)
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  curl_slist_free_all(headers);
  /* The header held the token: clear our copy before freeing it. */
  memset(line, 0, strlen(line));
  free(line);
  return status;
}

static int fail(const char *what, xpay_error *err) {
  fprintf(stderr, "%s failed: %s\n", what, xpay_error_display(err));
  xpay_error_free(err);
  return 1;
}

int main(int argc, char **argv) {
  const char *url = argc > 1 ? argv[1] : NULL, *body = argc > 2 ? argv[2] : "{}";
  xpay_client *client = NULL;
  xpay_session *session = NULL;
  xpay_error *err = NULL;
  xpay_session_stats_t stats;
  char *header = NULL, *fresh = NULL;
  reply r = {NULL, 0};
  CURL *curl = NULL;
  long status;
  int rc = 1;

  if (!url) {
    fprintf(stderr, "usage: %s URL [JSON_BODY]\n", argv[0]);
    return 2;
  }
  if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK || !(curl = curl_easy_init())) {
    fprintf(stderr, "libcurl did not start\n");
    return 1;
  }
  if (xpay_client_new(NULL, &client, &err) != XPAY_OK) {
    rc = fail("xpay_client_new", err);
    goto done;
  }
  if (xpay_session_new_from_env(client, &session, &err) != XPAY_OK ||
      xpay_session_authorization_header(session, &header, &err) != XPAY_OK) {
    rc = fail("the session's authorization header", err);
    goto done;
  }
  status = post(curl, url, body, header, &r);
  if (status == 401) {
    /* The server refused this token: one fresh login (shared), one re-send. */
    printf("401: logging in again and sending once more\n");
    if (xpay_session_reauthorize(session, header, &fresh, &err) != XPAY_OK) {
      rc = fail("xpay_session_reauthorize", err);
      goto done;
    }
    status = post(curl, url, body, fresh, &r);
  }
  printf("HTTP %ld %s\n", status, r.text ? r.text : "");
  if (xpay_session_stats(session, &stats) == XPAY_OK)
    printf("stats logins=%llu renewals=%llu renewal_failures=%llu waits=%llu backoff_until_ms=%lld expires_at_ms=%lld\n",
           (unsigned long long)stats.logins, (unsigned long long)stats.renewals,
           (unsigned long long)stats.renewal_failures, (unsigned long long)stats.waits,
           (long long)stats.backoff_until_ms, (long long)stats.expires_at_ms);
  rc = status == 200 ? 0 : 1;

done:
  free(r.text);
  xpay_string_free(header);
  xpay_string_free(fresh);
  xpay_session_free(session);
  xpay_client_free(client);
  if (curl) curl_easy_cleanup(curl);
  curl_global_cleanup();
  return rc;
}
