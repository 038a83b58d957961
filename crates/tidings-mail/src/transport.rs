//! The transports: outbox folder or SMTP.

use std::path::{Path, PathBuf};

use lettre::message::Mailbox;
use lettre::transport::smtp::{AsyncSmtpTransport, PoolConfig};
use lettre::{AsyncTransport, Tokio1Executor};

use crate::dkim::DkimSigner;
use crate::message::{random_id, Email};

/// Why a message could not be sent.
#[derive(Debug, thiserror::Error)]
pub enum MailError {
    /// The mail URL in the configuration is not usable.
    #[error("mail.url: {0}")]
    Config(String),
    /// A recipient or sender address does not parse.
    #[error("invalid email address: {0}")]
    Address(String),
    /// A header name is not valid ASCII.
    #[error("invalid header name: {0}")]
    Header(String),
    /// Building the MIME message failed.
    #[error("cannot build the message: {0}")]
    Build(#[from] lettre::error::Error),
    /// The SMTP server refused or the connection failed.
    #[error("SMTP: {0}")]
    Smtp(#[from] lettre::transport::smtp::Error),
    /// Writing to the outbox failed.
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

impl MailError {
    /// Whether the receiving side refused the message for good (SMTP 5xx).
    pub fn is_permanent(&self) -> bool {
        matches!(self, MailError::Smtp(e) if e.is_permanent())
            || matches!(self, MailError::Address(_))
    }
}

enum Transport {
    Outbox(PathBuf),
    /// `smtp://` (plain or STARTTLS): our own pool, so Nagle can be turned off.
    Pooled(crate::pool::Pool),
    /// `smtps://` (implicit TLS): lettre's pool.
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
}

/// How many connections to keep and whether to sign.
#[derive(Debug, Default)]
pub struct MailOptions {
    /// Most SMTP connections open at once (0 means the default, 4).
    pub connections: u32,
    /// Sign every message with this key.
    pub dkim: Option<DkimSigner>,
}

/// The job kind that sends one stored [`Email`] (its payload from [`Mailer::outbox_payload`]).
pub const OUTBOX_JOB: &str = "mail.send";

/// Sends [`Email`]s through the configured transport; clones share its connections.
#[derive(Clone)]
pub struct Mailer {
    /// The sender; its display name follows the site's name (clones share it).
    from: std::sync::Arc<std::sync::RwLock<Mailbox>>,
    /// Whether the sender was configured explicitly (`mail.from` or `site.title`): then the site's
    /// name in the database does not rename it.
    fixed_name: bool,
    transport: std::sync::Arc<Transport>,
    dkim: Option<std::sync::Arc<DkimSigner>>,
    /// Sign on the caller's thread rather than a blocking one (see [`Mailer::signing_inline`]).
    sign_inline: bool,
}

impl Mailer {
    /// `url` is `outbox`, `smtp://[user:pass@]host[:port][?tls=required]` or `smtps://...`.
    pub fn new(url: &str, from: &str, data_dir: &Path) -> Result<Mailer, MailError> {
        Self::with_options(url, from, data_dir, MailOptions::default())
    }

    /// The mailer the configuration describes: `mail.url` and `mail.from`, the pool size, and the
    /// DKIM key when one is set. Every process on a site builds it the same way.
    pub fn from_config(config: &tidings_config::Config) -> Result<Mailer, MailError> {
        let dkim = match &config.mail.dkim_key_file {
            Some(path) => Some(DkimSigner::load(
                path,
                &config.mail.dkim_selector,
                &config.mail_domain(),
            )?),
            None => None,
        };
        let options = MailOptions {
            connections: config.mail.connections,
            dkim,
        };
        let mut mailer = Self::with_options(
            &config.mail.url,
            &config.mail_from(),
            &config.server.data_dir,
            options,
        )?;
        mailer.fixed_name = !config.mail.from.is_empty() || config.set_by("site.title").is_some();
        Ok(mailer)
    }

    /// Signs messages with the site's name as it stands in the database (every process on the
    /// same data sends as the same name), unless the configuration fixed the sender.
    pub fn set_sender_name(&self, name: &str) {
        if self.fixed_name {
            return;
        }
        let name: String = name
            .chars()
            .filter(|c| !c.is_control() && !matches!(c, '<' | '>' | '"'))
            .collect();
        let name = name.trim();
        if name.is_empty() {
            return;
        }
        let mut from = self.from.write().expect("sender lock");
        if from.name.as_deref() != Some(name) {
            from.name = Some(name.to_string());
        }
    }

    /// `email` as a job payload for [`OUTBOX_JOB`], with a Message-ID fixed now so that a retry
    /// after a crash repeats it.
    /// The sender's display name goes with it, so the process that sends it later (a worker)
    /// signs it as the process that wrote it did.
    pub fn outbox_payload(&self, mut email: Email) -> String {
        let from = self.from();
        if email.message_id.is_none() {
            let tag: u64 = rand::random();
            email.message_id = Some(format!("tidings.{tag:016x}@{}", from.email.domain()));
        }
        if email.from_name.is_none() && !self.fixed_name {
            email.from_name = from.name.clone();
        }
        serde_json::to_string(&email).unwrap_or_default()
    }

    /// Like [`Mailer::new`], with a connection pool size and an optional DKIM key.
    pub fn with_options(
        url: &str,
        from: &str,
        data_dir: &Path,
        options: MailOptions,
    ) -> Result<Mailer, MailError> {
        let connections = if options.connections == 0 {
            4
        } else {
            options.connections
        };
        let from: Mailbox = from
            .parse()
            .map_err(|_| MailError::Address(from.to_string()))?;
        let transport = if url == "outbox" {
            Transport::Outbox(data_dir.join("outbox"))
        } else if url.starts_with("smtp://") {
            Transport::Pooled(crate::pool::Pool::new(url, connections)?)
        } else if url.starts_with("smtps://") {
            let builder = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
                .map_err(|e| MailError::Config(e.to_string()))?;
            // Connections stay open between messages; each is used by one send at a time, so at
            // most `connections` messages are ever in flight.
            let pool = PoolConfig::new()
                .max_size(connections)
                .idle_timeout(std::time::Duration::from_secs(30));
            Transport::Smtp(
                builder
                    .pool_config(pool)
                    .timeout(Some(std::time::Duration::from_secs(30)))
                    .build(),
            )
        } else {
            return Err(MailError::Config(format!(
                "`{url}` must be outbox, smtp://... or smtps://..."
            )));
        };
        Ok(Mailer {
            from: std::sync::Arc::new(std::sync::RwLock::new(from)),
            fixed_name: false,
            transport: std::sync::Arc::new(transport),
            dkim: options.dkim.map(std::sync::Arc::new),
            sign_inline: false,
        })
    }

    /// The same mailer, signing on the thread that formats each message. For a process that
    /// serves no pages (a digest sent from the command line, a worker): there a hand-off to a
    /// blocking thread for every signature costs more than it frees, about a sixth of a signed
    /// digest's rate (docs/benchmarks.md (d)); a server keeps its async workers free for readers.
    pub fn signing_inline(mut self) -> Mailer {
        self.sign_inline = true;
        self
    }

    /// The sender, with the name it signs as now.
    pub fn from(&self) -> Mailbox {
        self.from.read().expect("sender lock").clone()
    }

    /// The DKIM key messages are signed with, if any.
    pub fn dkim(&self) -> Option<&DkimSigner> {
        self.dkim.as_deref()
    }

    /// Human description of the transport, without secrets.
    pub fn describe(&self) -> String {
        match &*self.transport {
            Transport::Outbox(dir) => format!("outbox folder {}", dir.display()),
            Transport::Smtp(_) | Transport::Pooled(_) => "SMTP".to_string(),
        }
    }

    /// Opens a connection to the mail server and closes it again (for `tidings check`).
    pub async fn test_connection(&self) -> Result<(), MailError> {
        match &*self.transport {
            Transport::Outbox(dir) => {
                tokio::fs::create_dir_all(dir).await?;
                Ok(())
            }
            Transport::Pooled(pool) => pool.test_connection().await,
            Transport::Smtp(smtp) => match smtp.test_connection().await? {
                true => Ok(()),
                false => Err(MailError::Config("the SMTP server did not answer".into())),
            },
        }
    }

    /// Sends one message.
    pub async fn send(&self, email: &Email) -> Result<(), MailError> {
        match self.format(email).await {
            Ok(formatted) => self.transmit(&formatted).await,
            Err(e) => {
                count(false);
                Err(e)
            }
        }
    }

    /// Builds (and signs) the message for its recipient without sending it, so that a sender can
    /// prepare the next message while the outcome of the last one is being recorded.
    pub async fn format(&self, email: &Email) -> Result<Formatted, MailError> {
        self.start_format(email)?.finish().await
    }

    /// Builds the message now, on the caller's thread, and starts signing it on a blocking
    /// thread when a key is set (or signs it here, see [`Mailer::signing_inline`]): a sender that
    /// formats many messages pays no task hand-off for the cheap part and still signs on every
    /// core.
    pub fn start_format(&self, email: &Email) -> Result<Formatting, MailError> {
        let mut from = self.from();
        if let (Some(name), false) = (&email.from_name, self.fixed_name) {
            from.name = Some(name.clone());
        }
        if let Some(address) = email
            .from_address
            .as_deref()
            .and_then(|a| a.parse::<lettre::Address>().ok())
            .filter(|a| a.domain().eq_ignore_ascii_case(from.email.domain()))
        {
            from.email = address;
        }
        let message = email.to_message(&from)?;
        let envelope = message.envelope().clone();
        let bytes = match &self.dkim {
            // An RSA signature takes a core for about a quarter of a millisecond: off the async
            // workers, so that several sign at once on every core while pages keep being served.
            Some(dkim) if self.sign_inline => Signing::Unsigned(dkim.sign(&message.formatted())),
            Some(dkim) => {
                let dkim = dkim.clone();
                let formatted = message.formatted();
                Signing::Started(tokio::task::spawn_blocking(move || dkim.sign(&formatted)))
            }
            None => Signing::Unsigned(message.formatted()),
        };
        Ok(Formatting { envelope, bytes })
    }

    /// Hands a formatted message to the transport.
    pub async fn transmit(&self, message: &Formatted) -> Result<(), MailError> {
        let sent = self.transmit_now(message).await;
        count(sent.is_ok());
        sent
    }

    async fn transmit_now(&self, message: &Formatted) -> Result<(), MailError> {
        let Formatted { envelope, bytes } = message;
        match &*self.transport {
            Transport::Outbox(dir) => {
                tokio::fs::create_dir_all(dir).await?;
                let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%S%.3fZ");
                let name = format!("{stamp}-{}.eml", &random_id()[..8]);
                // Write then rename, so a reader never sees half a message.
                let tmp = dir.join(format!(".{name}.tmp"));
                tokio::fs::write(&tmp, bytes).await?;
                tokio::fs::rename(&tmp, dir.join(name)).await?;
                Ok(())
            }
            Transport::Pooled(pool) => pool.send(envelope, bytes).await,
            Transport::Smtp(smtp) => {
                smtp.send_raw(envelope, bytes).await?;
                Ok(())
            }
        }
    }
}

/// A message built for its recipient, perhaps still being signed.
#[derive(Debug)]
pub struct Formatting {
    envelope: lettre::address::Envelope,
    bytes: Signing,
}

#[derive(Debug)]
enum Signing {
    Unsigned(Vec<u8>),
    Started(tokio::task::JoinHandle<Vec<u8>>),
}

impl Formatting {
    /// The message once signed (at once when no key is set).
    pub async fn finish(self) -> Result<Formatted, MailError> {
        let bytes = match self.bytes {
            Signing::Unsigned(bytes) => bytes,
            Signing::Started(signing) => signing
                .await
                .map_err(|e| MailError::Io(std::io::Error::other(e)))?,
        };
        Ok(Formatted {
            envelope: self.envelope,
            bytes,
        })
    }
}

/// One message's bytes as they go on the wire, with the envelope they go under.
#[derive(Debug, Clone)]
pub struct Formatted {
    envelope: lettre::address::Envelope,
    bytes: Vec<u8>,
}

fn count(sent: bool) {
    let result = if sent { "sent" } else { "failed" };
    metrics::counter!("tidings_mail_messages_total", "result" => result).increment(1);
}
