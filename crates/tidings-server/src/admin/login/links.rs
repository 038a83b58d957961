//! Sign-in by emailed link: password reset (asked for, then used once), invitations, and the
//! one-time sign-in links that `tidings user add` prints.

use super::*;

#[derive(Deserialize)]
pub struct EmailForm {
    #[serde(default)]
    email: String,
}

async fn reset_request_page(
    app: &AppState,
    headers: &HeaderMap,
    status: StatusCode,
    sent: bool,
) -> Response {
    let (csrf, set) = pre_session_token(app, headers).await;
    let r = render(
        app,
        status,
        "admin/reset_request.html",
        None,
        context! { csrf => csrf, sent => sent },
    )
    .await;
    match set {
        Some(c) => with_cookie(r, c),
        None => r,
    }
}

/// `GET /admin/reset`
pub async fn show_reset_request(State(app): State<AppState>, headers: HeaderMap) -> Response {
    reset_request_page(&app, &headers, StatusCode::OK, false).await
}

/// `POST /admin/reset`: always the same answer, whether or not the address has an account.
pub async fn submit_reset_request(
    State(app): State<AppState>,
    peer: Peer,
    headers: HeaderMap,
    Form(form): Form<EmailForm>,
) -> Result<Response, AppError> {
    let ip = ip_of(&peer);
    let key = format!("reset:{ip}");
    if let Some(wait) = locked_for(&app, &[key.as_str()]).await? {
        let r = message_page(
            &app,
            StatusCode::TOO_MANY_REQUESTS,
            "Please wait",
            "Too many reset requests from your network; try again later.",
        )
        .await;
        return Ok(throttle::too_many(r, wait));
    }
    app.store()
        .throttle_failure(&key, |n| throttle_delay(n, 5))
        .await?;
    if let Some(user) = app.store().user_by_email(&form.email).await? {
        // At most one link per account per 10 minutes (five a day), so nobody can flood an inbox.
        if !user.disabled && throttle::may_mail(&app, "reset", &user.email).await? {
            let token = new_token();
            // Queued with the link, sent by the job runner: how long SMTP takes must not tell
            // who has an account.
            let mail = app.outbox_job(emails::reset(&app, &user.email, &token));
            app.store()
                .create_user_token(
                    user.id,
                    UserToken::Reset,
                    &hash_token(&token),
                    RESET_TTL,
                    &[mail],
                )
                .await?;
            app.store()
                .audit(Some(user.id), "password.reset_requested", &user.email, &ip)
                .await?;
        }
    }
    Ok(reset_request_page(&app, &headers, StatusCode::OK, true).await)
}

#[derive(Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    password: String,
    #[serde(default)]
    confirm: String,
}

fn link_expired() -> &'static str {
    "This link has expired or has already been used. Ask for a new one."
}

/// An expired or used reset link: the form to ask for a new one, with the reason (422).
async fn reset_expired(app: &AppState, headers: &HeaderMap) -> Response {
    let (csrf, set) = pre_session_token(app, headers).await;
    let ctx = context! { csrf => csrf, sent => false, error => link_expired() };
    let r = render(
        app,
        StatusCode::UNPROCESSABLE_ENTITY,
        "admin/reset_request.html",
        None,
        ctx,
    )
    .await;
    match set {
        Some(c) => with_cookie(r, c),
        None => r,
    }
}

async fn password_page(
    app: &AppState,
    headers: &HeaderMap,
    status: StatusCode,
    template: &str,
    user: &User,
    error: Option<String>,
) -> Response {
    let (csrf, set) = pre_session_token(app, headers).await;
    let ctx = context! { csrf => csrf, email => user.email.clone(), name => user.name.clone(), error => error };
    let r = render(app, status, template, None, ctx).await;
    match set {
        Some(c) => with_cookie(r, c),
        None => r,
    }
}

/// Checks a new password and its confirmation, returning the hash or a message for the form.
async fn new_password_hash(app: &AppState, form: &PasswordForm) -> Result<String, String> {
    if form.password != form.confirm {
        return Err("The two passwords don't match.".into());
    }
    app.hash_password(&form.password)
        .await
        .map_err(|e| format!("Password: {e}."))
}

/// `GET /admin/reset/{token}`
pub async fn show_reset(
    State(app): State<AppState>,
    headers: HeaderMap,
    Path(token): Path<String>,
) -> Result<Response, AppError> {
    match app
        .store()
        .peek_user_token(&hash_token(&token), UserToken::Reset)
        .await?
    {
        Some(user) => Ok(password_page(
            &app,
            &headers,
            StatusCode::OK,
            "admin/reset.html",
            &user,
            None,
        )
        .await),
        None => Ok(reset_expired(&app, &headers).await),
    }
}

