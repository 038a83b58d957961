//! One's own account: password, two-factor sign-in, and sessions ("sign out everywhere else").

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::Form;
use minijinja::{context, Value};
use serde::Deserialize;
use tidings_accounts::{hash_token, recovery_codes, TwoFactor};

use crate::admin::page::{me, render, see_other};
use crate::admin::session::Signed;
use crate::app::AppState;
use crate::error::AppError;

/// What the account page shows besides the basics.
#[derive(Default)]
struct Extra {
    error: Option<String>,
    notice: Option<String>,
    enrol_secret: Option<String>,
    recovery: Vec<String>,
}

async fn page(
    app: &AppState,
    signed: &Signed,
    status: StatusCode,
    extra: Extra,
) -> Result<Response, AppError> {
    let tz = app.tz();
    let sessions: Vec<Value> = app
        .store()
        .user_sessions(signed.user.id)
        .await?
        .iter()
        .map(|s| {
            context! {
                current => s.token_hash == signed.session.token_hash,
                since => tidings_theme::views::display_date(s.created_at, tz),
                seen => tidings_theme::views::display_date(s.last_seen_at, tz),
                ip => s.ip.clone(), agent => s.user_agent.clone(),
            }
        })
        .collect();
    let enrol = extra.enrol_secret.as_deref().and_then(|s| TwoFactor::from_base32(s).ok()).map(|tf| {
        context! { secret => tf.secret().to_string(), uri => tf.uri(&app.newsletters().site().title(), &signed.user.email) }
    });
    let ctx = context! {
        two_factor => signed.user.totp_secret.is_some(),
        has_password => signed.user.password_hash.is_some(),
        sessions => sessions, enrol => enrol, recovery => extra.recovery,
        error => extra.error, notice => extra.notice,
    };
    Ok(render(app, status, "admin/account.html", Some(me(signed)), ctx).await)
}

/// `GET /admin/account`
pub async fn show(State(app): State<AppState>, signed: Signed) -> Result<Response, AppError> {
    page(&app, &signed, StatusCode::OK, Extra::default()).await
}

#[derive(Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    current: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    confirm: String,
}

/// `POST /admin/account/password`: needs the current password (unless none is set yet, after a
/// sign-in link); other sessions end.
pub async fn change_password(
    State(app): State<AppState>,
    signed: Signed,
    Form(form): Form<PasswordForm>,
) -> Result<Response, AppError> {
    let fail = |msg: &str| Extra {
        error: Some(msg.to_string()),
        ..Extra::default()
    };
    if signed.user.password_hash.is_some()
        && !app
            .verify_password(&form.current, signed.user.password_hash.as_deref())
            .await
    {
        return page(
            &app,
            &signed,
            StatusCode::UNPROCESSABLE_ENTITY,
            fail("Your current password is not right."),
        )
        .await;
    }
    if form.password != form.confirm {
        return page(
            &app,
            &signed,
            StatusCode::UNPROCESSABLE_ENTITY,
            fail("The two new passwords don't match."),
        )
        .await;
    }
    let hash = match app.hash_password(&form.password).await {
        Ok(h) => h,
        Err(e) => {
            return page(
                &app,
                &signed,
                StatusCode::UNPROCESSABLE_ENTITY,
                fail(&format!("New password: {e}.")),
            )
            .await
        }
    };
    app.store().set_password(signed.user.id, &hash).await?;
    let ended = app
        .store()
        .delete_user_sessions(signed.user.id, Some(&signed.session.token_hash))
        .await?;
    signed
        .audit(&app, "password.change", &signed.user.email)
        .await;
    let notice = format!("Password changed. {ended} other session(s) were signed out.");
    let signed = Signed {
        user: app
            .store()
            .user_by_id(signed.user.id)
            .await?
            .ok_or(AppError::NotFound)?,
        ..signed
    };
    page(
        &app,
        &signed,
        StatusCode::OK,
        Extra {
            notice: Some(notice),
            ..Extra::default()
        },
    )
    .await
}

