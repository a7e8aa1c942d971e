/* The C face's bench program for `make bench` (tests/bench/run.py runs it, pinned to one CPU,
 * against one release xpay-mock): libxpay_auth (release) against the libcurl code a C user
 * would otherwise hand-roll, on the same workload. Prints one machine-readable line per figure
 * (`BENCH {json}`, the protocol in tests/bench/README.md); asserts nothing about speed (it exits
 * non-zero only when a request fails).
 *
 *   bench rows [--ms N]   every row once, in order (one round): logins, then calls, each on one
 *                         thread and on 8 threads (one shared xpay client / session against 8
 *                         threads with a curl easy handle each)
 *   bench token [--n N]   xpay_session_access_token + xpay_string_free, cached, N calls
 *                         (default 1,000,000)
 *   bench cold c          1,000 threads calling xpay_session_access_token on a cold session at
 *                         once; the orchestrator counts the logins the mock saw
 *
 * Needs XPAY_BASE_URL, XPAY_USERNAME, XPAY_SECRET_KEY. */
#include <curl/curl.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <xpay_auth.h>

#define THREADS 8
#define COLD_CALLERS 1000

#define ECHO_PATH "/client/echo"
#define LOGIN_PATH "/client/authenticate"
#define WALLET "w-1"
#define AMOUNT 125

static const char *base_url, *username, *secret_key;

static void die(const char *what, const char *detail) {
  fprintf(stderr, "bench: %s failed: %s\n", what, detail ? detail : "(no detail)");
  exit(1);
}

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void emit_row(const char *group, const char *client, int sdk, const char *op,
                     uint64_t ops, uint64_t ns) {
  printf("BENCH {\"group\": \"%s\", \"client\": \"%s\", \"sdk\": %s, \"op\": \"%s\", "
         "\"ops\": %llu, \"secs\": %.6f}\n",
         group, client, sdk ? "true" : "false", op, (unsigned long long)ops, (double)ns / 1e9);
  fflush(stdout);
}

/* ---- the SDK ----------------------------------------------------------------------------- */

static const char sdk_body[] = "{\"wallet\": \"" WALLET "\", \"amount\": 125}";

static void sdk_login(const xpay_client *client) {
  xpay_auth *auth = NULL;
  xpay_error *err = NULL;
  if (xpay_authenticate(client, username, secret_key, true, &auth, &err) != XPAY_OK)
    die("xpay_authenticate", xpay_error_display(err));
  if (!xpay_auth_access_token(auth)[0]) die("xpay_authenticate", "empty token");
  xpay_auth_free(auth);
}

/* One call through the SDK: JSON text in, `success.data` as JSON text out. */
static void sdk_call(xpay_session *session) {
  char *data = NULL;
  xpay_error *err = NULL;
  if (xpay_session_call(session, ECHO_PATH, sdk_body, &data, &err) != XPAY_OK)
    die("xpay_session_call", xpay_error_display(err));
  if (data[0] != '{') die("xpay_session_call", data); /* {"amount":125,"wallet":"w-1"} */
  xpay_string_free(data);
}

/* ---- hand-rolled libcurl: what a C user writes without the SDK --------------------------- */

typedef struct {
  char *data;
  size_t len, cap;
} buffer;

static size_t on_body(char *ptr, size_t size, size_t nmemb, void *userdata) {
  buffer *b = userdata;
  size_t n = size * nmemb;
  if (b->len + n + 1 > b->cap) {
    size_t cap = b->cap ? b->cap : 1024;
    char *grown;
    while (cap < b->len + n + 1) cap *= 2;
    if (!(grown = realloc(b->data, cap))) return 0;
    b->data = grown;
    b->cap = cap;
  }
  memcpy(b->data + b->len, ptr, n);
  b->len += n;
  b->data[b->len] = '\0';
  return n;
}

/* A v4 uuid from 16 bytes of /dev/urandom (the descriptor stays open). */
static void uuid4(int urandom, char out[37]) {
  static const char hex[] = "0123456789abcdef";
  unsigned char r[16];
  int i, o = 0;
  if (read(urandom, r, sizeof r) != (ssize_t)sizeof r) die("read /dev/urandom", NULL);
  r[6] = (unsigned char)((r[6] & 0x0f) | 0x40); /* version 4 */
  r[8] = (unsigned char)((r[8] & 0x3f) | 0x80); /* variant 10 */
  for (i = 0; i < 16; i++) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out[o++] = '-';
    out[o++] = hex[r[i] >> 4];
    out[o++] = hex[r[i] & 0x0f];
  }
  out[o] = '\0';
}

