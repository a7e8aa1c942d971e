/* The header on its own, compiled as strict C99 and as C++17 (make header-compile). */
#include "xpay_auth.h"

int main(void) {
  xpay_status status = XPAY_OK;
  xpay_error *err = 0;
  xpay_client *client = 0;
  (void)err;
  (void)client;
  return (int)status + (xpay_version() == 0);
}
