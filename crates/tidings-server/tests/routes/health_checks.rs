//! Site health's live checks with the real parts on loopback: the SPF, DKIM and DMARC records
//! through a DNS server answering right, wrong and nothing; Stripe's webhook through a stand-in for
//! `GET /v1/webhook_endpoints` and a signed test event that travels through a front proxy to the
//! site's own webhook URL.

use std::sync::{Arc, Mutex, OnceLock};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::IntoResponse;
use axum::routing::any;
use axum::Router;
use serde_json::json;
use tidings_accounts::Role;
use tidings_mail::dns_testing::DnsStub;
use tidings_mail::DkimSigner;

use crate::server_test;
use crate::support::browser::{account, Browser, PASSWORD};
use crate::support::Options;

/// The state of the checklist line titled `title` and its detail.
fn step<'a>(body: &'a str, title: &str) -> (bool, &'a str) {
    let li = body
        .split("<li class=\"")
        .find(|li| li.contains(&format!(">{title}</a>")))
        .unwrap_or_else(|| panic!("no step {title}"));
    (li.starts_with("done"), li)
}

fn dkim_key() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tidings-mail/tests/fixtures/dkim-rsa.pem")
}

async fn owner(app: &crate::support::TestApp) -> Browser {
    account(&app.store, "owner@ledger.example", Role::Owner).await;
    let mut b = Browser::new(&app.base);
    b.sign_in("owner@ledger.example", PASSWORD).await;
    b
}

async fn dns_setup() -> (Options, DnsStub) {
    let dns = DnsStub::start("ledger.example").await;
    let resolver = dns.resolver();
    let options = Options {
        configure: Some(Box::new(move |c| {
            c.mail.from = "The Ledger <news@ledger.example>".into();
            c.mail.url = "smtp://192.0.2.7:2525".into();
            c.mail.dkim_key_file = Some(dkim_key());
            c.mail.dkim_selector = "news2026".into();
            c.mail.dns_resolver = resolver.clone();
        })),
        ..Options::default()
    };
    (options, dns)
}

server_test!(
    mail_records_are_looked_up_and_judged,
    setup dns_setup(),
    |app, dns| {
        let mut owner = owner(&app).await;
        let page = owner.get("/admin/health").await.body;
        assert!(page.contains("v=spf1 ip4:192.0.2.7 ~all"), "{page}");
        assert!(page.contains("news2026._domainkey.ledger.example"));
        let (done, detail) = step(&page, "Mail records (SPF, DKIM, DMARC)");
        assert!(!done && detail.contains("Not checked yet"), "{detail}");

        // Nothing published: each record is missing.
        assert_eq!(owner.post("/admin/health/dns", &[]).await.status, 303);
        let page = owner.get("/admin/health").await.body;
        assert_eq!(page.matches(">missing</span>").count(), 3, "{page}");
        let (done, detail) = step(&page, "Mail records (SPF, DKIM, DMARC)");
        assert!(!done && detail.contains("SPF missing, DKIM missing, DMARC missing"), "{detail}");

        // Published as advised: every record passes and the step is done.
        let dkim = DkimSigner::load(&dkim_key(), "news2026", "ledger.example").unwrap();
        dns.set_txt("ledger.example", &["v=spf1 ip4:192.0.2.7 -all"]).await;
        dns.set_txt("news2026._domainkey.ledger.example", &[dkim.record_value()]).await;
        dns.set_txt("_dmarc.ledger.example", &["v=DMARC1; p=quarantine"]).await;
        assert_eq!(owner.post("/admin/health/dns", &[]).await.status, 303);
        let page = owner.get("/admin/health").await.body;
        assert_eq!(page.matches(">passes</span>").count(), 3, "{page}");
        assert!(step(&page, "Mail records (SPF, DKIM, DMARC)").0);

        // A stale key and a second SPF record: wrong, with the reason, and the step is undone.
        dns.set_txt("news2026._domainkey.ledger.example", &["v=DKIM1; k=rsa; p=MIIBold"]).await;
        dns.set_txt("ledger.example", &["v=spf1 ip4:192.0.2.7 -all", "v=spf1 mx -all"]).await;
        assert_eq!(owner.post("/admin/health/dns", &[]).await.status, 303);
        let page = owner.get("/admin/health").await.body;
        assert!(page.contains("not the one mail is signed with"), "{page}");
        assert!(page.contains("More than one SPF record"), "{page}");
        let (done, detail) = step(&page, "Mail records (SPF, DKIM, DMARC)");
        assert!(!done && detail.contains("SPF wrong, DKIM wrong, DMARC passes"), "{detail}");

        let log = app.store.audit_log(10).await.unwrap();
        assert_eq!(
            log.iter().filter(|e| e.action == "health.dns_check").count(),
            3
        );
    }
);

/// What the Stripe stand-in lists, and whether the front proxy lets requests through.
#[derive(Clone, Default)]
struct Parts {
    endpoints: Arc<Mutex<serde_json::Value>>,
    listed_with: Arc<Mutex<Vec<String>>>,
    site: Arc<OnceLock<String>>,
    proxy_down: Arc<Mutex<bool>>,
}

