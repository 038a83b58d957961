//! `POST /webhooks/stripe`: signature-checked (300-second tolerance), each event id handled once,
//! and safe in any order: every change checks the state it comes from (a late `payment_failed`
//! cannot undo a success) and refunds carry Stripe's running total rather than a difference.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::Value;
use tidings_donations::{verify_signature, TOLERANCE_SECS};
use tidings_store::{DonationStatus, Frequency, GatewayKind, NewDonation, PlanStatus, Started};

use crate::app::AppState;
use crate::donations::{flow, Gateway};
use crate::error::AppError;

/// Largest webhook body accepted.
pub const MAX_BODY: usize = 256 * 1024;

fn text<'a>(v: &'a Value, path: &[&str]) -> &'a str {
    let mut at = v;
    for p in path {
        at = &at[*p];
    }
    at.as_str().unwrap_or_default()
}

/// `POST /webhooks/{gateway}`
pub async fn receive(
    State(app): State<AppState>,
    Path(gateway): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, AppError> {
    let Gateway::Stripe { webhook_secret, .. } = &app.payments().gateway else {
        return Err(AppError::NotFound);
    };
    if gateway != "stripe" {
        return Err(AppError::NotFound);
    }
    let signature = headers
        .get("stripe-signature")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let now = chrono::Utc::now().timestamp();
    if let Err(e) = verify_signature(&body, signature, webhook_secret, now, TOLERANCE_SECS) {
        tracing::warn!(error = %e, "webhook refused");
        return Ok((StatusCode::BAD_REQUEST, e.to_string()).into_response());
    }
    let event: Value = match serde_json::from_slice(&body) {
        Ok(v) => v,
        Err(_) => return Ok((StatusCode::BAD_REQUEST, "not JSON").into_response()),
    };
    let id = text(&event, &["id"]).to_string();
    let kind = text(&event, &["type"]).to_string();
    if id.is_empty() || kind.is_empty() {
        return Ok((StatusCode::BAD_REQUEST, "not an event").into_response());
    }
    if app.store().gateway_event_seen("stripe", &id).await? {
        return Ok((StatusCode::OK, "already handled").into_response());
    }
    handle(&app, &kind, &event["data"]["object"]).await?;
    app.store()
        .record_gateway_event("stripe", &id, &kind)
        .await?;
    Ok((StatusCode::OK, "ok").into_response())
}

async fn donation_for(
    app: &AppState,
    object: &Value,
) -> Result<Option<tidings_store::Donation>, AppError> {
    let by_meta = text(object, &["metadata", "donation_id"])
        .parse::<i64>()
        .ok()
        .or_else(|| text(object, &["client_reference_id"]).parse().ok());
    if let Some(id) = by_meta {
        if let Some(d) = app.store().donation(id).await? {
            return Ok(Some(d));
        }
    }
    if text(object, &["object"]) == "checkout.session" {
        return Ok(app
            .store()
            .donation_by_session(text(object, &["id"]))
            .await?);
    }
    Ok(None)
}

fn subscription_of(invoice: &Value) -> &str {
    let direct = text(invoice, &["subscription"]);
    if direct.is_empty() {
        text(invoice, &["parent", "subscription_details", "subscription"])
    } else {
        direct
    }
}

async fn handle(app: &AppState, kind: &str, object: &Value) -> Result<(), AppError> {
    let store = app.store();
    match kind {
        "checkout.session.completed" => {
            if let Some(d) = donation_for(app, object).await? {
                let paid = matches!(
                    text(object, &["payment_status"]),
                    "paid" | "no_payment_required"
                );
                if paid {
                    let sub = Some(text(object, &["subscription"])).filter(|s| !s.is_empty());
                    let reported = flow::Reported {
                        object: text(object, &["id"]),
                        amount: object["amount_total"].as_i64(),
                        currency: object["currency"].as_str(),
                    };
                    flow::succeeded_if_matching(
                        app,
                        &d,
                        reported,
                        text(object, &["payment_intent"]),
                        sub,
                    )
                    .await?;
                }
            }
        }
        "checkout.session.expired" => {
            if let Some(d) = donation_for(app, object).await? {
                flow::failed(app, d.id, DonationStatus::Expired, "checkout expired").await?;
            }
        }
        "payment_intent.succeeded" => {
            if let Some(d) = donation_for(app, object).await? {
                let id = text(object, &["id"]);
                // A Checkout payment's intent is learned from its session's completion, which is
                // the event that counts for it; its own event is not a mismatch.
                let via_checkout =
                    d.gateway_session.starts_with("cs_") && d.gateway_payment.is_empty();
                if !via_checkout {
                    let reported = flow::Reported {
                        object: id,
                        amount: object["amount_received"]
                            .as_i64()
                            .or_else(|| object["amount"].as_i64()),
                        currency: object["currency"].as_str(),
                    };
                    flow::succeeded_if_matching(app, &d, reported, id, None).await?;
                }
            }
        }
        "payment_intent.payment_failed" => {
            if let Some(d) = donation_for(app, object).await? {
                // Events can arrive late: ask Stripe what the payment's state is now.
                if let Gateway::Stripe { client, .. } = &app.payments().gateway {
                    if let Ok(pi) = client.payment_intent(text(object, &["id"])).await {
                        if pi.status == tidings_donations::stripe::IntentStatus::Succeeded {
                            let reported = flow::Reported {
                                object: &pi.id,
                                amount: Some(pi.amount),
                                currency: Some(&pi.currency),
                            };
                            flow::succeeded_if_matching(app, &d, reported, &pi.id, None).await?;
                            return Ok(());
                        }
                    }
                }
                let reason = text(object, &["last_payment_error", "message"]);
                flow::failed(
                    app,
                    d.id,
                    DonationStatus::Failed,
                    if reason.is_empty() {
                        "payment failed"
                    } else {
                        reason
                    },
                )
                .await?;
            }
        }
        "charge.refunded" => {
            if let Some(d) = store
                .donation_by_payment(text(object, &["payment_intent"]))
                .await?
            {
                let refunded = object["amount_refunded"].as_i64().unwrap_or(0);
                store.refund_donation(d.id, refunded).await?;
            }
        }
        "charge.dispute.created" => {
            if let Some(d) = store
                .donation_by_payment(text(object, &["payment_intent"]))
                .await?
            {
                store.dispute_donation(d.id).await?;
            }
        }
        "invoice.paid" | "invoice.payment_failed" => {
            // The first invoice of a subscription is the checkout's own payment, handled above.
            if text(object, &["billing_reason"]) == "subscription_create" {
                return Ok(());
            }
            let Some(plan) = store.plan_by_subscription(subscription_of(object)).await? else {
                return Ok(());
            };
            // The invoice must be for this plan's own amount and currency.
            let expected = plan.amount + plan.fee;
            let billed = object["amount_due"].as_i64();
            let currency = object["currency"].as_str().unwrap_or_default();
            if billed != Some(expected) || !currency.eq_ignore_ascii_case(&plan.currency) {
                let why = format!(
                    "invoice {} is for {} {}, but the plan is {} {}",
                    text(object, &["id"]),
                    billed.map_or("no amount".into(), |a| a.to_string()),
                    currency,
                    expected,
                    plan.currency
                );
                tracing::warn!(plan = plan.id, reason = %why, "invoice does not match the plan");
                store.flag_plan_mismatch(plan.id, &why).await?;
                return Ok(());
            }
            let amount_due = expected;
            let started = store
                .start_donation(&NewDonation {
                    email: plan.email.clone(),
                    form_id: plan.form_id,
                    amount: amount_due - plan.fee.min(amount_due),
                    fee: plan.fee.min(amount_due),
                    currency: plan.currency.clone(),
                    frequency: Frequency::Monthly,
                    gateway: GatewayKind::Stripe,
                    idempotency_key: format!("invoice-{}", text(object, &["id"])),
                    plan_id: Some(plan.id),
                    source: "renewal".into(),
                    ..NewDonation::default()
                })
                .await?;
            let d = match started {
                Started::New(d) | Started::Existing(d) => d,
            };
            if kind == "invoice.paid" {
                let payment = text(object, &["payment_intent"]);
                flow::succeeded(
                    app,
                    d.id,
                    if payment.is_empty() {
                        text(object, &["id"])
                    } else {
                        payment
                    },
                    None,
                )
                .await?;
            } else {
                flow::failed(
                    app,
                    d.id,
                    DonationStatus::Failed,
                    "the monthly charge was declined",
                )
                .await?;
            }
        }
        "customer.subscription.deleted" => {
            if let Some(plan) = store.plan_by_subscription(text(object, &["id"])).await? {
                store
                    .update_plan(plan.id, PlanStatus::Cancelled, None, None)
                    .await?;
            }
        }
        other => tracing::debug!(kind = other, "webhook event ignored"),
    }
    Ok(())
}
