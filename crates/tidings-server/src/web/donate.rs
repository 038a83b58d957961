//! Donation forms at `/donate/` and `/donate/{form}/`, the test gateway's checkout page, and the
//! thank-you page. Card details never reach these pages: the donor pays on the gateway's page.

use axum::extract::{Path, Query, State};
use axum::http::header::{CACHE_CONTROL, CONTENT_SECURITY_POLICY, REFERER};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Form;
use check::checked_gift;
use minijinja::{context, Value};
use serde::Deserialize;
use tidings_donations::{cover_fee, format_amount, Currency, NextStep, SECRET};
use tidings_newsletter::{issue_challenge, normalise_address, verify_solution, SIGNUP_DIFFICULTY};
use tidings_store::{DonationForm, DonationStatus, Frequency, NewDonation};

use crate::admin::{see_other, Peer};
use crate::app::AppState;
use crate::error::AppError;
use crate::web::problems::Problems;

mod check;
mod outcome;
use crate::throttle;
pub use outcome::{finish_test_checkout, show_test_checkout, show_thanks};

/// The policy for donation pages: our own origin, plus the provider's checkout host as a form
/// target (browsers apply `form-action` to the redirect that follows the POST).
fn csp(app: &AppState, site: &tidings_theme::SiteView) -> HeaderValue {
    let checkout = match app.payments().gateway {
        tidings_donations::Gateway::Stripe { .. } => " https://checkout.stripe.com",
        tidings_donations::Gateway::Test => "",
    };
    // The optional challenge widget is the only other outside host, and only when configured.
    let widget = app
        .payments()
        .challenge
        .as_ref()
        .map(|c| format!(" {}", c.provider.origins()))
        .unwrap_or_default();
    // The outlet's analytics script runs here as on every page, so a gift can be counted.
    let analytics = site
        .analytics
        .as_ref()
        .map(|a| format!(" {}", a.origin))
        .unwrap_or_default();
    let frames = if widget.is_empty() {
        String::new()
    } else {
        format!(" frame-src{widget};")
    };
    HeaderValue::from_str(&format!(
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'{widget}{analytics}; \
         connect-src 'self'{widget}{analytics};{frames} object-src 'none'; base-uri 'self'; \
         form-action 'self'{checkout}; frame-ancestors 'none'"
    ))
    .expect("ASCII policy")
}

fn money(currency: Currency, minor: i64) -> String {
    format_amount(currency, minor)
}

/// What the form page shows besides the form itself.
#[derive(Default)]
struct Shown<'a> {
    problems: Option<&'a Problems>,
    values: Option<&'a DonateForm>,
    notice: Option<&'a str>,
}

