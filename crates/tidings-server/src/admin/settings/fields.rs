//! Every setting the admin edits: its page, label, help, kind and limits, and the check a value
//! must pass before it is saved.

use tidings_theme::colour;

/// The settings pages, in the order the admin lists them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Section {
    Site,
    Organisation,
    Newsletter,
    Donations,
    Search,
}

impl Section {
    /// All of them, in order.
    pub const ALL: [Section; 5] = [
        Section::Site,
        Section::Organisation,
        Section::Newsletter,
        Section::Donations,
        Section::Search,
    ];

    /// The path segment after `/admin/settings/` (empty for the first page).
    pub fn slug(self) -> &'static str {
        match self {
            Section::Site => "",
            Section::Organisation => "organisation",
            Section::Newsletter => "newsletter",
            Section::Donations => "donations",
            Section::Search => "search",
        }
    }

    /// The page's heading.
    pub fn title(self) -> &'static str {
        match self {
            Section::Site => "Site",
            Section::Organisation => "Organisation",
            Section::Newsletter => "Newsletter",
            Section::Donations => "Donations",
            Section::Search => "Search engines and code",
        }
    }

    /// The page for a path segment.
    pub fn from_slug(slug: &str) -> Option<Section> {
        Section::ALL.into_iter().find(|s| s.slug() == slug)
    }
}

/// What a value is, which decides its input and its check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// One line of text.
    Line,
    /// Several lines of text.
    Text,
    /// An email address.
    Email,
    /// An email address on the domain mail is sent and signed for.
    SenderAddress,
    /// https:// addresses, one per line.
    Urls,
    /// One https:// address.
    HttpsUrl,
    /// A BCP 47 language tag.
    Language,
    /// An IANA timezone name.
    Timezone,
    /// A `#rrggbb` colour readable on the theme's backgrounds.
    Colour,
    /// `HH:MM`, or `off`.
    DigestTime,
    /// A whole number in a range.
    Count(u32, u32),
    /// On or off (a checkbox).
    Toggle,
    /// The slug of a donation form.
    DonationForm,
    /// A search engine's verification code (or the whole meta tag it gives).
    Verification,
    /// `data-*` attributes for the analytics script, `name=value` per line.
    Attributes,
    /// Lines to add to `robots.txt`.
    Robots,
    /// The whole `ads.txt`.
    AdsTxt,
}

/// One editable setting.
#[derive(Debug)]
pub struct Field {
    pub key: &'static str,
    pub label: &'static str,
    pub help: &'static str,
    pub section: Section,
    pub kind: Kind,
    pub max: usize,
    pub required: bool,
}

const fn field(
    key: &'static str,
    label: &'static str,
    help: &'static str,
    section: Section,
    kind: Kind,
    max: usize,
) -> Field {
    Field {
        key,
        label,
        help,
        section,
        kind,
        max,
        required: false,
    }
}

use Kind::*;
use Section::*;

