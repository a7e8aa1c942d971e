//! The TLS settings of a client, one rustls config shared by both transports: which roots to
//! trust (the OS store and the bundled Mozilla roots by default), extra CA certificates, a
//! client certificate for mutual TLS, and the words for a certificate the roots refused.

use std::fmt;
use std::sync::{Arc, Mutex};

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::ClientConfig;
use zeroize::Zeroizing;

use crate::error::{Error, Result};

/// Environment variable naming a PEM file of CA certificates added to the roots.
pub const ENV_CA_BUNDLE: &str = "XPAY_CA_BUNDLE";
/// The OpenSSL convention: a PEM file of CA certificates; added to the roots (never replacing).
pub const ENV_SSL_CERT_FILE: &str = "SSL_CERT_FILE";

/// Which root certificates a client trusts (besides the CA certificates given to it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TlsRoots {
    /// The operating system's store and the bundled Mozilla roots together (the default).
    #[default]
    SystemAndBundled,
    /// The operating system's store only.
    System,
    /// The bundled Mozilla roots only (webpki-roots).
    Bundled,
    /// None: only the CA certificates given (`ca_bundle_pem`, `XPAY_CA_BUNDLE`).
    None,
}

impl TlsRoots {
    /// `"system+bundled"`, `"system"`, `"bundled"` or `"none"` (any case); anything else is an
    /// `invalid_argument` error.
    pub fn parse(name: &str) -> Result<TlsRoots> {
        match name.trim().to_ascii_lowercase().as_str() {
            "system+bundled" | "system_and_bundled" | "default" => Ok(TlsRoots::SystemAndBundled),
            "system" => Ok(TlsRoots::System),
            "bundled" => Ok(TlsRoots::Bundled),
            "none" => Ok(TlsRoots::None),
            _ => Err(Error::invalid_argument(format!(
                "tls_roots {name:?} is not one of \"system+bundled\", \"system\", \"bundled\", \
                 \"none\""
            ))),
        }
    }

    /// The name [`TlsRoots::parse`] reads.
    pub fn as_str(self) -> &'static str {
        match self {
            TlsRoots::SystemAndBundled => "system+bundled",
            TlsRoots::System => "system",
            TlsRoots::Bundled => "bundled",
            TlsRoots::None => "none",
        }
    }

    /// The C constants: 0 system+bundled, 1 system, 2 bundled, 3 none.
    pub fn from_index(n: u32) -> Option<TlsRoots> {
        Some(match n {
            0 => TlsRoots::SystemAndBundled,
            1 => TlsRoots::System,
            2 => TlsRoots::Bundled,
            3 => TlsRoots::None,
            _ => return None,
        })
    }
}

/// A client's rustls config, built once, shared by both transports (and an https proxy).
#[derive(Clone, Debug)]
pub(crate) struct SharedTls(pub Arc<ClientConfig>);

// The config is immutable once built (its session cache is behind its own lock), so a client
// seen again after a caught panic is as good as before: keep `Client` unwind-safe.
impl std::panic::UnwindSafe for SharedTls {}
impl std::panic::RefUnwindSafe for SharedTls {}

/// What the builder was given; turned into a rustls config (and checked) by [`TlsOptions::build`].
#[derive(Clone, Default)]
pub(crate) struct TlsOptions {
    pub roots: TlsRoots,
    /// PEM texts of extra CA certificates, each with where it came from (for messages).
    pub ca_pem: Vec<(String, Vec<u8>)>,
    /// Certificate chain and private key (PEM), for mutual TLS.
    pub identity: Option<(Vec<u8>, Zeroizing<Vec<u8>>)>,
}

impl fmt::Debug for TlsOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlsOptions")
            .field("roots", &self.roots)
            .field("ca_bundles", &self.ca_pem.len())
            .field("client_identity", &self.identity.is_some())
            .finish()
    }
}

