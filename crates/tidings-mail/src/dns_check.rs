//! Looking up the SPF, DKIM and DMARC records that [`dns_advice`](crate::dns_advice) asks for, and
//! saying for each whether what is published will do. The resolver is the system's
//! (`/etc/resolv.conf`) or the one `mail.dns_resolver` names, so an outlet behind split-horizon
//! DNS can ask the resolver the world sees.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use hickory_resolver::config::{NameServerConfig, ResolverConfig, ResolverOpts};
use hickory_resolver::net::runtime::TokioRuntimeProvider;
use hickory_resolver::proto::rr::RData;
use hickory_resolver::TokioResolver;
use serde::{Deserialize, Serialize};

use crate::DnsAdvice;

/// How long one lookup may take before the record is reported as unknown.
const LOOKUP_TIMEOUT: Duration = Duration::from_secs(3);

/// What a lookup found, record by record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RecordState {
    /// Published and right.
    Pass,
    /// Nothing published under that name.
    Missing,
    /// Published, but it will not do (the detail says why).
    Wrong,
    /// The resolver did not answer.
    Unknown,
}

/// One record's check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordCheck {
    /// `SPF`, `DKIM` or `DMARC`.
    pub purpose: String,
    /// The name looked up.
    pub name: String,
    /// The value the site advises.
    pub expected: String,
    /// The TXT values found that are of this kind.
    pub found: Vec<String>,
    /// The verdict.
    pub state: RecordState,
    /// One sentence on the verdict.
    pub detail: String,
}

/// Why the resolver could not be set up.
#[derive(Debug, thiserror::Error)]
#[error("DNS resolver: {0}")]
pub struct ResolverError(String);

/// A resolver for the checks: `""` for the system's, otherwise `IP` or `IP:PORT`.
pub fn resolver(setting: &str) -> Result<TokioResolver, ResolverError> {
    let setting = setting.trim();
    let mut builder = if setting.is_empty() {
        TokioResolver::builder_tokio().map_err(|e| ResolverError(e.to_string()))?
    } else {
        let addr = parse_server(setting).ok_or_else(|| {
            ResolverError(format!(
                "`{setting}` is not an IP address or IP:port (e.g. 127.0.0.1:53)"
            ))
        })?;
        let mut server = NameServerConfig::udp_and_tcp(addr.ip());
        for connection in &mut server.connections {
            connection.port = addr.port();
        }
        TokioResolver::builder_with_config(
            ResolverConfig::from_name_servers(vec![server]),
            TokioRuntimeProvider::default(),
        )
    };
    let options: &mut ResolverOpts = builder.options_mut();
    options.timeout = LOOKUP_TIMEOUT;
    options.attempts = 1;
    // Each check must see what is published now, not what an earlier check cached.
    options.cache_size = 0;
    builder.build().map_err(|e| ResolverError(e.to_string()))
}

/// `IP` (port 53) or `IP:PORT`, IPv6 in brackets with a port.
pub fn parse_server(s: &str) -> Option<SocketAddr> {
    s.parse::<SocketAddr>()
        .ok()
        .or_else(|| s.parse::<IpAddr>().ok().map(|ip| SocketAddr::new(ip, 53)))
}

/// What a TXT lookup gave: the values (each record's strings joined), or why there is no answer.
enum Txt {
    Found(Vec<String>),
    None,
    Failed(String),
}

async fn txt(resolver: &TokioResolver, name: &str) -> Txt {
    let fqdn = format!("{}.", name.trim_end_matches('.'));
    match resolver.txt_lookup(fqdn.as_str()).await {
        Ok(lookup) => Txt::Found(
            lookup
                .answers()
                .iter()
                .filter_map(|record| match &record.data {
                    RData::TXT(txt) => Some(
                        txt.txt_data
                            .iter()
                            .map(|part| String::from_utf8_lossy(part).into_owned())
                            .collect::<String>(),
                    ),
                    _ => None,
                })
                .collect(),
        ),
        Err(e) if e.is_no_records_found() || e.is_nx_domain() => Txt::None,
        Err(e) => Txt::Failed(e.to_string()),
    }
}

/// Checks every advised record through `resolver`, all at once.
pub async fn check_records(resolver: &TokioResolver, advice: &[DnsAdvice]) -> Vec<RecordCheck> {
    futures_util::future::join_all(advice.iter().map(|a| check_one(resolver, a))).await
}

