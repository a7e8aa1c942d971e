"""A ctypes view of libxpay_auth for the conformance runner: each method calls the C API and
returns plain Python values; failures come back as the error's fields, read through the C
error accessors. No behaviour here: only calls and conversions."""

import ctypes as C
import json

P = C.c_void_p


class CError(Exception):
    """A failed C call: the fields of its xpay_error, plus the status it returned."""

    def __init__(self, status, fields):
        super().__init__(fields.get("message"))
        self.status = status
        self.fields = fields


# (name, restype, argtypes) of every function the runner uses.
SIGNATURES = [
    ("xpay_version", C.c_char_p, []),
    ("xpay_config_new", P, []),
    ("xpay_config_set_base_url", C.c_int, [P, C.c_char_p, C.POINTER(P)]),
    ("xpay_config_set_timeout_ms", None, [P, C.c_uint64]),
    ("xpay_config_set_max_retries", None, [P, C.c_uint32]),
    ("xpay_config_free", None, [P]),
    ("xpay_client_new", C.c_int, [P, C.POINTER(P), C.POINTER(P)]),
    ("xpay_client_free", None, [P]),
    ("xpay_authenticate", C.c_int, [P, C.c_char_p, C.c_char_p, C.c_bool, C.POINTER(P), C.POINTER(P)]),
    ("xpay_auth_access_token", C.c_char_p, [P]),
    ("xpay_auth_expires_at", C.c_int64, [P]),
    ("xpay_auth_username", C.c_char_p, [P]),
    ("xpay_auth_scopes_len", C.c_size_t, [P]),
    ("xpay_auth_scope", C.c_char_p, [P, C.c_size_t]),
    ("xpay_auth_is_api", C.c_bool, [P]),
    ("xpay_auth_ticket", C.c_char_p, [P]),
    ("xpay_auth_uuid", C.c_char_p, [P]),
    ("xpay_auth_message", C.c_char_p, [P]),
    ("xpay_auth_free", None, [P]),
    ("xpay_session_new", C.c_int, [P, C.c_char_p, C.c_char_p, C.POINTER(P), C.POINTER(P)]),
    ("xpay_session_access_token", C.c_int, [P, C.POINTER(P), C.POINTER(P)]),
    ("xpay_session_call", C.c_int, [P, C.c_char_p, C.c_char_p, C.POINTER(P), C.POINTER(P)]),
    ("xpay_session_invalidate", None, [P]),
    ("xpay_session_free", None, [P]),
    ("xpay_error_status", C.c_int, [P]),
    ("xpay_error_code", C.c_char_p, [P]),
    ("xpay_error_message", C.c_char_p, [P]),
    ("xpay_error_http_status", C.c_uint16, [P]),
    ("xpay_error_tag", C.c_char_p, [P]),
    ("xpay_error_uuid", C.c_char_p, [P]),
    ("xpay_error_data_json", C.c_char_p, [P]),
    ("xpay_error_free", None, [P]),
    ("xpay_string_free", None, [P]),
]


def _text(raw):
    return None if raw is None else raw.decode("utf-8")


class Library:
    def __init__(self, path):
        # CDLL releases the GIL during each call, so threads really call the C API at once.
        self.lib = C.CDLL(path)
        for name, restype, argtypes in SIGNATURES:
            fn = getattr(self.lib, name)
            fn.restype, fn.argtypes = restype, argtypes

    def check(self, status, err):
        """Raises CError with the error's fields when `status` is not XPAY_OK; frees `err`."""
        if status == 0:
            return
        lib, e = self.lib, err.value
        data = _text(lib.xpay_error_data_json(e))
        fields = {
            "code": _text(lib.xpay_error_code(e)),
            "message": _text(lib.xpay_error_message(e)),
            "status": lib.xpay_error_http_status(e) or None,
            "tag": _text(lib.xpay_error_tag(e)),
            "uuid": _text(lib.xpay_error_uuid(e)),
            "data": None if data is None else json.loads(data),
        }
        if lib.xpay_error_status(e) != status:
            fields["code"] = "status-mismatch"
        lib.xpay_error_free(e)
        raise CError(status, fields)

    def owned_string(self, ptr):
        """Copies and frees a string handed out through `char **`."""
        try:
            return C.cast(ptr, C.c_char_p).value.decode("utf-8")
        finally:
            self.lib.xpay_string_free(ptr)

    def client(self, base_url, timeout_ms, max_retries):
        lib, err, out = self.lib, P(), P()
        cfg = lib.xpay_config_new()
        try:
            self.check(lib.xpay_config_set_base_url(cfg, base_url.encode(), C.byref(err)), err)
            lib.xpay_config_set_timeout_ms(cfg, timeout_ms)
            lib.xpay_config_set_max_retries(cfg, max_retries)
            self.check(lib.xpay_client_new(cfg, C.byref(out), C.byref(err)), err)
        finally:
            lib.xpay_config_free(cfg)
        return out

    def authenticate(self, client, username, secret_key, is_api):
        lib, err, out = self.lib, P(), P()
        status = lib.xpay_authenticate(client, username.encode(), secret_key.encode(), is_api,
                                       C.byref(out), C.byref(err))
        self.check(status, err)
        a = out
        try:
            scopes = [_text(lib.xpay_auth_scope(a, i)) for i in range(lib.xpay_auth_scopes_len(a))]
            return {
                "access_token": _text(lib.xpay_auth_access_token(a)),
                "expires_at": lib.xpay_auth_expires_at(a),
                "user": {"username": _text(lib.xpay_auth_username(a)), "scopes": scopes,
                         "is_api": bool(lib.xpay_auth_is_api(a))},
                "ticket": _text(lib.xpay_auth_ticket(a)),
                "uuid": _text(lib.xpay_auth_uuid(a)),
                "message": _text(lib.xpay_auth_message(a)),
            }
        finally:
            lib.xpay_auth_free(a)

    def session(self, client, username, secret_key):
        err, out = P(), P()
        self.check(self.lib.xpay_session_new(client, username.encode(), secret_key.encode(),
                                             C.byref(out), C.byref(err)), err)
        return out

    def access_token(self, session):
        err, out = P(), P()
        self.check(self.lib.xpay_session_access_token(session, C.byref(out), C.byref(err)), err)
        return self.owned_string(out)

    def call(self, session, path, body):
        err, out = P(), P()
        status = self.lib.xpay_session_call(session, path.encode(), json.dumps(body).encode(),
                                            C.byref(out), C.byref(err))
        self.check(status, err)
        return json.loads(self.owned_string(out))