/// Every certificate in `pem`, or `invalid_argument` naming `what` when there is none or one
/// does not parse.
pub(crate) fn pem_certificates(pem: &[u8], what: &str) -> Result<Vec<CertificateDer<'static>>> {
    let certs = CertificateDer::pem_slice_iter(pem)
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|e| Error::invalid_argument(format!("{what} is not valid PEM ({e})")))?;
    if certs.is_empty() {
        return Err(Error::invalid_argument(format!(
            "{what} holds no PEM certificate (-----BEGIN CERTIFICATE-----)"
        )));
    }
    Ok(certs)
}

/// The contents of a PEM file named by the caller (an option or an environment variable).
pub(crate) fn read_pem_file(path: &str, what: &str) -> Result<Vec<u8>> {
    std::fs::read(path)
        .map_err(|e| Error::invalid_argument(format!("{what} {path:?} cannot be read ({e})")))
}

impl TlsOptions {
    /// The rustls config: the roots chosen, the CA certificates given, those of
    /// `XPAY_CA_BUNDLE` and `SSL_CERT_FILE`, and the client certificate. Every problem with
    /// what the caller gave is `invalid_argument`.
    pub(crate) fn build(&self) -> Result<SharedTls> {
        let mut roots = base_roots(self.roots);
        let mut add = |pem: &[u8], what: &str| -> Result<()> {
            for cert in pem_certificates(pem, what)? {
                roots.add(cert).map_err(|e| {
                    Error::invalid_argument(format!(
                        "{what} holds a certificate rustls refuses ({e})"
                    ))
                })?;
            }
            Ok(())
        };
        for (what, pem) in &self.ca_pem {
            add(pem, what)?;
        }
        if let Some(path) = env_path(ENV_CA_BUNDLE) {
            let what = format!("the {ENV_CA_BUNDLE} file");
            add(&read_pem_file(&path, &what)?, &what)?;
        }
        if self.roots != TlsRoots::None {
            // Usually the system bundle itself; a broken one is the system's business.
            if let Some(path) = env_path(ENV_SSL_CERT_FILE) {
                if let Ok(pem) = std::fs::read(&path) {
                    let certs = CertificateDer::pem_slice_iter(&pem).filter_map(|c| c.ok());
                    roots.add_parsable_certificates(certs);
                }
            }
        }
        let builder =
            ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
                .with_safe_default_protocol_versions()
                .map_err(|e| Error::invalid_argument(format!("TLS setup failed: {e}")))?
                .with_root_certificates(roots);
        let mut config = match &self.identity {
            None => builder.with_no_client_auth(),
            Some((cert, key)) => {
                let chain = pem_certificates(cert, "the client certificate")?;
                let key = PrivateKeyDer::from_pem_slice(key).map_err(|e| {
                    Error::invalid_argument(format!(
                        "the client key is not a PEM private key (PKCS#8, PKCS#1 or SEC1): {e}"
                    ))
                })?;
                builder.with_client_auth_cert(chain, key).map_err(|e| {
                    Error::invalid_argument(format!(
                        "the client certificate and key cannot be used: {e}"
                    ))
                })?
            }
        };
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(SharedTls(Arc::new(config)))
    }
}

/// The chosen roots before anything the caller adds. Reading and parsing the OS store is most
/// of the time a client takes to build (~5 ms against ~1 ms without it), so the last store made
/// is kept, keyed by the choice and the two variables that change what the OS store is.
fn base_roots(choice: TlsRoots) -> rustls::RootCertStore {
    type Key = (TlsRoots, Option<String>, Option<String>);
    static LAST: Mutex<Option<(Key, rustls::RootCertStore)>> = Mutex::new(None);
    let key = (
        choice,
        env_path(ENV_SSL_CERT_FILE),
        env_path("SSL_CERT_DIR"),
    );
    // A poisoned lock only means a panic elsewhere mid-clone: the cache is rebuilt, not trusted.
    let mut last = LAST.lock().unwrap_or_else(|p| {
        let mut guard = p.into_inner();
        *guard = None;
        guard
    });
    if let Some((k, roots)) = last.as_ref() {
        if *k == key {
            return roots.clone();
        }
    }
    let mut roots = rustls::RootCertStore::empty();
    if matches!(choice, TlsRoots::SystemAndBundled | TlsRoots::Bundled) {
        roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    }
    if matches!(choice, TlsRoots::SystemAndBundled | TlsRoots::System) {
        roots.add_parsable_certificates(system_roots());
    }
    *last = Some((key, roots.clone()));
    roots
}