#[derive(Deserialize)]
pub struct EnrolForm {
    #[serde(default)]
    secret: String,
    #[serde(default)]
    code: String,
}

/// `POST /admin/account/two-factor`: without a secret, starts enrolment (shows a new secret); with
/// the secret and a code from the app, turns two-factor sign-in on and shows recovery codes once.
pub async fn enable_two_factor(
    State(app): State<AppState>,
    signed: Signed,
    Form(form): Form<EnrolForm>,
) -> Result<Response, AppError> {
    if form.secret.is_empty() {
        let secret = TwoFactor::generate().secret().to_string();
        return page(
            &app,
            &signed,
            StatusCode::OK,
            Extra {
                enrol_secret: Some(secret),
                ..Extra::default()
            },
        )
        .await;
    }
    let Ok(tf) = TwoFactor::from_base32(&form.secret) else {
        return page(
            &app,
            &signed,
            StatusCode::UNPROCESSABLE_ENTITY,
            Extra {
                error: Some("Start again: that setup key is not valid.".into()),
                ..Extra::default()
            },
        )
        .await;
    };
    let now = chrono::Utc::now().timestamp() as u64;
    let Some(step) = tf.verify(&form.code, now, 0) else {
        return page(&app, &signed, StatusCode::UNPROCESSABLE_ENTITY, Extra {
            error: Some("That code didn't match. Check the time on your phone and try the current code.".into()),
            enrol_secret: Some(form.secret.clone()),
            ..Extra::default()
        })
        .await;
    };
    let codes = recovery_codes();
    let hashes: Vec<String> = codes.iter().map(|c| hash_token(c)).collect();
    app.store()
        .set_two_factor(signed.user.id, Some(tf.secret()), &hashes)
        .await?;
    app.store().use_totp_step(signed.user.id, step).await?;
    signed
        .audit(&app, "two_factor.on", &signed.user.email)
        .await;
    let signed = Signed {
        user: app
            .store()
            .user_by_id(signed.user.id)
            .await?
            .ok_or(AppError::NotFound)?,
        ..signed
    };
    page(
        &app,
        &signed,
        StatusCode::OK,
        Extra {
            notice: Some("Two-factor sign-in is on.".into()),
            recovery: codes,
            ..Extra::default()
        },
    )
    .await
}

#[derive(Deserialize)]
pub struct ConfirmForm {
    #[serde(default)]
    password: String,
}

/// `POST /admin/account/two-factor/off`: needs the password.
pub async fn disable_two_factor(
    State(app): State<AppState>,
    signed: Signed,
    Form(form): Form<ConfirmForm>,
) -> Result<Response, AppError> {
    if !app
        .verify_password(&form.password, signed.user.password_hash.as_deref())
        .await
    {
        return page(
            &app,
            &signed,
            StatusCode::UNPROCESSABLE_ENTITY,
            Extra {
                error: Some("Your password is not right.".into()),
                ..Extra::default()
            },
        )
        .await;
    }
    app.store()
        .set_two_factor(signed.user.id, None, &[])
        .await?;
    signed
        .audit(&app, "two_factor.off", &signed.user.email)
        .await;
    Ok(see_other("/admin/account"))
}

/// `POST /admin/account/sessions/revoke`: signs out every other browser.
pub async fn revoke_sessions(
    State(app): State<AppState>,
    signed: Signed,
) -> Result<Response, AppError> {
    let ended = app
        .store()
        .delete_user_sessions(signed.user.id, Some(&signed.session.token_hash))
        .await?;
    signed
        .audit(&app, "sessions.revoke", &format!("{ended} session(s)"))
        .await;
    page(
        &app,
        &signed,
        StatusCode::OK,
        Extra {
            notice: Some(format!("Signed out of {ended} other session(s).")),
            ..Extra::default()
        },
    )
    .await
}
