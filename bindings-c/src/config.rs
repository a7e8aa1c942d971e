//! `xpay_config`: the client options a C caller collects before `xpay_client_new`. They are
//! handed to the core's builder as is; the core owns the defaults and the checks.

use std::ffi::c_char;
use std::time::Duration;

use sdk::blocking::Client;
use sdk::{ClientBuilder, Error};

use crate::boundary::{fallible, free_c, infallible, into_c, obj_arg, str_arg};
use crate::error::xpay_error;
use crate::status::xpay_status;

/// Client options. Unset options take the core's defaults: base URL from `XPAY_BASE_URL`,
/// else `https://apis.xpay.stream`; timeout 30 s; connect timeout 10 s; 2 retries.
///
/// Made by `xpay_config_new`, owned by the caller, freed with `xpay_config_free`. A config is
/// only read by `xpay_client_new` (which copies it), so it may be freed right after.
/// Not for concurrent modification from several threads.
#[allow(non_camel_case_types)]
#[derive(Default, Clone)]
pub struct xpay_config {
    base_url: Option<String>,
    timeout: Option<Duration>,
    connect_timeout: Option<Duration>,
    max_retries: Option<u32>,
    /// Extra CA certificates (PEM), in the order given.
    ca_bundles: Vec<Vec<u8>>,
    tls_roots: Option<sdk::TlsRoots>,
    /// Client certificate and key (PEM); the key is wiped when the config is freed.
    identity: Option<(Vec<u8>, zeroize::Zeroizing<Vec<u8>>)>,
    /// The proxy URL (may hold credentials: wiped when the config is freed).
    proxy: Option<zeroize::Zeroizing<String>>,
}

/// `xpay_config_set_tls_roots`: the OS store and the bundled Mozilla roots (the default).
pub const XPAY_TLS_ROOTS_SYSTEM_AND_BUNDLED: u32 = 0;
/// `xpay_config_set_tls_roots`: the OS store only.
pub const XPAY_TLS_ROOTS_SYSTEM: u32 = 1;
/// `xpay_config_set_tls_roots`: the bundled Mozilla roots only.
pub const XPAY_TLS_ROOTS_BUNDLED: u32 = 2;
/// `xpay_config_set_tls_roots`: no roots, only the CA certificates given.
pub const XPAY_TLS_ROOTS_NONE: u32 = 3;

impl xpay_config {
    /// The core's builder with these options and the C face's `User-Agent`.
    pub(crate) fn builder(&self) -> ClientBuilder<Client> {
        let mut builder = Client::builder().user_agent(sdk::user_agent_for("c"));
        if let Some(url) = &self.base_url {
            builder = builder.base_url(url.clone());
        }
        if let Some(timeout) = self.timeout {
            builder = builder.timeout(timeout);
        }
        if let Some(timeout) = self.connect_timeout {
            builder = builder.connect_timeout(timeout);
        }
        if let Some(retries) = self.max_retries {
            builder = builder.max_retries(retries);
        }
        for pem in &self.ca_bundles {
            builder = builder.ca_bundle_pem(pem);
        }
        if let Some(roots) = self.tls_roots {
            builder = builder.tls_roots(roots);
        }
        if let Some((cert, key)) = &self.identity {
            builder = builder.client_identity_pem(cert, key);
        }
        if let Some(url) = &self.proxy {
            builder = builder.proxy(url.as_str());
        }
        builder
    }
}

/// A builder that checks one TLS option alone (no OS store read; a loopback URL so that no
/// proxy from the environment applies).
fn probe() -> ClientBuilder<Client> {
    Client::builder()
        .base_url("http://127.0.0.1:1")
        .tls_roots(sdk::TlsRoots::None)
}

/// Adds extra CA certificates to trust (PEM text, one or more certificates), besides the roots
/// `xpay_config_set_tls_roots` picks; each call adds. `XPAY_CA_BUNDLE` and `SSL_CERT_FILE`
/// (PEM files) add to the roots too. Text that is not PEM certificates leaves `cfg` unchanged
/// and fails with `XPAY_ERR_INVALID_ARGUMENT`. `pem` is copied.
///
/// # Safety
/// `cfg` is NULL or a live config; `pem` is NULL or a NUL-terminated string; `err` is NULL or
/// a writable `xpay_error *` slot.
#[no_mangle]
pub unsafe extern "C" fn xpay_config_set_ca_bundle_pem(
    cfg: *mut xpay_config,
    pem: *const c_char,
    err: *mut *mut xpay_error,
) -> xpay_status {
    fallible(err, || {
        obj_arg(cfg, "cfg")?;
        let pem = str_arg(pem, "pem")?;
        add_ca_bundle(cfg, pem.as_bytes().to_vec())
    })
}

