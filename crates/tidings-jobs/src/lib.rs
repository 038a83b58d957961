//! Background work in one place. [`Runner`] claims jobs from the database's `jobs` table under a
//! lease, runs each with the handler registered for its kind, retries failures with backoff up to
//! the kind's limit and then marks them failed (shown in the admin, retried from there). Recurring
//! work is a row too, so it fires once per period across every process and after downtime.
//!
//! Work comes in two kinds. *Cluster-once* jobs go through the table: however many processes run
//! on one database, each job runs once. *Per-node* tasks (the generation watcher, this process's
//! read counter) are not jobs: every process runs its own, in the web crate.
//! [`site::runner`] registers every job the site has.

pub mod avif;
mod runner;
pub mod site;
pub mod webhooks;

pub use runner::{Handler, JobError, JobResult, Runner, Spec};
