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
}

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
        builder
    }
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
