//! The process's log, on standard error (standard output carries only what a command prints for
//! the person running it): lines for a person by default, one JSON object a line with
//! `log.format = "json"`. Logging starts before the configuration is read (so that loading it can log), in the
//! text format; the format is switched once the configuration says otherwise.

use std::sync::OnceLock;

use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{reload, Layer, Registry};

type Format = Box<dyn Layer<Registry> + Send + Sync>;

static FORMAT: OnceLock<reload::Handle<Format, Registry>> = OnceLock::new();

fn text() -> Format {
    tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_target(false)
        .boxed()
}

fn json() -> Format {
    // Each line carries the request's span (its id, method and route) beside the event's fields.
    tracing_subscriber::fmt::layer()
        .json()
        .with_writer(std::io::stderr)
        .with_target(false)
        .with_current_span(true)
        .with_span_list(false)
        .flatten_event(true)
        .boxed()
}

/// Starts logging to standard error, filtered by `RUST_LOG` (default: info, quieter libraries).
pub fn init() {
    let (format, handle) = reload::Layer::new(text());
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| "info,sqlx=warn,tower_http=warn".into());
    tracing_subscriber::registry()
        .with(format)
        .with(filter)
        .init();
    let _ = FORMAT.set(handle);
}

/// Switches to the configured format.
pub fn configure(config: &tidings_config::Config) {
    if !config.log.json() {
        return;
    }
    if let Some(handle) = FORMAT.get() {
        let _ = handle.reload(json());
    }
}
