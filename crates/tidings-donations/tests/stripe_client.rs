//! The Stripe client against a local HTTP server that answers like Stripe's API: objects shaped
//! after the official type definitions (stripe 23.1.0, `esm/resources/*.d.ts`), errors in Stripe's
//! error envelope. It checks what the client sends: paths, form fields, the secret key, and an
//! Idempotency-Key on every POST.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::IntoResponse;
use axum::routing::any;
use axum::Router;
use serde_json::json;
use tidings_donations::stripe::{NewCheckout, SessionPaymentStatus, StripeClient, StripeError};
use tidings_donations::Frequency;

#[derive(Clone, Debug)]
struct Seen {
    method: Method,
    path: String,
    auth: String,
    idempotency: Option<String>,
    form: HashMap<String, String>,
}

type Log = Arc<Mutex<Vec<Seen>>>;

async fn api(
    State(log): State<Log>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    _p: Option<Path<String>>,
    body: Bytes,
) -> axum::response::Response {
    let form: HashMap<String, String> = url::form_urlencoded::parse(&body).into_owned().collect();
    let seen = Seen {
        method: method.clone(),
        path: uri.path().to_string(),
        auth: headers
            .get("authorization")
            .map(|v| v.to_str().unwrap().to_string())
            .unwrap_or_default(),
        idempotency: headers
            .get("idempotency-key")
            .map(|v| v.to_str().unwrap().to_string()),
        form: form.clone(),
    };
    log.lock().unwrap().push(seen);
    let path = uri.path();
    let ok = |v: serde_json::Value| (StatusCode::OK, axum::Json(v)).into_response();
    match (method.as_str(), path) {
        ("POST", "/v1/checkout/sessions") => {
            let mode = form["mode"].clone();
            ok(json!({
                "id": if mode == "payment" { "cs_test_a1payment" } else { "cs_test_a1subscription" },
                "object": "checkout.session",
                "amount_subtotal": form["line_items[0][price_data][unit_amount]"].parse::<i64>().unwrap(),
                "amount_total": form["line_items[0][price_data][unit_amount]"].parse::<i64>().unwrap(),
                "client_reference_id": form["client_reference_id"],
                "currency": form["line_items[0][price_data][currency]"],
                "customer": null,
                "customer_email": form.get("customer_email"),
                "expires_at": 1795086300,
                "livemode": false,
                "metadata": { "donation_id": form["metadata[donation_id]"] },
                "mode": mode,
                "payment_intent": null,
                "payment_status": "unpaid",
                "status": "open",
                "subscription": null,
                "success_url": form["success_url"],
                "url": "https://checkout.stripe.com/c/pay/cs_test_a1payment#fidkdWxOYHwnPyd1blpxYHZxWjA0"
            }))
        }
        ("GET", "/v1/checkout/sessions/cs_test_a1payment") => ok(json!({
            "id": "cs_test_a1payment", "object": "checkout.session", "amount_total": 10330,
            "currency": "usd", "customer": "cus_Q1", "metadata": {"donation_id": "7"}, "mode": "payment",
            "payment_intent": "pi_3Q1", "payment_status": "paid", "status": "complete",
            "subscription": null, "url": null
        })),
        ("POST", "/v1/payment_intents") => ok(json!({
            "id": "pi_3Q2", "object": "payment_intent", "amount": form["amount"].parse::<i64>().unwrap(),
            "currency": form["currency"], "client_secret": "pi_3Q2_secret_abc", "status": "requires_payment_method",
            "metadata": {"donation_id": form["metadata[donation_id]"]}, "livemode": false
        })),
        ("POST", "/v1/refunds") if form["amount"] == "999999" => (
            StatusCode::BAD_REQUEST,
            axum::Json(json!({"error": {"type": "invalid_request_error", "code": "amount_too_large",
                "message": "Refund amount ($9,999.99) is greater than charge amount ($103.30)", "param": "amount"}})),
        ).into_response(),
        ("POST", "/v1/refunds") => ok(json!({
            "id": "re_3Q1", "object": "refund", "amount": form["amount"].parse::<i64>().unwrap(),
            "currency": "usd", "payment_intent": form["payment_intent"], "status": "succeeded"
        })),
        ("GET", "/v1/subscriptions/sub_1Q1") => ok(json!({
            "id": "sub_1Q1", "object": "subscription", "status": "active", "metadata": {"donation_id": "8"},
            "items": {"object": "list", "data": [{"id": "si_Q1", "object": "subscription_item", "quantity": 1,
                "price": {"id": "price_Q1", "object": "price", "product": "prod_Q1", "unit_amount": 2500,
                          "currency": "usd", "recurring": {"interval": "month", "interval_count": 1}}}]}
        })),
        ("POST", "/v1/subscriptions/sub_1Q1") => ok(json!({
            "id": "sub_1Q1", "object": "subscription", "status": "active", "metadata": {"donation_id": "8"},
            "items": {"object": "list", "data": [{"id": "si_Q1", "object": "subscription_item", "quantity": 1,
                "price": {"id": "price_Q2", "object": "price", "product": form["items[0][price_data][product]"],
                          "unit_amount": form["items[0][price_data][unit_amount]"].parse::<i64>().unwrap(),
                          "currency": "usd", "recurring": {"interval": "month", "interval_count": 1}}}]}
        })),
        ("DELETE", "/v1/subscriptions/sub_1Q1") => ok(json!({
            "id": "sub_1Q1", "object": "subscription", "status": "canceled", "metadata": {"donation_id": "8"}
        })),
        _ => (StatusCode::NOT_FOUND, axum::Json(json!({"error": {"type": "invalid_request_error",
            "code": "resource_missing", "message": format!("No such resource: {path}")}}))).into_response(),
    }
}

