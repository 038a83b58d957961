//! Newsletter rules without I/O: which addresses are accepted and how they are normalised, the
//! proof-of-work that signup forms require, signed recipient-specific tokens, and when and with
//! which stories the daily digest goes out.

mod csv_io;
mod pow;
mod ranking;
mod schedule;
mod signed;

pub use csv_io::{
    escape_cell, parse_subscribers, ImportRow, ImportStatus, LineError, SourceFormat,
};
pub use pow::{issue_challenge, solve, verify_solution, Challenge, PowError, SIGNUP_DIFFICULTY};
pub use ranking::{arrange, rank, Candidate};
pub use schedule::{due_edition, parse_time, send_instant, upcoming_edition};
pub use signed::{sign_token, verify_token};
pub use tidings_accounts::{normalise_address, AddressError};
