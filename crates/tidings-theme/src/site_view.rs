//! The site-wide view every page and email sees: the identity in force and the outlet's settings,
//! with every string ready to print.

use chrono::{Datelike, Utc};
use serde::Serialize;
use tidings_store::{Settings, Tag};

use crate::site::Identity;
use crate::views::{tag_link, LinkView};

/// Site-wide facts shared by every page.
#[derive(Debug, Clone, Serialize)]
pub struct SiteView {
    /// Site name.
    pub title: String,
    /// Public base URL without trailing slash.
    pub url: String,
    /// Content language.
    pub language: String,
    /// One-line description for the home page and feeds.
    pub description: String,
    /// Organisation behind the outlet.
    pub organisation: String,
    /// Postal address for the footer.
    pub address: String,
    /// Where readers write to the newsroom (footer), if set.
    pub contact_email: String,
    /// The outlet's profiles elsewhere (footer links, JSON-LD `sameAs`).
    pub social: Vec<LinkView>,
    /// Name of the daily newsletter.
    pub newsletter_name: String,
    /// Call-to-action text for donations.
    pub donate_text: String,
    /// What the newsletter is, under its name in signup boxes.
    pub newsletter_description: String,
    /// Words at the foot of every newsletter.
    pub newsletter_footer: String,
    /// Who newsletters come from, when not the site's name.
    pub newsletter_sender: String,
    /// The address newsletters come from, if not the configured sender's.
    pub newsletter_sender_address: String,
    /// Where replies to newsletters go, if not the sending address.
    pub newsletter_reply_to: String,
    /// Whether stories end with the call to action.
    pub donate_cta: bool,
    /// The slug of the form `/donate/` shows.
    pub donate_form: String,
    /// The words beside the fee-cover box (the organisation's name follows).
    pub fee_text: String,
    /// The accent's stylesheet address, when the outlet chose an accent.
    pub theme_css: Option<String>,
    /// Search engines' verification codes.
    pub verification: Verification,
    /// The analytics script, if any.
    pub analytics: Option<Analytics>,
    /// The masthead logo's address under `/media/`, if the outlet uploaded one.
    pub logo: String,
    /// The logo for dark mode, if any.
    pub logo_dark: String,
    /// The icon's stem under `/media/` (`-32.png` … `-512.png`), if any.
    pub icon: String,
    /// The absolute address of the image shared for pages without their own, if any.
    pub share_image: String,
    /// The menu under the masthead.
    pub header_menu: Vec<LinkView>,
    /// The menu in the footer.
    pub footer_menu: Vec<LinkView>,
    /// Masthead sections (primary tags).
    pub sections: Vec<LinkView>,
    /// Current year, for the footer.
    pub year: i32,
}

impl SiteView {
    /// The line that signs the site's own emails: the organisation, and its postal address.
    pub fn mail_footer(&self) -> String {
        match self.address.as_str() {
            "" => self.organisation.clone(),
            address => format!("{}, {address}", self.organisation),
        }
    }

