/* 8 threads share one client and one session: one login in total, one token for all. */
#include <pthread.h>
#include <stdlib.h>

#include "fixtures.h"
#include "tests.h"

#define THREADS 8
#define ROUNDS 5

typedef struct {
  const xpay_client *client;
  xpay_session *session;
  pthread_barrier_t *start;
  char *token; /* the last token this thread got */
  int failures;
} worker;

static void *work(void *arg) {
  worker *w = arg;
  int round;
  pthread_barrier_wait(w->start);
  for (round = 0; round < ROUNDS; round++) {
    char *token = NULL, *json = NULL;
    xpay_session *own = NULL;
    if (xpay_session_access_token(w->session, &token, NULL) != XPAY_OK) w->failures++;
    if (xpay_session_call(w->session, ECHO, "{\"n\": 1}", &json, NULL) != XPAY_OK) w->failures++;
    if (!json || strcmp(json, "{\"n\": 1}") != 0) w->failures++; /* byte for byte */
    /* The client is shared too: a session of its own per round, dropped unused. */
    if (xpay_session_new(w->client, DEMO_USER, DEMO_SECRET, &own, NULL) != XPAY_OK) w->failures++;
    xpay_session_free(own);
    xpay_string_free(json);
    xpay_string_free(w->token);
    w->token = token;
  }
  return NULL;
}

void test_threads_share_one_client_and_session(void) {
  xpay_client *client = mock_client();
  xpay_session *session = demo_session(client);
  pthread_barrier_t start;
  pthread_t threads[THREADS];
  worker workers[THREADS];
  int i;
  fresh_mock();
  pthread_barrier_init(&start, NULL, THREADS);
  for (i = 0; i < THREADS; i++) {
    workers[i].client = client;
    workers[i].session = session;
    workers[i].start = &start;
    workers[i].token = NULL;
    workers[i].failures = 0;
    CHECK(pthread_create(&threads[i], NULL, work, &workers[i]) == 0);
  }
  for (i = 0; i < THREADS; i++) pthread_join(threads[i], NULL);
  for (i = 0; i < THREADS; i++) {
    CHECK(workers[i].failures == 0);
    CHECK_STR(workers[i].token, workers[0].token);
  }
  CHECK(mock_count(LOGIN) == 1);
  CHECK(mock_count(ECHO) == THREADS * ROUNDS);
  for (i = 0; i < THREADS; i++) xpay_string_free(workers[i].token);
  pthread_barrier_destroy(&start);
  xpay_session_free(session);
  xpay_client_free(client);
}
