//! The configuration sections and their defaults.

use std::net::SocketAddr;
use std::path::PathBuf;

use serde::Deserialize;

use crate::choices::{PaymentGateway, StripeMode};

/// The whole configuration, one field per `[section]` of `tidings.toml`.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// `[server]`: where to listen and where data lives.
    pub server: ServerConfig,
    /// `[site]`: public identity that infrastructure needs (URL, language, timezone).
    pub site: SiteConfig,
    /// `[database]`: which database to use.
    pub database: DatabaseConfig,
    /// `[mail]`: how email leaves.
    pub mail: MailConfig,
    /// `[payments]`: which payment gateway takes donations.
    pub payments: PaymentsConfig,
    /// `[newsletter]`: when the daily digest goes out.
    pub newsletter: NewsletterConfig,
    /// `[backup]`: where the nightly backup goes and how many are kept.
    pub backup: BackupConfig,
    /// `[search]`: how readers' searches are limited.
    pub search: SearchConfig,
    /// `[media]`: which image formats are made in the background.
    pub media: MediaConfig,
    /// `[api]`: who may call the JSON API from a browser, and how often.
    pub api: ApiConfig,
    /// `[metrics]`: where Prometheus may scrape the node's figures.
    pub metrics: MetricsConfig,
    /// `[log]`: how the process writes its log.
    pub log: LogConfig,
    /// Keys set explicitly (`site.title` → the file, variable or flag that set it); a key that is
    /// also a setting in the database wins over it only when listed here.
    #[serde(skip)]
    pub explicit: std::collections::BTreeMap<String, String>,
}

/// `[backup]` section.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BackupConfig {
    /// Folder for nightly backups (each in its own `tidings-backup-<time>` folder); unset turns
    /// the nightly backup off.
    pub dir: Option<PathBuf>,
    /// How many nightly backups are kept (the oldest beyond that are removed).
    #[serde(deserialize_with = "from_str_or_native")]
    pub keep: u32,
    /// Local time (HH:MM, site timezone) after which each day's backup is taken.
    pub time: String,
}

impl Default for BackupConfig {
    fn default() -> Self {
        Self {
            dir: None,
            keep: 7,
            time: "03:00".into(),
        }
    }
}

/// `[server]` section.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ServerConfig {
    /// Address and port to listen on.
    pub listen: SocketAddr,
    /// Folder holding the SQLite database, outbox, media and theme overrides.
    pub data_dir: PathBuf,
    /// Seconds a client has to send its request headers before the connection is closed.
    #[serde(deserialize_with = "from_str_or_native")]
    pub header_timeout_secs: u64,
    /// Addresses of reverse proxies whose `X-Forwarded-For` is believed (comma-separated in the
    /// environment); requests from anyone else are taken at their connection's address.
    #[serde(deserialize_with = "list_or_csv")]
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// Seconds a request body may go without sending a byte before the connection is closed.
    #[serde(deserialize_with = "from_str_or_native")]
    pub body_timeout_secs: u64,
    /// Seconds an idle keep-alive connection is kept open waiting for the next request.
    #[serde(deserialize_with = "from_str_or_native")]
    pub keep_alive_secs: u64,
    /// Most connections open at once; further clients wait in the kernel's backlog.
    #[serde(deserialize_with = "from_str_or_native")]
    pub max_connections: usize,
    /// Further `Host` names (with `:port` when not 80/443) the site answers to, besides
    /// `site.url`'s and the listen address (comma-separated in the environment).
    #[serde(deserialize_with = "list_or_csv")]
    pub allowed_hosts: Vec<String>,
    /// Whether `serve` runs the job runner too (`serve --no-jobs` turns it off, for nodes that
    /// only answer requests while `tidings worker` runs the jobs).
    #[serde(deserialize_with = "from_str_or_native")]
    pub jobs: bool,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            data_dir: PathBuf::from("./tidings-data"),
            header_timeout_secs: 10,
            trusted_proxies: Vec::new(),
            body_timeout_secs: 30,
            keep_alive_secs: 75,
            max_connections: 10_000,
            allowed_hosts: Vec::new(),
            jobs: true,
        }
    }
}

