//! Stripe through the site: the form sends the donor to a Checkout Session created with an
//! Idempotency-Key (against a local stand-in for Stripe's API), and signed webhooks settle the gift:
//! valid, forged, stale, repeated, out of order, refunds, disputes and monthly invoices.

use std::sync::{Arc, Mutex};
use tidings_store::{DonationStatus, PlanStatus};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::IntoResponse;
use axum::routing::any;
use axum::Router;
use serde_json::json;
use tidings_donations::sign_payload;
use tidings_newsletter::solve;

use crate::server_test;
use crate::support::browser::{account, Browser, PASSWORD};
use crate::support::{attr, Options, TestApp};
use tidings_accounts::Role;

const WEBHOOK_SECRET: &str = "whsec_route_tests";

type Seen = Arc<Mutex<Vec<(String, Option<String>, String)>>>;

/// A stand-in for api.stripe.com answering the calls the site makes.
fn stripe_mock() -> (String, Seen) {
    let seen: Seen = Arc::default();
    let app = Router::new()
        .fallback(any(
            |State(seen): State<Seen>, uri: Uri, headers: HeaderMap, body: Bytes| async move {
                let form: std::collections::HashMap<String, String> =
                    url::form_urlencoded::parse(&body).into_owned().collect();
                let key = headers
                    .get("idempotency-key")
                    .map(|v| v.to_str().unwrap().to_string());
                seen.lock().unwrap().push((
                    uri.path().to_string(),
                    key,
                    String::from_utf8_lossy(&body).into_owned(),
                ));
                match uri.path() {
                    "/v1/checkout/sessions" => axum::Json(json!({
                        "id": format!("cs_test_{}", form["metadata[donation_id]"]),
                        "object": "checkout.session",
                        "mode": form["mode"], "status": "open", "payment_status": "unpaid",
                        "amount_total": form["line_items[0][price_data][unit_amount]"].parse::<i64>().unwrap(),
                        "currency": form["line_items[0][price_data][currency]"],
                        "metadata": {"donation_id": form["metadata[donation_id]"]},
                        "payment_intent": null, "subscription": null, "customer": null,
                        "url": format!("https://checkout.stripe.com/c/pay/cs_test_{}", form["metadata[donation_id]"])
                    }))
                    .into_response(),
                    "/v1/payment_intents" => axum::Json(json!({
                        "id": format!("pi_elements_{}", form["metadata[donation_id]"]),
                        "object": "payment_intent", "status": "requires_payment_method",
                        "amount": form["amount"].parse::<i64>().unwrap(), "currency": form["currency"],
                        "client_secret": format!("pi_elements_{}_secret_xyz", form["metadata[donation_id]"]),
                        "metadata": {"donation_id": form["metadata[donation_id]"]}
                    }))
                    .into_response(),
                    path if path.starts_with("/v1/payment_intents/pi_route_") => axum::Json(json!({
                        "id": path.trim_start_matches("/v1/payment_intents/"), "object": "payment_intent",
                        "status": "succeeded", "amount": 10000, "currency": "usd", "metadata": {}
                    }))
                    .into_response(),
                    "/v1/refunds" => axum::Json(json!({
                        "id": "re_1", "object": "refund", "status": "succeeded",
                        "amount": form["amount"].parse::<i64>().unwrap()
                    }))
                    .into_response(),
                    _ => (StatusCode::NOT_FOUND, axum::Json(json!({"error": {"type": "invalid_request_error", "message": "no such resource"}}))).into_response(),
                }
            },
        ))
        .with_state(seen.clone());
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let listener = tokio::net::TcpListener::from_std(listener).unwrap();
        axum::serve(listener, app).await.unwrap()
    });
    (format!("http://{addr}"), seen)
}

fn stripe_options(base: String) -> Options {
    Options {
        smtp: true,
        configure: Some(Box::new(move |c| {
            c.payments.gateway = "stripe".into();
            c.payments.stripe_secret_key = "sk_test_routes".into();
            c.payments.stripe_webhook_secret = WEBHOOK_SECRET.into();
            c.payments.stripe_api_base = base.clone();
        })),
        ..Options::default()
    }
}

