/* The C face's conformance testee (tests/conformance/README.md, "The testee protocol"): reads
 * one JSON request per line on stdin, turns it into calls of the public C API (xpay_auth.h
 * only) and writes exactly one JSON answer line per request on stdout. Anything else goes to
 * stderr. At end of input it frees everything and exits 0, so that valgrind's and ASan's leak
 * checks mean something.
 *
 * C99 + POSIX (pthreads, fork, pipes); JSON with cJSON (-lcjson). Results from the library are
 * inserted into the answer as raw JSON text (cJSON_AddRawToObject), so numbers are never
 * rewritten on the way back. */
#include <cjson/cJSON.h>
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "xpay_auth.h"

/* Stack of each `concurrent` thread: small, so that 1000 threads fit easily. */
#define THREAD_STACK_BYTES (512u * 1024u)

/* What the requests act on: the current client and its session (either may be NULL; the
 * library then answers invalid_argument). */
typedef struct {
  xpay_client *client;
  xpay_session *session;
} state;

/* An op: the request, the state; returns the answer line (malloc'ed, no newline). */
typedef char *(*op_fn)(state *st, const cJSON *req);

static char *dispatch(state *st, const cJSON *req, int nested);

/* ---- answers ---------------------------------------------------------------------------- */

/* Prints and frees `root`; the answer line, or NULL when out of memory. */
static char *print_answer(cJSON *root) {
  char *line = root ? cJSON_PrintUnformatted(root) : NULL;
  cJSON_Delete(root);
  return line;
}

/* {"ok": <json>} with `json` inserted as it is. */
static char *answer_ok_raw(const char *json) {
  cJSON *root = cJSON_CreateObject();
  cJSON_AddRawToObject(root, "ok", json);
  return print_answer(root);
}

static char *answer_ok_null(void) { return answer_ok_raw("null"); }

/* {"ok": <item>}; takes `item`. */
static char *answer_ok_item(cJSON *item) {
  cJSON *root = cJSON_CreateObject();
  cJSON_AddItemToObject(root, "ok", item);
  return print_answer(root);
}

static char *answer_unsupported(const char *why) {
  cJSON *root = cJSON_CreateObject();
  cJSON_AddStringToObject(root, "unsupported", why);
  return print_answer(root);
}

/* A string member, or null when `s` is NULL. */
static void add_string_or_null(cJSON *obj, const char *key, const char *s) {
  if (s)
    cJSON_AddStringToObject(obj, key, s);
  else
    cJSON_AddNullToObject(obj, key);
}

/* {"error": {code, message, status, tag, uuid, data}}; `data` is the library's JSON text. */
static char *answer_error_fields(const char *code, const char *message, unsigned status,
                                 const char *tag, const char *uuid, const char *data_json) {
  cJSON *root = cJSON_CreateObject(), *e = cJSON_AddObjectToObject(root, "error");
  add_string_or_null(e, "code", code);
  add_string_or_null(e, "message", message);
  if (status)
    cJSON_AddNumberToObject(e, "status", status);
  else
    cJSON_AddNullToObject(e, "status");
  add_string_or_null(e, "tag", tag);
  add_string_or_null(e, "uuid", uuid);
  cJSON_AddRawToObject(e, "data", data_json ? data_json : "null");
  return print_answer(root);
}

/* The error answer for `err`, which it frees. */
static char *answer_error(xpay_error *err) {
  char *line = answer_error_fields(xpay_error_code(err), xpay_error_message(err),
                                   xpay_error_http_status(err), xpay_error_tag(err),
                                   xpay_error_uuid(err), xpay_error_data_json(err));
  xpay_error_free(err);
  return line;
}

/* A fault of the testee or of the request itself (not the library's): code "testee". */
static char *answer_testee_error(const char *message) {
  return answer_error_fields("testee", message, 0, NULL, NULL, NULL);
}

/* ---- request fields ----------------------------------------------------------------------- */

/* A string field, or NULL when absent or not a string (the library then names the argument). */
static const char *string_field(const cJSON *req, const char *key) {
  return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(req, key));
}

/* A number field: 1 and *out set when present and a number >= 0, else 0. */
static int uint_field(const cJSON *req, const char *key, uint64_t *out) {
  const cJSON *item = cJSON_GetObjectItemCaseSensitive(req, key);
  if (!cJSON_IsNumber(item) || item->valuedouble < 0) return 0;
  *out = (uint64_t)item->valuedouble;
  return 1;
}

