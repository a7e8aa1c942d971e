/* Token stores: xpay_session_new_with_store with a file store (two sessions, one login; the
 * record 0600 without the token), NULL for the default, and bad URLs (nothing sent). */
#define _GNU_SOURCE
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fixtures.h"
#include "tests.h"

/* Removes the files of `dir`, then `dir`. */
static void remove_dir(const char *dir) {
  DIR *d = opendir(dir);
  struct dirent *e;
  char path[4096];
  while (d && (e = readdir(d)) != NULL) {
    if (e->d_name[0] == '.' && (e->d_name[1] == 0 || (e->d_name[1] == '.' && e->d_name[2] == 0))) continue;
    snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
    unlink(path);
  }
  if (d) closedir(d);
  rmdir(dir);
}

void test_store_file_two_sessions_one_login(void) {
  char base[] = "/tmp/xpay-c-store-XXXXXX", url[4200], dir[4096], record[4400];
  xpay_client *client = mock_client();
  xpay_session *a = NULL, *b = NULL;
  char *t1 = NULL, *t2 = NULL, text[1024];
  xpay_error *err = NULL;
  DIR *d;
  struct dirent *e;
  struct stat st;
  FILE *f;
  size_t n = 0;
  CHECK(mkdtemp(base) != NULL);
  snprintf(dir, sizeof dir, "%s/store", base);
  snprintf(url, sizeof url, "file:%s", dir);
  fresh_mock();
  CHECK_STATUS(xpay_session_new_with_store(client, DEMO_USER, DEMO_SECRET, url, &a, &err), XPAY_OK, err);
  CHECK_STATUS(xpay_session_new_with_store(client, DEMO_USER, DEMO_SECRET, url, &b, &err), XPAY_OK, err);
  CHECK_STATUS(xpay_session_access_token(a, &t1, &err), XPAY_OK, err);
  CHECK_STATUS(xpay_session_access_token(b, &t2, &err), XPAY_OK, err);
  CHECK(t1 && t2);
  if (t1 && t2) CHECK_STR(t1, t2);
  CHECK(mock_count(LOGIN) == 1);
  /* The directory is 0700, the record 0600 and it does not hold the token. */
  CHECK(stat(dir, &st) == 0 && (st.st_mode & 0777) == 0700);
  record[0] = 0;
  for (d = opendir(dir); d && (e = readdir(d)) != NULL;) {
    size_t len = strlen(e->d_name);
    if (len > 6 && strcmp(e->d_name + len - 6, ".token") == 0) snprintf(record, sizeof record, "%s/%s", dir, e->d_name);
  }
  if (d) closedir(d);
  CHECK(record[0] != 0);
  CHECK(stat(record, &st) == 0 && (st.st_mode & 0777) == 0600);
  if ((f = fopen(record, "rb")) != NULL) {
    n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
  }
  text[n] = 0;
  CHECK(n > 0);
  CHECK(t1 == NULL || memmem(text, n, t1, strlen(t1)) == NULL);
  xpay_string_free(t1);
  xpay_string_free(t2);
  xpay_session_free(a);
  xpay_session_free(b);
  xpay_client_free(client);
  remove_dir(dir);
  rmdir(base);
}

void test_store_null_url_is_the_default_and_bad_urls_send_nothing(void) {
  static const char *bad[] = {"ftp://x", "file:", "memory:x", "nonsense", ""};
  xpay_client *client = mock_client();
  xpay_session *session = STALE, *other = NULL;
  char *token = NULL;
  xpay_error *err = NULL;
  size_t i;
  fresh_mock();
  for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    session = STALE;
    CHECK_STATUS(xpay_session_new_with_store(client, DEMO_USER, DEMO_SECRET, bad[i], &session, &err),
                 XPAY_ERR_INVALID_ARGUMENT, err);
    CHECK(session == NULL);
    CHECK_CONTAINS(xpay_error_message(err), "store");
    xpay_error_free(err);
    err = NULL;
  }
  CHECK_STATUS(xpay_session_new_with_store(client, DEMO_USER, DEMO_SECRET, NOT_UTF8, &session, &err),
               XPAY_ERR_INVALID_ARGUMENT, err);
  CHECK_CONTAINS(xpay_error_message(err), "store_url");
  xpay_error_free(err);
  err = NULL;
  CHECK(mock_count(LOGIN) == 0);
  /* NULL: the default (memory:): two sessions, two logins. */
  CHECK_STATUS(xpay_session_new_with_store(client, DEMO_USER, DEMO_SECRET, NULL, &session, &err), XPAY_OK, err);
  CHECK_STATUS(xpay_session_new_with_store(client, DEMO_USER, DEMO_SECRET, "memory:", &other, &err), XPAY_OK, err);
  CHECK_STATUS(xpay_session_access_token(session, &token, &err), XPAY_OK, err);
  xpay_string_free(token);
  token = NULL;
  CHECK_STATUS(xpay_session_access_token(other, &token, &err), XPAY_OK, err);
  xpay_string_free(token);
  CHECK(mock_count(LOGIN) == 2);
  xpay_session_free(session);
  xpay_session_free(other);
  xpay_client_free(client);
}