fn serve(router: Router) -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let listener = tokio::net::TcpListener::from_std(listener).unwrap();
        axum::serve(listener, router).await.unwrap()
    });
    format!("http://{addr}")
}

/// A stand-in for api.stripe.com's webhook endpoint list, and a front proxy (the site's public
/// address) that forwards to the node once it runs.
async fn stripe_setup() -> (Options, Parts) {
    let parts = Parts::default();
    let stripe = Router::new()
        .fallback(any(
            |State(p): State<Parts>, uri: Uri, headers: HeaderMap| async move {
                let auth = headers.get("authorization").and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
                p.listed_with.lock().unwrap().push(format!("{} {auth}", uri));
                if uri.path() != "/v1/webhook_endpoints" || auth != "Bearer sk_test_health" {
                    return (StatusCode::NOT_FOUND, axum::Json(json!({"error": {"type": "invalid_request_error", "message": "no such resource"}}))).into_response();
                }
                let data = p.endpoints.lock().unwrap().clone();
                axum::Json(json!({"object": "list", "url": "/v1/webhook_endpoints", "has_more": false, "data": data})).into_response()
            },
        ))
        .with_state(parts.clone());
    let stripe_base = serve(stripe);
    let proxy =
        Router::new()
            .fallback(any(
                |State(p): State<Parts>,
                 method: Method,
                 uri: Uri,
                 headers: HeaderMap,
                 body: Bytes| async move {
                    if *p.proxy_down.lock().unwrap() {
                        return (StatusCode::BAD_GATEWAY, "upstream unavailable").into_response();
                    }
                    let mut req = reqwest::Client::new()
                        .request(method, format!("{}{}", p.site.get().unwrap(), uri));
                    for name in ["content-type", "stripe-signature"] {
                        if let Some(v) = headers.get(name) {
                            req = req.header(name, v.as_bytes());
                        }
                    }
                    let res = req.body(body).send().await.unwrap();
                    let status = StatusCode::from_u16(res.status().as_u16()).unwrap();
                    (status, res.text().await.unwrap()).into_response()
                },
            ))
            .with_state(parts.clone());
    let public = serve(proxy);
    let options = Options {
        configure: Some(Box::new(move |c| {
            c.site.url = public.clone();
            c.payments.gateway = "stripe".into();
            c.payments.stripe_secret_key = "sk_test_health".into();
            c.payments.stripe_webhook_secret = "whsec_health".into();
            c.payments.stripe_api_base = stripe_base.clone();
        })),
        ..Options::default()
    };
    (options, parts)
}

server_test!(
    stripe_webhook_is_found_and_answers_a_signed_event,
    setup stripe_setup(),
    |app, parts| {
        parts.site.set(app.base.clone()).unwrap();
        let mut owner = owner(&app).await;
        let page = owner.get("/admin/health").await.body;
        let (done, detail) = step(&page, "Payments connected");
        assert!(!done && detail.contains("not checked yet"), "{detail}");
        let public = page
            .split("must post its events to <code>")
            .nth(1)
            .and_then(|s| s.split("</code>").next())
            .unwrap()
            .to_string();
        assert!(public.ends_with("/webhooks/stripe") && !public.contains(&app.base), "{public}");

        // An endpoint for the site's URL with every event: both halves pass.
        let all: Vec<&str> = tidings_donations::WEBHOOK_EVENTS.to_vec();
        *parts.endpoints.lock().unwrap() = json!([
            {"id": "we_old", "object": "webhook_endpoint", "url": "https://old.example/hook", "status": "enabled", "enabled_events": ["*"]},
            {"id": "we_site", "object": "webhook_endpoint", "url": public, "status": "enabled", "enabled_events": all},
        ]);
        assert_eq!(owner.post("/admin/health/payments", &[]).await.status, 303);
        assert!(parts.listed_with.lock().unwrap()[0].starts_with("/v1/webhook_endpoints?limit=100 Bearer sk_test_health"));
        let page = owner.get("/admin/health").await.body;
        assert!(page.contains("Endpoint we_site sends every event"), "{page}");
        assert!(page.contains("was accepted (200 OK)"), "{page}");
        assert!(step(&page, "Payments connected").0);

        // Two events left out: named, and the step is undone.
        *parts.endpoints.lock().unwrap() = json!([
            {"id": "we_site", "object": "webhook_endpoint", "url": public, "status": "enabled", "enabled_events": &all[..7]},
        ]);
        owner.post("/admin/health/payments", &[]).await;
        let page = owner.get("/admin/health").await.body;
        assert!(page.contains("does not send invoice.payment_failed, customer.subscription.deleted"), "{page}");
        let (done, detail) = step(&page, "Payments connected");
        assert!(!done && detail.contains("last check failed"), "{detail}");

        // The endpoint is right but the public address does not reach the site.
        *parts.endpoints.lock().unwrap() = json!([
            {"id": "we_site", "object": "webhook_endpoint", "url": public, "status": "enabled", "enabled_events": ["*"]},
        ]);
        *parts.proxy_down.lock().unwrap() = true;
        owner.post("/admin/health/payments", &[]).await;
        let page = owner.get("/admin/health").await.body;
        assert!(page.contains("answered 502 Bad Gateway to a signed test event"), "{page}");
        assert!(!step(&page, "Payments connected").0);
    }
);
