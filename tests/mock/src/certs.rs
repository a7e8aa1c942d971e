//! Test certificates made at run time (rcgen): a private CA, a server certificate for
//! `127.0.0.1` / `localhost` (and variants: another name, expired), and a second CA with a
//! client certificate for mutual TLS. Never written anywhere unless asked ([`TestPki::write`]).

use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::path::{Path, PathBuf};

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair,
    KeyUsagePurpose, SanType,
};

use crate::MockTls;

/// A certificate and its key, PEM.
#[derive(Clone)]
pub struct Pem {
    /// The certificate (PEM).
    pub cert: String,
    /// Its private key (PEM, PKCS#8).
    pub key: String,
}

impl std::fmt::Debug for Pem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Pem(..)")
    }
}

/// Everything the TLS tests need.
#[derive(Debug, Clone)]
pub struct TestPki {
    /// The CA that signed the server certificates.
    pub ca: Pem,
    /// Valid for `127.0.0.1`, `::1` and `localhost`, signed by `ca`.
    pub server: Pem,
    /// Valid only for `other.test`, signed by `ca`.
    pub wrong_name: Pem,
    /// Valid for `127.0.0.1`/`localhost` but expired in 2001, signed by `ca`.
    pub expired: Pem,
    /// The CA the mock requires client certificates from.
    pub client_ca: Pem,
    /// A client certificate signed by `client_ca`.
    pub client: Pem,
}

fn err(e: rcgen::Error) -> io::Error {
    io::Error::other(format!("rcgen: {e}"))
}

fn ca(name: &str) -> Result<(rcgen::Certificate, KeyPair), rcgen::Error> {
    let mut params = CertificateParams::new(Vec::<String>::new())?;
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.distinguished_name.push(DnType::CommonName, name);
    params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    let key = KeyPair::generate()?;
    Ok((params.self_signed(&key)?, key))
}

fn leaf(
    names: &[&str],
    ips: &[IpAddr],
    purpose: ExtendedKeyUsagePurpose,
    expired: bool,
    issuer: &(rcgen::Certificate, KeyPair),
) -> Result<Pem, rcgen::Error> {
    let mut params =
        CertificateParams::new(names.iter().map(|n| n.to_string()).collect::<Vec<_>>())?;
    params
        .subject_alt_names
        .extend(ips.iter().map(|ip| SanType::IpAddress(*ip)));
    params.distinguished_name.push(
        DnType::CommonName,
        names.first().copied().unwrap_or("xpay test client"),
    );
    params.extended_key_usages = vec![purpose];
    if expired {
        params.not_before = rcgen::date_time_ymd(2000, 1, 1);
        params.not_after = rcgen::date_time_ymd(2001, 1, 1);
    }
    let key = KeyPair::generate()?;
    let cert = params.signed_by(&key, &issuer.0, &issuer.1)?;
    Ok(Pem {
        cert: cert.pem(),
        key: key.serialize_pem(),
    })
}

impl TestPki {
    /// New keys and certificates (ECDSA P-256), a few milliseconds.
    pub fn generate() -> io::Result<TestPki> {
        let loopback = [
            IpAddr::V4(Ipv4Addr::LOCALHOST),
            IpAddr::V6(Ipv6Addr::LOCALHOST),
        ];
        let server_ca = ca("xpay-mock test CA").map_err(err)?;
        let client_ca = ca("xpay-mock test client CA").map_err(err)?;
        let server = ExtendedKeyUsagePurpose::ServerAuth;
        Ok(TestPki {
            ca: Pem {
                cert: server_ca.0.pem(),
                key: server_ca.1.serialize_pem(),
            },
            server: leaf(&["localhost"], &loopback, server.clone(), false, &server_ca)
                .map_err(err)?,
            wrong_name: leaf(&["other.test"], &[], server.clone(), false, &server_ca)
                .map_err(err)?,
            expired: leaf(&["localhost"], &loopback, server, true, &server_ca).map_err(err)?,
            client: leaf(
                &["xpay test client"],
                &[],
                ExtendedKeyUsagePurpose::ClientAuth,
                false,
                &client_ca,
            )
            .map_err(err)?,
            client_ca: Pem {
                cert: client_ca.0.pem(),
                key: client_ca.1.serialize_pem(),
            },
        })
    }

    /// The mock's HTTPS settings with `server` (one of this PKI's server certificates),
    /// requiring a client certificate from `client_ca` when `require_client_cert`.
    pub fn mock_tls(&self, server: &Pem, require_client_cert: bool) -> MockTls {
        MockTls {
            cert_pem: server.cert.clone().into_bytes(),
            key_pem: server.key.clone().into_bytes(),
            client_ca_pem: require_client_cert.then(|| self.client_ca.cert.clone().into_bytes()),
        }
    }

    /// Writes the PEM files into `dir` (`ca.pem`, `client.pem`, `client.key`, `server.pem`,
    /// `server.key`, `client-ca.pem`) and returns the directory.
    pub fn write(&self, dir: &Path) -> io::Result<PathBuf> {
        std::fs::create_dir_all(dir)?;
        for (name, text) in [
            ("ca.pem", &self.ca.cert),
            ("server.pem", &self.server.cert),
            ("server.key", &self.server.key),
            ("client-ca.pem", &self.client_ca.cert),
            ("client.pem", &self.client.cert),
            ("client.key", &self.client.key),
        ] {
            std::fs::write(dir.join(name), text)?;
        }
        Ok(dir.to_owned())
    }
}