/// Keeps `pem` in `cfg` once the core accepts it as CA certificates (`cfg` unchanged if not).
unsafe fn add_ca_bundle(cfg: *mut xpay_config, pem: Vec<u8>) -> Result<(), Error> {
    probe().ca_bundle_pem(&pem).validate()?;
    if let Some(cfg) = cfg.as_mut() {
        cfg.ca_bundles.push(pem);
    }
    Ok(())
}

/// Like `xpay_config_set_ca_bundle_pem`, with the PEM read from the file at `path` now (a file
/// that cannot be read, or is not PEM certificates, is `XPAY_ERR_INVALID_ARGUMENT`).
///
/// # Safety
/// `cfg` is NULL or a live config; `path` is NULL or a NUL-terminated string; `err` is NULL or
/// a writable `xpay_error *` slot.
#[no_mangle]
pub unsafe extern "C" fn xpay_config_set_ca_bundle_file(
    cfg: *mut xpay_config,
    path: *const c_char,
    err: *mut *mut xpay_error,
) -> xpay_status {
    fallible(err, || {
        obj_arg(cfg, "cfg")?;
        let path = str_arg(path, "path")?;
        let pem = std::fs::read(path).map_err(|e| {
            Error::new(
                sdk::ErrorKind::InvalidArgument,
                format!("the CA bundle file {path:?} cannot be read ({e})"),
            )
        })?;
        add_ca_bundle(cfg, pem)
    })
}

/// Picks the roots to trust: `XPAY_TLS_ROOTS_SYSTEM_AND_BUNDLED` (0, the default),
/// `XPAY_TLS_ROOTS_SYSTEM`, `XPAY_TLS_ROOTS_BUNDLED` or `XPAY_TLS_ROOTS_NONE` (only the CA
/// certificates given). Another number is `XPAY_ERR_INVALID_ARGUMENT`, `cfg` unchanged.
///
/// # Safety
/// `cfg` is NULL or a live config; `err` is NULL or a writable `xpay_error *` slot.
#[no_mangle]
pub unsafe extern "C" fn xpay_config_set_tls_roots(
    cfg: *mut xpay_config,
    roots: u32,
    err: *mut *mut xpay_error,
) -> xpay_status {
    fallible(err, || {
        obj_arg(cfg, "cfg")?;
        let roots = sdk::TlsRoots::from_index(roots).ok_or_else(|| {
            Error::new(
                sdk::ErrorKind::InvalidArgument,
                format!("roots must be one of the XPAY_TLS_ROOTS_* constants (0-3), got {roots}"),
            )
        })?;
        if let Some(cfg) = cfg.as_mut() {
            cfg.tls_roots = Some(roots);
        }
        Ok(())
    })
}

/// Sets the client certificate (PEM, leaf first, optionally its chain) and its private key
/// (PEM: PKCS#8, PKCS#1 or SEC1) for servers that require mutual TLS. A certificate or key
/// that does not parse, or that do not go together, is `XPAY_ERR_INVALID_ARGUMENT`, `cfg`
/// unchanged. Both are copied; the library's copy of the key is wiped when freed.
///
/// # Safety
/// `cfg` is NULL or a live config; `cert_pem` and `key_pem` are NULL or NUL-terminated
/// strings; `err` is NULL or a writable `xpay_error *` slot.
#[no_mangle]
pub unsafe extern "C" fn xpay_config_set_client_identity_pem(
    cfg: *mut xpay_config,
    cert_pem: *const c_char,
    key_pem: *const c_char,
    err: *mut *mut xpay_error,
) -> xpay_status {
    fallible(err, || {
        obj_arg(cfg, "cfg")?;
        let cert = str_arg(cert_pem, "cert_pem")?;
        let key = str_arg(key_pem, "key_pem")?;
        probe()
            .client_identity_pem(cert.as_bytes(), key.as_bytes())
            .validate()?;
        if let Some(cfg) = cfg.as_mut() {
            cfg.identity = Some((
                cert.as_bytes().to_vec(),
                zeroize::Zeroizing::new(key.as_bytes().to_vec()),
            ));
        }
        Ok(())
    })
}

