//! Presentation shared by web pages and emails: the theme (templates and assets, embedded and
//! overridable), the view structs templates see, and the site's identity as every process shows it.
//!
//! Nothing here speaks HTTP: the web crate serves what this renders, and the newsletter and
//! donation services render their emails with the same theme.

pub mod colour;
pub mod email_texts;
mod jsonld;
pub mod navigation;
mod site;
mod site_view;
mod templates;
pub mod views;

pub use site::{parse_digest_time, Identity, SiteInfo, OVERRIDDEN_BY};
pub use templates::{content_type, digest, escape_html, Asset, Theme, ThemeError};
pub use views::SiteView;