    /// Builds the site view from configuration-derived facts, settings and sections.
    pub fn new(
        identity: &Identity,
        url: &str,
        settings: &Settings,
        sections: &[Tag],
        [header_menu, footer_menu]: [Vec<LinkView>; 2],
    ) -> Self {
        let title = identity.title.as_str();
        let organisation = non_empty(settings.get("organisation_name"), title);
        SiteView {
            title: title.to_string(),
            url: url.to_string(),
            language: identity.language.clone(),
            description: non_empty(
                settings.get("site_description"),
                "Independent news, free to read.",
            ),
            donate_text: non_empty(
                settings.get("donation_cta"),
                &format!("Donate today to support independent journalism at {organisation}."),
            ),
            organisation,
            address: settings.get("organisation_address").to_string(),
            contact_email: settings.get("contact_email").trim().to_string(),
            social: settings
                .get("social_profiles")
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(|url| LinkView {
                    name: profile_name(url),
                    url: url.to_string(),
                })
                .collect(),
            newsletter_name: non_empty(settings.get("newsletter_name"), "The Daily Briefing"),
            newsletter_description: non_empty(
                settings.get("newsletter_description"),
                &format!("The day's most important stories from {title}, in your inbox every morning. Free."),
            ),
            newsletter_footer: settings.get("newsletter_footer").to_string(),
            newsletter_sender: settings.get("newsletter_sender_name").to_string(),
            newsletter_reply_to: settings.get("newsletter_reply_to").to_string(),
            newsletter_sender_address: settings.get("newsletter_sender_address").to_string(),
            donate_cta: settings.get("donation_cta_enabled") != "off",
            donate_form: non_empty(settings.get("donation_default_form"), "default"),
            fee_text: non_empty(
                settings.get("donation_fee_text"),
                "Add the processing fee so that",
            ),
            theme_css: crate::colour::parse(settings.get("accent_colour"))
                .map(|c| format!("/theme.css?v={}", &c.hex()[1..])),
            verification: Verification {
                google: settings.get("google_site_verification").to_string(),
                bing: settings.get("bing_site_verification").to_string(),
            },
            analytics: Analytics::from_settings(settings),
            logo: settings.get("logo_light").to_string(),
            logo_dark: settings.get("logo_dark").to_string(),
            icon: settings.get("site_icon").to_string(),
            share_image: match settings.get("share_image") {
                "" => String::new(),
                path => format!("{url}/media/{path}"),
            },
            header_menu,
            footer_menu,
            sections: sections.iter().map(tag_link).collect(),
            year: Utc::now().year(),
        }
    }
}

/// Search engines' site verification codes (empty when unset).
#[derive(Debug, Clone, Default, Serialize)]
pub struct Verification {
    /// Google Search Console.
    pub google: String,
    /// Bing Webmaster Tools (`msvalidate.01`).
    pub bing: String,
}

/// The outlet's one analytics script.
#[derive(Debug, Clone, Serialize)]
pub struct Analytics {
    /// Its https:// address.
    pub src: String,
    /// Its origin, for the security policy.
    pub origin: String,
    /// Its `data-*` attributes.
    pub attributes: Vec<(String, String)>,
}

impl Analytics {
    fn from_settings(settings: &Settings) -> Option<Self> {
        let src = settings.get("analytics_script").trim();
        let url = url::Url::parse(src)
            .ok()
            .filter(|u| u.scheme() == "https")?;
        let attributes = settings
            .get("analytics_attributes")
            .lines()
            .filter_map(|l| l.split_once('='))
            .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
            .filter(|(k, _)| k.starts_with("data-"))
            .collect();
        Some(Analytics {
            src: src.to_string(),
            origin: url.origin().ascii_serialization(),
            attributes,
        })
    }
}

/// A profile link's text: the service's name for the well-known ones, else the host.
fn profile_name(url: &str) -> String {
    let host = url
        .split("://")
        .nth(1)
        .unwrap_or(url)
        .split('/')
        .next()
        .unwrap_or("")
        .trim_start_matches("www.");
    let known = [
        ("bsky.app", "Bluesky"),
        ("mastodon", "Mastodon"),
        ("facebook.com", "Facebook"),
        ("instagram.com", "Instagram"),
        ("linkedin.com", "LinkedIn"),
        ("youtube.com", "YouTube"),
        ("tiktok.com", "TikTok"),
        ("threads.net", "Threads"),
        ("x.com", "X"),
        ("twitter.com", "X"),
    ];
    known
        .iter()
        .find(|(h, _)| host == *h || host.ends_with(&format!(".{h}")) || host.starts_with(h))
        .map(|(_, name)| name.to_string())
        .unwrap_or_else(|| host.to_string())
}

fn non_empty(value: &str, fallback: &str) -> String {
    if value.trim().is_empty() {
        fallback.to_string()
    } else {
        value.to_string()
    }
}