fn env_path(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|p| !p.trim().is_empty())
}

/// The OS store. rustls-native-certs reads `SSL_CERT_FILE` / `SSL_CERT_DIR` *instead of* the
/// system store when they are set; here they only add to it, so the system bundle is read too.
fn system_roots() -> Vec<CertificateDer<'static>> {
    let mut certs = rustls_native_certs::load_native_certs().certs;
    #[cfg(all(unix, not(target_os = "macos")))]
    if env_path(ENV_SSL_CERT_FILE).is_some() || env_path("SSL_CERT_DIR").is_some() {
        const FILES: [&str; 6] = [
            "/etc/ssl/certs/ca-certificates.crt",
            "/etc/pki/tls/certs/ca-bundle.crt",
            "/etc/ssl/ca-bundle.pem",
            "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem",
            "/etc/ssl/cert.pem",
            "/usr/local/etc/openssl/cert.pem",
        ];
        if let Some(file) = FILES.iter().find(|f| std::path::Path::new(f).exists()) {
            let more =
                rustls_native_certs::load_certs_from_paths(Some(std::path::Path::new(file)), None);
            certs.extend(more.certs);
        }
    }
    certs
}

/// How to trust a CA, for the end of a refused-certificate message.
const ADD_A_CA: &str = "if your network or proxy uses its own CA, add it with the client's \
    ca_bundle option (Rust ca_bundle_pem, Python ca_bundle=, Node caBundle, C \
    xpay_config_set_ca_bundle_pem / _file) or the XPAY_CA_BUNDLE environment variable (a PEM file)";

/// The rustls error inside an I/O error from a handshake, if that is what it is.
pub(crate) fn rustls_error(e: &std::io::Error) -> Option<&rustls::Error> {
    e.get_ref()?.downcast_ref::<rustls::Error>()
}

/// A handshake failure in words: the certificate's problem named (unknown issuer, expired,
/// name mismatch) with how to add a CA, the server asking for a client certificate, or
/// rustls's own text.
pub(crate) fn describe_tls_error(e: &std::io::Error) -> String {
    let Some(error) = rustls_error(e) else {
        return e.to_string();
    };
    describe_rustls_error(error)
}

