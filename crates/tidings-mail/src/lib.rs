//! Sending email. One [`Mailer`] with two real transports: an outbox folder of `.eml` files in the
//! data dir (the default: readable, nothing lost) and SMTP (any provider; STARTTLS or implicit TLS,
//! authentication, pooled connections), optionally DKIM-signed. Newsroom mail, newsletters and receipts all go through it.

mod dkim;
mod message;
mod pool;
#[cfg(feature = "testing")]
pub mod testing;
mod transport;

pub use dkim::{dns_advice, DkimSigner, DnsAdvice};
pub use message::Email;
pub use transport::{MailError, MailOptions, Mailer, OUTBOX_JOB};