async fn form_page(
    app: &AppState,
    form: &DonationForm,
    status: StatusCode,
    shown: Shown<'_>,
    source: &str,
) -> Result<Response, AppError> {
    let currency = Currency::parse(&form.currency).ok_or(AppError::NotFound)?;
    let fee = app.payments().fee;
    let presets: Vec<Value> = form
        .presets
        .iter()
        .map(|p| {
            let (total, fee) = cover_fee(*p, fee);
            context! { value => p, label => money(currency, *p), covered_total => total, fee => fee }
        })
        .collect();
    let campaign = match form.campaign_id {
        Some(id) => app.store().campaign_progress(id).await?.map(|(c, raised, donors)| {
            let c_currency = Currency::parse(&c.currency).unwrap_or(currency);
            context! {
                title => c.title, raised => money(c_currency, raised), goal => money(c_currency, c.goal),
                donors => donors, percent => if c.goal > 0 { (raised * 100 / c.goal).min(100) } else { 0 },
                raised_minor => raised, goal_minor => c.goal,
            }
        }),
        None => None,
    };
    let secret = app.secret(SECRET).await?;
    let challenge = issue_challenge(
        secret.as_bytes(),
        chrono::Utc::now().timestamp(),
        SIGNUP_DIFFICULTY,
    );
    let v = shown.values;
    let selected = v
        .map(|v| v.amount.clone())
        .unwrap_or_else(|| form.default_amount.to_string());
    let ctx = context! {
        form => Value::from_serialize(form),
        action => if form.slug == default_slug(app).await? { "/donate/".to_string() } else { format!("/donate/{}/", form.slug) },
        presets => presets,
        selected => selected,
        currency => currency.code(),
        exponent => currency.exponent(),
        minimum => money(currency, form.minimum),
        maximum => money(currency, form.maximum),
        fee_basis_points => fee.basis_points,
        fee_fixed => fee.fixed,
        campaign => campaign,
        test_mode => app.payments().gateway.test_mode(),
        gateway => app.payments().gateway.kind().as_str(),
        widget => app.payments().challenge.as_ref().map(|c| context! {
            class => c.provider.widget_class(), site_key => c.site_key.clone(), script => c.provider.script_url(),
        }),
        key => tidings_accounts::new_token(),
        challenge => challenge.token,
        difficulty => challenge.difficulty,
        source => v.map(|v| v.source.clone()).unwrap_or_else(|| source.to_string()),
        problems => shown.problems.map(Problems::view),
        notice => shown.notice,
        values => v.map(|v| context! {
            custom_amount => v.custom_amount.clone(), frequency => v.frequency.clone(),
            cover_fee => v.cover_fee.is_some(), first_name => v.first_name.clone(),
            last_name => v.last_name.clone(), email => v.email.clone(), address => v.address.clone(),
            anonymous => v.anonymous.is_some(), dedication => v.dedication.clone(),
        }),
    };
    let html = app.render_page("donate.html", ctx).await?;
    let mut response = (status, axum::response::Html(html)).into_response();
    let h = response.headers_mut();
    h.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(CONTENT_SECURITY_POLICY, csp(app, &*app.site_view().await?));
    Ok(response)
}

/// The form `/donate/` shows: the outlet's choice in the settings (checked to exist when saved;
/// forms are never deleted), else the built-in one. Read from the cached site view: no query.
pub(crate) async fn default_slug(app: &AppState) -> Result<String, AppError> {
    Ok(app.site_view().await?.donate_form.clone())
}

async fn find_form(app: &AppState, slug: &str) -> Result<DonationForm, AppError> {
    if slug.len() > 80 {
        return Err(AppError::NotFound);
    }
    app.store()
        .donation_form(slug)
        .await?
        .ok_or(AppError::NotFound)
}

/// The path of the page the donor came from on this site, if the browser said.
fn referring_path(app: &AppState, headers: &HeaderMap) -> String {
    let Some(referer) = headers.get(REFERER).and_then(|v| v.to_str().ok()) else {
        return String::new();
    };
    let Ok(url) = url::Url::parse(referer) else {
        return String::new();
    };
    let ours = url::Url::parse(&app.site().url).ok();
    let same = ours.is_some_and(|o| o.host_str() == url.host_str())
        || url.host_str() == Some("127.0.0.1")
        || url.host_str() == Some("localhost");
    if same && !url.path().starts_with("/donate") {
        url.path().chars().take(300).collect()
    } else {
        String::new()
    }
}

#[derive(Deserialize, Default)]
pub struct ShowQuery {
    #[serde(default)]
    cancelled: Option<String>,
}

/// `GET /donate/`
pub async fn show_default(
    State(app): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<ShowQuery>,
) -> Result<Response, AppError> {
    let slug = default_slug(&app).await?;
    show(app, &slug, headers, q).await
}

/// `GET /donate/{form}/`
pub async fn show_named(
    State(app): State<AppState>,
    Path(slug): Path<String>,
    headers: HeaderMap,
    Query(q): Query<ShowQuery>,
) -> Result<Response, AppError> {
    if slug == "default" {
        return Err(AppError::Moved("/donate/".into()));
    }
    show(app, &slug, headers, q).await
}

async fn show(
    app: AppState,
    slug: &str,
    headers: HeaderMap,
    q: ShowQuery,
) -> Result<Response, AppError> {
    let form = find_form(&app, slug).await?;
    let notice = q
        .cancelled
        .is_some()
        .then_some("Your payment was cancelled. Nothing was charged.");
    let source = referring_path(&app, &headers);
    form_page(
        &app,
        &form,
        StatusCode::OK,
        Shown {
            notice,
            ..Shown::default()
        },
        &source,
    )
    .await
}