/* ---- ops ---------------------------------------------------------------------------------- */

static char *op_hello(state *st, const cJSON *req) {
  cJSON *ok = cJSON_CreateObject();
  (void)st;
  (void)req;
  cJSON_AddStringToObject(ok, "face", "c");
  cJSON_AddStringToObject(ok, "version", xpay_version());
  cJSON_AddItemToObject(ok, "can", cJSON_CreateStringArray((const char *[]){"fork"}, 1));
  return answer_ok_item(ok);
}

/* A config from the request's client options; NULL (and *err set) on a refused option. */
static xpay_config *config_from(const cJSON *req, xpay_error **err) {
  xpay_config *cfg = xpay_config_new();
  const char *url = string_field(req, "base_url");
  uint64_t n;
  if (url && xpay_config_set_base_url(cfg, url, err) != XPAY_OK) {
    xpay_config_free(cfg);
    return NULL;
  }
  if (uint_field(req, "timeout_ms", &n)) xpay_config_set_timeout_ms(cfg, n);
  if (uint_field(req, "connect_timeout_ms", &n)) xpay_config_set_connect_timeout_ms(cfg, n);
  if (uint_field(req, "max_retries", &n)) xpay_config_set_max_retries(cfg, (uint32_t)n);
  /* Networks (tests/conformance/networks.json). */
  {
    const char *ca_pem = string_field(req, "ca_bundle_pem");
    const char *ca_file = string_field(req, "ca_bundle_file");
    const char *roots = string_field(req, "tls_roots");
    const char *cert = string_field(req, "client_cert_pem");
    const char *key = string_field(req, "client_key_pem");
    const char *proxy = string_field(req, "proxy");
    uint32_t r = XPAY_TLS_ROOTS_SYSTEM_AND_BUNDLED;
    if (roots && strcmp(roots, "system") == 0) r = XPAY_TLS_ROOTS_SYSTEM;
    if (roots && strcmp(roots, "bundled") == 0) r = XPAY_TLS_ROOTS_BUNDLED;
    if (roots && strcmp(roots, "none") == 0) r = XPAY_TLS_ROOTS_NONE;
    if ((ca_pem && xpay_config_set_ca_bundle_pem(cfg, ca_pem, err) != XPAY_OK) ||
        (ca_file && xpay_config_set_ca_bundle_file(cfg, ca_file, err) != XPAY_OK) ||
        (roots && xpay_config_set_tls_roots(cfg, r, err) != XPAY_OK) ||
        ((cert || key) && xpay_config_set_client_identity_pem(cfg, cert, key, err) != XPAY_OK) ||
        (proxy && xpay_config_set_proxy(cfg, proxy, err) != XPAY_OK)) {
      xpay_config_free(cfg);
      return NULL;
    }
  }
  return cfg;
}

/* Sets (set = 1) or removes (set = 0) the request's "env" variables, around building a client. */
static void request_env(const cJSON *req, int set) {
  const cJSON *env = cJSON_GetObjectItemCaseSensitive(req, "env");
  const cJSON *item;
  cJSON_ArrayForEach(item, env) {
    if (!item->string) continue;
    if (set && cJSON_IsString(item))
      setenv(item->string, item->valuestring, 1);
    else if (!set)
      unsetenv(item->string);
  }
}

/* A new client replaces the old one and drops the session; on failure nothing changes. */
static char *op_client(state *st, const cJSON *req) {
  xpay_error *err = NULL;
  xpay_client *client = NULL;
  xpay_config *cfg;
  xpay_status status;
  request_env(req, 1);
  cfg = config_from(req, &err);
  status = cfg ? xpay_client_new(cfg, &client, &err) : XPAY_ERR_INVALID_ARGUMENT;
  request_env(req, 0);
  xpay_config_free(cfg);
  if (status != XPAY_OK) return answer_error(err);
  xpay_session_free(st->session);
  xpay_client_free(st->client);
  st->session = NULL;
  st->client = client;
  return answer_ok_null();
}

static char *op_session(state *st, const cJSON *req) {
  xpay_error *err = NULL;
  xpay_session *session = NULL;
  /* With no "store" field the store URL is NULL: the default (memory:). */
  if (xpay_session_new_with_store(st->client, string_field(req, "username"),
                                  string_field(req, "secret_key"), string_field(req, "store"),
                                  &session, &err) != XPAY_OK)
    return answer_error(err);
  xpay_session_free(st->session);
  st->session = session;
  return answer_ok_null();
}