async fn webhook(app: &TestApp, event: &serde_json::Value, at: i64, secret: &str) -> u16 {
    let body = serde_json::to_vec(event).unwrap();
    app.client
        .post(format!("{}/webhooks/stripe", app.base))
        .header("stripe-signature", sign_payload(secret, at, &body))
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

fn event(id: &str, kind: &str, object: serde_json::Value) -> serde_json::Value {
    json!({"id": id, "object": "event", "type": kind, "created": 1, "livemode": false,
           "api_version": "2025-10-29.clover", "data": {"object": object}})
}

/// Gives through the form; returns the donation id.
async fn give(app: &TestApp, frequency: &str, email: &str) -> i64 {
    let mut b = Browser::new(&app.base);
    let page = b.get("/donate/").await;
    assert!(page.body.contains("Continue to secure payment"));
    let key = attr(&page.body, "<input type=\"hidden\" name=\"key\"", "value").unwrap();
    let challenge = attr(&page.body, "<form method=\"post\"", "data-challenge").unwrap();
    let difficulty = attr(&page.body, "<form method=\"post\"", "data-difficulty")
        .unwrap()
        .parse()
        .unwrap();
    let solution = solve(&challenge, difficulty).to_string();
    let sent = b
        .post_raw(
            "/donate/",
            &[
                ("amount", "10000"),
                ("frequency", frequency),
                ("first_name", "Ana"),
                ("last_name", "Reader"),
                ("email", email),
                ("key", &key),
                ("challenge", &challenge),
                ("solution", &solution),
            ],
        )
        .await;
    assert_eq!(sent.status, 303, "{}", sent.body);
    let to = sent.location.unwrap();
    assert!(
        to.starts_with("https://checkout.stripe.com/c/pay/cs_test_"),
        "{to}"
    );
    to.rsplit('_').next().unwrap().parse().unwrap()
}

server_test!(
    stripe_checkout_and_signed_webhooks,
    stripe_options(stripe_mock_base()),
    |app| {
        let smtp = app.smtp.clone().unwrap();
        let csp = app.get("/donate/").await.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .to_string();
        assert!(
            csp.contains("form-action 'self' https://checkout.stripe.com"),
            "{csp}"
        );
        let id = give(&app, "once", "ana@example.org").await;
        let now = chrono::Utc::now().timestamp();
        let session = json!({
            "id": format!("cs_test_{id}"), "object": "checkout.session", "mode": "payment",
            "payment_status": "paid", "status": "complete", "amount_total": 10000, "currency": "usd",
            "payment_intent": "pi_route_1", "subscription": null, "customer": "cus_1",
            "metadata": {"donation_id": id.to_string()}, "client_reference_id": id.to_string()
        });
        let completed = event("evt_route_1", "checkout.session.completed", session.clone());

        // Forged, stale and unsigned deliveries change nothing.
        assert_eq!(webhook(&app, &completed, now, "whsec_wrong").await, 400);
        assert_eq!(
            webhook(&app, &completed, now - 301, WEBHOOK_SECRET).await,
            400
        );
        let unsigned = app
            .client
            .post(format!("{}/webhooks/stripe", app.base))
            .body(serde_json::to_vec(&completed).unwrap())
            .send()
            .await
            .unwrap();
        assert_eq!(unsigned.status(), 400);
        assert_eq!(
            app.store.donation(id).await.unwrap().unwrap().status,
            DonationStatus::Pending
        );

        // A late "failed" for the same payment arrives first and is then overtaken: the success wins.
        assert_eq!(webhook(&app, &completed, now, WEBHOOK_SECRET).await, 200);
        assert_eq!(
            webhook(&app, &completed, now, WEBHOOK_SECRET).await,
            200,
            "retried delivery"
        );
        let failed_late = event(
            "evt_route_2",
            "payment_intent.payment_failed",
            json!({
                "id": "pi_route_1", "object": "payment_intent", "status": "requires_payment_method",
                "amount": 10000, "currency": "usd", "metadata": {"donation_id": id.to_string()},
                "last_payment_error": {"message": "Your card was declined."}
            }),
        );
        assert_eq!(webhook(&app, &failed_late, now, WEBHOOK_SECRET).await, 200);
        assert!(
            stripe_calls()
                .iter()
                .any(|(path, _, _)| path == "/v1/payment_intents/pi_route_1"),
            "the late event made the site re-read the payment"
        );
        let d = app.store.donation(id).await.unwrap().unwrap();
        assert_eq!(
            (d.status.as_str(), d.gateway_payment.as_str()),
            ("succeeded", "pi_route_1")
        );
        let receipts = smtp.wait_for("ana@example.org", 1).await;
        // A later mail to the same donor arriving proves a second receipt would have by now.
        let asked = Browser::new(&app.base)
            .post_raw("/donate/portal", &[("email", "ana@example.org")])
            .await;
        assert_eq!(asked.status, 200);
        let mails = smtp.wait_for("ana@example.org", 2).await;
        assert!(mails[1].data.contains("/donate/portal/"));
        assert_eq!(
            smtp.messages_to("ana@example.org").len(),
            2,
            "processed once: one receipt"
        );
        assert!(
            receipts[0].data.contains("TEST MODE"),
            "a test key is test mode"
        );
        // The stand-in is shared by every test (ids repeat across databases), so look for this call.
        let calls = stripe_calls();
        assert!(
            calls
                .iter()
                .any(|(path, key, body)| path == "/v1/checkout/sessions"
                    && key.as_deref() == Some(&format!("donation-{id}"))
                    && body.contains("mode=payment")),
            "Checkout Session created with the donation's Idempotency-Key"
        );
        assert!(
            calls.iter().all(|(_, _, body)| !body.contains("card")),
            "no card data ever"
        );

        // Refund (Stripe's running total) and dispute.
        let refund = event(
            "evt_route_3",
            "charge.refunded",
            json!({
                "id": "ch_1", "object": "charge", "payment_intent": "pi_route_1", "amount": 10000, "amount_refunded": 4000
            }),
        );
        assert_eq!(webhook(&app, &refund, now, WEBHOOK_SECRET).await, 200);
        assert_eq!(
            app.store
                .donation(id)
                .await
                .unwrap()
                .unwrap()
                .refunded_amount,
            4000
        );
        let dispute = event(
            "evt_route_4",
            "charge.dispute.created",
            json!({
                "id": "dp_1", "object": "dispute", "charge": "ch_1", "payment_intent": "pi_route_1", "amount": 6000, "reason": "fraudulent"
            }),
        );
        assert_eq!(webhook(&app, &dispute, now, WEBHOOK_SECRET).await, 200);
        assert!(app.store.donation(id).await.unwrap().unwrap().disputed);

        // An abandoned checkout expires; nothing is paid.
        let other = give(&app, "once", "ben@example.org").await;
        let expired = event(
            "evt_route_5",
            "checkout.session.expired",
            json!({
                "id": format!("cs_test_{other}"), "object": "checkout.session", "mode": "payment",
                "payment_status": "unpaid", "status": "expired", "metadata": {"donation_id": other.to_string()}
            }),
        );
        assert_eq!(webhook(&app, &expired, now, WEBHOOK_SECRET).await, 200);
        assert_eq!(
            app.store.donation(other).await.unwrap().unwrap().status,
            DonationStatus::Expired
        );
    }
);

server_test!(
    stripe_monthly_gifts_follow_invoices,
    stripe_options(stripe_mock_base()),
    |app| {
        let smtp = app.smtp.clone().unwrap();
        let id = give(&app, "monthly", "cy@example.org").await;
        let now = chrono::Utc::now().timestamp();
        let completed = event(
            "evt_m_1",
            "checkout.session.completed",
            json!({
                "id": format!("cs_test_{id}"), "object": "checkout.session", "mode": "subscription",
                "payment_status": "paid", "status": "complete", "amount_total": 10000, "currency": "usd", "payment_intent": null,
                "subscription": "sub_route_1", "metadata": {"donation_id": id.to_string()}
            }),
        );
        assert_eq!(webhook(&app, &completed, now, WEBHOOK_SECRET).await, 200);
        let d = app.store.donation(id).await.unwrap().unwrap();
        let plan = app.store.plan(d.plan_id.unwrap()).await.unwrap().unwrap();
        assert_eq!(
            (plan.status.as_str(), plan.gateway_subscription.as_str()),
            ("active", "sub_route_1")
        );

        let invoice = |evt: &str, kind: &str, inv: &str| {
            event(
                evt,
                kind,
                json!({
                    "id": inv, "object": "invoice", "billing_reason": "subscription_cycle", "amount_due": 10000,
                    "amount_paid": if kind == "invoice.paid" { 10000 } else { 0 }, "currency": "usd",
                    "parent": {"type": "subscription_details", "subscription_details": {"subscription": "sub_route_1"}}
                }),
            )
        };
        assert_eq!(
            webhook(
                &app,
                &invoice("evt_m_2", "invoice.paid", "in_1"),
                now,
                WEBHOOK_SECRET
            )
            .await,
            200
        );
        assert_eq!(
            webhook(
                &app,
                &invoice("evt_m_3", "invoice.payment_failed", "in_2"),
                now,
                WEBHOOK_SECRET
            )
            .await,
            200
        );
        let mails = smtp.wait_for("cy@example.org", 3).await;
        let subjects: Vec<String> = mails.iter().map(|m| m.header("Subject").unwrap()).collect();
        assert_eq!(
            subjects.iter().filter(|s| s.contains("receipt")).count(),
            2,
            "{subjects:?}"
        );
        assert!(
            subjects.iter().any(|s| s.contains("did not go through")),
            "{subjects:?}"
        );
        let deleted = event(
            "evt_m_4",
            "customer.subscription.deleted",
            json!({"id": "sub_route_1", "object": "subscription", "status": "canceled"}),
        );
        assert_eq!(webhook(&app, &deleted, now, WEBHOOK_SECRET).await, 200);
        assert_eq!(
            app.store.plan(plan.id).await.unwrap().unwrap().status,
            PlanStatus::Cancelled
        );
    }
);

static MOCK: std::sync::OnceLock<(String, Seen)> = std::sync::OnceLock::new();

/// Starts the stand-in on a runtime of its own, so its address exists before the test server's
/// configuration is built; all tests share it.
fn stripe_mock_base() -> String {
    MOCK.get_or_init(|| {
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let rt = tokio::runtime::Runtime::new().unwrap();
            rt.block_on(async move {
                tx.send(stripe_mock()).unwrap();
                std::future::pending::<()>().await;
            });
        });
        rx.recv().unwrap()
    })
    .0
    .clone()
}