/// The donation form as posted.
#[derive(Deserialize, Default, Debug)]
pub struct DonateForm {
    #[serde(default)]
    amount: String,
    #[serde(default)]
    custom_amount: String,
    #[serde(default)]
    frequency: String,
    #[serde(default)]
    cover_fee: Option<String>,
    #[serde(default)]
    currency: String,
    #[serde(default)]
    shown_total: String,
    #[serde(default)]
    first_name: String,
    #[serde(default)]
    last_name: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    address: String,
    #[serde(default)]
    anonymous: Option<String>,
    #[serde(default)]
    dedication: String,
    #[serde(default)]
    website: String,
    #[serde(default)]
    key: String,
    #[serde(default)]
    challenge: String,
    #[serde(default)]
    solution: String,
    #[serde(default)]
    source: String,
    #[serde(default, rename = "cf-turnstile-response")]
    turnstile: String,
    #[serde(default, rename = "h-captcha-response")]
    hcaptcha: String,
}

/// The form again, with what the donor typed and why it was refused.
async fn again(
    app: &AppState,
    form: &DonationForm,
    status: StatusCode,
    problems: Problems,
    f: &DonateForm,
) -> Result<Response, AppError> {
    let shown = Shown {
        problems: Some(&problems),
        values: Some(f),
        notice: None,
    };
    form_page(app, form, status, shown, "").await
}

async fn too_many_attempts(
    app: &AppState,
    form: &DonationForm,
    f: &DonateForm,
    wait: i64,
) -> Result<Response, AppError> {
    let r = again(
        app,
        form,
        StatusCode::TOO_MANY_REQUESTS,
        "Too many donation attempts just now. Please wait a while and try again.".into(),
        f,
    )
    .await?;
    Ok(throttle::too_many(r, wait))
}

/// `POST /donate/`
pub async fn submit_default(
    State(app): State<AppState>,
    peer: Peer,
    headers: HeaderMap,
    Form(f): Form<DonateForm>,
) -> Result<Response, AppError> {
    let slug = default_slug(&app).await?;
    submit(app, &slug, peer, headers, f).await
}

/// `POST /donate/{form}/`
pub async fn submit_named(
    State(app): State<AppState>,
    Path(slug): Path<String>,
    peer: Peer,
    headers: HeaderMap,
    Form(f): Form<DonateForm>,
) -> Result<Response, AppError> {
    submit(app, &slug, peer, headers, f).await
}

async fn submit(
    app: AppState,
    slug: &str,
    peer: Peer,
    headers: HeaderMap,
    f: DonateForm,
) -> Result<Response, AppError> {
    if !crate::web::subscribe::same_site(&app, &headers) {
        return Err(AppError::Forbidden);
    }
    let form = find_form(&app, slug).await?;
    // Card-testing defences first: attempts per address and per email, whatever else is wrong.
    let ip_key = format!("donate-ip:{}", peer.ip());
    let email = normalise_address(&f.email);
    let email_key = email.as_ref().ok().map(|e| format!("donate-email:{e}"));
    let mut keys = vec![ip_key.as_str()];
    if let Some(k) = &email_key {
        keys.push(k.as_str());
    }
    let windows = throttle::per_hour(app.payments().attempt_limit);
    let now = chrono::Utc::now().timestamp();
    let mut wait = 0;
    for k in &keys {
        wait = wait.max(app.store().rate_wait(k, &windows, now).await?.unwrap_or(0));
    }
    if wait > 0 {
        return too_many_attempts(&app, &form, &f, wait).await;
    }
    if !f.website.trim().is_empty() {
        return again(
            &app,
            &form,
            StatusCode::UNPROCESSABLE_ENTITY,
            "We could not take this donation. Please try again.".into(),
            &f,
        )
        .await;
    }
    let secret = app.secret(SECRET).await?;
    let checked = match f.solution.trim().parse::<u64>() {
        Ok(n) => verify_solution(secret.as_bytes(), &f.challenge, n, now).map_err(|e| e.to_string()),
        Err(_) => Err("This form needs JavaScript for a short, private security check. Please turn it on and try again.".to_string()),
    };
    let nonce = match checked {
        Ok(n) => n,
        Err(m) => return again(&app, &form, StatusCode::UNPROCESSABLE_ENTITY, m.into(), &f).await,
    };
    if let Some(c) = &app.payments().challenge {
        let token = match c.provider {
            tidings_donations::ChallengeProvider::Turnstile => &f.turnstile,
            tidings_donations::ChallengeProvider::HCaptcha => &f.hcaptcha,
        };
        if let Err(e) =
            tidings_donations::verify_challenge(&c.verify_url, &c.secret, token, &peer.ip()).await
        {
            tracing::info!(reason = %e, "donation challenge failed");
            return again(
                &app,
                &form,
                StatusCode::UNPROCESSABLE_ENTITY,
                "The security check did not pass. Please try it again.".into(),
                &f,
            )
            .await;
        }
    }
    // Counted only past the honeypot and the proof-of-work, so bots cannot use up the allowance.
    for k in &keys {
        if let Some(wait) = throttle::hit(&app, k, &windows).await? {
            return too_many_attempts(&app, &form, &f, wait).await;
        }
    }
    if !app
        .store()
        .use_challenge(&format!("donate:{nonce}"), now + 7200)
        .await?
    {
        return again(&app, &form, StatusCode::UNPROCESSABLE_ENTITY, "This form was already sent. Please check your inbox for a receipt before trying again.".into(), &f).await;
    }

    let currency = Currency::parse(&form.currency).ok_or(AppError::NotFound)?;
    let fee = app.payments().fee;
    let gateway = app.payments().gateway.kind();
    match checked_gift(&form, &f, email, currency, fee, gateway) {
        Ok(new) => begin_payment(&app, &form, &f, new).await,
        Err(m) => again(&app, &form, StatusCode::UNPROCESSABLE_ENTITY, m, &f).await,
    }
}