/// `[site]` section.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SiteConfig {
    /// Name shown in the masthead, titles and feeds.
    pub title: String,
    /// Public base URL; empty means "derived from the listen address".
    pub url: String,
    /// BCP 47 language tag of the content.
    pub language: String,
    /// IANA timezone in which dates are shown and the digest is scheduled.
    pub timezone: String,
    /// Whether RSS items carry the full article body or only the dek.
    #[serde(deserialize_with = "from_str_or_native")]
    pub feed_full_content: bool,
    /// Where to report a vulnerability (`mailto:` or `https:` URI), for `/.well-known/security.txt`.
    pub security_contact: String,
}

impl Default for SiteConfig {
    fn default() -> Self {
        Self {
            title: "Tidings".into(),
            url: String::new(),
            language: "en".into(),
            timezone: "UTC".into(),
            feed_full_content: true,
            security_contact: String::new(),
        }
    }
}

/// `[database]` section.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DatabaseConfig {
    /// `sqlite://...` or `postgres://...`; empty means the SQLite file in the data dir.
    pub url: String,
    /// Upper bound of pooled connections.
    #[serde(deserialize_with = "from_str_or_native")]
    pub max_connections: u32,
    /// A read-only copy (a streaming replica) for the public pages, feeds, search and content API;
    /// empty: everything reads the primary.
    pub replica_url: String,
}

impl Default for DatabaseConfig {
    fn default() -> Self {
        Self {
            url: String::new(),
            max_connections: 8,
            replica_url: String::new(),
        }
    }
}

/// `[mail]` section.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MailConfig {
    /// `outbox` (a folder of .eml files in the data dir), `smtp://host:port` or `smtps://host:port`.
    pub url: String,
    /// Sender address; empty means `no-reply@<site host>`.
    pub from: String,
    /// SMTP connections a newsletter send keeps open at once.
    #[serde(deserialize_with = "from_str_or_native")]
    pub connections: u32,
    /// DKIM selector (the `<selector>._domainkey` DNS name); signing is on when a key file is set.
    pub dkim_selector: String,
    /// PEM file with the DKIM private key (RSA or Ed25519, PKCS#8 or PKCS#1).
    pub dkim_key_file: Option<std::path::PathBuf>,
    /// The DNS server the SPF/DKIM/DMARC check asks (`IP` or `IP:PORT`); empty means the system's.
    pub dns_resolver: String,
}

impl Default for MailConfig {
    fn default() -> Self {
        Self {
            url: "outbox".into(),
            from: String::new(),
            connections: 4,
            dkim_selector: "tidings".into(),
            dkim_key_file: None,
            dns_resolver: String::new(),
        }
    }
}

/// `[payments]` section.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PaymentsConfig {
    /// `test` (no set-up, charges nothing) or `stripe`.
    pub gateway: String,
    /// ISO 4217 code of the default currency.
    pub currency: String,
    /// Stripe secret key (`sk_test_...` or `sk_live_...`); set it from the environment.
    pub stripe_secret_key: String,
    /// Signing secret of the `/webhooks/stripe` endpoint (`whsec_...`).
    pub stripe_webhook_secret: String,
    /// Stripe's API address (changed only to point at a local stand-in).
    pub stripe_api_base: String,
    /// `checkout` (redirect to Stripe's page; the default) or `elements` (the embedded Payment
    /// Element for one-time gifts; monthly gifts still use Checkout).
    pub stripe_mode: String,
    /// Publishable key (`pk_...`), needed by the embedded Payment Element.
    pub stripe_publishable_key: String,
    /// The gateway's proportional fee in basis points (290 = 2.9%), for "cover the fee".
    #[serde(deserialize_with = "from_str_or_native")]
    pub fee_basis_points: u32,
    /// The gateway's fixed fee per charge, in minor units.
    #[serde(deserialize_with = "from_str_or_native")]
    pub fee_fixed: u32,
    /// Donation attempts allowed per address and per email in an hour before 429.
    #[serde(deserialize_with = "from_str_or_native")]
    pub attempt_limit: u32,
    /// Optional third-party challenge on donation forms: empty (off), `turnstile` or `hcaptcha`.
    pub challenge_provider: String,
    /// The provider's site key (public, shown in the page).
    pub challenge_site_key: String,
    /// The provider's secret key; set it from the environment.
    pub challenge_secret: String,
    /// The provider's verification endpoint; empty means the provider's own.
    pub challenge_verify_url: String,
}