/// Every call the stand-in has seen: (path, Idempotency-Key, form body).
fn stripe_calls() -> Vec<(String, Option<String>, String)> {
    MOCK.get()
        .map(|m| m.1.lock().unwrap().clone())
        .unwrap_or_default()
}

fn elements_options(base: String) -> Options {
    Options {
        smtp: true,
        configure: Some(Box::new(move |c| {
            c.payments.gateway = "stripe".into();
            c.payments.stripe_secret_key = "sk_test_routes".into();
            c.payments.stripe_webhook_secret = WEBHOOK_SECRET.into();
            c.payments.stripe_api_base = base.clone();
            c.payments.stripe_mode = "elements".into();
            c.payments.stripe_publishable_key = "pk_test_routes".into();
        })),
        ..Options::default()
    }
}

server_test!(
    the_embedded_payment_element_under_a_strict_policy,
    elements_options(stripe_mock_base()),
    |app| {
        let mut b = Browser::new(&app.base);
        let page = b.get("/donate/").await;
        let key = attr(&page.body, "<input type=\"hidden\" name=\"key\"", "value").unwrap();
        let challenge = attr(&page.body, "<form method=\"post\"", "data-challenge").unwrap();
        let difficulty = attr(&page.body, "<form method=\"post\"", "data-difficulty")
            .unwrap()
            .parse()
            .unwrap();
        let solution = solve(&challenge, difficulty).to_string();
        let fields = [
            ("amount", "5000"),
            ("frequency", "once"),
            ("first_name", "Dee"),
            ("last_name", "Reader"),
            ("email", "dee@example.org"),
            ("key", key.as_str()),
            ("challenge", challenge.as_str()),
            ("solution", solution.as_str()),
        ];
        let body = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(fields)
            .finish();
        let res = app
            .client
            .post(format!("{}/donate/", app.base))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        let csp = res.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .to_string();
        assert!(
            csp.contains("script-src 'self' https://js.stripe.com")
                && csp.contains("frame-src https://js.stripe.com"),
            "{csp}"
        );
        assert!(
            !csp.contains("*;") && !csp.contains("'unsafe-eval'"),
            "{csp}"
        );
        let html = res.text().await.unwrap();
        let (rows, _) = app.store.list_donations(&Default::default()).await.unwrap();
        let id = rows[0].id;
        assert!(
            html.contains(&format!(
                "data-client-secret=\"pi_elements_{id}_secret_xyz\""
            )),
            "{html}"
        );
        assert!(html.contains("data-publishable-key=\"pk_test_routes\""));
        assert!(
            !html.contains("sk_test"),
            "the secret key never reaches a page"
        );
        let calls = stripe_calls();
        assert!(calls
            .iter()
            .any(|(path, key, _)| path == "/v1/payment_intents"
                && key.as_deref() == Some(&format!("donation-{id}"))));
        let paid = event(
            &format!("evt_pi_{id}"),
            "payment_intent.succeeded",
            json!({
                "id": format!("pi_elements_{id}"), "object": "payment_intent", "status": "succeeded",
                "amount": 5000, "currency": "usd", "metadata": {"donation_id": id.to_string()}
            }),
        );
        assert_eq!(
            webhook(&app, &paid, chrono::Utc::now().timestamp(), WEBHOOK_SECRET).await,
            200
        );
        assert_eq!(
            app.store.donation(id).await.unwrap().unwrap().status,
            DonationStatus::Succeeded
        );
    }
);

