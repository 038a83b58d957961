//! Sending email. One [`Mailer`] with two real transports: an outbox folder of `.eml` files in the
//! data dir (the default: readable, nothing lost) and SMTP (any provider; STARTTLS or implicit TLS,
//! authentication, pooled connections), optionally DKIM-signed. Newsroom mail, newsletters and receipts all go through it.

mod dkim;
mod dns_check;
#[cfg(feature = "testing")]
pub mod dns_testing;
mod message;
mod pool;
mod session;
#[cfg(feature = "testing")]
pub mod testing;
mod transport;

pub use dkim::{configured_advice, dns_advice, DkimSigner, DnsAdvice};
pub use dns_check::{
    check_records, parse_server, resolver, RecordCheck, RecordState, ResolverError,
};
pub use message::Email;
pub use transport::{Formatted, Formatting, MailError, MailOptions, Mailer, OUTBOX_JOB};