/// Records the gift (once per form submission) and sends the donor to pay for it.
async fn begin_payment(
    app: &AppState,
    form: &DonationForm,
    f: &DonateForm,
    new: NewDonation,
) -> Result<Response, AppError> {
    match app.donations().begin_payment(&new, &form.slug).await? {
        NextStep::Pay(url) | NextStep::Thanks(url) => Ok(see_other(&url)),
        NextStep::Embedded {
            donation,
            intent,
            client_secret,
            publishable_key,
        } => pay_page(app, &donation, &intent, &client_secret, &publishable_key).await,
        NextStep::Over => {
            let message = "That attempt is over. Please try again.".into();
            again(app, form, StatusCode::UNPROCESSABLE_ENTITY, message, f).await
        }
    }
}

/// Checks a submission against the form's rules: the gift to record, or what to tell the donor.
/// The challenge for donation forms (for pages whose challenge expired while open).
pub async fn challenge(State(app): State<AppState>) -> Result<Response, AppError> {
    crate::web::challenge_json(&app, SECRET).await
}

/// Stripe's documented policy for Stripe.js and the Payment Element, and nothing else outside.
const ELEMENTS_CSP: &str = "default-src 'self'; img-src 'self' data: https://*.stripe.com; \
    style-src 'self' 'unsafe-inline'; script-src 'self' https://js.stripe.com https://*.js.stripe.com; \
    frame-src https://js.stripe.com https://*.js.stripe.com https://hooks.stripe.com; \
    connect-src 'self' https://api.stripe.com https://*.stripe.com; object-src 'none'; base-uri 'self'; \
    form-action 'self'; frame-ancestors 'none'";

/// The page that hosts Stripe's Payment Element for one gift (card fields live in Stripe's frames).
async fn pay_page(
    app: &AppState,
    d: &tidings_store::Donation,
    intent: &str,
    client_secret: &str,
    publishable: &str,
) -> Result<Response, AppError> {
    let currency = Currency::parse(&d.currency).ok_or(AppError::NotFound)?;
    let ctx = context! {
        total => money(currency, d.total), publishable_key => publishable, client_secret => client_secret,
        return_url => format!("{}/donate/thanks/{}?session_id={intent}", app.site().url, d.id),
        test_mode => app.payments().gateway.test_mode(),
    };
    let html = app.render_page("donate_pay.html", ctx).await?;
    let mut r = axum::response::Html(html).into_response();
    let h = r.headers_mut();
    h.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(
        CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(ELEMENTS_CSP),
    );
    Ok(r)
}
