//! The newsletter: its rules (which addresses are accepted, the signup proof-of-work, signed
//! recipient tokens, when and with which stories the daily digest goes out) and the service that
//! runs it over the store, the theme and the mailer (digest planning and scheduling, breaking
//! alerts, rendering, the durable sender, the read counter, subscriber CSV).

mod csv_io;
mod digest;
mod email;
mod notices;
mod pow;
mod ranking;
mod reads;
mod schedule;
mod sender;
mod service;
mod signed;
pub mod subscriber_csv;

pub use csv_io::{
    escape_cell, parse_subscribers, ImportRow, ImportStatus, LineError, SourceFormat,
};
pub use digest::{items_of, DigestDraft, QueueOutcome, StoryItem};
pub use email::TestCopy;
pub use pow::{issue_challenge, solve, verify_solution, Challenge, PowError, SIGNUP_DIFFICULTY};
pub use ranking::{arrange, rank, Candidate};
pub use reads::{is_reader, ReadCounter};
pub use schedule::{due_edition, send_instant, upcoming_edition};
pub use sender::{retry_at, SendReport, Sender, BATCH, LEASE, MAX_ATTEMPTS};
pub use service::{NewsletterError, NewsletterOptions, Newsletters, SECRET};
pub use signed::{sign_token, verify_token};
pub use tidings_accounts::{normalise_address, AddressError};