/// The words for the first rustls error in `e`'s chain (inside an I/O error or bare), if any:
/// e.g. the server's alert, read after a TLS 1.3 handshake, that it wanted a client certificate.
pub(crate) fn describe_chain(e: &(dyn std::error::Error + 'static)) -> Option<String> {
    let mut next = Some(e);
    while let Some(error) = next {
        if let Some(r) = error.downcast_ref::<rustls::Error>() {
            return Some(describe_rustls_error(r));
        }
        if let Some(r) = error
            .downcast_ref::<std::io::Error>()
            .and_then(rustls_error)
        {
            return Some(describe_rustls_error(r));
        }
        next = error.source();
    }
    None
}

pub(crate) fn describe_rustls_error(error: &rustls::Error) -> String {
    use rustls::{AlertDescription, CertificateError};
    match error {
        rustls::Error::InvalidCertificate(cert) => {
            let cause = match cert {
                CertificateError::UnknownIssuer => {
                    "unknown issuer (no trusted root signed it)".to_owned()
                }
                CertificateError::Expired | CertificateError::ExpiredContext { .. } => {
                    "expired".to_owned()
                }
                CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. } => {
                    "not valid yet".to_owned()
                }
                CertificateError::NotValidForName
                | CertificateError::NotValidForNameContext { .. } => {
                    "name mismatch (it is not valid for this host)".to_owned()
                }
                other => format!("{other:?}"),
            };
            format!("the server's certificate was not accepted: {cause}; {ADD_A_CA}")
        }
        rustls::Error::AlertReceived(
            AlertDescription::CertificateRequired | AlertDescription::HandshakeFailure,
        ) => format!(
            "{error} (the server may require a client certificate: set client_identity_pem / \
             client_cert + client_key)"
        ),
        rustls::Error::AlertReceived(
            AlertDescription::UnknownCA | AlertDescription::BadCertificate,
        ) => format!("{error} (the server did not accept the client certificate)"),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roots_names() {
        for r in [
            TlsRoots::SystemAndBundled,
            TlsRoots::System,
            TlsRoots::Bundled,
            TlsRoots::None,
        ] {
            assert_eq!(TlsRoots::parse(r.as_str()).unwrap(), r);
        }
        assert_eq!(TlsRoots::parse("SYSTEM").unwrap(), TlsRoots::System);
        assert_eq!(
            TlsRoots::parse("all").unwrap_err().code(),
            "invalid_argument"
        );
        assert_eq!(TlsRoots::from_index(3), Some(TlsRoots::None));
        assert_eq!(TlsRoots::from_index(4), None);
    }

    #[test]
    fn bad_pem_is_invalid_argument() {
        for pem in [
            &b"not pem"[..],
            b"",
            b"-----BEGIN CERTIFICATE-----\nzz\n-----END CERTIFICATE-----\n",
        ] {
            let options = TlsOptions {
                ca_pem: vec![("the CA bundle".into(), pem.to_vec())],
                ..TlsOptions::default()
            };
            let e = options.build().unwrap_err();
            assert_eq!(e.code(), "invalid_argument", "{}", e.message());
        }
        let pki = xpay_mock::certs::TestPki::generate().unwrap();
        let options = TlsOptions {
            identity: Some((
                pki.client.cert.clone().into_bytes(),
                Zeroizing::new(b"nope".to_vec()),
            )),
            ..TlsOptions::default()
        };
        assert_eq!(options.build().unwrap_err().code(), "invalid_argument");
        let options = TlsOptions {
            roots: TlsRoots::None,
            ca_pem: vec![("the CA bundle".into(), pki.ca.cert.clone().into_bytes())],
            identity: Some((
                pki.client.cert.clone().into_bytes(),
                Zeroizing::new(pki.client.key.clone().into_bytes()),
            )),
        };
        assert!(options.build().is_ok());
    }

    #[test]
    fn the_default_roots_include_the_bundled_ones() {
        let config = TlsOptions::default().build().unwrap().0;
        assert_eq!(config.alpn_protocols, vec![b"http/1.1".to_vec()]);
    }

    #[test]
    fn the_kept_roots_follow_the_choice() {
        let bundled = webpki_roots::TLS_SERVER_ROOTS.len();
        // Alternating choices must not hand one choice's roots to another.
        for _ in 0..2 {
            assert_eq!(base_roots(TlsRoots::Bundled).len(), bundled);
            assert_eq!(base_roots(TlsRoots::None).len(), 0);
            assert!(base_roots(TlsRoots::SystemAndBundled).len() >= bundled);
        }
        let system = base_roots(TlsRoots::System).len();
        assert_eq!(base_roots(TlsRoots::System).len(), system);
    }

    #[test]
    fn refused_certificates_are_named_with_the_hint() {
        let m = describe_rustls_error(&rustls::Error::InvalidCertificate(
            rustls::CertificateError::UnknownIssuer,
        ));
        assert!(
            m.contains("unknown issuer") && m.contains("XPAY_CA_BUNDLE"),
            "{m}"
        );
        let m = describe_rustls_error(&rustls::Error::InvalidCertificate(
            rustls::CertificateError::Expired,
        ));
        assert!(m.contains("expired") && m.contains("ca_bundle"), "{m}");
        let m = describe_rustls_error(&rustls::Error::InvalidCertificate(
            rustls::CertificateError::NotValidForName,
        ));
        assert!(m.contains("name mismatch"), "{m}");
    }
}
