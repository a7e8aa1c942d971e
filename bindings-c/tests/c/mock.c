/* See mock.h. POSIX sockets; loopback only. */
#include "mock.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static char base_url[128];
static int mock_port;

int mock_init(void) {
  const char *url = getenv("XPAY_MOCK_URL");
  if (!url || strlen(url) >= sizeof base_url) return -1;
  strcpy(base_url, url);
  base_url[strcspn(base_url, "\r\n")] = '\0';
  if (sscanf(base_url, "http://127.0.0.1:%d", &mock_port) != 1) return -1;
  return 0;
}

const char *mock_url(void) { return base_url; }

/* One request with "Connection: close"; returns the HTTP status and, if `body_out`, the
 * body (malloc'ed). The control endpoints answer with a Content-Length, never chunked. */
static int http(const char *method, const char *path, const char *body, char **body_out) {
  struct sockaddr_in addr;
  char head[512];
  size_t cap = 4096, len = 0, blen = body ? strlen(body) : 0;
  char *buf = malloc(cap);
  int fd = socket(AF_INET, SOCK_STREAM, 0), status = -1;
  ssize_t n;
  if (!buf || fd < 0) goto done;
  memset(&addr, 0, sizeof addr);
  addr.sin_family = AF_INET;
  addr.sin_port = htons((unsigned short)mock_port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, (struct sockaddr *)&addr, sizeof addr) != 0) goto done;
  snprintf(head, sizeof head,
           "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
           "Content-Length: %lu\r\nConnection: close\r\n\r\n",
           method, path, (unsigned long)blen);
  if (write(fd, head, strlen(head)) < 0 || (blen && write(fd, body, blen) < 0)) goto done;
  while ((n = read(fd, buf + len, cap - len - 1)) > 0) {
    len += (size_t)n;
    if (len + 1 == cap) {
      char *bigger = realloc(buf, cap * 2);
      if (!bigger) goto done;
      buf = bigger;
      cap *= 2;
    }
  }
  buf[len] = '\0';
  if (sscanf(buf, "HTTP/1.1 %d", &status) != 1) status = -1;
  if (body_out) {
    char *start = strstr(buf, "\r\n\r\n");
    *body_out = start ? strdup(start + 4) : NULL;
  }
done:
  if (fd >= 0) close(fd);
  free(buf);
  return status;
}

static int post_ok(const char *path, const char *body) {
  return http("POST", path, body, NULL) == 200 ? 0 : -1;
}

int mock_reset(const char *settings_json) {
  return post_ok("/__mock/reset", settings_json ? settings_json : "");
}

int mock_queue(const char *path, const char *replies_json) {
  size_t size = strlen(path) + strlen(replies_json) + 64;
  char *body = malloc(size);
  int rc;
  if (!body) return -1;
  snprintf(body, size, "{\"path\": \"%s\", \"replies\": %s}", path, replies_json);
  rc = post_ok("/__mock/queue", body);
  free(body);
  return rc;
}

int mock_revoke(void) { return post_ok("/__mock/revoke", ""); }

long mock_count(const char *path) {
  char *body = NULL, key[256], *at;
  long count = -1;
  if (http("GET", "/__mock/counts", NULL, &body) != 200 || !body) goto done;
  snprintf(key, sizeof key, "\"%s\":", path);
  at = strstr(body, key);
  count = at ? strtol(at + strlen(key), NULL, 10) : 0; /* absent: no request yet */
done:
  free(body);
  return count;
}

char *mock_requests(const char *path) {
  char target[256], *body = NULL;
  snprintf(target, sizeof target, "/__mock/requests?path=%s", path);
  if (http("GET", target, NULL, &body) != 200) {
    free(body);
    return NULL;
  }
  return body;
}

void refused_url(char *buf, unsigned long size) {
  struct sockaddr_in addr;
  socklen_t len = sizeof addr;
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  memset(&addr, 0, sizeof addr);
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, (struct sockaddr *)&addr, sizeof addr);
  getsockname(fd, (struct sockaddr *)&addr, &len);
  close(fd);
  snprintf(buf, size, "http://127.0.0.1:%d", (int)ntohs(addr.sin_port));
}
