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

/// What a failed handshake with `host` probably means and what to try, in the admin's
/// words; the error itself goes beside it.
pub fn explain(e: &TlsError, host: &str, ca_file: Option<&Path>) -> String {
    match e {
        TlsError::CaFile { .. } => "cannot read ca_file".into(),
        TlsError::HostName(_) => format!("{host:?} is not a host name TLS can check"),
        TlsError::Handshake(_) => explain_text(&e.to_string(), host, ca_file),
    }
}

/// [`explain`] for the text of any error of a handshake (lettre's STARTTLS gives text).
pub fn explain_text(text: &str, host: &str, ca_file: Option<&Path>) -> String {
    let has = |s: &str| text.contains(s);
    if has("InvalidContentType") || has("corrupt message") {
        "the server did not answer TLS: is this port plain or STARTTLS? (security = \"starttls\" or \"plain\" there; \"tls\" is for ports like 993 and 465)".into()
    } else if has("UnknownIssuer") || has("BadSignature") {
        match ca_file {
            Some(p) => format!(
                "the server's certificate is not signed by a CA in ca_file {} nor by one this system trusts: is ca_file the certificate of the CA that signed the server's?",
                p.display()
            ),
            None => "the server's certificate is not signed by a CA this system trusts: set ca_file to the PEM certificate of the CA that signed it".into(),
        }
    } else if has("NotValidForName") {
        format!("the server's certificate is not valid for {host:?}: use the host name the certificate was issued for")
    } else if has("Expired") || has("NotValidYet") {
        "the server's certificate is expired or not valid yet (or this machine's clock is wrong)"
            .into()
    } else if has("eof") || has("reset") || has("close_notify") {
        "the server closed the connection during the TLS handshake: does this port speak TLS from the first byte?".into()
    } else {
        "the TLS handshake failed".into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn handshake_error(text: &str) -> TlsError {
        TlsError::Handshake(std::io::Error::new(std::io::ErrorKind::InvalidData, text))
    }

    #[test]
    fn explains_the_usual_mistakes() {
        let plain = handshake_error("received corrupt message of type InvalidContentType");
        assert!(explain(&plain, "h", None).contains("plain or STARTTLS"));
        let ca = handshake_error("invalid peer certificate: BadSignature");
        let with = explain(&ca, "h", Some(Path::new("/etc/pilah/ca.pem")));
        assert!(with.contains("ca_file /etc/pilah/ca.pem"), "{with}");
        assert!(explain(&ca, "h", None).contains("set ca_file"));
        let name = handshake_error("invalid peer certificate: NotValidForName");
        assert!(explain(&name, "mail.x", None).contains("\"mail.x\""));
    }
}
