//! What the web layer takes from the configuration, worked out once at start.

use tidings_config::Config;

/// Configuration-derived facts the handlers need.
#[derive(Debug, Clone)]
pub struct SiteConfig {
    /// Configuration keys set explicitly, with what set them (they win over settings).
    pub explicit: std::collections::BTreeMap<String, String>,
    /// Public base URL, no trailing slash.
    pub url: String,
    /// Whether nightly backups are configured (`backup.dir`).
    pub backups: bool,
    /// Whether feeds carry full bodies.
    pub feed_full_content: bool,
    /// Whether the public URL is HTTPS (enables HSTS).
    pub https: bool,
    /// Reverse proxies whose `X-Forwarded-For` is believed.
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// `Host` values requests may carry (lowercase, `host[:port]`); `None` when `site.url` was not
    /// set, and so the site's public name is unknown.
    pub allowed_hosts: Option<Vec<String>>,
    /// Where to report a vulnerability, for `security.txt`.
    pub security_contact: String,
    /// The SPF, DKIM and DMARC records mail needs, or why they cannot be worked out (a bad DKIM key).
    pub mail_advice: Result<Vec<tidings_mail::DnsAdvice>, String>,
    /// The DNS server Site health asks (`mail.dns_resolver`); empty for the system's.
    pub dns_resolver: String,
    /// Searches one address may make per minute (`search.per_minute`).
    pub search_per_minute: u32,
    /// Origins whose pages may read the content API (`*` for any).
    pub api_cors_origins: Vec<String>,
    /// Admin API calls one token may make per minute.
    pub api_token_per_minute: u32,
    /// The bearer token that opens `/metrics` on the main listener (`metrics.token`).
    pub metrics_token: Option<String>,
    /// Whether metrics are recorded (`metrics.listen` or `metrics.token` is set).
    pub metrics: bool,
    /// Whether public reads go to a replica (`database.replica_url`).
    pub replica: bool,
}

/// The `Host` values that name this site: `site.url`'s host (with and without its default port),
/// the listen address, and `server.allowed_hosts`.
fn allowed_hosts(config: &Config) -> Option<Vec<String>> {
    if config.site.url.is_empty() {
        return None;
    }
    let mut hosts = vec![config.server.listen.to_string()];
    if let Ok(url) = url::Url::parse(&config.site.url) {
        if let Some(host) = url.host_str() {
            let host = host.to_ascii_lowercase();
            match (url.port(), url.port_or_known_default()) {
                (Some(port), _) => hosts.push(format!("{host}:{port}")),
                (None, Some(default)) => {
                    hosts.push(format!("{host}:{default}"));
                    hosts.push(host);
                }
                (None, None) => hosts.push(host),
            }
        }
    }
    hosts.extend(
        config
            .server
            .allowed_hosts
            .iter()
            .map(|h| h.trim().trim_end_matches('.').to_ascii_lowercase()),
    );
    Some(hosts)
}

impl SiteConfig {
    /// Extracts what the web layer needs from the configuration.
    pub fn from_config(config: &Config) -> Self {
        let url = config.site_url();
        SiteConfig {
            explicit: config.explicit.clone(),
            https: url.starts_with("https://"),
            url,
            backups: config.backup.dir.is_some(),
            feed_full_content: config.site.feed_full_content,
            trusted_proxies: config.server.trusted_proxies.clone(),
            allowed_hosts: allowed_hosts(config),
            security_contact: match config.site.security_contact.as_str() {
                "" => config
                    .mail_address()
                    .map(|a| format!("mailto:{a}"))
                    .unwrap_or_default(),
                contact => contact.to_string(),
            },
            mail_advice: tidings_mail::configured_advice(config).map_err(|e| e.to_string()),
            dns_resolver: config.mail.dns_resolver.clone(),
            search_per_minute: config.search.per_minute,
            api_cors_origins: config.api.cors_origins.clone(),
            api_token_per_minute: config.api.token_per_minute,
            metrics_token: Some(config.metrics.token.clone()).filter(|t| !t.is_empty()),
            metrics: config.metrics.listen_addr().is_some() || !config.metrics.token.is_empty(),
            replica: !config.database.replica_url.trim().is_empty(),
        }
    }
}