/* The login result as the protocol's authentication object. */
static cJSON *auth_object(const xpay_auth *auth) {
  cJSON *ok = cJSON_CreateObject(), *user, *scopes;
  char expires[32];
  size_t i;
  add_string_or_null(ok, "access_token", xpay_auth_access_token(auth));
  snprintf(expires, sizeof expires, "%lld", (long long)xpay_auth_expires_at(auth));
  cJSON_AddRawToObject(ok, "expires_at", expires); /* exact: a double would do, but why risk it */
  user = cJSON_AddObjectToObject(ok, "user");
  add_string_or_null(user, "username", xpay_auth_username(auth));
  scopes = cJSON_AddArrayToObject(user, "scopes");
  for (i = 0; i < xpay_auth_scopes_len(auth); i++)
    cJSON_AddItemToArray(scopes, cJSON_CreateString(xpay_auth_scope(auth, i)));
  cJSON_AddBoolToObject(user, "is_api", xpay_auth_is_api(auth));
  add_string_or_null(ok, "ticket", xpay_auth_ticket(auth));
  add_string_or_null(ok, "uuid", xpay_auth_uuid(auth));
  add_string_or_null(ok, "message", xpay_auth_message(auth));
  return ok;
}

static char *op_authenticate(state *st, const cJSON *req) {
  xpay_error *err = NULL;
  xpay_auth *auth = NULL;
  const cJSON *is_api = cJSON_GetObjectItemCaseSensitive(req, "is_api");
  char *line;
  if (xpay_authenticate(st->client, string_field(req, "username"), string_field(req, "secret_key"),
                        !cJSON_IsFalse(is_api), &auth, &err) != XPAY_OK)
    return answer_error(err);
  line = answer_ok_item(auth_object(auth));
  xpay_auth_free(auth);
  return line;
}

static char *op_access_token(state *st, const cJSON *req) {
  xpay_error *err = NULL;
  char *token = NULL, *line;
  (void)req;
  if (xpay_session_access_token(st->session, &token, &err) != XPAY_OK) return answer_error(err);
  line = answer_ok_item(cJSON_CreateString(token));
  xpay_string_free(token);
  return line;
}

/* A call with `body` (JSON text) and the request's `uuid` (absent or null: a fresh one); the
 * answer holds success.data as JSON (raw) or as a string (`as_text`). */
static char *call_with_text(state *st, const cJSON *req, const char *body, int as_text) {
  xpay_error *err = NULL;
  char *data = NULL, *line;
  const char *path = string_field(req, "path"), *uuid = string_field(req, "uuid");
  xpay_status status = uuid ? xpay_session_call_with_uuid(st->session, path, body, uuid, &data, &err)
                            : xpay_session_call(st->session, path, body, &data, &err);
  if (status != XPAY_OK) return answer_error(err);
  line = as_text ? answer_ok_item(cJSON_CreateString(data)) : answer_ok_raw(data);
  xpay_string_free(data);
  return line;
}

static char *op_call(state *st, const cJSON *req) {
  const cJSON *body = cJSON_GetObjectItemCaseSensitive(req, "body");
  char *text = body ? cJSON_PrintUnformatted(body) : NULL, *line;
  if (body && !text) return answer_testee_error("out of memory");
  line = call_with_text(st, req, text ? text : "null", 0);
  free(text);
  return line;
}

/* `text` goes to the library as given; a missing one is NULL (the library names it). */
static char *op_call_raw(state *st, const cJSON *req) {
  return call_with_text(st, req, string_field(req, "text"), 1);
}

static char *op_invalidate(state *st, const cJSON *req) {
  (void)req;
  xpay_session_invalidate(st->session);
  return answer_ok_null();
}

static char *op_authorization_header(state *st, const cJSON *req) {
  xpay_error *err = NULL;
  char *header = NULL, *line;
  (void)req;
  if (xpay_session_authorization_header(st->session, &header, &err) != XPAY_OK)
    return answer_error(err);
  line = answer_ok_item(cJSON_CreateString(header));
  xpay_string_free(header);
  return line;
}

