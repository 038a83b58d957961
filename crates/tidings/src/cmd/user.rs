//! `tidings user add`: an account from the command line, with a one-time sign-in link.

use std::process::ExitCode;

use anyhow::bail;
use tidings_accounts::{hash_token, new_token, Role};
use tidings_store::{NewUser, StoreError, UserToken};

use crate::cli::{Global, UserCommand};
use crate::cmd::{load_config, open_store, sources};

/// Sign-in links from the command line work once, for a day.
const LINK_TTL: i64 = 24 * 3600;

/// Runs a `user` subcommand.
pub async fn run(global: &Global, command: UserCommand) -> anyhow::Result<ExitCode> {
    let UserCommand::Add { email, role, name } = command;
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