/// Spends a one-time link that sets a password: the link is checked, then the form, and only a valid
/// form spends the link (a typo does not burn it). `Err` carries the page to answer with.
async fn spend_link_with_password(
    app: &AppState,
    headers: &HeaderMap,
    token: &str,
    purpose: UserToken,
    template: &str,
    form: &PasswordForm,
) -> Result<Result<User, Response>, AppError> {
    let hashed = hash_token(token);
    let expired = || {
        message_page(
            app,
            StatusCode::UNPROCESSABLE_ENTITY,
            "Link expired",
            link_expired(),
        )
    };
    let Some(user) = app.store().peek_user_token(&hashed, purpose).await? else {
        return Ok(Err(expired().await));
    };
    let hash = match new_password_hash(app, form).await {
        Ok(h) => h,
        Err(msg) => {
            let page = password_page(
                app,
                headers,
                StatusCode::UNPROCESSABLE_ENTITY,
                template,
                &user,
                Some(msg),
            )
            .await;
            return Ok(Err(page));
        }
    };
    let Some(user) = app.store().consume_user_token(&hashed, purpose).await? else {
        return Ok(Err(expired().await));
    };
    app.store().set_password(user.id, &hash).await?;
    Ok(Ok(user))
}

/// `POST /admin/reset/{token}`: sets the password, ends every session, signs this browser in.
pub async fn submit_reset(
    State(app): State<AppState>,
    peer: Peer,
    headers: HeaderMap,
    Path(token): Path<String>,
    Form(form): Form<PasswordForm>,
) -> Result<Response, AppError> {
    let user = match spend_link_with_password(
        &app,
        &headers,
        &token,
        UserToken::Reset,
        "admin/reset.html",
        &form,
    )
    .await?
    {
        Ok(user) => user,
        Err(page) => return Ok(page),
    };
    let ip = ip_of(&peer);
    app.store().delete_user_sessions(user.id, None).await?;
    app.store()
        .throttle_clear(&format!("account:{}", user.email))
        .await?;
    app.store()
        .audit(Some(user.id), "password.reset", &user.email, &ip)
        .await?;
    let cookie = start_session(&app, &headers, &user, user.totp_secret.is_none(), &ip).await?;
    let target = if user.totp_secret.is_some() {
        "/admin/two-factor"
    } else {
        "/admin/"
    };
    Ok(with_cookie(see_other(target), cookie))
}

/// `GET /admin/invite/{token}`
pub async fn show_invite(
    State(app): State<AppState>,
    headers: HeaderMap,
    Path(token): Path<String>,
) -> Result<Response, AppError> {
    match app.store().peek_user_token(&hash_token(&token), UserToken::Invite).await? {
        Some(user) => Ok(password_page(&app, &headers, StatusCode::OK, "admin/invite.html", &user, None).await),
        None => Ok(message_page(&app, StatusCode::UNPROCESSABLE_ENTITY, "Invitation expired", "This invitation has expired or has already been used. Ask the person who invited you for a new one.").await),
    }
}

/// `POST /admin/invite/{token}`: the invited person chooses a name and password and is signed in.
pub async fn submit_invite(
    State(app): State<AppState>,
    peer: Peer,
    headers: HeaderMap,
    Path(token): Path<String>,
    Form(form): Form<PasswordForm>,
) -> Result<Response, AppError> {
    let user = match spend_link_with_password(
        &app,
        &headers,
        &token,
        UserToken::Invite,
        "admin/invite.html",
        &form,
    )
    .await?
    {
        Ok(user) => user,
        Err(page) => return Ok(page),
    };
    let ip = ip_of(&peer);
    if let Some(name) = form
        .name
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty())
    {
        app.store().set_user_name(user.id, name).await?;
    }
    app.store()
        .audit(Some(user.id), "invitation.accepted", &user.email, &ip)
        .await?;
    let cookie = start_session(&app, &headers, &user, true, &ip).await?;
    Ok(with_cookie(see_other("/admin/"), cookie))
}

/// `GET /admin/signin/{token}`: a page with one button, so that link scanners spend nothing.
pub async fn show_link_sign_in(
    State(app): State<AppState>,
    headers: HeaderMap,
    Path(token): Path<String>,
) -> Result<Response, AppError> {
    match app
        .store()
        .peek_user_token(&hash_token(&token), UserToken::SignIn)
        .await?
    {
        Some(user) => {
            let (csrf, set) = pre_session_token(&app, &headers).await;
            let r = render(
                &app,
                StatusCode::OK,
                "admin/link_sign_in.html",
                None,
                context! { csrf => csrf, email => user.email },
            )
            .await;
            Ok(match set {
                Some(c) => with_cookie(r, c),
                None => r,
            })
        }
        None => Ok(message_page(
            &app,
            StatusCode::UNPROCESSABLE_ENTITY,
            "Link expired",
            link_expired(),
        )
        .await),
    }
}

/// `POST /admin/signin/{token}`
pub async fn submit_link_sign_in(
    State(app): State<AppState>,
    peer: Peer,
    headers: HeaderMap,
    Path(token): Path<String>,
) -> Result<Response, AppError> {
    let Some(user) = app
        .store()
        .consume_user_token(&hash_token(&token), UserToken::SignIn)
        .await?
    else {
        return Ok(message_page(
            &app,
            StatusCode::UNPROCESSABLE_ENTITY,
            "Link expired",
            link_expired(),
        )
        .await);
    };
    let ip = ip_of(&peer);
    app.store()
        .audit(Some(user.id), "sign_in.link", &user.email, &ip)
        .await?;
    let verified = user.totp_secret.is_none();
    let cookie = start_session(&app, &headers, &user, verified, &ip).await?;
    let target = if verified {
        "/admin/account"
    } else {
        "/admin/two-factor"
    };
    Ok(with_cookie(see_other(target), cookie))
}
