//! The site's identity: what the configuration says, overridden by the settings the outlet edits
//! in the admin unless the configuration sets a key explicitly; and the site-wide view built from it.

use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};

use chrono::NaiveTime;
use chrono_tz::Tz;
use tidings_store::{Settings, Store, StoreError};

use crate::navigation::{self, Menu};
use crate::views::SiteView;

/// Settings that a configuration key overrides when set explicitly: (setting, configuration key).
pub const OVERRIDDEN_BY: &[(&str, &str)] = &[
    ("site_title", "site.title"),
    ("site_language", "site.language"),
    ("site_timezone", "site.timezone"),
    ("digest_time", "newsletter.digest_time"),
    ("digest_max_stories", "newsletter.max_stories"),
];

/// The identity in force: configuration defaults with the settings applied.
#[derive(Debug, Clone)]
pub struct Identity {
    /// Site name.
    pub title: String,
    /// Content language (BCP 47).
    pub language: String,
    /// The timezone readers see dates in, and the digest's clock.
    pub timezone: Tz,
    /// Local time the digest goes out; `None` when scheduled sending is off.
    pub digest_time: Option<NaiveTime>,
    /// Most stories in a digest.
    pub max_stories: usize,
}

/// What pages and emails say about the site; clones share the identity in force.
#[derive(Debug, Clone)]
pub struct SiteInfo {
    /// Public base URL, no trailing slash.
    pub url: String,
    /// The configuration's values, used where a setting is empty.
    configured: Identity,
    /// Configuration keys set explicitly in the file or the environment, with their source.
    explicit: Arc<BTreeMap<String, String>>,
    live: Arc<RwLock<Identity>>,
}

/// `HH:MM`, or `off` (or empty) for no scheduled digest.
pub fn parse_digest_time(value: &str) -> Option<NaiveTime> {
    NaiveTime::parse_from_str(value.trim(), "%H:%M").ok()
}

impl SiteInfo {
    /// From the configuration (already validated); settings apply from the first [`SiteInfo::view`].
    pub fn from_config(config: &tidings_config::Config) -> Self {
        let configured = Identity {
            title: config.site.title.clone(),
            language: config.site.language.clone(),
            timezone: config.timezone(),
            digest_time: parse_digest_time(&config.newsletter.digest_time),
            max_stories: config.newsletter.max_stories as usize,
        };
        SiteInfo {
            url: config.site_url(),
            live: Arc::new(RwLock::new(configured.clone())),
            configured,
            explicit: Arc::new(config.explicit.clone()),
        }
    }

    /// Where the configuration sets the key that overrides `setting`, if it does.
    pub fn fixed_by(&self, setting: &str) -> Option<&str> {
        let (_, key) = OVERRIDDEN_BY.iter().find(|(s, _)| *s == setting)?;
        self.explicit.get(*key).map(String::as_str)
    }

    /// A setting's value unless the configuration fixes it or it is empty.
    fn setting<'a>(&self, settings: &'a Settings, key: &str) -> Option<&'a str> {
        let value = settings.get(key).trim();
        (self.fixed_by(key).is_none() && !value.is_empty()).then_some(value)
    }

    /// Applies `settings` and answers the identity now in force (for every clone).
    pub fn apply(&self, settings: &Settings) -> Identity {
        let identity = self.resolve(settings);
        *self.live.write().expect("identity lock") = identity.clone();
        identity
    }

    /// The identity `settings` give, without applying it.
    pub fn resolve(&self, settings: &Settings) -> Identity {
        let c = &self.configured;
        Identity {
            title: self
                .setting(settings, "site_title")
                .map_or_else(|| c.title.clone(), str::to_string),
            language: self
                .setting(settings, "site_language")
                .map_or_else(|| c.language.clone(), str::to_string),
            timezone: self
                .setting(settings, "site_timezone")
                .and_then(|tz| tz.parse().ok())
                .unwrap_or(c.timezone),
            digest_time: match self.setting(settings, "digest_time") {
                Some(t) => parse_digest_time(t),
                None => c.digest_time,
            },
            max_stories: self
                .setting(settings, "digest_max_stories")
                .and_then(|n| n.parse().ok())
                .filter(|n| (1..=50).contains(n))
                .unwrap_or(c.max_stories),
        }
    }

    /// Reads the settings and applies them.
    pub async fn refresh(&self, store: &Store) -> Result<Identity, StoreError> {
        Ok(self.apply(&store.settings().await?))
    }

    /// The identity as last applied.
    pub fn identity(&self) -> Identity {
        self.live.read().expect("identity lock").clone()
    }

    /// The site's name as last applied.
    pub fn title(&self) -> String {
        self.live.read().expect("identity lock").title.clone()
    }

    /// The timezone readers see dates in, as last applied.
    pub fn timezone(&self) -> Tz {
        self.live.read().expect("identity lock").timezone
    }

    /// The site-wide view: the settings, the identity they give, the sections and the menus.
    pub async fn view(&self, store: &Store) -> Result<SiteView, StoreError> {
        let settings = store.settings().await?;
        let sections = store.sections(6).await?;
        let identity = self.apply(&settings);
        // Saved menus may name any tag or page; the built-in ones only the sections.
        let custom = [Menu::Header, Menu::Footer]
            .iter()
            .any(|m| navigation::saved(&settings, *m).is_some());
        let (tags, pages) = if custom {
            (store.list_tags().await?, store.published_pages().await?)
        } else {
            (sections.clone(), Vec::new())
        };
        let menu =
            |m| navigation::links(&navigation::items(&settings, m, &sections), &tags, &pages);
        let menus = [menu(Menu::Header), menu(Menu::Footer)];
        Ok(SiteView::new(
            &identity, &self.url, &settings, &sections, menus,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(env: &[(&str, &str)]) -> tidings_config::Config {
        let sources = tidings_config::Sources {
            env: env
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            ..Default::default()
        };
        tidings_config::load(&sources).unwrap()
    }

    fn settings(pairs: &[(&str, &str)]) -> Settings {
        Settings(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        )
    }

    #[test]
    fn settings_win_over_defaults_and_explicit_configuration_wins_over_settings() {
        let ours = settings(&[
            ("site_title", "The Harbour Ledger"),
            ("site_language", "fr"),
            ("site_timezone", "Europe/Paris"),
            ("digest_time", "off"),
            ("digest_max_stories", "5"),
        ]);
        let info = SiteInfo::from_config(&config(&[]));
        let id = info.apply(&ours);
        assert_eq!(id.title, "The Harbour Ledger");
        assert_eq!(id.language, "fr");
        assert_eq!(id.timezone, chrono_tz::Europe::Paris);
        assert_eq!(id.digest_time, None);
        assert_eq!(id.max_stories, 5);
        assert_eq!(
            info.clone().timezone(),
            chrono_tz::Europe::Paris,
            "clones share it"
        );

        let info = SiteInfo::from_config(&config(&[
            ("TIDINGS_SITE__TITLE", "Configured"),
            ("TIDINGS_SITE__TIMEZONE", "Asia/Tokyo"),
        ]));
        let id = info.apply(&ours);
        assert_eq!(id.title, "Configured");
        assert_eq!(id.timezone, chrono_tz::Asia::Tokyo);
        assert_eq!(
            id.language, "fr",
            "what the configuration leaves alone follows the setting"
        );
        assert!(info.fixed_by("site_title").is_some());
        assert!(info.fixed_by("site_language").is_none());

        let id = SiteInfo::from_config(&config(&[])).apply(&settings(&[]));
        assert_eq!(
            id.title, "Tidings",
            "the default only when nothing else says"
        );
    }
}