typedef struct {
  CURL *curl; /* one easy handle, reused: libcurl keeps its connection alive */
  int urandom;
  char login_url[512], echo_url[512], login_body[1024];
  char authorization[4096]; /* "Authorization: Bearer <token>" */
  buffer reply;
} hand_rolled;

/* POSTs `body` with `headers`; the reply lands in h->reply. Returns the HTTP status. */
static long hand_post(hand_rolled *h, const char *url, struct curl_slist *headers,
                      const char *body) {
  long status = 0;
  CURLcode rc;
  h->reply.len = 0;
  curl_easy_setopt(h->curl, CURLOPT_URL, url);
  curl_easy_setopt(h->curl, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(h->curl, CURLOPT_POSTFIELDS, body);
  if ((rc = curl_easy_perform(h->curl)) != CURLE_OK) die("curl_easy_perform", curl_easy_strerror(rc));
  curl_easy_getinfo(h->curl, CURLINFO_RESPONSE_CODE, &status);
  return status;
}

/* A hand-rolled login: POST the credentials, then pick `access_token` out of the reply by hand
 * (libcurl has no JSON decoder; the vendor's page shows this field) into h->authorization. */
static void hand_login(hand_rolled *h) {
  struct curl_slist *headers = curl_slist_append(NULL, "Content-Type: application/json");
  const char *key = "\"access_token\":\"", *start, *end;
  if (hand_post(h, h->login_url, headers, h->login_body) != 200) die("hand-rolled login", h->reply.data);
  curl_slist_free_all(headers);
  if (!h->reply.data || !(start = strstr(h->reply.data, key)) ||
      !(end = strchr(start += strlen(key), '"')))
    die("hand-rolled login: no access_token", h->reply.data);
  snprintf(h->authorization, sizeof h->authorization, "Authorization: Bearer %.*s",
           (int)(end - start), start);
}

/* A fresh handle (one per thread), logged in. */
static void hand_init(hand_rolled *h) {
  memset(h, 0, sizeof *h);
  if (!(h->curl = curl_easy_init())) die("curl_easy_init", NULL);
  if ((h->urandom = open("/dev/urandom", O_RDONLY | O_CLOEXEC)) < 0) die("open /dev/urandom", NULL);
  curl_easy_setopt(h->curl, CURLOPT_NOSIGNAL, 1L); /* threads */
  curl_easy_setopt(h->curl, CURLOPT_TCP_KEEPALIVE, 1L);
  curl_easy_setopt(h->curl, CURLOPT_TIMEOUT_MS, 30000L);
  curl_easy_setopt(h->curl, CURLOPT_CONNECTTIMEOUT_MS, 10000L);
  curl_easy_setopt(h->curl, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(h->curl, CURLOPT_WRITEDATA, &h->reply);
  snprintf(h->login_url, sizeof h->login_url, "%s%s", base_url, LOGIN_PATH);
  snprintf(h->echo_url, sizeof h->echo_url, "%s%s", base_url, ECHO_PATH);
  /* The bench's own credentials hold no characters that need JSON escaping. */
  snprintf(h->login_body, sizeof h->login_body,
           "{\"username\":\"%s\",\"secretKey\":\"%s\",\"isAPI\":true}", username, secret_key);
  hand_login(h);
}

/* One hand-rolled call: a fresh uuid header, the bearer, the JSON body written out with
 * snprintf, POST on the reused handle, the reply into a buffer. No JSON decoding of the reply
 * (libcurl has none); only a check that it is a success envelope. */
static void hand_call(hand_rolled *h) {
  char uuid_header[64], uuid[37], body[128];
  struct curl_slist *headers = NULL;
  long status;

  uuid4(h->urandom, uuid);
  snprintf(uuid_header, sizeof uuid_header, "uuid: %s", uuid);
  headers = curl_slist_append(headers, "Content-Type: application/json");
  headers = curl_slist_append(headers, h->authorization);
  headers = curl_slist_append(headers, uuid_header);
  snprintf(body, sizeof body, "{\"wallet\":\"%s\",\"amount\":%d}", WALLET, AMOUNT);
  status = hand_post(h, h->echo_url, headers, body);
  curl_slist_free_all(headers);
  if (status != 200 || strncmp(h->reply.data, "{\"success\":", 11) != 0)
    die("hand-rolled call", h->reply.data);
}

static void hand_free(hand_rolled *h) {
  curl_easy_cleanup(h->curl);
  close(h->urandom);
  free(h->reply.data);
}

/* ---- rows -------------------------------------------------------------------------------- */

enum what { SDK_LOGIN, SDK_CALL, HAND_LOGIN, HAND_CALL };

typedef struct {
  enum what what;
  const xpay_client *client; /* SDK rows: shared by every thread */
  xpay_session *session;
  uint64_t ms, ops;
} worker;

static pthread_barrier_t ready, go;

static void once(worker *w, hand_rolled *h) {
  switch (w->what) {
  case SDK_LOGIN: sdk_login(w->client); break;
  case SDK_CALL: sdk_call(w->session); break;
  case HAND_LOGIN: hand_login(h); break;
  case HAND_CALL: hand_call(h); break;
  }
}

/* Warm up for ms/5, wait for every thread, then repeat for ms; the count lands in w->ops. */
static void *work(void *arg) {
  worker *w = arg;
  hand_rolled h;
  uint64_t until;
  int hand = w->what == HAND_LOGIN || w->what == HAND_CALL;
  if (hand) hand_init(&h);
  until = now_ns() + w->ms * 200000u;
  while (now_ns() < until) once(w, &h);
  pthread_barrier_wait(&ready);
  pthread_barrier_wait(&go);
  until = now_ns() + w->ms * 1000000u;
  w->ops = 0;
  while (now_ns() < until) {
    once(w, &h);
    w->ops++;
  }
  if (hand) hand_free(&h);
  return NULL;
}

/* One row on `threads` threads (1: the sequential row); ops/s over the wall time. */
static void run_row(const char *group, const char *name, int threads, enum what what,
                    const xpay_client *client, xpay_session *session, uint64_t ms) {
  pthread_t ids[THREADS];
  worker workers[THREADS];
  uint64_t started, ops = 0;
  int i;
  pthread_barrier_init(&ready, NULL, (unsigned)threads + 1);
  pthread_barrier_init(&go, NULL, (unsigned)threads + 1);
  for (i = 0; i < threads; i++) {
    workers[i].what = what;
    workers[i].client = client;
    workers[i].session = session;
    workers[i].ms = ms;
    if (pthread_create(&ids[i], NULL, work, &workers[i]) != 0) die("pthread_create", NULL);
  }
  pthread_barrier_wait(&ready); /* every worker warmed up */
  started = now_ns();
  pthread_barrier_wait(&go);
  for (i = 0; i < threads; i++) {
    pthread_join(ids[i], NULL);
    ops += workers[i].ops;
  }
  emit_row(group, name, what == SDK_LOGIN || what == SDK_CALL,
           what == SDK_LOGIN || what == HAND_LOGIN ? "login" : "call", ops, now_ns() - started);
  pthread_barrier_destroy(&ready);
  pthread_barrier_destroy(&go);
}

static void rows(const xpay_client *client, xpay_session *session, uint64_t ms) {
  const char *one = "C, 1 thread", *eight = "C, 8 threads";
  run_row(one, "xpay_authenticate", 1, SDK_LOGIN, client, session, ms);
  run_row(one, "libcurl, one reused easy handle", 1, HAND_LOGIN, client, session, ms);
  run_row(eight, "xpay_authenticate, one shared client", THREADS, SDK_LOGIN, client, session, ms);
  run_row(eight, "libcurl, a handle per thread", THREADS, HAND_LOGIN, client, session, ms);
  run_row(one, "xpay_session_call", 1, SDK_CALL, client, session, ms);
  run_row(one, "libcurl, one reused easy handle", 1, HAND_CALL, client, session, ms);
  run_row(eight, "xpay_session_call, one shared session", THREADS, SDK_CALL, client, session, ms);
  run_row(eight, "libcurl, a handle per thread", THREADS, HAND_CALL, client, session, ms);
}

/* ---- token, cold ------------------------------------------------------------------------- */

/* The cached-token path every call starts with, plus freeing the copy it hands out. */
static void token(xpay_session *session, long n) {
  char *token = NULL;
  xpay_error *err = NULL;
  uint64_t started = now_ns();
  long i;
  for (i = 0; i < n; i++) {
    if (xpay_session_access_token(session, &token, &err) != XPAY_OK)
      die("xpay_session_access_token", xpay_error_display(err));
    xpay_string_free(token);
  }
  printf("BENCH {\"metric\": \"token\", \"face\": \"c\", \"api\": "
         "\"xpay_session_access_token + xpay_string_free\", \"n\": %ld, \"ns\": %.1f}\n",
         n, (double)(now_ns() - started) / (double)n);
}

static pthread_barrier_t cold_start;

static void *cold_caller(void *arg) {
  char *token = NULL;
  xpay_error *err = NULL;
  pthread_barrier_wait(&cold_start);
  if (xpay_session_access_token(arg, &token, &err) != XPAY_OK) {
    xpay_error_free(err);
    return NULL;
  }
  xpay_string_free(token);
  return arg;
}

static void cold(const xpay_client *client) {
  static pthread_t ids[COLD_CALLERS];
  xpay_session *session = NULL;
  xpay_error *err = NULL;
  pthread_attr_t attr;
  uint64_t started;
  int i, ok = 0;
  if (xpay_session_new(client, username, secret_key, &session, &err) != XPAY_OK)
    die("xpay_session_new", xpay_error_display(err));
  pthread_attr_init(&attr);
  pthread_attr_setstacksize(&attr, 1 << 20);
  pthread_barrier_init(&cold_start, NULL, COLD_CALLERS + 1);
  for (i = 0; i < COLD_CALLERS; i++)
    if (pthread_create(&ids[i], &attr, cold_caller, session) != 0) die("pthread_create", NULL);
  pthread_barrier_wait(&cold_start);
  started = now_ns();
  for (i = 0; i < COLD_CALLERS; i++) {
    void *result = NULL;
    pthread_join(ids[i], &result);
    ok += result != NULL;
  }
  printf("BENCH {\"metric\": \"cold\", \"face\": \"c\", \"callers\": %d, \"ok\": %d, "
         "\"ms\": %.3f}\n",
         COLD_CALLERS, ok, (double)(now_ns() - started) / 1e6);
  pthread_barrier_destroy(&cold_start);
  pthread_attr_destroy(&attr);
  xpay_session_free(session);
}

/* ---- main -------------------------------------------------------------------------------- */

static long flag(int argc, char **argv, const char *name, long fallback) {
  int i;
  for (i = 1; i + 1 < argc; i++)
    if (strcmp(argv[i], name) == 0) return strtol(argv[i + 1], NULL, 10);
  return fallback;
}

int main(int argc, char **argv) {
  xpay_client *client = NULL;
  xpay_session *session = NULL;
  xpay_error *err = NULL;
  char *token_copy = NULL;
  const char *mode = argc > 1 ? argv[1] : "";

  base_url = getenv("XPAY_BASE_URL");
  username = getenv("XPAY_USERNAME");
  secret_key = getenv("XPAY_SECRET_KEY");
  if (!base_url || !username || !secret_key)
    die("setup", "set XPAY_BASE_URL, XPAY_USERNAME, XPAY_SECRET_KEY (tests/bench/run.py does)");
  if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) die("curl_global_init", NULL);

  if (xpay_client_new(NULL, &client, &err) != XPAY_OK) die("xpay_client_new", xpay_error_display(err));
  if (strcmp(mode, "cold") == 0) {
    cold(client);
  } else if (strcmp(mode, "rows") == 0 || strcmp(mode, "token") == 0) {
    /* One session (XPAY_USERNAME, XPAY_SECRET_KEY), logged in. */
    if (xpay_session_new_from_env(client, &session, &err) != XPAY_OK)
      die("xpay_session_new_from_env", xpay_error_display(err));
    if (xpay_session_access_token(session, &token_copy, &err) != XPAY_OK)
      die("login", xpay_error_display(err));
    xpay_string_free(token_copy);
    if (mode[0] == 'r')
      rows(client, session, (uint64_t)flag(argc, argv, "--ms", 1000));
    else
      token(session, flag(argc, argv, "--n", 1000000));
    xpay_session_free(session);
  } else {
    die("usage", "bench rows [--ms N] | token [--n N] | cold c");
  }
  xpay_client_free(client);
  curl_global_cleanup();
  return 0;
}
