//! Is Stripe's webhook set up? Two real checks: the account has an endpoint for the site's URL
//! with every event Tidings acts on (Stripe's `GET /v1/webhook_endpoints`), and an event signed
//! with the configured secret, posted to that URL, is accepted (so the URL reaches a node with
//! the same secret).

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::gateway::Gateway;
use crate::service::Donations;
use crate::webhook::sign_payload;

/// The events Tidings acts on; the endpoint must send each (or `*`).
pub const WEBHOOK_EVENTS: [&str; 9] = [
    "checkout.session.completed",
    "checkout.session.expired",
    "payment_intent.succeeded",
    "payment_intent.payment_failed",
    "charge.refunded",
    "charge.dispute.created",
    "invoice.paid",
    "invoice.payment_failed",
    "customer.subscription.deleted",
];

/// Where Stripe must post a site's events.
pub fn webhook_url(site_url: &str) -> String {
    format!("{}/webhooks/stripe", site_url.trim_end_matches('/'))
}

/// What the check found.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct WebhookCheck {
    /// The URL Stripe must post to.
    pub url: String,
    /// `Ok` with a description when Stripe has a fitting endpoint; `Err` with what is wrong.
    pub endpoint: Result<String, String>,
    /// `Ok` when the signed test event was accepted; `Err` with the answer.
    pub delivery: Result<String, String>,
}

impl WebhookCheck {
    /// Whether both halves passed.
    pub fn passed(&self) -> bool {
        self.endpoint.is_ok() && self.delivery.is_ok()
    }
}

impl Donations {
    /// Checks the webhook for a site published at `site_url`; `None` without Stripe.
    pub async fn check_webhook(&self, site_url: &str) -> Option<WebhookCheck> {
        let Gateway::Stripe {
            client,
            webhook_secret,
            ..
        } = &self.payments().gateway
        else {
            return None;
        };
        let url = webhook_url(site_url);
        let endpoint = match client.webhook_endpoints().await {
            Err(e) => Err(format!("Stripe did not list the webhook endpoints: {e}")),
            Ok(list) => judge_endpoints(&url, &list),
        };
        let delivery = self_test(&url, webhook_secret).await;
        Some(WebhookCheck {
            url,
            endpoint,
            delivery,
        })
    }
}

fn judge_endpoints(url: &str, list: &[crate::stripe::WebhookEndpoint]) -> Result<String, String> {
    let same = |u: &str| u.trim_end_matches('/') == url;
    let Some(endpoint) = list.iter().find(|e| same(&e.url)) else {
        let others: Vec<&str> = list.iter().map(|e| e.url.as_str()).collect();
        return Err(if others.is_empty() {
            format!("The Stripe account has no webhook endpoint; add one for {url}.")
        } else {
            format!(
                "No webhook endpoint points at {url} (the account has {}).",
                others.join(", ")
            )
        });
    };
    if endpoint.status != "enabled" {
        return Err(format!(
            "The endpoint {} for {url} is {}; enable it in Stripe's dashboard.",
            endpoint.id, endpoint.status
        ));
    }
    let all = endpoint.enabled_events.iter().any(|e| e == "*");
    let missing: Vec<&str> = WEBHOOK_EVENTS
        .iter()
        .copied()
        .filter(|want| !all && !endpoint.enabled_events.iter().any(|e| e == want))
        .collect();
    if !missing.is_empty() {
        return Err(format!(
            "The endpoint {} does not send {}: add {} to its events.",
            endpoint.id,
            missing.join(", "),
            if missing.len() == 1 { "it" } else { "them" }
        ));
    }
    Ok(format!(
        "Endpoint {} sends every event the site acts on to {url}.",
        endpoint.id
    ))
}

/// Posts an event Tidings ignores, signed as Stripe would sign it, to the site's own URL.
async fn self_test(url: &str, secret: &str) -> Result<String, String> {
    let at = chrono::Utc::now();
    let now = at.timestamp();
    // Each check is a new event id, or the site would answer "already handled".
    let id = format!(
        "evt_tidings_check_{}",
        at.timestamp_nanos_opt().unwrap_or(now)
    );
    let body = serde_json::json!({
        "id": id,
        "object": "event",
        "type": "tidings.webhook_check",
        "created": now,
        "livemode": false,
        "data": {"object": {}},
    })
    .to_string();
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| e.to_string())?;
    let res = client
        .post(url)
        .header("Content-Type", "application/json")
        .header(
            "Stripe-Signature",
            sign_payload(secret, now, body.as_bytes()),
        )
        .body(body)
        .send()
        .await
        .map_err(|e| format!("{url} could not be reached: {e}"))?;
    let status = res.status();
    let answer: String = res
        .text()
        .await
        .unwrap_or_default()
        .chars()
        .take(200)
        .collect();
    match status.as_u16() {
        200..=299 => Ok(format!(
            "A signed test event posted to {url} was accepted ({status})."
        )),
        400 => Err(format!(
            "{url} refused a test event signed with this node's webhook secret ({answer}): another node or site at that address has a different payments.stripe_webhook_secret."
        )),
        _ => Err(format!(
            "{url} answered {status} to a signed test event: Stripe's deliveries would fail too."
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stripe::WebhookEndpoint;

    fn endpoint(url: &str, status: &str, events: &[&str]) -> WebhookEndpoint {
        WebhookEndpoint {
            id: "we_1".into(),
            url: url.into(),
            status: status.into(),
            enabled_events: events.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn an_endpoint_must_match_the_url_be_enabled_and_send_every_event() {
        let url = "https://news.example/webhooks/stripe";
        assert!(judge_endpoints(url, &[endpoint(url, "enabled", &WEBHOOK_EVENTS)]).is_ok());
        assert!(judge_endpoints(url, &[endpoint(&format!("{url}/"), "enabled", &["*"])]).is_ok());
        let e = judge_endpoints(
            url,
            &[endpoint(
                "https://old.example/webhooks/stripe",
                "enabled",
                &["*"],
            )],
        )
        .unwrap_err();
        assert!(e.contains("old.example"), "{e}");
        let e = judge_endpoints(url, &[endpoint(url, "disabled", &["*"])]).unwrap_err();
        assert!(e.contains("is disabled"), "{e}");
        let e =
            judge_endpoints(url, &[endpoint(url, "enabled", &WEBHOOK_EVENTS[..7])]).unwrap_err();
        assert!(
            e.contains("invoice.payment_failed, customer.subscription.deleted"),
            "{e}"
        );
        assert!(judge_endpoints(url, &[])
            .unwrap_err()
            .contains("no webhook endpoint"));
    }
}
