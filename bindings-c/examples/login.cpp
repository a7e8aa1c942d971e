// The C API from C++: the same login and call as login.c, with RAII owners.
//
// Reads XPAY_BASE_URL, XPAY_USERNAME and XPAY_SECRET_KEY.
// Build: c++ -std=c++17 login.cpp $(pkg-config --cflags --libs xpay_auth) -o login-cpp
#include <cstdlib>
#include <iostream>
#include <memory>
#include <stdexcept>
#include <string>

#include <xpay_auth.h>

namespace {

// Owners that call the matching _free function.
template <typename T, void (*Free)(T *)>
struct Deleter {
  void operator()(T *p) const { Free(p); }
};
using Client = std::unique_ptr<xpay_client, Deleter<xpay_client, xpay_client_free>>;
using Auth = std::unique_ptr<xpay_auth, Deleter<xpay_auth, xpay_auth_free>>;
using Session = std::unique_ptr<xpay_session, Deleter<xpay_session, xpay_session_free>>;
using Error = std::unique_ptr<xpay_error, Deleter<xpay_error, xpay_error_free>>;
using String = std::unique_ptr<char, Deleter<char, xpay_string_free>>;

// Throws the error's description when a call failed.
void check(xpay_status status, xpay_error *raw) {
  Error err(raw);
  if (status != XPAY_OK) throw std::runtime_error(xpay_error_display(err.get()));
}

std::string redacted(const std::string &token) {
  return (token.size() >= 24 ? token.substr(0, 6) : "") + "\u2026(" + std::to_string(token.size()) +
         " chars)";
}

const char *env(const char *name) { return std::getenv(name); }

}  // namespace

int main() {
  try {
    xpay_error *err = nullptr;
    xpay_client *c = nullptr;
    check(xpay_client_new(nullptr, &c, &err), err);
    Client client(c);

    xpay_auth *a = nullptr;
    check(xpay_authenticate(client.get(), env("XPAY_USERNAME"), env("XPAY_SECRET_KEY"), true, &a, &err),
          err);
    Auth auth(a);
    std::cout << "login  user=" << xpay_auth_username(auth.get()) << " scopes=[";
    for (size_t i = 0; i < xpay_auth_scopes_len(auth.get()); i++)
      std::cout << (i ? ", " : "") << xpay_auth_scope(auth.get(), i);
    std::cout << "] is_api=" << (xpay_auth_is_api(auth.get()) ? "true" : "false")
              << " token=" << redacted(xpay_auth_access_token(auth.get()))
              << " expires_at=" << xpay_auth_expires_at(auth.get())
              << " ticket=" << xpay_auth_ticket(auth.get()) << " uuid=" << xpay_auth_uuid(auth.get())
              << "\n";

    xpay_session *s = nullptr;
    check(xpay_session_new(client.get(), env("XPAY_USERNAME"), env("XPAY_SECRET_KEY"), &s, &err), err);
    Session session(s);
    char *d = nullptr;
    check(xpay_session_call(session.get(), "/client/echo", R"({"hello": "xpay", "from": "c++"})", &d, &err),
          err);
    String data(d);
    std::cout << "call   /client/echo -> " << data.get() << "\n";
    return 0;
  } catch (const std::exception &e) {
    std::cerr << "failed: " << e.what() << "\n";
    return 1;
  }
}
