//! The team: list, invite, change roles; and the audit log.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Form;
use minijinja::{context, Value};
use serde::Deserialize;
use tidings_accounts::{hash_token, new_token, Action, Role};
use tidings_store::{NewUser, StoreError, UserToken};

use crate::admin::emails;
use crate::admin::page::{forbidden, me, render, see_other};
use crate::admin::session::Signed;
use crate::app::AppState;
use crate::error::AppError;

/// Invitations work for a week.
const INVITE_TTL: i64 = 7 * 24 * 3600;

#[derive(Deserialize, Default)]
pub struct InviteForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    role: String,
}

async fn list_page(
    app: &AppState,
    signed: &Signed,
    status: StatusCode,
    form: &InviteForm,
    error: Option<String>,
    notice: Option<String>,
) -> Result<Response, AppError> {
    let users = app.store().list_users().await?;
    let rows: Vec<Value> = users
        .iter()
        .map(|u| {
            context! {
                id => u.id, email => u.email.clone(), name => u.name.clone(), role => u.role.as_str(),
                role_label => u.role.label(), invited => u.password_hash.is_none(),
                two_factor => u.totp_secret.is_some(), me => u.id == signed.user.id,
            }
        })
        .collect();
    let roles: Vec<Value> = Role::ALL
        .iter()
        .filter(|r| signed.user.role.can_grant(**r))
        .map(|r| context! { value => r.as_str(), label => r.label() })
        .collect();
    let ctx = context! {
        users => rows, roles => roles, form => context! { email => form.email.clone(), name => form.name.clone(), role => form.role.clone() },
        error => error, notice => notice,
    };
    Ok(render(app, status, "admin/users.html", Some(me(signed)), ctx).await)
}

/// `GET /admin/users`
pub async fn list(State(app): State<AppState>, signed: Signed) -> Result<Response, AppError> {
    signed.require(Action::ManageUsers)?;
    list_page(
        &app,
        &signed,
        StatusCode::OK,
        &InviteForm::default(),
        None,
        None,
    )
    .await
}

/// `POST /admin/users`: invite someone by email.
pub async fn invite(
    State(app): State<AppState>,
    signed: Signed,
    Form(form): Form<InviteForm>,
) -> Result<Response, AppError> {
    signed.require(Action::ManageUsers)?;
    let Some(role) = Role::parse(&form.role).filter(|r| signed.user.role.can_grant(*r)) else {
        return list_page(
            &app,
            &signed,
            StatusCode::UNPROCESSABLE_ENTITY,
            &form,
            Some("Choose a role you may give.".into()),
            None,
        )
        .await;
    };
    let new = NewUser {
        email: form.email.clone(),
        name: form.name.clone(),
        role,
        password_hash: None,
    };
    let user = match app.store().create_user(&new).await {
        Ok(u) => u,
        Err(StoreError::Invalid { message, .. }) => {
            return list_page(
                &app,
                &signed,
                StatusCode::UNPROCESSABLE_ENTITY,
                &form,
                Some(format!("Email: {message}.")),
                None,
            )
            .await
        }
        Err(StoreError::Conflict { .. }) => {
            return list_page(
                &app,
                &signed,
                StatusCode::UNPROCESSABLE_ENTITY,
                &form,
                Some("Someone with that email is already on the team.".into()),
                None,
            )
            .await
        }
        Err(e) => return Err(e.into()),
    };
    let token = new_token();
    let inviter = if signed.user.name.is_empty() {
        signed.user.email.clone()
    } else {
        signed.user.name.clone()
    };
    let mail = app.outbox_job(emails::invitation(
        &app,
        &user.email,
        &inviter,
        role.label(),
        &token,
    ));
    app.store()
        .create_user_token(
            user.id,
            UserToken::Invite,
            &hash_token(&token),
            INVITE_TTL,
            &[mail],
        )
        .await?;
    signed
        .audit(
            &app,
            "user.invite",
            &format!("{} as {}", user.email, role.as_str()),
        )
        .await;
    let notice = format!("Invitation sent to {}.", user.email);
    list_page(
        &app,
        &signed,
        StatusCode::OK,
        &InviteForm::default(),
        None,
        Some(notice),
    )
    .await
}

#[derive(Deserialize)]
pub struct RoleForm {
    #[serde(default)]
    role: String,
}

/// `POST /admin/users/{id}/role`
pub async fn change_role(
    State(app): State<AppState>,
    signed: Signed,
    Path(id): Path<i64>,
    Form(form): Form<RoleForm>,
) -> Result<Response, AppError> {
    signed.require(Action::ManageUsers)?;
    let Some(target) = app.store().user_by_id(id).await? else {
        return Err(AppError::NotFound);
    };
    let Some(role) = Role::parse(&form.role) else {
        return list_page(
            &app,
            &signed,
            StatusCode::UNPROCESSABLE_ENTITY,
            &InviteForm::default(),
            Some("Unknown role.".into()),
            None,
        )
        .await;
    };
    // Administrators cannot touch owners or make new ones; nobody demotes the last owner.
    if !signed.user.role.can_grant(role) || !signed.user.role.can_grant(target.role) {
        return Ok(forbidden());
    }
    if target.role == Role::Owner && role != Role::Owner {
        let owners = app
            .store()
            .list_users()
            .await?
            .iter()
            .filter(|u| u.role == Role::Owner)
            .count();
        if owners <= 1 {
            return list_page(
                &app,
                &signed,
                StatusCode::UNPROCESSABLE_ENTITY,
                &InviteForm::default(),
                Some("The site needs at least one owner.".into()),
                None,
            )
            .await;
        }
    }
    app.store().set_role(id, role).await?;
    signed
        .audit(
            &app,
            "user.role",
            &format!("{} -> {}", target.email, role.as_str()),
        )
        .await;
    Ok(see_other("/admin/users"))
}

/// `GET /admin/audit`
pub async fn audit(State(app): State<AppState>, signed: Signed) -> Result<Response, AppError> {
    signed.require(Action::ViewAuditLog)?;
    let entries = app.store().audit_log(200).await?;
    let tz = app.tz();
    let rows: Vec<Value> = entries
        .iter()
        .map(|e| context! { at => tidings_theme::views::display_date(e.at, tz), user => e.user.clone(), action => e.action.clone(), subject => e.subject.clone(), ip => e.ip.clone() })
        .collect();
    Ok(render(
        &app,
        StatusCode::OK,
        "admin/audit.html",
        Some(me(&signed)),
        context! { entries => rows },
    )
    .await)
}
