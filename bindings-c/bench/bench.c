/* `make -C bindings-c bench`: what a call costs through libxpay_auth (release) compared with
 * the libcurl code a C user would otherwise hand-roll, against an xpay-mock over loopback.
 * The same workload and table as core/benches/calls.rs. Prints figures; asserts nothing
 * about speed (it exits non-zero only when a call fails).
 *
 * Needs XPAY_BASE_URL, XPAY_USERNAME, XPAY_SECRET_KEY (tests/with-mock.sh sets them). */
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

#define CALLS 5000
#define WARMUP 300
#define THREADS 8
#define CONCURRENT_CALLS 20000 /* in all, CONCURRENT_CALLS / THREADS per thread */
#define THREAD_WARMUP 40       /* per thread, before the timed part: opens its connection */
#define TOKEN_CALLS 1000000

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

/* ---- the table, as in core/benches/calls.rs ---------------------------------------------- */

static int cmp_u64(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return (x > y) - (x < y);
}

/* One row: mean, p50, p99 of the per-call times in µs; calls/s is n / wall_ns when wall_ns is
 * given (concurrent rows), else n / the sum of the call times (sequential rows). */
static void report(const char *name, uint64_t *times, size_t n, uint64_t wall_ns) {
  uint64_t total = 0;
  size_t i;
  qsort(times, n, sizeof *times, cmp_u64);
  for (i = 0; i < n; i++) total += times[i];
  printf("%-44s %9.1f %9.1f %9.1f %10.0f\n", name, (double)total / n / 1e3,
         (double)times[n / 2] / 1e3, (double)times[n * 99 / 100] / 1e3,
         (double)n / ((double)(wall_ns ? wall_ns : total) / 1e9));
}

/* ---- the SDK ----------------------------------------------------------------------------- */

static const char sdk_body[] = "{\"wallet\": \"" WALLET "\", \"amount\": 125}";

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
  char echo_url[512];
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

/* A fresh handle per thread, logged in: POST the credentials, then pick `access_token` out of
 * the reply by hand (libcurl has no JSON decoder; the vendor's page shows this field). */
