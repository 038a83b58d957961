//! The SPF, DKIM and DMARC check against a real DNS server on loopback: records published right,
//! wrong, missing, and a resolver that does not answer.

use tidings_mail::dns_testing::DnsStub;
use tidings_mail::{check_records, dns_advice, resolver, DkimSigner, RecordState};

fn signer() -> DkimSigner {
    let key = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/dkim-rsa.pem");
    DkimSigner::load(&key, "news2026", "ledger.example").unwrap()
}

fn states(checks: &[tidings_mail::RecordCheck]) -> Vec<(String, RecordState)> {
    checks
        .iter()
        .map(|c| (c.purpose.clone(), c.state))
        .collect()
}

#[tokio::test]
async fn published_records_pass_and_wrong_or_missing_ones_say_why() {
    let dns = DnsStub::start("ledger.example").await;
    let dkim = signer();
    let advice = dns_advice("ledger.example", Some("192.0.2.7"), Some(&dkim));
    let resolver = resolver(&dns.resolver()).unwrap();

    let checks = check_records(&resolver, &advice).await;
    assert!(
        checks.iter().all(|c| c.state == RecordState::Missing),
        "{checks:#?}"
    );

    dns.set_txt(
        "ledger.example",
        &["v=spf1 ip4:192.0.2.7 ~all", "site-verification=abc"],
    )
    .await;
    dns.set_txt("news2026._domainkey.ledger.example", &[dkim.record_value()])
        .await;
    dns.set_txt(
        "_dmarc.ledger.example",
        &["v=DMARC1; p=none; rua=mailto:d@ledger.example"],
    )
    .await;
    let checks = check_records(&resolver, &advice).await;
    assert!(
        checks.iter().all(|c| c.state == RecordState::Pass),
        "{checks:#?}"
    );
    assert_eq!(checks[0].found, ["v=spf1 ip4:192.0.2.7 ~all"]);

    dns.set_txt("ledger.example", &["v=spf1 ip4:198.51.100.9 ~all"])
        .await;
    dns.set_txt(
        "news2026._domainkey.ledger.example",
        &["v=DKIM1; k=rsa; p=MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAnotthekey"],
    )
    .await;
    dns.set_txt(
        "_dmarc.ledger.example",
        &["v=DMARC1; p=none", "v=DMARC1; p=reject"],
    )
    .await;
    let checks = check_records(&resolver, &advice).await;
    assert_eq!(
        states(&checks),
        [
            ("SPF".to_string(), RecordState::Wrong),
            ("DKIM".to_string(), RecordState::Wrong),
            ("DMARC".to_string(), RecordState::Wrong),
        ]
    );
    assert!(
        checks[0].detail.contains("ip4:192.0.2.7"),
        "{}",
        checks[0].detail
    );
    assert!(
        checks[2].detail.contains("More than one"),
        "{}",
        checks[2].detail
    );
}

#[tokio::test]
async fn a_resolver_that_does_not_answer_leaves_the_records_unknown() {
    // A bound UDP socket that never replies: the lookup times out.
    let silent = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let resolver = resolver(&silent.local_addr().unwrap().to_string()).unwrap();
    let advice = dns_advice("ledger.example", None, None);
    let checks = check_records(&resolver, &advice).await;
    assert_eq!(checks[0].state, RecordState::Unknown, "{checks:#?}");
    assert!(checks[0].detail.contains("did not answer"));
    assert_eq!(
        checks[1].state,
        RecordState::Missing,
        "no key, nothing to look up"
    );
}

#[test]
fn a_resolver_setting_that_is_not_an_address_is_refused() {
    let e = resolver("dns.example").unwrap_err().to_string();
    assert!(e.contains("`dns.example` is not an IP address"), "{e}");
}
