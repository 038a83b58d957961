//! Pooled SMTP connections for `smtp://` URLs (plain or STARTTLS), opened with `TCP_NODELAY`.
//!
//! lettre writes a message body and its closing `.` in two writes; with Nagle's algorithm on, the
//! second waits for the server's delayed ACK, about 40 ms on Linux, which caps a connection near
//! 25 messages a second. Opening the socket ourselves lets us turn Nagle off (ADR 005).

use std::time::{Duration, Instant};

use lettre::address::Envelope;
use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::{AsyncSmtpConnection, TlsParameters};
use lettre::transport::smtp::extension::ClientId;
use tokio::sync::{Mutex, Semaphore};

use crate::transport::MailError;

/// Idle connections older than this are closed rather than reused (servers drop them anyway).
const IDLE: Duration = Duration::from_secs(30);
/// Connect and command timeout.
const TIMEOUT: Duration = Duration::from_secs(30);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum StartTls {
    Never,
    IfOffered,
    Required,
}

/// Where and how to connect, read from an `smtp://` URL.
#[derive(Debug, Clone)]
struct Target {
    host: String,
    port: u16,
    starttls: StartTls,
    credentials: Option<Credentials>,
    hello: ClientId,
}

fn parse(url: &str) -> Result<Target, MailError> {
    let bad = |m: &str| MailError::Config(m.to_string());
    let u = url::Url::parse(url).map_err(|e| bad(&e.to_string()))?;
    let host = u
        .host_str()
        .ok_or_else(|| bad("the SMTP host is missing"))?
        .to_string();
    let tls = u
        .query_pairs()
        .find(|(k, _)| k == "tls")
        .map(|(_, v)| v.into_owned());
    let (starttls, default_port) = match tls.as_deref() {
        None => (StartTls::Never, 25),
        Some("opportunistic") => (StartTls::IfOffered, 587),
        Some("required") => (StartTls::Required, 587),
        Some(other) => {
            return Err(bad(&format!(
                "tls={other} must be required or opportunistic"
            )))
        }
    };
    let decode = |s: &str| {
        percent_encoding::percent_decode_str(s)
            .decode_utf8_lossy()
            .into_owned()
    };
    let credentials = u
        .password()
        .map(|p| Credentials::new(decode(u.username()), decode(p)));
    let hello = if u.path().len() > 1 {
        ClientId::Domain(u.path().trim_matches('/').to_string())
    } else {
        ClientId::default()
    };
    Ok(Target {
        port: u.port().unwrap_or(default_port),
        host,
        starttls,
        credentials,
        hello,
    })
}

/// An open, greeted session, and whether its server takes pipelined commands.
struct Session {
    conn: AsyncSmtpConnection,
    pipelining: bool,
}

/// Up to `size` open connections, each used by one message at a time.
pub(crate) struct Pool {
    target: Target,
    idle: Mutex<Vec<(Session, Instant)>>,
    permits: Semaphore,
}

impl Pool {
    /// A pool for an `smtp://` URL; connections open on first use.
    pub(crate) fn new(url: &str, size: u32) -> Result<Pool, MailError> {
        Ok(Pool {
            target: parse(url)?,
            idle: Mutex::new(Vec::new()),
            permits: Semaphore::new(size.max(1) as usize),
        })
    }

    async fn connect(&self) -> Result<Session, MailError> {
        let t = &self.target;
        let tcp = tokio::time::timeout(
            TIMEOUT,
            tokio::net::TcpStream::connect((t.host.as_str(), t.port)),
        )
        .await
        .map_err(|_| {
            MailError::Io(std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                "SMTP connect timed out",
            ))
        })??;
        tcp.set_nodelay(true)?;
        let mut conn = AsyncSmtpConnection::connect_with_transport(Box::new(tcp), &t.hello).await?;
        let offered = conn.can_starttls();
        match t.starttls {
            StartTls::Required | StartTls::IfOffered if offered => {
                let params = TlsParameters::new(t.host.clone())?;
                conn.starttls(params, &t.hello).await?;
            }
            StartTls::Required => {
                return Err(MailError::Config(format!(
                    "{} does not offer STARTTLS, which tls=required asks for",
                    t.host
                )))
            }
            _ => {}
        }
        if let Some(credentials) = &t.credentials {
            conn.auth(&[Mechanism::Plain, Mechanism::Login], credentials)
                .await?;
        }
        let pipelining = crate::session::offers_pipelining(&mut conn, &t.hello).await?;
        Ok(Session { conn, pipelining })
    }

    /// Connects, greets (and authenticates), then says goodbye.
    pub(crate) async fn test_connection(&self) -> Result<(), MailError> {
        let mut session = self.connect().await?;
        session.conn.quit().await?;
        Ok(())
    }

    /// Sends one formatted message on a pooled connection (opening one if none is idle).
    pub(crate) async fn send(&self, envelope: &Envelope, bytes: &[u8]) -> Result<(), MailError> {
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|e| MailError::Config(e.to_string()))?;
        let reused = {
            let mut idle = self.idle.lock().await;
            let mut found = None;
            while let Some((session, since)) = idle.pop() {
                if since.elapsed() < IDLE && !session.conn.has_broken() {
                    found = Some(session);
                    break;
                }
                // Stale: let it go (dropping closes the socket).
            }
            found
        };
        let mut session = match reused {
            Some(s) => s,
            None => self.connect().await?,
        };
        let sent = tokio::time::timeout(
            TIMEOUT,
            crate::session::send(&mut session.conn, session.pipelining, envelope, bytes),
        )
        .await;
        match sent {
            Ok(Ok(())) => {
                self.idle.lock().await.push((session, Instant::now()));
                Ok(())
            }
            // A refusal can leave pipelined answers unread: the session goes, and the next
            // message opens a fresh one.
            Ok(Err(e)) => Err(e.into()),
            Err(_) => Err(MailError::Io(std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                "SMTP server did not answer in time",
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_name_host_port_tls_and_credentials() {
        let t = parse("smtp://user%40x:p%2Fw@mail.example.org:2525?tls=required").unwrap();
        assert_eq!(
            (t.host.as_str(), t.port, t.starttls),
            ("mail.example.org", 2525, StartTls::Required)
        );
        assert!(t.credentials.is_some());
        let t = parse("smtp://127.0.0.1").unwrap();
        assert_eq!((t.port, t.starttls), (25, StartTls::Never));
        assert!(parse("smtp://h?tls=maybe").is_err());
    }
}
