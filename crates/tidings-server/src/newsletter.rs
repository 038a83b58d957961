//! The newsletter's moving parts on the server: the read counter that ranks stories, digest
//! assembly and scheduling, the emails themselves, and the durable sending worker.

pub mod csv;
pub mod digest;
pub mod email;
pub mod reads;
pub mod sender;

pub use digest::{DigestDraft, QueueOutcome, StoryItem};
pub use reads::ReadCounter;
pub use sender::{SendReport, Sender};