impl PaymentsConfig {
    /// The configured Stripe mode (validated by [`crate::load`]; Checkout if it was not).
    pub fn stripe_mode(&self) -> StripeMode {
        StripeMode::parse(&self.stripe_mode).unwrap_or(StripeMode::Checkout)
    }

    /// The configured gateway (validated by [`crate::load`]; the test gateway if it was not).
    pub fn gateway(&self) -> PaymentGateway {
        PaymentGateway::parse(&self.gateway).unwrap_or(PaymentGateway::Test)
    }
}

impl Default for PaymentsConfig {
    fn default() -> Self {
        Self {
            gateway: "test".into(),
            currency: "USD".into(),
            stripe_secret_key: String::new(),
            stripe_webhook_secret: String::new(),
            stripe_api_base: "https://api.stripe.com".into(),
            stripe_mode: "checkout".into(),
            stripe_publishable_key: String::new(),
            fee_basis_points: 290,
            fee_fixed: 30,
            attempt_limit: 10,
            challenge_provider: String::new(),
            challenge_site_key: String::new(),
            challenge_secret: String::new(),
            challenge_verify_url: String::new(),
        }
    }
}

/// `[newsletter]` section.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NewsletterConfig {
    /// Local time (HH:MM, site timezone) at which the daily digest goes out; `off` sends only
    /// when an editor says so.
    pub digest_time: String,
    /// Most stories in one digest.
    #[serde(deserialize_with = "from_str_or_native")]
    pub max_stories: u32,
    /// Most messages sent per second by one node; 0 means as fast as the mail server takes them.
    #[serde(deserialize_with = "from_str_or_native")]
    pub rate_limit: u32,
}

impl Default for NewsletterConfig {
    fn default() -> Self {
        Self {
            digest_time: "07:00".into(),
            max_stories: 10,
            rate_limit: 0,
        }
    }
}

/// `[search]` section.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SearchConfig {
    /// Searches one address may make per minute on one node (the page answers 429 beyond).
    #[serde(deserialize_with = "from_str_or_native")]
    pub per_minute: u32,
}

impl Default for SearchConfig {
    fn default() -> Self {
        Self { per_minute: 30 }
    }
}

/// `[media]` section.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MediaConfig {
    /// Whether the job runner makes AVIF copies of photos (seconds of one core each, at the
    /// lowest priority); off, photos keep their JPEG and WebP.
    #[serde(deserialize_with = "from_str_or_native")]
    pub avif: bool,
}

impl Default for MediaConfig {
    fn default() -> Self {
        Self { avif: true }
    }
}

/// `[api]` section.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ApiConfig {
    /// Origins whose pages may read the content API from a browser (CORS); `*` for any. The
    /// content API is public, read-only and sends no cookies, so any is the default.
    #[serde(deserialize_with = "list_or_csv")]
    pub cors_origins: Vec<String>,
    /// Admin API calls one token may make per minute (429 beyond), counted in the database so
    /// that every node shares the count.
    #[serde(deserialize_with = "from_str_or_native")]
    pub token_per_minute: u32,
}

impl Default for ApiConfig {
    fn default() -> Self {
        Self {
            cors_origins: vec!["*".into()],
            token_per_minute: 120,
        }
    }
}

/// `[metrics]` section: off unless one of its keys is set.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MetricsConfig {
    /// An address of its own serving `/metrics` to whoever reaches it (keep it private), e.g.
    /// `127.0.0.1:9100`; empty for none.
    pub listen: String,
    /// A bearer token that opens `/metrics` on the main listener; empty keeps it closed there.
    pub token: String,
}

impl MetricsConfig {
    /// The separate metrics address, when one is set (validation has checked it parses).
    pub fn listen_addr(&self) -> Option<SocketAddr> {
        self.listen.trim().parse().ok()
    }
}

