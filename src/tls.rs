//! The TLS client, one for IMAP and SMTP: which CAs pilah trusts (the system's, plus a
//! server's `ca_file`) and the handshake over an open TCP connection.
//!
//! No timeouts and no protocol here: the caller bounds the handshake with its own timeout
//! and turns a [`TlsError`] into its own error with the server's name. (lettre's STARTTLS for
//! SMTP builds its own client from the same `ca_file`.)

use rustls::pki_types::ServerName;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio_rustls::client::TlsStream;

#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("ca_file {}: {detail}", path.display())]
    CaFile { path: PathBuf, detail: String },
    #[error("bad host name: {0}")]
    HostName(#[from] rustls::pki_types::InvalidDnsNameError),
    #[error("{0}")]
    Handshake(#[from] std::io::Error),
}

/// The client setup: the system's CAs, plus the certificates of `ca_file` if given.
pub fn client_config(ca_file: Option<&Path>) -> Result<Arc<rustls::ClientConfig>, TlsError> {
    let mut roots = rustls::RootCertStore::empty();
    // A system certificate rustls cannot parse is skipped, as the system's own tools do.
    for cert in rustls_native_certs::load_native_certs().certs {
        let _ = roots.add(cert);
    }
    if let Some(path) = ca_file {
        use rustls::pki_types::pem::PemObject;
        let err = |detail: String| TlsError::CaFile {
            path: path.to_path_buf(),
            detail,
        };
        let certs = rustls::pki_types::CertificateDer::pem_file_iter(path)
            .map_err(|e| err(e.to_string()))?;
        for c in certs {
            let c = c.map_err(|e| err(e.to_string()))?;
            roots.add(c).map_err(|e| err(e.to_string()))?;
        }
    }
    Ok(Arc::new(
        rustls::ClientConfig::builder()
            .with_root_certificates(roots)
            .with_no_client_auth(),
    ))
}

/// The TLS handshake with `host` over `stream`, verifying the server's certificate for it.
pub async fn handshake<S>(
    config: Arc<rustls::ClientConfig>,
    host: &str,
    stream: S,
) -> Result<TlsStream<S>, TlsError>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let name = ServerName::try_from(host.to_string())?;
    Ok(tokio_rustls::TlsConnector::from(config)
        .connect(name, stream)
        .await?)
}
