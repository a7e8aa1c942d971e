// The CMake consumer (tests/consumer/CMakeLists.txt): C++17, the installed header and
// library; logs in with XPAY_USERNAME / XPAY_SECRET_KEY against XPAY_BASE_URL and calls
// /client/echo. Prints "consumer: ok <user> <reply>"; exits 1 on any error.
#include <cstdlib>
#include <iostream>
#include <memory>
#include <string>

#include <xpay_auth.h>

namespace {
template <typename T, void (*Free)(T *)>
struct Deleter {
  void operator()(T *p) const { Free(p); }
};
using Client = std::unique_ptr<xpay_client, Deleter<xpay_client, xpay_client_free>>;
using Auth = std::unique_ptr<xpay_auth, Deleter<xpay_auth, xpay_auth_free>>;
using Session = std::unique_ptr<xpay_session, Deleter<xpay_session, xpay_session_free>>;
using Error = std::unique_ptr<xpay_error, Deleter<xpay_error, xpay_error_free>>;
using String = std::unique_ptr<char, Deleter<char, xpay_string_free>>;

bool ok(xpay_status status, xpay_error *raw) {
  Error err(raw);
  if (status == XPAY_OK) return true;
  std::cerr << "consumer: " << xpay_error_display(err.get()) << "\n";
  return false;
}
}  // namespace

int main() {
  const char *user = std::getenv("XPAY_USERNAME");
  const char *secret = std::getenv("XPAY_SECRET_KEY");
  xpay_error *err = nullptr;
  xpay_client *c = nullptr;
  if (!ok(xpay_client_new(nullptr, &c, &err), err)) return 1;
  Client client(c);
  xpay_auth *a = nullptr;
  if (!ok(xpay_authenticate(client.get(), user, secret, true, &a, &err), err)) return 1;
  Auth auth(a);
  xpay_session *s = nullptr;
  if (!ok(xpay_session_new(client.get(), user, secret, &s, &err), err)) return 1;
  Session session(s);
  char *d = nullptr;
  if (!ok(xpay_session_call(session.get(), "/client/echo", "{\"cmake\": true}", &d, &err), err)) return 1;
  String data(d);
  if (std::string(xpay_auth_username(auth.get())) != user || std::string(data.get()) != "{\"cmake\": true}") {
    std::cerr << "consumer: unexpected " << xpay_auth_username(auth.get()) << " " << data.get() << "\n";
    return 1;
  }
  std::cout << "consumer: ok " << xpay_auth_username(auth.get()) << " " << data.get() << "\n";
  return 0;
}
