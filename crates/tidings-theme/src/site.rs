//! The site's identity from the configuration, and the site-wide view built from it and the
//! settings.

use chrono_tz::Tz;
use tidings_store::{Store, StoreError};

use crate::views::SiteView;

/// What pages and emails say about the site that comes from the configuration.
#[derive(Debug, Clone)]
pub struct SiteInfo {
    /// Site name.
    pub title: String,
    /// Public base URL, no trailing slash.
    pub url: String,
    /// Content language.
    pub language: String,
    /// Display timezone.
    pub timezone: Tz,
    /// Whether `site.title` was set in the configuration (it then wins over the setting).
    pub title_fixed: bool,
}

/// The site's name: the `site_title` setting, unless the configuration sets `site.title`
/// explicitly; the configured default only when neither says anything.
pub fn site_title(configured: &str, fixed: bool, settings: &tidings_store::Settings) -> String {
    match settings.get("site_title").trim() {
        title if !fixed && !title.is_empty() => title.to_string(),
        _ => configured.to_string(),
    }
}

impl SiteInfo {
    /// From the configuration (already validated).
    pub fn from_config(config: &tidings_config::Config) -> Self {
        SiteInfo {
            title: config.site.title.clone(),
            url: config.site_url(),
            language: config.site.language.clone(),
            timezone: config.timezone(),
            title_fixed: config.set_by("site.title").is_some(),
        }
    }

    /// The site-wide view: these facts with the settings and the masthead's sections.
    pub async fn view(&self, store: &Store) -> Result<SiteView, StoreError> {
        let settings = store.settings().await?;
        let sections = store.sections(6).await?;
        Ok(SiteView::new(
            &site_title(&self.title, self.title_fixed, &settings),
            &self.url,
            &self.language,
            &settings,
            &sections,
        ))
    }
}
