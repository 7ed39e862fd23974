//! Loading the HTTP server's TLS certificate and key (`spec.http.tls`).
//!
//! [`server_config`] reads the PEM certificate chain and private key (PKCS#8, PKCS#1 or
//! SEC1) and builds a rustls server configuration with the `ring` provider, TLS 1.2 and 1.3,
//! ALPN `http/1.1`. It fails, naming the field, when a file cannot be read, holds no
//! certificate or no private key, or the key does not belong to the certificate. Config
//! validation calls it so that each of these is a configuration error; `app` calls it again at
//! start and hands the result to [`crate::serve::server`], which serves over it. Certificates
//! are read only then: restart to rotate them.

use std::sync::Arc;

use tokio_rustls::rustls;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};

/// The HTTPS certificate and key files (`spec.http.tls`), PEM.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsConfig {
    /// The certificate chain, leaf first.
    pub cert_file: std::path::PathBuf,
    /// The leaf certificate's private key.
    pub key_file: std::path::PathBuf,
}

/// Why the certificate or key cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// A file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// `cert_file` or `key_file`.
        field: &'static str,
        /// The configured path.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The certificate file holds no PEM `CERTIFICATE`.
    #[error("{0}: no PEM certificate in it")]
    NoCertificate(String),
    /// The key file holds no PEM private key.
    #[error("{0}: no PEM private key (PKCS#8, PKCS#1 or SEC1) in it")]
    NoKey(String),
    /// A file is not valid PEM, or rustls refused the certificate or key.
    #[error("{path}: {reason}")]
    Invalid {
        /// `cert_file` or `key_file`.
        field: &'static str,
        /// The configured path.
        path: String,
        /// What is wrong.
        reason: String,
    },
}

impl TlsError {
    /// The field of `spec.http.tls` at fault: `cert_file` or `key_file`.
    pub fn field(&self) -> &'static str {
        match self {
            TlsError::Read { field, .. } | TlsError::Invalid { field, .. } => field,
            TlsError::NoCertificate(_) => "cert_file",
            TlsError::NoKey(_) => "key_file",
        }
    }
}

/// The rustls server configuration for `tls`.
pub fn server_config(tls: &TlsConfig) -> Result<Arc<rustls::ServerConfig>, TlsError> {
    let cert_path = tls.cert_file.display().to_string();
    let key_path = tls.key_file.display().to_string();
    let read = |field, path: &std::path::Path, shown: &str| {
        std::fs::read(path).map_err(|source| TlsError::Read {
            field,
            path: shown.to_string(),
            source,
        })
    };
    let cert_pem = read("cert_file", &tls.cert_file, &cert_path)?;
    let key_pem = read("key_file", &tls.key_file, &key_path)?;
    let certs = CertificateDer::pem_slice_iter(&cert_pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| TlsError::Invalid {
            field: "cert_file",
            path: cert_path.clone(),
            reason: e.to_string(),
        })?;
    if certs.is_empty() {
        return Err(TlsError::NoCertificate(cert_path));
    }
    let key = PrivateKeyDer::from_pem_slice(&key_pem).map_err(|e| match e {
        rustls::pki_types::pem::Error::NoItemsFound => TlsError::NoKey(key_path.clone()),
        e => TlsError::Invalid {
            field: "key_file",
            path: key_path.clone(),
            reason: e.to_string(),
        },
    })?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| TlsError::Invalid {
            field: "cert_file",
            path: cert_path.clone(),
            reason: e.to_string(),
        })?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| {
            // A key that does not parse or does not match is the key file's fault; a
            // certificate rustls cannot read is the certificate's.
            let (field, path) = match e {
                rustls::Error::InconsistentKeys(_) | rustls::Error::General(_) => {
                    ("key_file", key_path.clone())
                }
                _ => ("cert_file", cert_path.clone()),
            };
            TlsError::Invalid {
                field,
                path,
                reason: match e {
                    rustls::Error::InconsistentKeys(_) => {
                        "the private key does not belong to the certificate".to_string()
                    }
                    e => e.to_string(),
                },
            }
        })?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(dir: &std::path::Path) -> TlsConfig {
        TlsConfig {
            cert_file: dir.join("cert.pem"),
            key_file: dir.join("key.pem"),
        }
    }

    #[test]
    fn names_the_field_at_fault() {
        let dir = tempfile::tempdir().unwrap();
        let tls = config(dir.path());
        let e = server_config(&tls).unwrap_err();
        assert_eq!(e.field(), "cert_file", "{e}");
        assert!(e.to_string().contains("cannot read"), "{e}");
        std::fs::write(&tls.cert_file, "not pem\n").unwrap();
        std::fs::write(&tls.key_file, "not pem either\n").unwrap();
        let e = server_config(&tls).unwrap_err();
        assert!(matches!(e, TlsError::NoCertificate(_)), "{e}");
        let cert = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
        std::fs::write(&tls.cert_file, cert).unwrap();
        let e = server_config(&tls).unwrap_err();
        assert!(matches!(e, TlsError::NoKey(_)), "{e}");
        assert_eq!(e.field(), "key_file");
    }
}
