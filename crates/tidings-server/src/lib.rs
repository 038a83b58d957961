//! The HTTP side of Tidings: router, handlers, theme rendering and the page cache.
//!
//! Only this crate knows axum. Handlers are thin: they extract, ask the store, and render views
//! through the theme; the page cache keeps rendered pages per content generation.

pub mod admin;
pub mod api;
pub mod app;
pub mod cache;
pub mod conn;
pub mod error;
pub mod metrics;
pub mod middleware;
pub mod router;
pub mod searches;
pub mod server;
pub mod site_config;
pub mod throttle;
pub mod web;
pub mod workers;

pub use app::{AppState, SiteConfig};
pub use server::{serve, Server};
pub use tidings_theme::{views, Theme};