/* The session's figures; the numbers go out as exact integers (raw JSON), not doubles. */
static char *op_stats(state *st, const cJSON *req) {
  xpay_session_stats_t s;
  char text[256];
  (void)req;
  if (xpay_session_stats(st->session, &s) != XPAY_OK) return answer_testee_error("no session");
  snprintf(text, sizeof text,
           "{\"logins\":%llu,\"renewals\":%llu,\"renewal_failures\":%llu,\"waits\":%llu,"
           "\"backoff_until_ms\":%lld,\"expires_at_ms\":%lld}",
           (unsigned long long)s.logins, (unsigned long long)s.renewals,
           (unsigned long long)s.renewal_failures, (unsigned long long)s.waits,
           (long long)s.backoff_until_ms, (long long)s.expires_at_ms);
  return answer_ok_raw(text);
}

/* Frees the client; the session (which keeps what it needs) stays. */
static char *op_close(state *st, const cJSON *req) {
  (void)req;
  xpay_client_free(st->client);
  st->client = NULL;
  return answer_ok_null();
}

/* -- concurrent: n threads, held at a start line until all exist, then released together -- */

typedef struct {
  pthread_mutex_t lock;
  pthread_cond_t cond;
  int go;
  state *st;
  const cJSON *step;
} start_line;

typedef struct {
  start_line *line;
  char *answer;
} runner_slot;

static void *concurrent_thread(void *arg) {
  runner_slot *slot = arg;
  start_line *line = slot->line;
  pthread_mutex_lock(&line->lock);
  while (!line->go) pthread_cond_wait(&line->cond, &line->lock);
  pthread_mutex_unlock(&line->lock);
  slot->answer = dispatch(line->st, line->step, 1);
  return NULL;
}

/* {"ok": [answer, ...]} from the n answer lines (each inserted raw). */
static char *answer_list(runner_slot *slots, size_t n) {
  cJSON *list = cJSON_CreateArray();
  size_t i;
  for (i = 0; i < n; i++) {
    char *fallback = slots[i].answer ? NULL : answer_testee_error("no answer (out of memory)");
    cJSON_AddItemToArray(list, cJSON_CreateRaw(slots[i].answer ? slots[i].answer : fallback));
    free(fallback);
  }
  return answer_ok_item(list);
}

static char *op_concurrent(state *st, const cJSON *req) {
  const cJSON *step = cJSON_GetObjectItemCaseSensitive(req, "step");
  const cJSON *count = cJSON_GetObjectItemCaseSensitive(req, "n");
  start_line line = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, st, step};
  pthread_attr_t attr;
  pthread_t *threads;
  runner_slot *slots;
  size_t n, i, started = 0;
  char *answer;
  if (!cJSON_IsObject(step) || !cJSON_IsNumber(count) || count->valuedouble < 0)
    return answer_testee_error("concurrent needs \"n\" (a number >= 0) and \"step\" (an op)");
  n = (size_t)count->valuedouble;
  threads = calloc(n ? n : 1, sizeof *threads);
  slots = calloc(n ? n : 1, sizeof *slots);
  if (!threads || !slots) {
    free(threads);
    free(slots);
    return answer_testee_error("out of memory");
  }
  pthread_attr_init(&attr);
  pthread_attr_setstacksize(&attr, THREAD_STACK_BYTES);
  for (; started < n; started++) {
    slots[started].line = &line;
    if (pthread_create(&threads[started], &attr, concurrent_thread, &slots[started]) != 0) break;
  }
  pthread_attr_destroy(&attr);
  pthread_mutex_lock(&line.lock);
  line.go = 1;
  pthread_cond_broadcast(&line.cond);
  pthread_mutex_unlock(&line.lock);
  for (i = 0; i < started; i++) pthread_join(threads[i], NULL);
  if (started < n) {
    fprintf(stderr, "testee: only %lu of %lu threads started\n", (unsigned long)started,
            (unsigned long)n);
    answer = answer_testee_error("could not start every thread");
  } else {
    answer = answer_list(slots, n);
  }
  for (i = 0; i < n; i++) free(slots[i].answer);
  free(slots);
  free(threads);
  pthread_mutex_destroy(&line.lock);
  pthread_cond_destroy(&line.cond);
  return answer;
}

/* -- fork: the child runs the step on the parent's objects and writes its answer to a pipe -- */

/* Writes all of `text` to `fd`; 0 on success. */
static int write_all(int fd, const char *text, size_t len) {
  while (len > 0) {
    ssize_t n = write(fd, text, len);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return -1;
    text += n;
    len -= (size_t)n;
  }
  return 0;
}