/// `[log]` section.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LogConfig {
    /// `text` (lines for a person) or `json` (one object a line, for a log collector).
    pub format: String,
}

impl Default for LogConfig {
    fn default() -> Self {
        Self {
            format: "text".into(),
        }
    }
}

impl LogConfig {
    /// Whether each log line is a JSON object.
    pub fn json(&self) -> bool {
        self.format == "json"
    }
}

impl Config {
    /// Where `key` (`site.title`) was set explicitly, if it was.
    pub fn set_by(&self, key: &str) -> Option<&str> {
        self.explicit.get(key).map(String::as_str)
    }

    /// The sender of every message: `mail.from`, or the site's title at `no-reply@` its host.
    pub fn mail_from(&self) -> String {
        if !self.mail.from.is_empty() {
            return self.mail.from.clone();
        }
        let host = url::Url::parse(&self.site_url())
            .ok()
            .and_then(|u| u.host_str().map(str::to_string))
            .filter(|h| h.chars().any(|c| c.is_ascii_alphabetic()))
            .unwrap_or_else(|| "localhost".into());
        format!(
            "{} <no-reply@{host}>",
            self.site.title.replace(['<', '>', '"'], "")
        )
    }

    /// The address part of an explicitly configured `mail.from`.
    pub fn mail_address(&self) -> Option<String> {
        let from = self.mail.from.trim();
        if from.is_empty() {
            return None;
        }
        let address = match (from.rfind('<'), from.rfind('>')) {
            (Some(a), Some(b)) if a < b => &from[a + 1..b],
            _ => from,
        };
        Some(address.trim().to_string()).filter(|a| a.contains('@'))
    }

    /// The domain of the sender address (for DKIM and the DNS advice).
    pub fn mail_domain(&self) -> String {
        self.mail_from()
            .rsplit('@')
            .next()
            .unwrap_or_default()
            .trim_end_matches('>')
            .to_string()
    }

    /// The site's timezone, already checked by [`crate::load`].
    pub fn timezone(&self) -> chrono_tz::Tz {
        self.site.timezone.parse().unwrap_or(chrono_tz::UTC)
    }

    /// The public base URL without a trailing slash, derived from the listen address when unset.
    pub fn site_url(&self) -> String {
        if self.site.url.is_empty() {
            let addr = self.server.listen;
            let host = if addr.ip().is_unspecified() {
                "localhost".to_string()
            } else if addr.is_ipv6() {
                format!("[{}]", addr.ip())
            } else {
                addr.ip().to_string()
            };
            format!("http://{host}:{}", addr.port())
        } else {
            self.site.url.trim_end_matches('/').to_string()
        }
    }

    /// The database URL, defaulting to `tidings.db` in the data dir.
    pub fn database_url(&self) -> String {
        if self.database.url.is_empty() {
            format!(
                "sqlite://{}?mode=rwc",
                self.server.data_dir.join("tidings.db").display()
            )
        } else {
            self.database.url.clone()
        }
    }
}

/// Accepts a native TOML value or, as environment variables are always text, its string form.
fn from_str_or_native<'de, D, T>(de: D) -> Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    T: std::str::FromStr + Deserialize<'de>,
    T::Err: std::fmt::Display,
{
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Either<T> {
        Text(String),
        Native(T),
    }
    match Either::<T>::deserialize(de)? {
        Either::Native(v) => Ok(v),
        Either::Text(s) => s
            .trim()
            .parse()
            .map_err(|e| serde::de::Error::custom(format!("`{s}`: {e}"))),
    }
}

/// Accepts a TOML array or, from the environment, a comma-separated string.
fn list_or_csv<'de, D, T>(de: D) -> Result<Vec<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: std::str::FromStr + Deserialize<'de>,
    T::Err: std::fmt::Display,
{
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Either<T> {
        Text(String),
        List(Vec<T>),
    }
    match Either::<T>::deserialize(de)? {
        Either::List(v) => Ok(v),
        Either::Text(s) => s
            .split(',')
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(|p| {
                p.parse()
                    .map_err(|e| serde::de::Error::custom(format!("`{p}`: {e}")))
            })
            .collect(),
    }
}
