//! `tidings user add`: an account from the command line, with a one-time sign-in link;
//! `tidings user token`: an API token for an account, printed once.

use std::process::ExitCode;

use anyhow::bail;
use tidings_accounts::{hash_token, new_api_token, new_token, token_hint, Role, Scope};
use tidings_store::{NewApiToken, NewUser, StoreError, UserToken};

use crate::cli::{Global, UserCommand};
use crate::cmd::{load_config, open_store, sources};

/// Sign-in links from the command line work once, for a day.
const LINK_TTL: i64 = 24 * 3600;

/// Runs a `user` subcommand.
pub async fn run(global: &Global, command: UserCommand) -> anyhow::Result<ExitCode> {
    let (email, role, name) = match command {
        UserCommand::Add { email, role, name } => (email, role, name),
        UserCommand::Token {
            email,
            name,
            scopes,
            expires_days,
        } => return token(global, &email, &name, &scopes, expires_days).await,
    };
    let Some(role) = Role::parse(&role.to_lowercase()) else {
        bail!("--role `{role}` must be one of owner, administrator, editor, author, contributor");
    };
    let config = load_config(&sources(global, None, None))?;
    let store = open_store(&config).await?;
    let new = NewUser {
        email: email.clone(),
        name,
        role,
        password_hash: None,
    };
    let user = match store.create_user(&new).await {
        Ok(u) => u,
        Err(StoreError::Conflict { .. }) => bail!("an account for {email} already exists"),
        Err(StoreError::Invalid { message, .. }) => bail!("--email `{email}`: {message}"),
        Err(e) => return Err(e.into()),
    };
    let token = new_token();
    store
        .create_user_token(
            user.id,
            UserToken::SignIn,
            &hash_token(&token),
            LINK_TTL,
            &[],
        )
        .await?;
    store
        .audit(
            None,
            "user.add_cli",
            &format!("{} as {}", user.email, role.as_str()),
            "",
        )
        .await?;
    // The running server records its public URL; links must point there.
    let base = match store.site_url().await? {
        url if !url.is_empty() => url,
        _ => config.site_url(),
    };
    println!("Created {} ({}).", user.email, role.label());
    println!("One-time sign-in link (valid for 24 hours):");
    println!("{base}/admin/signin/{token}");
    Ok(ExitCode::SUCCESS)
}

/// `tidings user token`: the same token the admin makes, within the account's role.
async fn token(
    global: &Global,
    email: &str,
    name: &str,
    scopes: &[String],
    expires_days: i64,
) -> anyhow::Result<ExitCode> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 80 {
        bail!("--name must say what uses the token, in up to 80 characters");
    }
    if !(0..=3650).contains(&expires_days) {
        bail!("--expires-days `{expires_days}` must be from 0 (never) to 3650");
    }
    let config = load_config(&sources(global, None, None))?;
    let store = open_store(&config).await?;
    let Some(user) = store.user_by_email(email).await? else {
        bail!("there is no account for {email}");
    };
    let grantable = Scope::grantable(user.role);
    let mut chosen: Vec<&str> = Vec::new();
    for s in scopes {
        match Scope::parse(s) {
            Some(scope) if grantable.contains(&scope) => chosen.push(scope.as_str()),
            Some(_) => bail!(
                "--scope `{s}`: {} is {} and may not use it",
                user.email,
                user.role.label().to_lowercase()
            ),
            None => bail!(
                "--scope `{s}` must be one of {}",
                Scope::ALL.map(Scope::as_str).join(", ")
            ),
        }
    }
    let token = new_api_token();
    let now = chrono::Utc::now().timestamp();
    store
        .create_api_token(
            &NewApiToken {
                user_id: user.id,
                name,
                token_hash: &hash_token(&token),
                hint: &token_hint(&token),
                scopes: &chosen,
                expires_at: (expires_days > 0).then(|| now + expires_days * 86_400),
            },
            now,
        )
        .await?;
    store
        .audit(
            Some(user.id),
            "api_token.create_cli",
            &format!("{name} ({})", chosen.join(" ")),
            "",
        )
        .await?;
    eprintln!(
        "API token for {} ({}), shown this once:",
        user.email,
        chosen.join(" ")
    );
    println!("{token}");
    Ok(ExitCode::SUCCESS)
}
