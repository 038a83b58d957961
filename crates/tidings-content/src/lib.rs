//! Pure content rules, with no I/O: Markdown to sanitized HTML, slugs, reading time and excerpts.

mod markdown;
mod names;
mod reading_time;
pub mod search_query;
mod slug;
mod text;

pub use markdown::{render_markdown, sanitize_html};
pub use names::names;
pub use reading_time::{count_words, reading_minutes, WORDS_PER_MINUTE};
pub use slug::{slugify, validate_slug, SlugError, RESERVED_SLUGS};
pub use text::{escape_cell, excerpt, html_to_text};

/// Article lifecycle states, stored as text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Not visible to readers.
    Draft,
    /// Becomes published at its `published_at` time.
    Scheduled,
    /// Visible to readers.
    Published,
}

impl Status {
    /// The stored text form.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Draft => "draft",
            Status::Scheduled => "scheduled",
            Status::Published => "published",
        }
    }

    /// Parses the stored text form.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "draft" => Some(Status::Draft),
            "scheduled" => Some(Status::Scheduled),
            "published" => Some(Status::Published),
            _ => None,
        }
    }
}

/// Whether a piece of content is a news article or a static page (About, Privacy, ...).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// Dated news story: in listings, feeds and sitemaps.
    Article,
    /// Evergreen page: shares the URL space but stays out of feeds and listings.
    Page,
}

impl Kind {
    /// The stored text form.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Article => "article",
            Kind::Page => "page",
        }
    }

    /// Parses the stored text form.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "article" => Some(Kind::Article),
            "page" => Some(Kind::Page),
            _ => None,
        }
    }
}
