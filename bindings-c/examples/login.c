/* Logs in through libxpay_auth, prints the result, and makes one call.
 *
 * Reads XPAY_BASE_URL (a NULL config means "defaults and environment"), XPAY_USERNAME and
 * XPAY_SECRET_KEY. Build: cc login.c $(pkg-config --cflags --libs xpay_auth) -o login */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xpay_auth.h>

/* Prints a failure and frees it; returns 1 for main's exit code. */
static int fail(const char *what, xpay_error *err) {
  fprintf(stderr, "%s failed: %s\n", what, xpay_error_display(err));
  xpay_error_free(err);
  return 1;
}

/* A token shown as its first 6 characters and its length, never whole. */
static void print_redacted(const char *token) {
  size_t chars = 0;
  const char *p;
  for (p = token; *p; p++) chars += ((unsigned char)*p & 0xC0) != 0x80; /* UTF-8 characters */
  printf("%.*s\xe2\x80\xa6(%lu chars)", chars >= 24 ? 6 : 0, token, (unsigned long)chars);
}

static void print_login(const xpay_auth *auth) {
  size_t i;
  printf("login  user=%s scopes=[", xpay_auth_username(auth));
  for (i = 0; i < xpay_auth_scopes_len(auth); i++) printf("%s%s", i ? ", " : "", xpay_auth_scope(auth, i));
  printf("] is_api=%s token=", xpay_auth_is_api(auth) ? "true" : "false");
  print_redacted(xpay_auth_access_token(auth));
  printf(" expires_at=%lld ticket=%s uuid=%s\n", (long long)xpay_auth_expires_at(auth),
         xpay_auth_ticket(auth), xpay_auth_uuid(auth));
}

int main(void) {
  const char *user = getenv("XPAY_USERNAME"), *secret = getenv("XPAY_SECRET_KEY");
  xpay_client *client = NULL;
  xpay_auth *auth = NULL;
  xpay_session *session = NULL;
  xpay_error *err = NULL;
  char *data = NULL;
  int rc = 0;

  if (xpay_client_new(NULL, &client, &err) != XPAY_OK) return fail("xpay_client_new", err);
  /* NULL credentials are refused with a clear error, no need to check them here. */
  if (xpay_authenticate(client, user, secret, true, &auth, &err) != XPAY_OK) {
    rc = fail("xpay_authenticate", err);
    goto done;
  }
  print_login(auth);

  if (xpay_session_new(client, user, secret, &session, &err) != XPAY_OK ||
      xpay_session_call(session, "/client/echo", "{\"hello\": \"xpay\", \"from\": \"c\"}", &data,
                        &err) != XPAY_OK) {
    rc = fail("call /client/echo", err);
    goto done;
  }
  printf("call   /client/echo -> %s\n", data);

done:
  xpay_string_free(data);
  xpay_session_free(session);
  xpay_auth_free(auth);
  xpay_client_free(client);
  return rc;
}