/// The settings, page by page, in the order each page shows them.
pub const FIELDS: &[Field] = &[
    Field {
        required: true,
        ..field("site_title", "Site name", "In the masthead, page titles, feeds and the sender of every email.", Site, Line, 120)
    },
    field("site_description", "Tagline", "Under the masthead and in search results.", Site, Line, 300),
    field("site_language", "Language", "The language stories are written in, as a code such as en, fr or pt-BR; browsers and screen readers use it.", Site, Language, 35),
    field("site_timezone", "Timezone", "Dates shown to readers and the digest's clock, such as Europe/London or America/Chicago.", Site, Timezone, 64),
    field("accent_colour", "Accent colour", "Buttons, section labels and highlights, as #rrggbb. It must stay readable: 4.5:1 against white.", Site, Colour, 7),
    field("organisation_name", "Legal name", "In the footer, on receipts and in newsletter footers.", Organisation, Line, 200),
    field("organisation_address", "Postal address", "Receipts and newsletters must carry it by law in many countries.", Organisation, Text, 500),
    field("registration_number", "Registration or charity number", "On receipts.", Organisation, Line, 200),
    field("receipt_tax_text", "Tax wording on receipts", "For example: No goods or services were provided in exchange for this gift.", Organisation, Text, 1000),
    field("contact_email", "Contact email", "Where readers write to the newsroom; in the footer.", Organisation, Email, 254),
    field("social_profiles", "Profiles elsewhere", "One address per line (https://…): linked in the footer and named to search engines.", Organisation, Urls, 2000),
    field("newsletter_name", "Newsletter name", "In the signup box, confirmation emails and digest subjects.", Newsletter, Line, 120),
    field("newsletter_description", "Description", "Under the name in every signup box and on the signup page.", Newsletter, Line, 300),
    field("newsletter_sender_name", "Sender name", "Who newsletters come from in the inbox; the site name when empty.", Newsletter, Line, 120),
    field("newsletter_sender_address", "Sender address", "The address newsletters come from; it must be on the sending domain, so SPF and DKIM keep vouching for it. The configured sender when empty.", Newsletter, SenderAddress, 254),
    field("newsletter_reply_to", "Reply-to address", "Where readers' replies to a newsletter go; the sending address when empty.", Newsletter, Email, 254),
    field("newsletter_footer", "Footer text", "At the foot of every newsletter, above the address and the unsubscribe link.", Newsletter, Text, 1000),
    field("digest_time", "Digest time", "When the daily digest goes out (HH:MM in the site's timezone), or off.", Newsletter, DigestTime, 5),
    field("digest_max_stories", "Stories per digest", "The most stories one digest carries (1 to 50).", Newsletter, Count(1, 50), 4),
    field("donation_cta_enabled", "Ask for donations at the end of stories", "The call to action and its button under every story.", Donations, Toggle, 3),
    field("donation_cta", "Call to action on articles", "Shown at the end of every story, with the donate button.", Donations, Text, 500),
    field("donation_default_form", "Form at /donate/", "The donation form readers reach from every Donate button.", Donations, DonationForm, 60),
    field("donation_fee_text", "Fee-cover wording", "Beside the box donors tick to cover the card fee; the organisation's name is added after it.", Donations, Line, 200),
    field("google_site_verification", "Google Search Console code", "The code from the HTML tag method (or paste the whole tag).", Search, Verification, 200),
    field("bing_site_verification", "Bing Webmaster code", "The code from Bing's meta tag (or paste the whole tag).", Search, Verification, 200),
    field("robots_extra", "Added to robots.txt", "Lines such as Disallow: /drafts/ or a User-agent group; the site's own rules and sitemaps stay.", Search, Robots, 2000),
    field("ads_txt", "ads.txt", "Served at /ads.txt for advertising partners; empty means no file.", Search, AdsTxt, 20000),
    field("analytics_script", "Analytics script address", "One https:// script, such as Plausible's or Matomo's; its host is allowed by the security policy.", Search, HttpsUrl, 500),
    field("analytics_attributes", "Analytics script attributes", "data-* attributes for it, one name=value per line, such as data-domain=news.example.", Search, Attributes, 1000),
];

/// The fields of one page.
pub fn of(section: Section) -> impl Iterator<Item = &'static Field> {
    FIELDS.iter().filter(move |f| f.section == section)
}

/// A verification code from the code itself or the `<meta … content="…">` tag pasted whole.
pub fn verification_code(value: &str) -> &str {
    let v = value.trim();
    match v.find("content=") {
        Some(at) => v[at + 8..]
            .trim_start_matches(['"', '\''])
            .split(['"', '\''])
            .next()
            .unwrap_or_default(),
        None => v,
    }
}

fn one_line(value: &str) -> bool {
    !value.chars().any(char::is_control)
}

fn https_url(value: &str) -> bool {
    url::Url::parse(value).is_ok_and(|u| u.scheme() == "https" && u.host_str().is_some())
}

fn language_tag(value: &str) -> bool {
    let mut parts = value.split('-');
    let first = parts.next().unwrap_or_default();
    (2..=3).contains(&first.len())
        && first.bytes().all(|b| b.is_ascii_alphabetic())
        && parts.all(|p| (1..=8).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_alphanumeric()))
}

