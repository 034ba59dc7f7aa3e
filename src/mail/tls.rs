//! TLS for IMAP: a rustls client configuration that always verifies the server.
//!
//! By default the platform's verifier decides (the system's roots on Linux). With
//! `ca_file`, the certificates in that PEM file are trusted as well: that is how a
//! self-hosted server with its own authority is reached. There is deliberately no way to
//! turn verification off. SMTP's TLS is built by lettre from the same inputs
//! (see `mail::smtp`); this module also reads the `ca_file` for it.

use crate::config::ServerConfig;
use crate::mail::MailError;
use std::path::Path;
use std::sync::Arc;
use tokio_rustls::rustls::{self, ClientConfig, pki_types::CertificateDer};

/// Installs the `ring` crypto provider as the process default, once. Configurations built
/// here name their provider explicitly, so this only matters for other rustls users in the
/// process; an already installed provider is left alone.
pub fn install_crypto_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// A client configuration for `server`: platform roots, plus `ca_file` when set.
pub fn client_config(server: &ServerConfig) -> Result<Arc<ClientConfig>, MailError> {
    install_crypto_provider();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let tls_error = |reason: String| MailError::Tls { host: server.host.clone(), reason };
    let verifier = match &server.ca_file {
        Some(path) => {
            let roots = read_ca_file(path).map_err(tls_error)?;
            rustls_platform_verifier::Verifier::new_with_extra_roots(roots, provider.clone())
        }
        None => rustls_platform_verifier::Verifier::new(provider.clone()),
    }
    .map_err(|err| tls_error(format!("cannot set up certificate verification: {err}")))?;
    let config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|err| tls_error(format!("cannot set up TLS: {err}")))?
        .dangerous() // Not dangerous: this installs the platform verifier, which verifies.
        .with_custom_certificate_verifier(Arc::new(verifier))
        .with_no_client_auth();
    Ok(Arc::new(config))
}

/// The certificates in a PEM file; an error (as text) when there is none or it is unreadable.
pub fn read_ca_file(path: &Path) -> Result<Vec<CertificateDer<'static>>, String> {
    let pem = std::fs::read(path).map_err(|err| format!("cannot read ca_file {}: {err}", path.display()))?;
    let certificates = rustls_pemfile::certs(&mut pem.as_slice())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|err| format!("ca_file {} is not a PEM file: {err}", path.display()))?;
    if certificates.is_empty() {
        return Err(format!("ca_file {} holds no certificate (expected PEM \"BEGIN CERTIFICATE\")", path.display()));
    }
    Ok(certificates)
}

/// The config refuses `security = "plain"` for a remote host already; this keeps the
/// promise for a `ServerConfig` built any other way.
pub fn refuse_plain_text_to_remote_host(server: &ServerConfig) -> Result<(), MailError> {
    if server.security == crate::config::Security::Plain && !crate::config::is_loopback_host(&server.host) {
        return Err(MailError::Tls {
            host: server.host.clone(),
            reason: "refusing to send credentials unencrypted to a host that is not loopback".into(),
        });
    }
    Ok(())
}

/// Sorts an error from a TLS handshake: a refused certificate or a failed negotiation is
/// [`MailError::Tls`]; anything else (a reset, EOF) is a lost connection.
pub fn handshake_error(server: &ServerConfig, err: std::io::Error) -> MailError {
    if let Some(tls) = err.get_ref().and_then(|inner| inner.downcast_ref::<rustls::Error>()) {
        let reason = match tls {
            rustls::Error::InvalidCertificate(problem) => {
                format!("the server's certificate is not trusted ({problem:?})")
            }
            other => other.to_string(),
        };
        return MailError::Tls { host: server.host.clone(), reason };
    }
    MailError::ConnectionLost {
        host: server.host.clone(),
        port: server.port,
        reason: format!("during the TLS handshake: {err}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{AuthMethod, SecretSource, Security};

    #[test]
    fn plain_text_is_only_for_loopback() {
        let mut server = ServerConfig {
            host: "imap.example.net".into(),
            port: 143,
            security: Security::Plain,
            username: "u".into(),
            auth: AuthMethod::Plain,
            secret: SecretSource::Env("X".into()),
            ca_file: None,
        };
        assert!(matches!(refuse_plain_text_to_remote_host(&server), Err(MailError::Tls { .. })));
        server.host = "127.0.0.1".into();
        assert!(refuse_plain_text_to_remote_host(&server).is_ok());
        server.host = "imap.example.net".into();
        server.security = Security::Starttls;
        assert!(refuse_plain_text_to_remote_host(&server).is_ok());
    }

    #[test]
    fn a_ca_file_without_certificates_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("empty.pem");
        std::fs::write(&path, "not a certificate\n").unwrap();
        assert!(read_ca_file(&path).unwrap_err().contains("holds no certificate"));
        assert!(read_ca_file(&dir.path().join("missing.pem")).unwrap_err().contains("cannot read ca_file"));
    }
}