/// Sets a proxy for every request (`http://`, `https://` or `socks5://host:port`; credentials
/// as `user:password@`, sent as `Proxy-Authorization` and never logged). Every host goes
/// through it, loopback too. Without it `HTTPS_PROXY` / `ALL_PROXY` apply unless `NO_PROXY`
/// names the host (never for loopback). A URL that is not a usable proxy is
/// `XPAY_ERR_INVALID_ARGUMENT` (the message does not repeat it), `cfg` unchanged.
///
/// # Safety
/// `cfg` is NULL or a live config; `url` is NULL or a NUL-terminated string; `err` is NULL or
/// a writable `xpay_error *` slot.
#[no_mangle]
pub unsafe extern "C" fn xpay_config_set_proxy(
    cfg: *mut xpay_config,
    url: *const c_char,
    err: *mut *mut xpay_error,
) -> xpay_status {
    fallible(err, || {
        obj_arg(cfg, "cfg")?;
        let url = str_arg(url, "url")?;
        probe().proxy(url).validate()?;
        if let Some(cfg) = cfg.as_mut() {
            cfg.proxy = Some(zeroize::Zeroizing::new(url.to_owned()));
        }
        Ok(())
    })
}

/// A new config with every option at its default. Never NULL (short of memory exhaustion,
/// which aborts). Free it with `xpay_config_free`.
#[no_mangle]
pub extern "C" fn xpay_config_new() -> *mut xpay_config {
    infallible(std::ptr::null_mut(), || into_c(xpay_config::default()))
}

/// Sets the API's base URL. `http://` is accepted only for loopback hosts (127.0.0.0/8, ::1,
/// localhost); anything else must be `https://`. A refused URL leaves `cfg` unchanged and
/// fails with `XPAY_ERR_INVALID_ARGUMENT`. `url` is copied.
///
/// # Safety
/// `cfg` is NULL or a live config; `url` is NULL or a NUL-terminated string; `err` is NULL or
/// a writable `xpay_error *` slot.
#[no_mangle]
pub unsafe extern "C" fn xpay_config_set_base_url(
    cfg: *mut xpay_config,
    url: *const c_char,
    err: *mut *mut xpay_error,
) -> xpay_status {
    fallible(err, || {
        obj_arg(cfg, "cfg")?;
        let url = str_arg(url, "url")?;
        check_base_url(url)?;
        if let Some(cfg) = cfg.as_mut() {
            cfg.base_url = Some(url.to_owned());
        }
        Ok(())
    })
}

/// Lets the core judge the URL now, so the caller learns which call was wrong.
fn check_base_url(url: &str) -> Result<(), Error> {
    Client::builder().base_url(url).validate()
}

/// Sets the limit for a whole request, in milliseconds (default 30000). 0 is refused by
/// `xpay_client_new` with `XPAY_ERR_INVALID_ARGUMENT`. NULL `cfg` is a no-op.
///
/// # Safety
/// `cfg` is NULL or a live config.
#[no_mangle]
pub unsafe extern "C" fn xpay_config_set_timeout_ms(cfg: *mut xpay_config, ms: u64) {
    infallible((), || {
        if let Some(cfg) = cfg.as_mut() {
            cfg.timeout = Some(Duration::from_millis(ms));
        }
    })
}

/// Sets the limit for establishing a connection, in milliseconds (default 10000). 0 is refused
/// by `xpay_client_new`. NULL `cfg` is a no-op. (An addition to the contract.)
///
/// # Safety
/// `cfg` is NULL or a live config.
#[no_mangle]
pub unsafe extern "C" fn xpay_config_set_connect_timeout_ms(cfg: *mut xpay_config, ms: u64) {
    infallible((), || {
        if let Some(cfg) = cfg.as_mut() {
            cfg.connect_timeout = Some(Duration::from_millis(ms));
        }
    })
}

/// Sets how many times a failed request may be sent again (default 2; 0 disables retries).
/// Logins retry timeouts, lost connections, 429 and 5xx; calls retry only what surely never
/// reached the server, and 429/503. NULL `cfg` is a no-op.
///
/// # Safety
/// `cfg` is NULL or a live config.
#[no_mangle]
pub unsafe extern "C" fn xpay_config_set_max_retries(cfg: *mut xpay_config, n: u32) {
    infallible((), || {
        if let Some(cfg) = cfg.as_mut() {
            cfg.max_retries = Some(n);
        }
    })
}

/// Frees a config. NULL is a no-op. Clients made from it are not affected.
///
/// # Safety
/// `cfg` is NULL or a config from `xpay_config_new`, freed at most once.
#[no_mangle]
pub unsafe extern "C" fn xpay_config_free(cfg: *mut xpay_config) {
    infallible((), || free_c(cfg))
}
