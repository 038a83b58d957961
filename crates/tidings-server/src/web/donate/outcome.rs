//! After the form: the test gateway's checkout page, where a simulated payment is completed or
//! declined, and the thank-you page, which asks the gateway when the webhook has not come yet.

use super::*;

/// `GET /donate/test-checkout/{session}`: the test gateway's stand-in for a payment page.
pub async fn show_test_checkout(
    State(app): State<AppState>,
    Path(session): Path<String>,
) -> Result<Response, AppError> {
    let d = test_donation(&app, &session).await?;
    let currency = Currency::parse(&d.currency).ok_or(AppError::NotFound)?;
    let ctx = context! {
        session => session, total => money(currency, d.total), frequency => d.frequency.clone(),
        email => d.email.clone(), status => d.status.clone(),
    };
    let html = app.render_page("donate_test_checkout.html", ctx).await?;
    let mut r = axum::response::Html(html).into_response();
    r.headers_mut()
        .insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r.headers_mut()
        .insert(CONTENT_SECURITY_POLICY, csp(&app, &*app.site_view().await?));
    Ok(r)
}

async fn test_donation(app: &AppState, session: &str) -> Result<tidings_store::Donation, AppError> {
    if !matches!(app.payments().gateway, tidings_donations::Gateway::Test)
        || !session.starts_with("test_")
    {
        return Err(AppError::NotFound);
    }
    app.store()
        .donation_by_session(session)
        .await?
        .ok_or(AppError::NotFound)
}

#[derive(Deserialize)]
pub struct TestOutcome {
    #[serde(default)]
    outcome: String,
}

/// `POST /donate/test-checkout/{session}`: complete or decline the simulated payment.
pub async fn finish_test_checkout(
    State(app): State<AppState>,
    headers: HeaderMap,
    Path(session): Path<String>,
    Form(o): Form<TestOutcome>,
) -> Result<Response, AppError> {
    if !crate::web::subscribe::same_site(&app, &headers) {
        return Err(AppError::Forbidden);
    }
    let d = test_donation(&app, &session).await?;
    match o.outcome.as_str() {
        "complete" => {
            app.donations()
                .succeeded(d.id, &format!("test_payment_{}", d.id), None)
                .await?;
            Ok(see_other(&format!(
                "/donate/thanks/{}?session_id={session}",
                d.id
            )))
        }
        "decline" => {
            app.donations()
                .failed(d.id, DonationStatus::Failed, "declined (test mode)")
                .await?;
            let form = match d.form_id {
                Some(id) => app.store().donation_form_by_id(id).await?,
                None => None,
            };
            let form = match form {
                Some(f) => f,
                None => find_form(&app, &super::default_slug(&app).await?).await?,
            };
            let declined = Problems::general(
                "Your payment was declined, so nothing was charged. You can try again.",
            );
            form_page(
                &app,
                &form,
                StatusCode::PAYMENT_REQUIRED,
                Shown {
                    problems: Some(&declined),
                    ..Shown::default()
                },
                &d.source,
            )
            .await
        }
        _ => Err(AppError::BadRequest("outcome must be complete or decline")),
    }
}

#[derive(Deserialize, Default)]
pub struct ThanksQuery {
    #[serde(default)]
    session_id: String,
}

/// `GET /donate/thanks/{id}?session_id=...`: only for the session that paid (no guessing ids).
pub async fn show_thanks(
    State(app): State<AppState>,
    Path(id): Path<i64>,
    Query(q): Query<ThanksQuery>,
) -> Result<Response, AppError> {
    let d = app.store().donation(id).await?.ok_or(AppError::NotFound)?;
    if d.gateway_session.is_empty() || d.gateway_session != q.session_id {
        return Err(AppError::NotFound);
    }
    // The donor may arrive before Stripe's webhook: ask Stripe for the payment's state.
    app.donations().confirm_with_gateway(&d).await?;
    let d = app.store().donation(id).await?.ok_or(AppError::NotFound)?;
    let currency = Currency::parse(&d.currency).ok_or(AppError::NotFound)?;
    let ctx = context! {
        first_name => d.first_name.clone(), total => money(currency, d.total),
        amount => money(currency, d.amount), monthly => d.frequency == Frequency::Monthly,
        status => d.status.as_str(), email => d.email.clone(),
        test_mode => app.payments().gateway.test_mode(),
    };
    let html = app.render_page("donate_thanks.html", ctx).await?;
    let mut r = axum::response::Html(html).into_response();
    r.headers_mut()
        .insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(r)
}
