//! Reader donations on the server: the configured gateway, what happens when a payment succeeds or
//! fails (receipts, monthly plans), renewals run here for the test gateway, and the emails.

pub mod emails;
pub mod flow;
pub mod gateway;
pub mod renewals;

pub use gateway::{Gateway, Payments};