const ROBOTS_FIELDS: &[&str] = &["user-agent", "disallow", "allow", "sitemap", "crawl-delay"];

fn robots_line(line: &str) -> bool {
    line.is_empty()
        || line.starts_with('#')
        || line.split_once(':').is_some_and(|(name, value)| {
            ROBOTS_FIELDS.contains(&name.trim().to_ascii_lowercase().as_str()) && one_line(value)
        })
}

/// An ads.txt line (IAB Tech Lab ads.txt 1.1): a comment, a `variable=value`, or a record of
/// domain, account id, DIRECT or RESELLER, and an optional certification authority id.
fn ads_line(line: &str) -> bool {
    let line = line.split('#').next().unwrap_or_default().trim();
    if line.is_empty() {
        return true;
    }
    if let Some((name, value)) = line.split_once('=') {
        if !line.contains(',') {
            return !name.trim().is_empty() && !value.trim().is_empty();
        }
    }
    let fields: Vec<&str> = line.split(',').map(str::trim).collect();
    (3..=4).contains(&fields.len())
        && fields[0].contains('.')
        && !fields[1].is_empty()
        && ["direct", "reseller"].contains(&fields[2].to_ascii_lowercase().as_str())
}

fn attribute_line(line: &str) -> bool {
    line.split_once('=').is_some_and(|(name, value)| {
        let name = name.trim();
        name.len() > 5
            && name.starts_with("data-")
            && name[5..]
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !value.contains(['"', '<', '>', '&'])
            && one_line(value)
    })
}

fn lines(value: &str) -> impl Iterator<Item = &str> {
    value.lines().map(str::trim)
}

/// What some checks compare a value with.
pub struct Known<'a> {
    /// The donation forms' slugs.
    pub forms: &'a [String],
    /// The domain of the configured sending address.
    pub mail_domain: &'a str,
}