static void hand_init(hand_rolled *h) {
  char login_url[512], login_body[1024];
  struct curl_slist *headers = NULL;
  const char *key = "\"access_token\":\"", *start, *end;

  memset(h, 0, sizeof *h);
  if (!(h->curl = curl_easy_init())) die("curl_easy_init", NULL);
  if ((h->urandom = open("/dev/urandom", O_RDONLY | O_CLOEXEC)) < 0) die("open /dev/urandom", NULL);
  curl_easy_setopt(h->curl, CURLOPT_NOSIGNAL, 1L); /* threads */
  curl_easy_setopt(h->curl, CURLOPT_TCP_KEEPALIVE, 1L);
  curl_easy_setopt(h->curl, CURLOPT_TIMEOUT_MS, 30000L);
  curl_easy_setopt(h->curl, CURLOPT_CONNECTTIMEOUT_MS, 10000L);
  curl_easy_setopt(h->curl, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(h->curl, CURLOPT_WRITEDATA, &h->reply);
  snprintf(login_url, sizeof login_url, "%s%s", base_url, LOGIN_PATH);
  snprintf(h->echo_url, sizeof h->echo_url, "%s%s", base_url, ECHO_PATH);

  /* The bench's own credentials hold no characters that need JSON escaping. */
  snprintf(login_body, sizeof login_body,
           "{\"username\":\"%s\",\"secretKey\":\"%s\",\"isAPI\":true}", username, secret_key);
  headers = curl_slist_append(headers, "Content-Type: application/json");
  if (hand_post(h, login_url, headers, login_body) != 200) die("hand-rolled login", h->reply.data);
  curl_slist_free_all(headers);
  if (!h->reply.data || !(start = strstr(h->reply.data, key)) ||
      !(end = strchr(start += strlen(key), '"')))
    die("hand-rolled login: no access_token", h->reply.data);
  snprintf(h->authorization, sizeof h->authorization, "Authorization: Bearer %.*s",
           (int)(end - start), start);
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

/* ---- sequential rows --------------------------------------------------------------------- */

static uint64_t times[CALLS];

static void sequential_sdk(xpay_session *session) {
  int i;
  for (i = 0; i < WARMUP; i++) sdk_call(session);
  for (i = 0; i < CALLS; i++) {
    uint64_t t = now_ns();
    sdk_call(session);
    times[i] = now_ns() - t;
  }
  report("xpay_session_call (JSON in, data JSON out)", times, CALLS, 0);
}

static void sequential_hand(void) {
  hand_rolled h;
  int i;
  hand_init(&h);
  for (i = 0; i < WARMUP; i++) hand_call(&h);
  for (i = 0; i < CALLS; i++) {
    uint64_t t = now_ns();
    hand_call(&h);
    times[i] = now_ns() - t;
  }
  report("hand-rolled libcurl (no JSON decode)", times, CALLS, 0);
  hand_free(&h);
}

/* ---- concurrent rows: THREADS threads, CONCURRENT_CALLS calls in all ---------------------- */

#define PER_THREAD (CONCURRENT_CALLS / THREADS)

static uint64_t all_times[CONCURRENT_CALLS];
static pthread_barrier_t ready, go;

typedef struct {
  xpay_session *session; /* shared by every SDK worker; NULL for the libcurl workers */
  uint64_t *times;       /* PER_THREAD slots of all_times */
} worker;

static void *work(void *arg) {
  worker *w = arg;
  hand_rolled h;
  int i;
  if (!w->session) hand_init(&h);
  for (i = 0; i < THREAD_WARMUP; i++) w->session ? sdk_call(w->session) : hand_call(&h);
  pthread_barrier_wait(&ready);
  pthread_barrier_wait(&go);
  for (i = 0; i < PER_THREAD; i++) {
    uint64_t t = now_ns();
    w->session ? sdk_call(w->session) : hand_call(&h);
    w->times[i] = now_ns() - t;
  }
  if (!w->session) hand_free(&h);
  return NULL;
}

static void concurrent(const char *name, xpay_session *session) {
  pthread_t threads[THREADS];
  worker workers[THREADS];
  uint64_t started;
  int i;
  pthread_barrier_init(&ready, NULL, THREADS + 1);
  pthread_barrier_init(&go, NULL, THREADS + 1);
  for (i = 0; i < THREADS; i++) {
    workers[i].session = session;
    workers[i].times = all_times + (size_t)i * PER_THREAD;
    if (pthread_create(&threads[i], NULL, work, &workers[i]) != 0) die("pthread_create", NULL);
  }
  pthread_barrier_wait(&ready); /* every worker logged in and warmed up */
  started = now_ns();
  pthread_barrier_wait(&go);
  for (i = 0; i < THREADS; i++) pthread_join(threads[i], NULL);
  report(name, all_times, (size_t)PER_THREAD * THREADS, now_ns() - started);
  pthread_barrier_destroy(&ready);
  pthread_barrier_destroy(&go);
}

/* ---- main -------------------------------------------------------------------------------- */

int main(void) {
  xpay_client *client = NULL;
  xpay_session *session = NULL;
  xpay_error *err = NULL;
  char *token = NULL;
  uint64_t started;
  long i;

  base_url = getenv("XPAY_BASE_URL");
  username = getenv("XPAY_USERNAME");
  secret_key = getenv("XPAY_SECRET_KEY");
  if (!base_url || !username || !secret_key)
    die("setup", "set XPAY_BASE_URL, XPAY_USERNAME, XPAY_SECRET_KEY (tests/with-mock.sh does)");
  if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) die("curl_global_init", NULL);

  /* One client and one session (XPAY_BASE_URL, XPAY_USERNAME, XPAY_SECRET_KEY), logged in. */
  if (xpay_client_new(NULL, &client, &err) != XPAY_OK) die("xpay_client_new", xpay_error_display(err));
  if (xpay_session_new_from_env(client, &session, &err) != XPAY_OK)
    die("xpay_session_new_from_env", xpay_error_display(err));
  if (xpay_session_access_token(session, &token, &err) != XPAY_OK)
    die("login", xpay_error_display(err));
  xpay_string_free(token);

  printf("libxpay_auth %s (release) vs libcurl %s; %s\n", xpay_version(),
         curl_version_info(CURLVERSION_NOW)->version, base_url);
  printf("%d sequential POST /client/echo calls each after %d warm-up, keep-alive, loopback\n\n",
         CALLS, WARMUP);
  printf("%-44s %9s %9s %9s %10s\n", "", "mean µs", "p50 µs", "p99 µs", "calls/s");
  sequential_sdk(session);
  sequential_hand();

  printf("\n%d threads, %d calls in all (%d each, after %d warm-up each); calls/s over the "
         "wall time\n\n",
         THREADS, CONCURRENT_CALLS, PER_THREAD, THREAD_WARMUP);
  printf("%-44s %9s %9s %9s %10s\n", "", "mean µs", "p50 µs", "p99 µs", "calls/s");
  concurrent("xpay_session_call, 8 threads, one session", session);
  concurrent("hand-rolled libcurl, 8 threads, 8 handles", NULL);

  /* The cached-token path every call starts with, plus freeing the copy it hands out. */
  started = now_ns();
  for (i = 0; i < TOKEN_CALLS; i++) {
    if (xpay_session_access_token(session, &token, &err) != XPAY_OK)
      die("xpay_session_access_token", xpay_error_display(err));
    xpay_string_free(token);
  }
  printf("\nxpay_session_access_token + xpay_string_free, cached: %.0f ns per call\n",
         (double)(now_ns() - started) / TOKEN_CALLS);
  printf("\nThe hand-rolled rows do no JSON decoding of the reply (libcurl has no decoder; they\n"
         "only check it starts with {\"success\":), which favours them; the SDK rows decode the\n"
         "envelope and hand back success.data as JSON text.\n");

  xpay_session_free(session);
  xpay_client_free(client);
  curl_global_cleanup();
  return 0;
}
