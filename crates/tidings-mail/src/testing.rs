//! A real, small SMTP server on loopback for tests: it speaks enough of RFC 5321 for lettre and
//! keeps what it receives. Recipients can be told to fail, temporarily (4xx) or for good (5xx).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

/// One message as the server received it.
#[derive(Debug, Clone)]
pub struct Received {
    /// Envelope sender.
    pub from: String,
    /// Envelope recipients.
    pub to: Vec<String>,
    /// The message as sent after DATA (headers and body, dot-unstuffed).
    pub data: String,
}

impl Received {
    /// The value of the first header with this name (case-insensitive), unfolded.
    pub fn header(&self, name: &str) -> Option<String> {
        let head = self.data.split("\r\n\r\n").next()?;
        let mut value: Option<String> = None;
        for line in head.split("\r\n") {
            if let Some(v) = value.as_mut() {
                if line.starts_with(' ') || line.starts_with('\t') {
                    v.push_str(line.trim_start());
                    continue;
                }
                break;
            }
            if let Some((k, v)) = line.split_once(':') {
                if k.eq_ignore_ascii_case(name) {
                    value = Some(v.trim().to_string());
                }
            }
        }
        value
    }
}

/// A running SMTP catcher.
#[derive(Clone)]
pub struct SmtpCatcher {
    /// Where it listens.
    pub addr: SocketAddr,
    received: Arc<Mutex<Vec<Received>>>,
    failures: Arc<Mutex<HashMap<String, u16>>>,
    delay: Arc<Mutex<std::time::Duration>>,
    plain: Arc<AtomicBool>,
}