async fn check_one(resolver: &TokioResolver, a: &DnsAdvice) -> RecordCheck {
    let mut check = RecordCheck {
        purpose: a.purpose.to_string(),
        name: a.name.clone(),
        expected: a.value.clone(),
        found: Vec::new(),
        state: RecordState::Missing,
        detail: String::new(),
    };
    if a.purpose == "DKIM" && a.name.starts_with('<') {
        check.detail =
            "No DKIM key is configured, so there is no record to look for: set mail.dkim_key_file."
                .into();
        return check;
    }
    match txt(resolver, &a.name).await {
        Txt::Failed(e) => {
            check.state = RecordState::Unknown;
            check.detail = format!("The resolver did not answer: {e}.");
        }
        Txt::None => check.detail = format!("No TXT record at {}.", a.name),
        Txt::Found(values) => {
            let (state, detail, found) = match a.purpose {
                "SPF" => judge_spf(&a.value, values),
                "DKIM" => judge_dkim(&a.value, values),
                _ => judge_dmarc(values),
            };
            check.state = state;
            check.detail = detail;
            check.found = found;
        }
    }
    check
}

fn starts_with_tag(value: &str, tag: &str) -> bool {
    value
        .trim_start()
        .get(..tag.len())
        .is_some_and(|head| head.eq_ignore_ascii_case(tag))
}

fn judge_spf(expected: &str, values: Vec<String>) -> (RecordState, String, Vec<String>) {
    let spf: Vec<String> = values
        .into_iter()
        .filter(|v| {
            starts_with_tag(v, "v=spf1")
                && v.trim_start()[6..]
                    .chars()
                    .next()
                    .is_none_or(char::is_whitespace)
        })
        .collect();
    let verdict = match spf.as_slice() {
        [] => (
            RecordState::Missing,
            "TXT records exist, but none is an SPF record (v=spf1).".to_string(),
        ),
        [_, _, ..] => (
            RecordState::Wrong,
            "More than one SPF record: receivers then treat SPF as broken (RFC 7208, 4.5). Merge them into one.".to_string(),
        ),
        [one] => {
            let terms: Vec<String> = one
                .split_whitespace()
                .skip(1)
                .map(str::to_ascii_lowercase)
                .collect();
            let wanted: Vec<String> = expected
                .split_whitespace()
                .skip(1)
                .filter(|t| !t.ends_with("all") && *t != "a" && *t != "mx")
                .map(str::to_ascii_lowercase)
                .collect();
            if terms.iter().any(|t| t == "all" || t == "+all") {
                (
                    RecordState::Wrong,
                    "It ends in +all, which lets any server on the internet send as this domain; use ~all or -all.".to_string(),
                )
            } else if wanted.iter().all(|w| terms.contains(w)) {
                (
                    RecordState::Pass,
                    "One SPF record, naming the sending server.".to_string(),
                )
            } else if terms
                .iter()
                .any(|t| t.starts_with("include:") || t.starts_with("redirect="))
            {
                (
                    RecordState::Pass,
                    format!(
                        "One SPF record; it delegates to a provider (include:), which cannot be followed from here: make sure that provider sends for you, or add {}.",
                        wanted.join(" ")
                    ),
                )
            } else {
                (
                    RecordState::Wrong,
                    format!(
                        "The SPF record does not name the sending server: add {}.",
                        wanted.join(" ")
                    ),
                )
            }
        }
    };
    (verdict.0, verdict.1, spf)
}

/// The value of tag `name` in a `k=v; k=v` record, whitespace removed.
fn tag(record: &str, name: &str) -> Option<String> {
    record.split(';').find_map(|part| {
        let (k, v) = part.split_once('=')?;
        k.trim()
            .eq_ignore_ascii_case(name)
            .then(|| v.split_whitespace().collect::<String>())
    })
}

fn judge_dkim(expected: &str, values: Vec<String>) -> (RecordState, String, Vec<String>) {
    let want = tag(expected, "p").unwrap_or_default();
    let keys: Vec<String> = values
        .into_iter()
        .filter(|v| tag(v, "p").is_some())
        .collect();
    let (state, detail) = if keys.is_empty() {
        (
            RecordState::Missing,
            "TXT records exist there, but none carries a DKIM key (p=).".to_string(),
        )
    } else if keys
        .iter()
        .any(|k| tag(k, "p").as_deref() == Some(want.as_str()))
    {
        (
            RecordState::Pass,
            "The published key is the one mail is signed with.".to_string(),
        )
    } else {
        (
            RecordState::Wrong,
            "A key is published, but not the one mail is signed with: receivers will fail every signature. Publish the value shown.".to_string(),
        )
    };
    (state, detail, keys)
}