/// Why `value` cannot be saved in `f`, if it cannot.
pub fn check(f: &Field, value: &str, known: &Known) -> Option<String> {
    let v = value.trim();
    if f.required && v.is_empty() {
        return Some(format!("{} cannot be empty.", f.label));
    }
    if v.chars().count() > f.max {
        return Some(format!("At most {} characters.", f.max));
    }
    if v.is_empty() {
        return None;
    }
    let multiline = matches!(f.kind, Text | Urls | Attributes | Robots | AdsTxt);
    let bad = |c: char| c.is_control() && !(multiline && (c == '\n' || c == '\r' || c == '\t'));
    if v.chars().any(bad) {
        return Some(if multiline {
            "Control characters are not allowed.".into()
        } else {
            "One line, please: no line breaks or control characters.".into()
        });
    }
    match f.kind {
        Line | Text | Toggle => None,
        Email => tidings_accounts::normalise_address(v)
            .err()
            .map(|e| format!("`{v}`: {e}.")),
        SenderAddress => match tidings_accounts::normalise_address(v) {
            Err(e) => Some(format!("`{v}`: {e}.")),
            Ok(a) => {
                let domain = a.rsplit('@').next().unwrap_or_default();
                (!domain.eq_ignore_ascii_case(known.mail_domain)).then(|| {
                    format!(
                        "Newsletters can only come from an address at {} (the domain mail is sent and signed for).",
                        known.mail_domain
                    )
                })
            }
        },
        Urls => lines(v)
            .filter(|l| !l.is_empty())
            .find(|l| !https_url(l))
            .map(|l| format!("`{l}` is not an https:// address.")),
        HttpsUrl => (!https_url(v)).then(|| format!("`{v}` is not an https:// address.")),
        Language => (!language_tag(v))
            .then(|| format!("`{v}` is not a language code such as en, fr or pt-BR.")),
        Timezone => v.parse::<chrono_tz::Tz>().err().map(|_| {
            format!("`{v}` is not a timezone name such as Europe/London or America/New_York.")
        }),
        Colour => match colour::parse(v) {
            None => Some(format!("`{v}` is not a colour written as #rrggbb.")),
            Some(c) => colour::unreadable(c),
        },
        DigestTime => (v != "off" && tidings_theme::parse_digest_time(v).is_none())
            .then(|| format!("`{v}` is not a time as HH:MM (24-hour), nor off.")),
        Count(lo, hi) => match v.parse::<u32>() {
            Ok(n) if (lo..=hi).contains(&n) => None,
            _ => Some(format!("A whole number from {lo} to {hi}.")),
        },
        DonationForm => (!known.forms.iter().any(|s| s == v))
            .then(|| format!("There is no donation form `{v}`.")),
        Verification => {
            let code = verification_code(v);
            let ok = !code.is_empty()
                && code
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
            (!ok).then(|| "Paste the code (letters, digits, - and _) or the whole meta tag.".into())
        }
        Attributes => lines(v)
            .filter(|l| !l.is_empty())
            .find(|l| !attribute_line(l))
            .map(|l| format!("`{l}`: one data-name=value per line, without quotes.")),
        Robots => lines(v)
            .find(|l| !robots_line(l))
            .map(|l| format!("`{l}`: each line is a comment or User-agent, Disallow, Allow, Sitemap or Crawl-delay followed by a colon.")),
        AdsTxt => lines(v).find(|l| !ads_line(l)).map(|l| {
            format!("`{l}`: each line is a comment, a variable=value, or domain, account, DIRECT or RESELLER[, authority].")
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn find(key: &str) -> &'static Field {
        FIELDS.iter().find(|f| f.key == key).unwrap()
    }

    #[test]
    fn one_bad_value_per_kind_is_refused_and_a_good_one_passes() {
        let forms = vec!["default".to_string()];
        let known = Known {
            forms: &forms,
            mail_domain: "news.example",
        };
        let cases = [
            ("site_title", "", "The Ledger", "cannot be empty"),
            ("site_title", "The Ledger\nBcc: x", "The Ledger", "One line"),
            ("site_language", "english!", "pt-BR", "language code"),
            (
                "site_timezone",
                "Mars/Olympus",
                "Europe/London",
                "timezone name",
            ),
            ("accent_colour", "red", "#a4161a", "#rrggbb"),
            ("accent_colour", "#ffee00", "#0b4f8a", "4.5:1"),
            (
                "contact_email",
                "newsroom",
                "news@example.org",
                "`newsroom`",
            ),
            (
                "newsletter_sender_address",
                "tide@elsewhere.example",
                "tide@news.example",
                "only come from an address at news.example",
            ),
            (
                "social_profiles",
                "http://x.example",
                "https://bsky.app/profile/x",
                "https://",
            ),
            ("digest_time", "7am", "07:00", "HH:MM"),
            ("digest_time", "25:00", "off", "HH:MM"),
            ("digest_max_stories", "0", "12", "from 1 to 50"),
            (
                "donation_default_form",
                "gala",
                "default",
                "no donation form",
            ),
            (
                "google_site_verification",
                "<script>",
                "abc-DEF_123",
                "Paste the code",
            ),
            (
                "robots_extra",
                "Bcc: me",
                "User-agent: GPTBot\nDisallow: /",
                "User-agent",
            ),
            (
                "ads_txt",
                "nonsense",
                "google.com, pub-1, DIRECT, f08c47fec0942fa0\ncontact=ads@example.org",
                "DIRECT or RESELLER",
            ),
            (
                "analytics_script",
                "http://plausible.io/js/script.js",
                "https://plausible.io/js/script.js",
                "https://",
            ),
            (
                "analytics_attributes",
                "onload=alert(1)",
                "data-domain=news.example",
                "data-name=value",
            ),
        ];
        for (key, bad, good, message) in cases {
            let f = find(key);
            let refused = check(f, bad, &known).unwrap_or_else(|| panic!("{key}: {bad:?} passed"));
            assert!(refused.contains(message), "{key}: {refused}");
            assert_eq!(check(f, good, &known), None, "{key}: {good:?}");
        }
    }

    #[test]
    fn a_pasted_meta_tag_gives_its_code() {
        assert_eq!(
            verification_code(r#"<meta name="google-site-verification" content="abc_123-X" />"#),
            "abc_123-X"
        );
        assert_eq!(verification_code(" abc "), "abc");
    }
}