impl SmtpCatcher {
    /// Starts a catcher on a free loopback port.
    pub async fn start() -> SmtpCatcher {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind loopback");
        let catcher = SmtpCatcher {
            addr: listener.local_addr().expect("address"),
            received: Arc::default(),
            failures: Arc::default(),
            delay: Arc::default(),
            plain: Arc::default(),
        };
        let c = catcher.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let c = c.clone();
                tokio::spawn(async move {
                    let _ = c.session(stream).await;
                });
            }
        });
        catcher
    }

    /// The `mail.url` that points Tidings at this server (plain SMTP on loopback).
    pub fn url(&self) -> String {
        format!("smtp://{}", self.addr)
    }

    /// Messages received so far.
    pub fn messages(&self) -> Vec<Received> {
        self.received.lock().expect("lock").clone()
    }

    /// How many messages were received so far.
    pub fn count(&self) -> usize {
        self.received.lock().expect("lock").len()
    }

    /// Messages received for one recipient.
    pub fn messages_to(&self, to: &str) -> Vec<Received> {
        self.messages()
            .into_iter()
            .filter(|m| m.to.iter().any(|t| t.eq_ignore_ascii_case(to)))
            .collect()
    }

    /// Waits (up to 10 s) until at least `n` messages reached `to`, and returns them.
    pub async fn wait_for(&self, to: &str, n: usize) -> Vec<Received> {
        self.wait_for_within(to, n, std::time::Duration::from_secs(10))
            .await
    }

    /// Like [`SmtpCatcher::wait_for`], waiting up to `limit`.
    pub async fn wait_for_within(
        &self,
        to: &str,
        n: usize,
        limit: std::time::Duration,
    ) -> Vec<Received> {
        let started = std::time::Instant::now();
        while started.elapsed() < limit {
            let got = self.messages_to(to);
            if got.len() >= n {
                return got;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        panic!(
            "{to} did not receive {n} message(s); got {:?}",
            self.messages_to(to)
        );
    }

    /// Makes the server take `delay` after each message's data before accepting it (a slow or
    /// distant mail server).
    pub fn delay_each(&self, delay: std::time::Duration) {
        *self.delay.lock().expect("lock") = delay;
    }

    /// Stops offering PIPELINING to new sessions (a server that takes one command at a time).
    pub fn without_pipelining(&self) {
        self.plain.store(true, Ordering::SeqCst);
    }

    /// Makes RCPT TO for `to` answer with `code` (e.g. 450 or 550).
    pub fn fail_recipient(&self, to: &str, code: u16) {
        self.failures
            .lock()
            .expect("lock")
            .insert(to.to_ascii_lowercase(), code);
    }

    /// Accepts mail for `to` again after [`SmtpCatcher::fail_recipient`].
    pub fn accept_recipient(&self, to: &str) {
        self.failures
            .lock()
            .expect("lock")
            .remove(&to.to_ascii_lowercase());
    }

    async fn session(&self, stream: tokio::net::TcpStream) -> std::io::Result<()> {
        stream.set_nodelay(true)?;
        let (read, mut write) = stream.into_split();
        let mut lines = BufReader::new(read);
        write.write_all(b"220 tidings-test ESMTP\r\n").await?;
        let mut from = String::new();
        let mut to = Vec::new();
        let mut line = String::new();
        // Replies to pipelined commands, held until the client's group has been read: a reply
        // per write would leave the client waiting on delayed acknowledgements (RFC 2920 asks a
        // server to answer a group together).
        let mut replies = String::new();
        loop {
            line.clear();
            if lines.read_line(&mut line).await? == 0 {
                return Ok(());
            }
            let cmd = line.trim_end().to_string();
            let upper = cmd.to_ascii_uppercase();
            // Commands are answered in the order they arrive, however many came in one packet,
            // which is all PIPELINING asks of a server.
            let reply: String = if upper.starts_with("EHLO") {
                let pipelining = if self.plain.load(Ordering::SeqCst) {
                    ""
                } else {
                    "250-PIPELINING\r\n"
                };
                format!("250-tidings-test\r\n{pipelining}250-8BITMIME\r\n250 SMTPUTF8\r\n")
            } else if upper.starts_with("HELO") {
                "250 tidings-test\r\n".into()
            } else if upper.starts_with("MAIL FROM:") {
                from = address(&cmd[10..]);
                to.clear();
                "250 OK\r\n".into()
            } else if upper.starts_with("RCPT TO:") {
                let rcpt = address(&cmd[8..]);
                let code = self
                    .failures
                    .lock()
                    .expect("lock")
                    .get(&rcpt.to_ascii_lowercase())
                    .copied();
                match code {
                    Some(code) => format!("{code} refused for this test\r\n"),
                    None => {
                        to.push(rcpt);
                        "250 OK\r\n".into()
                    }
                }
            } else if upper == "DATA" && to.is_empty() {
                // RFC 2920: a pipelined DATA after refused recipients must be refused too.
                "554 no valid recipients\r\n".into()
            } else if upper == "DATA" {
                replies.push_str("354 end with <CRLF>.<CRLF>\r\n");
                write
                    .write_all(std::mem::take(&mut replies).as_bytes())
                    .await?;
                let mut data = String::new();
                loop {
                    line.clear();
                    if lines.read_line(&mut line).await? == 0 {
                        return Ok(());
                    }
                    if line == ".\r\n" || line == ".\n" {
                        break;
                    }
                    let unstuffed = line.strip_prefix('.').unwrap_or(&line);
                    data.push_str(unstuffed);
                }
                // A slow server: the message counts only if the client is still there to hear
                // the answer (a client killed meanwhile never learns it was accepted).
                let delay = *self.delay.lock().expect("lock");
                if !delay.is_zero() {
                    line.clear();
                    tokio::select! {
                        _ = tokio::time::sleep(delay) => {}
                        read = lines.read_line(&mut line) => {
                            if matches!(read, Ok(0) | Err(_)) {
                                return Ok(());
                            }
                        }
                    }
                }
                self.received.lock().expect("lock").push(Received {
                    from: from.clone(),
                    to: std::mem::take(&mut to),
                    data,
                });
                "250 queued\r\n".into()
            } else if upper == "RSET" {
                to.clear();
                "250 OK\r\n".into()
            } else if upper == "NOOP" {
                "250 OK\r\n".into()
            } else if upper == "QUIT" {
                replies.push_str("221 bye\r\n");
                write.write_all(replies.as_bytes()).await?;
                return Ok(());
            } else {
                "502 command not implemented\r\n".into()
            };
            replies.push_str(&reply);
            if lines.buffer().is_empty() {
                write
                    .write_all(std::mem::take(&mut replies).as_bytes())
                    .await?;
            }
        }
    }
}

fn address(s: &str) -> String {
    let s = s.trim();
    let s = s.split_whitespace().next().unwrap_or_default();
    s.trim_start_matches('<').trim_end_matches('>').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Email, Mailer};

    #[tokio::test]
    async fn smtp_delivers_text_and_html_to_the_catcher() {
        let catcher = SmtpCatcher::start().await;
        let dir = tempfile::tempdir().unwrap();
        let mailer =
            Mailer::new(&catcher.url(), "Newsroom <news@example.org>", dir.path()).unwrap();
        mailer
            .send(&Email {
                from_name: None,
                from_address: None,
                to: "reader@example.net".into(),
                subject: "Hello".into(),
                text: "Plain words.\n.leading dot".into(),
                html: Some("<p>Rich words.</p>".into()),
                headers: vec![(
                    "List-Unsubscribe".into(),
                    "<https://example.org/u/1>".into(),
                )],
                message_id: Some("fixed-1@example.org".into()),
            })
            .await
            .unwrap();
        let got = catcher.messages_to("reader@example.net");
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].from, "news@example.org");
        assert_eq!(got[0].header("Subject").unwrap(), "Hello");
        assert_eq!(
            got[0].header("Message-ID").unwrap(),
            "<fixed-1@example.org>"
        );
        assert_eq!(
            got[0].header("List-Unsubscribe").unwrap(),
            "<https://example.org/u/1>"
        );
        assert!(got[0]
            .header("Content-Type")
            .unwrap()
            .starts_with("multipart/alternative"));
        assert!(got[0].data.contains(".leading dot"));
    }

    #[tokio::test]
    async fn permanent_and_temporary_refusals_are_told_apart() {
        let catcher = SmtpCatcher::start().await;
        catcher.fail_recipient("gone@example.net", 550);
        catcher.fail_recipient("busy@example.net", 450);
        let dir = tempfile::tempdir().unwrap();
        let mailer = Mailer::new(&catcher.url(), "news@example.org", dir.path()).unwrap();
        let mail = |to: &str| Email {
            to: to.into(),
            subject: "x".into(),
            text: "x".into(),
            ..Email::default()
        };
        let err = mailer.send(&mail("gone@example.net")).await.unwrap_err();
        assert!(err.is_permanent(), "{err}");
        let err = mailer.send(&mail("busy@example.net")).await.unwrap_err();
        assert!(!err.is_permanent(), "{err}");
        assert!(mailer
            .send(&mail("not an address"))
            .await
            .unwrap_err()
            .is_permanent());
        // A refusal mid-pipeline costs the session, not the next message.
        mailer.send(&mail("reader@example.net")).await.unwrap();
        assert_eq!(catcher.messages_to("reader@example.net").len(), 1);
    }

    #[tokio::test]
    async fn pipelined_and_one_at_a_time_sessions_carry_the_same_message() {
        let dir = tempfile::tempdir().unwrap();
        let email = Email {
            to: "reader@example.net".into(),
            subject: "Dots".into(),
            text: ".first\nmiddle\n..second\n.".into(),
            message_id: Some("dots@example.org".into()),
            ..Email::default()
        };
        let mut bodies = Vec::new();
        for plain in [false, true] {
            let catcher = SmtpCatcher::start().await;
            if plain {
                catcher.without_pipelining();
            }
            let mailer = Mailer::new(&catcher.url(), "news@example.org", dir.path()).unwrap();
            for _ in 0..3 {
                mailer.send(&email).await.unwrap();
            }
            let got = catcher.messages_to("reader@example.net");
            assert_eq!(got.len(), 3, "every message on the reused session");
            let data = &got[2].data;
            let body = &data[data.find("\r\n\r\n").unwrap()..];
            assert!(
                body.contains("\r\n.first\r\nmiddle\r\n..second\r\n.\r\n"),
                "{body:?}"
            );
            bodies.push(body.to_string());
        }
        assert_eq!(bodies[0], bodies[1]);
    }

    #[tokio::test]
    async fn outbox_writes_readable_eml_files() {
        let dir = tempfile::tempdir().unwrap();
        let mailer = Mailer::new("outbox", "news@example.org", dir.path()).unwrap();
        mailer
            .send(&Email {
                to: "reader@example.net".into(),
                subject: "Invitation".into(),
                text: "Join us".into(),
                ..Email::default()
            })
            .await
            .unwrap();
        let files: Vec<_> = std::fs::read_dir(dir.path().join("outbox"))
            .unwrap()
            .collect();
        assert_eq!(files.len(), 1);
        let path = files[0].as_ref().unwrap().path();
        assert_eq!(path.extension().unwrap(), "eml");
        let text = std::fs::read_to_string(path).unwrap();
        assert!(text.contains("Subject: Invitation") && text.contains("Join us"));
        assert!(Mailer::new("ftp://x", "news@example.org", dir.path()).is_err());
        assert!(Mailer::new("outbox", "not an address", dir.path()).is_err());
    }
}