server_test!(
    webhooks_must_match_the_payment_they_name,
    stripe_options(stripe_mock_base()),
    |app| {
        let id = give(&app, "once", "mia@example.org").await;
        let now = chrono::Utc::now().timestamp();
        let session = |evt: &str, session: String, amount: i64, currency: &str| {
            event(
                evt,
                "checkout.session.completed",
                json!({
                    "id": session, "object": "checkout.session", "mode": "payment",
                    "payment_status": "paid", "status": "complete", "amount_total": amount,
                    "currency": currency, "payment_intent": "pi_cheap", "subscription": null,
                    "metadata": {"donation_id": id.to_string()}
                }),
            )
        };
        // A $1 payment whose metadata names this $100 gift, another checkout session, and the
        // right amount in another currency: none of them pays the gift.
        for (evt, sid, amount, currency) in [
            ("evt_mm_1", format!("cs_test_{id}"), 100, "usd"),
            ("evt_mm_2", "cs_test_someone_else".to_string(), 10000, "usd"),
            ("evt_mm_3", format!("cs_test_{id}"), 10000, "eur"),
        ] {
            let e = session(evt, sid, amount, currency);
            assert_eq!(webhook(&app, &e, now, WEBHOOK_SECRET).await, 200, "{evt}");
            let d = app.store.donation(id).await.unwrap().unwrap();
            assert_eq!(d.status, DonationStatus::Pending, "{evt}");
            assert!(!d.mismatch.is_empty(), "{evt}: the mismatch is recorded");
        }
        // The admin sees why.
        account(&app.store, "owner@example.org", Role::Owner).await;
        let mut owner = Browser::new(&app.base);
        owner.sign_in("owner@example.org", PASSWORD).await;
        let list = owner.get("/admin/donations").await;
        assert!(list.body.contains("payment mismatch"), "{}", list.body);
        // The real payment still counts.
        let paid = session("evt_mm_4", format!("cs_test_{id}"), 10000, "usd");
        assert_eq!(webhook(&app, &paid, now, WEBHOOK_SECRET).await, 200);
        let d = app.store.donation(id).await.unwrap().unwrap();
        assert_eq!((d.status.as_str(), d.mismatch.as_str()), ("succeeded", ""));

        // An invoice for another amount than the plan's makes no renewal.
        let monthly = give(&app, "monthly", "max@example.org").await;
        let completed = event(
            "evt_mm_5",
            "checkout.session.completed",
            json!({
                "id": format!("cs_test_{monthly}"), "object": "checkout.session", "mode": "subscription",
                "payment_status": "paid", "status": "complete", "amount_total": 10000, "currency": "usd",
                "payment_intent": null, "subscription": "sub_mm", "metadata": {"donation_id": monthly.to_string()}
            }),
        );
        assert_eq!(webhook(&app, &completed, now, WEBHOOK_SECRET).await, 200);
        let invoice = event(
            "evt_mm_6",
            "invoice.paid",
            json!({
                "id": "in_mm", "object": "invoice", "billing_reason": "subscription_cycle", "amount_due": 500,
                "amount_paid": 500, "currency": "usd", "subscription": "sub_mm"
            }),
        );
        assert_eq!(webhook(&app, &invoice, now, WEBHOOK_SECRET).await, 200);
        let (rows, _) = app.store.list_donations(&Default::default()).await.unwrap();
        assert!(
            !rows.iter().any(|d| d.source == "renewal"),
            "no renewal from a mismatched invoice"
        );
        let plan = app
            .store
            .plan_by_subscription("sub_mm")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(plan.status, PlanStatus::Active);
    }
);
