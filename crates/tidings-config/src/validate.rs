//! Checks on values that parse but make no sense, all reported at once.

use crate::choices::{PaymentGateway, StripeMode};
use crate::sections::Config;

impl Config {
    /// Checks values that parse but make no sense, collecting every problem at once.
    pub(crate) fn validate(&self) -> Vec<String> {
        let mut problems = Vec::new();
        if self.site.timezone.parse::<chrono_tz::Tz>().is_err() {
            problems.push(format!(
                "site.timezone: `{}` is not an IANA timezone (e.g. `Europe/Paris`)",
                self.site.timezone
            ));
        }
        if !self.site.url.is_empty() {
            match url::Url::parse(&self.site.url) {
                Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() => {}
                _ => problems.push(format!(
                    "site.url: `{}` is not an absolute http(s) URL",
                    self.site.url
                )),
            }
        }
        if self.site.title.trim().is_empty() {
            problems.push("site.title: must not be empty".into());
        }
        if !valid_hh_mm(&self.backup.time) {
            problems.push(format!(
                "backup.time: `{}` is not a time of day (HH:MM)",
                self.backup.time
            ));
        }
        if !(1..=1000).contains(&self.backup.keep) {
            problems.push("backup.keep: must be between 1 and 1000".into());
        }
        if !self.database.url.is_empty()
            && !["sqlite:", "postgres://", "postgresql://"]
                .iter()
                .any(|p| self.database.url.starts_with(p))
        {
            problems.push(format!(
                "database.url: `{}` must start with sqlite: or postgres://",
                redact(&self.database.url)
            ));
        }
        if !(1..=300).contains(&self.server.header_timeout_secs) {
            problems.push("server.header_timeout_secs: must be between 1 and 300".into());
        }
        if !(1..=300).contains(&self.server.body_timeout_secs) {
            problems.push("server.body_timeout_secs: must be between 1 and 300".into());
        }
        if !(1..=3600).contains(&self.server.keep_alive_secs) {
            problems.push("server.keep_alive_secs: must be between 1 and 3600".into());
        }
        if !(16..=1_000_000).contains(&self.server.max_connections) {
            problems.push("server.max_connections: must be between 16 and 1000000".into());
        }
        if self.database.max_connections == 0 {
            problems.push("database.max_connections: must be at least 1".into());
        }
        let mail = &self.mail.url;
        if mail != "outbox" && !mail.starts_with("smtp://") && !mail.starts_with("smtps://") {
            problems.push(format!(
                "mail.url: `{}` must be `outbox`, smtp://host:port or smtps://host:port",
                redact(mail)
            ));
        }
        if mail.starts_with("smtp://") {
            if let Ok(u) = url::Url::parse(mail) {
                let required = u.query_pairs().any(|(k, v)| k == "tls" && v == "required");
                if (u.password().is_some() || !u.username().is_empty()) && !required {
                    problems.push(
                        "mail.url: a user name and password over smtp:// would travel in clear; add \
                         ?tls=required (STARTTLS) or use smtps://"
                            .into(),
                    );
                }
            }
        }
        let contact = &self.site.security_contact;
        if !contact.is_empty()
            && !contact.starts_with("mailto:")
            && !contact.starts_with("https://")
        {
            problems.push(format!(
                "site.security_contact: `{contact}` must be a mailto: or https:// URI"
            ));
        }
        if PaymentGateway::parse(&self.payments.gateway).is_none() {
            problems.push(format!(
                "payments.gateway: `{}` must be `test` or `stripe`",
                self.payments.gateway
            ));
        }
        let cur = &self.payments.currency;
        if cur.len() != 3 || !cur.bytes().all(|b| b.is_ascii_uppercase()) {
            problems.push(format!(
                "payments.currency: `{cur}` is not an ISO 4217 code such as USD"
            ));
        }
        if !valid_hh_mm(&self.newsletter.digest_time) && self.newsletter.digest_time != "off" {
            problems.push(format!(
                "newsletter.digest_time: `{}` is not a time of day as HH:MM (or `off`)",
                self.newsletter.digest_time
            ));
        }
        if PaymentGateway::parse(&self.payments.gateway) == Some(PaymentGateway::Stripe) {
            if !self.payments.stripe_secret_key.starts_with("sk_")
                && !self.payments.stripe_secret_key.starts_with("rk_")
            {
                problems.push(
                    "payments.stripe_secret_key: the stripe gateway needs a secret key (sk_test_... or sk_live_...; set TIDINGS_PAYMENTS__STRIPE_SECRET_KEY)".into(),
                );
            }
            if !self.payments.stripe_webhook_secret.starts_with("whsec_") {
                problems.push(
                    "payments.stripe_webhook_secret: the stripe gateway needs the webhook signing secret (whsec_...; set TIDINGS_PAYMENTS__STRIPE_WEBHOOK_SECRET)".into(),
                );
            }
            match StripeMode::parse(&self.payments.stripe_mode) {
                Some(StripeMode::Checkout) => {}
                Some(StripeMode::Elements)
                    if self.payments.stripe_publishable_key.starts_with("pk_") => {}
                Some(StripeMode::Elements) => problems.push(
                    "payments.stripe_publishable_key: the embedded Payment Element needs the publishable key (pk_...)".into(),
                ),
                None => problems.push(format!(
                    "payments.stripe_mode: `{}` must be checkout or elements",
                    self.payments.stripe_mode
                )),
            }
            let live = self.payments.stripe_secret_key.starts_with("sk_live_")
                || self.payments.stripe_secret_key.starts_with("rk_live_");
            if live
                && !self.site_url().starts_with("https://")
                && self.server.trusted_proxies.is_empty()
            {
                problems.push(format!(
                    "payments: live Stripe keys need HTTPS: set site.url to an https:// address (now {}) or serve behind a TLS proxy listed in server.trusted_proxies",
                    self.site_url()
                ));
            }
        }
        if self.payments.fee_basis_points >= 10_000 {
            problems.push("payments.fee_basis_points: must be under 10000 (100%)".into());
        }
        match self.payments.challenge_provider.as_str() {
            "" => {}
            "turnstile" | "hcaptcha" => {
                if self.payments.challenge_site_key.is_empty()
                    || self.payments.challenge_secret.is_empty()
                {
                    problems.push(format!(
                        "payments.challenge_provider: {} needs payments.challenge_site_key and payments.challenge_secret",
                        self.payments.challenge_provider
                    ));
                }
            }
            other => problems.push(format!(
                "payments.challenge_provider: `{other}` must be empty, turnstile or hcaptcha"
            )),
        }
        if self.payments.attempt_limit == 0 {
            problems.push("payments.attempt_limit: must be at least 1".into());
        }
        if self.newsletter.max_stories == 0 || self.newsletter.max_stories > 50 {
            problems.push(format!(
                "newsletter.max_stories: `{}` must be between 1 and 50",
                self.newsletter.max_stories
            ));
        }
        if self.mail.connections == 0 || self.mail.connections > 64 {
            problems.push(format!(
                "mail.connections: `{}` must be between 1 and 64",
                self.mail.connections
            ));
        }
        if let Some(key) = &self.mail.dkim_key_file {
            if !key.is_file() {
                problems.push(format!(
                    "mail.dkim_key_file: `{}` is not a readable file",
                    key.display()
                ));
            }
        }
        if self.search.per_minute == 0 || self.search.per_minute > 100_000 {
            problems.push(format!(
                "search.per_minute: `{}` must be between 1 and 100000",
                self.search.per_minute
            ));
        }
        if self.api.token_per_minute == 0 || self.api.token_per_minute > 100_000 {
            problems.push(format!(
                "api.token_per_minute: `{}` must be between 1 and 100000",
                self.api.token_per_minute
            ));
        }
        for origin in &self.api.cors_origins {
            let ok = origin == "*"
                || url::Url::parse(origin).is_ok_and(|u| {
                    matches!(u.scheme(), "http" | "https")
                        && u.host_str().is_some()
                        && u.path() == "/"
                        && !origin.ends_with('/')
                        && u.query().is_none()
                });
            if !ok {
                problems.push(format!(
                    "api.cors_origins: `{origin}` must be `*` or an origin such as https://app.example.org (scheme and host, no path)"
                ));
            }
        }
        let replica = self.database.replica_url.trim();
        if !replica.is_empty() {
            let postgres = |u: &str| u.starts_with("postgres://") || u.starts_with("postgresql://");
            let sqlite = |u: &str| u.starts_with("sqlite:");
            let primary = self.database_url();
            if !(postgres(replica) && postgres(&primary) || sqlite(replica) && sqlite(&primary)) {
                problems.push(format!(
                    "database.replica_url: `{}` must be a copy on the same engine as database.url (postgres://... beside postgres://...)",
                    redact(replica)
                ));
            }
        }
        let metrics = self.metrics.listen.trim();
        if !metrics.is_empty() && metrics.parse::<std::net::SocketAddr>().is_err() {
            problems.push(format!(
                "metrics.listen: `{metrics}` must be an address and port such as 127.0.0.1:9100, or empty for none"
            ));
        }
        let token = &self.metrics.token;
        if !token.is_empty() && (token.len() < 16 || !token.bytes().all(|b| b.is_ascii_graphic())) {
            problems.push(
                "metrics.token: must be at least 16 printable characters without spaces (it guards /metrics)"
                    .into(),
            );
        }
        if !matches!(self.log.format.as_str(), "text" | "json") {
            problems.push(format!(
                "log.format: `{}` must be `text` or `json`",
                self.log.format
            ));
        }
        let resolver = self.mail.dns_resolver.trim();
        if !resolver.is_empty()
            && resolver.parse::<std::net::SocketAddr>().is_err()
            && resolver.parse::<std::net::IpAddr>().is_err()
        {
            problems.push(format!(
                "mail.dns_resolver: `{resolver}` must be an IP address or IP:port (e.g. 127.0.0.1:53), or empty for the system's resolver"
            ));
        }
        problems
    }
}

fn valid_hh_mm(s: &str) -> bool {
    let Some((h, m)) = s.split_once(':') else {
        return false;
    };
    h.len() == 2
        && m.len() == 2
        && h.parse::<u8>().is_ok_and(|h| h < 24)
        && m.parse::<u8>().is_ok_and(|m| m < 60)
}

/// Hides a password in a URL so that it can be shown in an error message.
pub(crate) fn redact(raw: &str) -> String {
    match url::Url::parse(raw) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("***"));
            u.to_string()
        }
        _ => raw.to_string(),
    }
}