fn judge_dmarc(values: Vec<String>) -> (RecordState, String, Vec<String>) {
    let dmarc: Vec<String> = values
        .into_iter()
        .filter(|v| starts_with_tag(v, "v=DMARC1"))
        .collect();
    let (state, detail) = match dmarc.as_slice() {
        [] => (
            RecordState::Missing,
            "TXT records exist there, but none is a DMARC record (v=DMARC1).".to_string(),
        ),
        [_, _, ..] => (
            RecordState::Wrong,
            "More than one DMARC record: receivers ignore them all (RFC 7489, 6.6.3). Keep one."
                .to_string(),
        ),
        [one] => match tag(one, "p").map(|p| p.to_ascii_lowercase()) {
            Some(p) if ["none", "quarantine", "reject"].contains(&p.as_str()) => (
                RecordState::Pass,
                format!("A DMARC record with policy p={p}."),
            ),
            _ => (
                RecordState::Wrong,
                "The DMARC record has no valid policy (p=none, quarantine or reject).".to_string(),
            ),
        },
    };
    (state, detail, dmarc)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(values: &[&str]) -> Vec<String> {
        values.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn spf_is_judged_on_the_one_record_and_its_terms() {
        let want = "v=spf1 ip4:192.0.2.7 ~all";
        let judge = |found: &[&str]| judge_spf(want, v(found)).0;
        assert_eq!(judge(&["v=spf1 ip4:192.0.2.7 -all"]), RecordState::Pass);
        assert_eq!(
            judge(&[
                "google-site-verification=x",
                "v=spf1 include:_spf.provider.example ~all"
            ]),
            RecordState::Pass
        );
        assert_eq!(judge(&["v=spf1 ip4:198.51.100.1 ~all"]), RecordState::Wrong);
        assert_eq!(judge(&["v=spf1 ip4:192.0.2.7 +all"]), RecordState::Wrong);
        assert_eq!(
            judge(&["v=spf1 ip4:192.0.2.7 ~all", "v=spf1 mx ~all"]),
            RecordState::Wrong
        );
        assert_eq!(judge(&["v=spf10 ip4:192.0.2.7"]), RecordState::Missing);
    }

    #[test]
    fn dkim_compares_the_key_ignoring_spaces() {
        let want = "v=DKIM1; k=rsa; p=MIIBIjANBgkq";
        assert_eq!(
            judge_dkim(want, v(&["v=DKIM1; k=rsa; p=MIIBIj ANBgkq"])).0,
            RecordState::Pass
        );
        assert_eq!(
            judge_dkim(want, v(&["v=DKIM1; k=rsa; p=OTHER"])).0,
            RecordState::Wrong
        );
        assert_eq!(judge_dkim(want, v(&["hello"])).0, RecordState::Missing);
    }

    #[test]
    fn dmarc_needs_one_record_with_a_policy() {
        assert_eq!(
            judge_dmarc(v(&["v=DMARC1; p=quarantine"])).0,
            RecordState::Pass
        );
        assert_eq!(
            judge_dmarc(v(&["v=DMARC1; rua=mailto:x@y"])).0,
            RecordState::Wrong
        );
        assert_eq!(
            judge_dmarc(v(&["v=DMARC1; p=none", "v=DMARC1; p=reject"])).0,
            RecordState::Wrong
        );
        assert_eq!(judge_dmarc(v(&["v=spf1 -all"])).0, RecordState::Missing);
    }

    #[test]
    fn resolver_addresses_are_read_with_or_without_a_port() {
        assert_eq!(
            parse_server("127.0.0.1"),
            Some("127.0.0.1:53".parse().unwrap())
        );
        assert_eq!(
            parse_server("127.0.0.1:5353"),
            Some("127.0.0.1:5353".parse().unwrap())
        );
        assert_eq!(
            parse_server("[::1]:5353"),
            Some("[::1]:5353".parse().unwrap())
        );
        assert_eq!(parse_server("dns.example"), None);
    }
}