/* Everything until EOF on `fd` (malloc'ed, NUL-terminated); NULL when empty or on failure. */
static char *read_all(int fd) {
  size_t cap = 4096, len = 0;
  char *buf = malloc(cap);
  ssize_t n;
  while (buf) {
    if (len + 1 == cap) {
      char *bigger = realloc(buf, cap * 2);
      if (!bigger) break;
      buf = bigger;
      cap *= 2;
    }
    n = read(fd, buf + len, cap - len - 1);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      buf[len] = '\0';
      if (n == 0 && len > 0) return buf;
      break;
    }
    len += (size_t)n;
  }
  free(buf);
  return NULL;
}

static void run_child(state *st, const cJSON *step, int fd) {
  char *answer = dispatch(st, step, 1);
  int rc = answer && write_all(fd, answer, strlen(answer)) == 0 ? 0 : 1;
  free(answer);
  close(fd);
  _exit(rc);
}

static char *op_fork(state *st, const cJSON *req) {
  const cJSON *step = cJSON_GetObjectItemCaseSensitive(req, "step");
  int fds[2], status = 0;
  pid_t pid;
  char *answer;
  if (!cJSON_IsObject(step)) return answer_testee_error("fork needs \"step\" (an op)");
  if (pipe(fds) != 0) return answer_testee_error("pipe failed");
  fflush(NULL); /* nothing buffered may be written twice */
  pid = fork();
  if (pid < 0) {
    close(fds[0]);
    close(fds[1]);
    return answer_testee_error("fork failed");
  }
  if (pid == 0) {
    close(fds[0]);
    run_child(st, step, fds[1]);
  }
  close(fds[1]);
  answer = read_all(fds[0]);
  close(fds[0]);
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!answer) {
    fprintf(stderr, "testee: the fork child gave no answer (wait status %d)\n", status);
    return answer_testee_error("the fork child gave no answer");
  }
  return answer;
}

static char *op_worker(state *st, const cJSON *req) {
  (void)st;
  (void)req;
  return answer_unsupported("this face has no workers");
}

/* ---- dispatch ----------------------------------------------------------------------------- */

static const struct {
  const char *name;
  op_fn run;
  int nestable; /* may run as the step of concurrent/fork (does not replace shared objects) */
} ops[] = {
    {"hello", op_hello, 1},
    {"client", op_client, 0},
    {"session", op_session, 0},
    {"authenticate", op_authenticate, 1},
    {"access_token", op_access_token, 1},
    {"call", op_call, 1},
    {"call_raw", op_call_raw, 1},
    {"invalidate", op_invalidate, 1},
    {"authorization_header", op_authorization_header, 1},
    {"stats", op_stats, 1},
    {"close", op_close, 0},
    {"concurrent", op_concurrent, 1},
    {"fork", op_fork, 1},
    {"worker", op_worker, 1},
};

/* The answer to one request (malloc'ed). `nested`: it runs as another op's step. */
static char *dispatch(state *st, const cJSON *req, int nested) {
  const char *name = string_field(req, "op");
  size_t i;
  if (!name) return answer_testee_error("a request needs \"op\" (a string)");
  for (i = 0; i < sizeof ops / sizeof *ops; i++) {
    if (strcmp(ops[i].name, name) != 0) continue;
    if (nested && !ops[i].nestable) return answer_unsupported("this op cannot be a step here");
    return ops[i].run(st, req);
  }
  return answer_unsupported("unknown op");
}

/* The answer line to one request line. */
static char *answer_line(state *st, const char *text) {
  cJSON *req = cJSON_Parse(text);
  char *answer = cJSON_IsObject(req) ? dispatch(st, req, 0)
                                     : answer_testee_error("a request is one JSON object");
  cJSON_Delete(req);
  return answer;
}

int main(void) {
  state st = {NULL, NULL};
  char *text = NULL;
  size_t cap = 0;
  ssize_t len;
  while ((len = getline(&text, &cap, stdin)) >= 0) {
    char *answer;
    if (strspn(text, " \t\r\n") == (size_t)len) continue; /* a blank line is no request */
    answer = answer_line(&st, text);
    if (!answer) {
      fprintf(stderr, "testee: out of memory\n");
      return 1;
    }
    fputs(answer, stdout);
    fputc('\n', stdout);
    fflush(stdout);
    free(answer);
  }
  free(text);
  xpay_session_free(st.session);
  xpay_client_free(st.client);
  return 0;
}