async fn mock() -> (String, Log) {
    let log: Log = Arc::default();
    let app = Router::new().fallback(any(api)).with_state(log.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{addr}"), log)
}

#[tokio::test]
async fn checkout_sessions_in_payment_and_subscription_mode() {
    let (base, log) = mock().await;
    let client = StripeClient::new(&base, "sk_test_123").unwrap();
    assert!(!client.is_live());
    let mut checkout = NewCheckout {
        frequency: Frequency::Once,
        amount: 10_330,
        currency: "USD",
        description: "Gift to The Harbour Ledger",
        success_url: "https://news.example/donate/thanks/7?session_id={CHECKOUT_SESSION_ID}",
        cancel_url: "https://news.example/donate/",
        email: "ana@example.org",
        donation_id: 7,
        idempotency_key: "donation-7",
    };
    let session = client.create_checkout_session(&checkout).await.unwrap();
    assert_eq!(
        (session.id.as_str(), session.mode.as_str()),
        ("cs_test_a1payment", "payment")
    );
    assert!(session
        .url
        .unwrap()
        .starts_with("https://checkout.stripe.com/"));
    checkout.frequency = Frequency::Monthly;
    checkout.idempotency_key = "donation-8";
    let monthly = client.create_checkout_session(&checkout).await.unwrap();
    assert_eq!(monthly.mode, "subscription");

    let seen = log.lock().unwrap().clone();
    assert_eq!(seen[0].auth, "Bearer sk_test_123");
    assert_eq!(seen[0].idempotency.as_deref(), Some("donation-7"));
    assert_eq!(seen[0].form["mode"], "payment");
    assert_eq!(seen[0].form["line_items[0][price_data][currency]"], "usd");
    assert_eq!(
        seen[0].form["payment_intent_data[metadata][donation_id]"],
        "7"
    );
    assert!(!seen[0]
        .form
        .contains_key("line_items[0][price_data][recurring][interval]"));
    assert_eq!(seen[1].form["mode"], "subscription");
    assert_eq!(
        seen[1].form["line_items[0][price_data][recurring][interval]"],
        "month"
    );
    assert_eq!(seen[1].idempotency.as_deref(), Some("donation-8"));
    assert!(
        seen.iter()
            .all(|s| !s.form.keys().any(|k| k.contains("card"))),
        "no card data ever"
    );

    let paid = client.checkout_session("cs_test_a1payment").await.unwrap();
    assert_eq!(
        (paid.payment_status, paid.payment_intent.as_deref()),
        (SessionPaymentStatus::Paid, Some("pi_3Q1"))
    );
    assert_eq!(paid.metadata["donation_id"], "7");
    assert!(
        client.checkout_session("../v1/charges").await.is_err(),
        "ids are checked before use"
    );
}

#[tokio::test]
async fn payment_intents_refunds_cancellations_and_errors() {
    let (base, log) = mock().await;
    let client = StripeClient::new(&base, "sk_test_123").unwrap();
    let pi = client
        .create_payment_intent(5_000, "EUR", 9, "ben@example.org", "donation-9")
        .await
        .unwrap();
    assert_eq!(
        (pi.amount, pi.currency.as_str(), pi.client_secret.as_deref()),
        (5_000, "eur", Some("pi_3Q2_secret_abc"))
    );
    let refund = client
        .refund("pi_3Q1", 10_330, "refund-7-10330")
        .await
        .unwrap();
    assert_eq!(
        (refund.amount, refund.status.as_deref()),
        (10_330, Some("succeeded"))
    );
    match client.refund("pi_3Q1", 999_999, "refund-7-999999").await {
        Err(StripeError::Api {
            status: 400,
            code: Some(code),
            ..
        }) => assert_eq!(code, "amount_too_large"),
        other => panic!("{other:?}"),
    }
    let changed = client
        .change_subscription_amount("sub_1Q1", 5_000, "plan-8-5000")
        .await
        .unwrap();
    let price = &changed.items.unwrap().data[0].price;
    assert_eq!(
        (price.unit_amount, price.product.as_str()),
        (Some(5_000), "prod_Q1")
    );
    let sub = client.cancel_subscription("sub_1Q1").await.unwrap();
    assert_eq!(sub.status, "canceled");
    let seen = log.lock().unwrap().clone();
    for s in seen.iter().filter(|s| s.method == Method::POST) {
        assert!(
            s.idempotency.is_some(),
            "POST {} without Idempotency-Key",
            s.path
        );
    }
    assert_eq!(seen[0].form["automatic_payment_methods[enabled]"], "true");
    let update = seen
        .iter()
        .find(|s| s.method == Method::POST && s.path == "/v1/subscriptions/sub_1Q1")
        .unwrap();
    assert_eq!(update.form["items[0][id]"], "si_Q1");
    assert_eq!(update.form["proration_behavior"], "none");
    assert!(matches!(
        client.payment_intent("pi_missing").await,
        Err(StripeError::Api { status: 404, .. })
    ));
}
