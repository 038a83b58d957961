//! People who sign in, their sessions, one-time links, recovery codes and sign-in throttling.

use chrono::{DateTime, Utc};
use sqlx::any::AnyRow;
use sqlx::Row;
use tidings_accounts::{normalise_address, Role};

use crate::db::{now, Store};
use crate::error::{on_unique, StoreError};

/// A newsroom account.
#[derive(Debug, Clone)]
pub struct User {
    /// Row id.
    pub id: i64,
    /// Normalised email address.
    pub email: String,
    /// Display name.
    pub name: String,
    /// Role.
    pub role: Role,
    /// argon2id hash, if a password is set.
    pub password_hash: Option<String>,
    /// Base32 TOTP secret, if two-factor sign-in is on.
    pub totp_secret: Option<String>,
    /// Last accepted TOTP step.
    pub totp_last_step: i64,
    /// Byline this person writes under.
    pub author_id: Option<i64>,
    /// Disabled accounts cannot sign in.
    pub disabled: bool,
}

/// Input for creating an account.
#[derive(Debug, Clone)]
pub struct NewUser {
    /// Email address (normalised on save).
    pub email: String,
    /// Display name.
    pub name: String,
    /// Role.
    pub role: Role,
    /// Initial password hash, if any.
    pub password_hash: Option<String>,
}

/// A signed-in browser.
#[derive(Debug, Clone)]
pub struct Session {
    /// SHA-256 of the cookie value.
    pub token_hash: String,
    /// Per-session token every admin form must carry.
    pub csrf_token: String,
    /// False while a second factor is still expected.
    pub verified: bool,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// Last request seen.
    pub last_seen_at: DateTime<Utc>,
    /// When it stops working.
    pub expires_at: DateTime<Utc>,
    /// Address it signed in from.
    pub ip: String,
    /// Browser description.
    pub user_agent: String,
}

/// What a one-time link is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UserToken {
    /// Accept an invitation and set a password.
    Invite,
    /// Reset a forgotten password.
    Reset,
    /// Sign in once without a password (from `tidings user add`).
    SignIn,
}

impl UserToken {
    fn as_str(self) -> &'static str {
        match self {
            UserToken::Invite => "invite",
            UserToken::Reset => "reset",
            UserToken::SignIn => "signin",
        }
    }
}

const SESSION_COLUMNS: &str = "s.token_hash, s.csrf_token, s.verified, s.created_at, \
    s.last_seen_at, s.expires_at, s.ip, s.user_agent";

fn session_from_row(row: &AnyRow) -> Result<Session, sqlx::Error> {
    Ok(Session {
        token_hash: row.try_get("token_hash")?,
        csrf_token: row.try_get("csrf_token")?,
        verified: row.try_get::<i64, _>("verified")? != 0,
        created_at: at(row.try_get("created_at")?),
        last_seen_at: at(row.try_get("last_seen_at")?),
        expires_at: at(row.try_get("expires_at")?),
        ip: row.try_get("ip")?,
        user_agent: row.try_get("user_agent")?,
    })
}

pub(crate) const USER_COLUMNS: &str =
    "u.id, u.email, u.name, u.role, u.password_hash, u.totp_secret, \
    u.totp_last_step, u.author_id, u.disabled";

pub(crate) fn user_from_row(row: &AnyRow) -> Result<User, sqlx::Error> {
    let role: String = row.try_get("role")?;
    Ok(User {
        id: row.try_get("id")?,
        email: row.try_get("email")?,
        name: row.try_get("name")?,
        role: Role::parse(&role).unwrap_or(Role::Contributor),
        password_hash: row.try_get("password_hash")?,
        totp_secret: row.try_get("totp_secret")?,
        totp_last_step: row.try_get("totp_last_step")?,
        author_id: row.try_get("author_id")?,
        disabled: row.try_get::<i64, _>("disabled")? != 0,
    })
}

fn at(ts: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(ts, 0).unwrap_or(DateTime::UNIX_EPOCH)
}

impl Store {
    /// Number of accounts.
    pub async fn count_users(&self) -> Result<i64, StoreError> {
        let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM users")
            .fetch_one(&self.pool)
            .await?;
        Ok(n)
    }

    /// Creates an account; the address is normalised and must be unique.
    pub async fn create_user(&self, new: &NewUser) -> Result<User, StoreError> {
        self.insert_user(new, false)
            .await?
            .ok_or(StoreError::NotFound("user"))
    }

    /// Creates the first owner, atomically: `None` when someone already holds an account.
    pub async fn create_first_owner(&self, new: &NewUser) -> Result<Option<User>, StoreError> {
        self.insert_user(new, true).await
    }

    async fn insert_user(
        &self,
        new: &NewUser,
        only_first: bool,
    ) -> Result<Option<User>, StoreError> {
        let email = normalise_address(&new.email)
            .map_err(|_| StoreError::invalid("email", "enter a valid email address"))?;
        let mut tx = self.write_tx().await?;
        if only_first {
            let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM users")
                .fetch_one(&mut *tx)
                .await?;
            if n > 0 {
                return Ok(None);
            }
        }
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO users (email, name, role, password_hash, created_at) \
             VALUES ($1, $2, $3, $4, $5) RETURNING id",
        )
        .bind(&email)
        .bind(new.name.trim())
        .bind(new.role.as_str())
        .bind(new.password_hash.clone())
        .bind(now())
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| on_unique(e, "email", &email))?;
        tx.commit().await?;
        self.user_by_id(id).await
    }

    /// The account with this id.
    pub async fn user_by_id(&self, id: i64) -> Result<Option<User>, StoreError> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users u WHERE u.id = $1");
        let row = sqlx::query(&sql)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.as_ref().map(user_from_row).transpose()?)
    }

    /// The account with this address (normalised before lookup).
    pub async fn user_by_email(&self, email: &str) -> Result<Option<User>, StoreError> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users u WHERE u.email = $1");
        let row = sqlx::query(&sql)
            // Nothing stored matches an address that does not normalise.
            .bind(normalise_address(email).unwrap_or_default())
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.as_ref().map(user_from_row).transpose()?)
    }

    /// Every account, by role then address.
    pub async fn list_users(&self) -> Result<Vec<User>, StoreError> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users u ORDER BY u.email");
        let rows = sqlx::query(&sql).fetch_all(&self.pool).await?;
        let mut users: Vec<User> = rows.iter().map(user_from_row).collect::<Result<_, _>>()?;
        users.sort_by_key(|u| u.role);
        Ok(users)
    }

    /// Sets a new password hash.
    ///
    /// Every other reset and sign-in link of the user is spent with it: a link mailed before the
    /// change (perhaps to an inbox an attacker reads) must not undo it.
    pub async fn set_password(&self, user_id: i64, hash: &str) -> Result<(), StoreError> {
        let mut tx = self.write_tx().await?;
        sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
            .bind(hash)
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "UPDATE user_tokens SET used_at = $1 WHERE user_id = $2 AND used_at IS NULL \
             AND purpose IN ('reset', 'signin')",
        )
        .bind(now())
        .bind(user_id)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Changes a display name.
    pub async fn set_user_name(&self, user_id: i64, name: &str) -> Result<(), StoreError> {
        sqlx::query("UPDATE users SET name = $1 WHERE id = $2")
            .bind(name)
            .bind(user_id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Links an account to the byline it writes under.
    pub async fn set_user_author(
        &self,
        user_id: i64,
        author_id: Option<i64>,
    ) -> Result<(), StoreError> {
        sqlx::query("UPDATE users SET author_id = $1 WHERE id = $2")
            .bind(author_id)
            .bind(user_id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Changes a role.
    pub async fn set_role(&self, user_id: i64, role: Role) -> Result<(), StoreError> {
        sqlx::query("UPDATE users SET role = $1 WHERE id = $2")
            .bind(role.as_str())
            .bind(user_id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Turns two-factor sign-in on (with a secret and recovery-code hashes) or off (`None`).
    pub async fn set_two_factor(
        &self,
        user_id: i64,
        secret: Option<&str>,
        recovery_hashes: &[String],
    ) -> Result<(), StoreError> {
        let mut tx = self.write_tx().await?;
        sqlx::query("UPDATE users SET totp_secret = $1, totp_last_step = 0 WHERE id = $2")
            .bind(secret.map(str::to_string))
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1")
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        for hash in recovery_hashes {
            sqlx::query("INSERT INTO recovery_codes (user_id, code_hash) VALUES ($1, $2)")
                .bind(user_id)
                .bind(hash)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Records a used TOTP step; false if that step (or a later one) was already used.
    pub async fn use_totp_step(&self, user_id: i64, step: i64) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE users SET totp_last_step = $1 WHERE id = $2 AND totp_last_step < $1",
        )
        .bind(step)
        .bind(user_id)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Spends a recovery code; false if unknown or already used.
    pub async fn use_recovery_code(
        &self,
        user_id: i64,
        code_hash: &str,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE recovery_codes SET used_at = $1 WHERE user_id = $2 AND code_hash = $3 AND used_at IS NULL",
        )
        .bind(now())
        .bind(user_id)
        .bind(code_hash)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Starts a session for `user_id`, valid for `ttl_secs`.
    #[allow(clippy::too_many_arguments)]
    pub async fn create_session(
        &self,
        user_id: i64,
        token_hash: &str,
        csrf_token: &str,
        verified: bool,
        ttl_secs: i64,
        ip: &str,
        user_agent: &str,
    ) -> Result<(), StoreError> {
        let t = now();
        sqlx::query(
            "INSERT INTO sessions (token_hash, user_id, csrf_token, verified, created_at, last_seen_at, \
             expires_at, ip, user_agent) VALUES ($1, $2, $3, $4, $5, $5, $6, $7, $8)",
        )
        .bind(token_hash)
        .bind(user_id)
        .bind(csrf_token)
        .bind(i64::from(verified))
        .bind(t)
        .bind(t + ttl_secs)
        .bind(ip)
        .bind(user_agent.chars().take(300).collect::<String>())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The live session with this token hash and its (enabled) user.
    pub async fn session(&self, token_hash: &str) -> Result<Option<(Session, User)>, StoreError> {
        let sql = format!(
            "SELECT {USER_COLUMNS}, {SESSION_COLUMNS} FROM sessions s JOIN users u ON u.id = s.user_id \
             WHERE s.token_hash = $1 AND s.expires_at > $2 AND u.disabled = 0"
        );
        let Some(row) = sqlx::query(&sql)
            .bind(token_hash)
            .bind(now())
            .fetch_optional(&self.pool)
            .await?
        else {
            return Ok(None);
        };
        Ok(Some((session_from_row(&row)?, user_from_row(&row)?)))
    }

    /// A user's live sessions, newest first.
    pub async fn user_sessions(&self, user_id: i64) -> Result<Vec<Session>, StoreError> {
        let sql = format!(
            "SELECT {SESSION_COLUMNS} FROM sessions s WHERE s.user_id = $1 AND s.expires_at > $2 \
             ORDER BY s.last_seen_at DESC"
        );
        let rows = sqlx::query(&sql)
            .bind(user_id)
            .bind(now())
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(session_from_row)
            .collect::<Result<_, _>>()
            .map_err(StoreError::from)
    }

    /// Marks the second factor as given.
    pub async fn verify_session(&self, token_hash: &str) -> Result<(), StoreError> {
        sqlx::query("UPDATE sessions SET verified = 1 WHERE token_hash = $1")
            .bind(token_hash)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Records activity, at most once a minute per session to spare the database.
    pub async fn touch_session(&self, token_hash: &str) -> Result<(), StoreError> {
        let t = now();
        sqlx::query(
            "UPDATE sessions SET last_seen_at = $1 WHERE token_hash = $2 AND last_seen_at < $3",
        )
        .bind(t)
        .bind(token_hash)
        .bind(t - 60)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Ends one session.
    pub async fn delete_session(&self, token_hash: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
            .bind(token_hash)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Ends every session of a user except `keep` ("sign out everywhere else"); returns how many.
    pub async fn delete_user_sessions(
        &self,
        user_id: i64,
        keep: Option<&str>,
    ) -> Result<u64, StoreError> {
        let done = sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND token_hash <> $2")
            .bind(user_id)
            .bind(keep.unwrap_or(""))
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected())
    }

    /// Stores a one-time link's token hash.
    pub async fn create_user_token(
        &self,
        user_id: i64,
        purpose: UserToken,
        token_hash: &str,
        ttl_secs: i64,
        then: &[crate::NewJob],
    ) -> Result<(), StoreError> {
        let t = now();
        let mut tx = self.write_tx().await?;
        sqlx::query(
            "INSERT INTO user_tokens (token_hash, user_id, purpose, expires_at, created_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(token_hash)
        .bind(user_id)
        .bind(purpose.as_str())
        .bind(t + ttl_secs)
        .bind(t)
        .execute(&mut *tx)
        .await?;
        // The email carrying the link, queued with it (the outbox).
        for job in then {
            crate::jobs::enqueue_in(&mut tx, job, t).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// The user a valid, unused link belongs to, without spending it (to show its form).
    pub async fn peek_user_token(
        &self,
        token_hash: &str,
        purpose: UserToken,
    ) -> Result<Option<User>, StoreError> {
        let row: Option<(i64,)> = sqlx::query_as(
            "SELECT user_id FROM user_tokens WHERE token_hash = $1 AND purpose = $2 \
             AND used_at IS NULL AND expires_at > $3",
        )
        .bind(token_hash)
        .bind(purpose.as_str())
        .bind(now())
        .fetch_optional(&self.pool)
        .await?;
        match row {
            Some((id,)) => self.user_by_id(id).await,
            None => Ok(None),
        }
    }

    /// Spends a link: exactly one caller gets its user, and only before it expires.
    pub async fn consume_user_token(
        &self,
        token_hash: &str,
        purpose: UserToken,
    ) -> Result<Option<User>, StoreError> {
        let t = now();
        let row: Option<(i64,)> = sqlx::query_as(
            "UPDATE user_tokens SET used_at = $1 WHERE token_hash = $2 AND purpose = $3 \
             AND used_at IS NULL AND expires_at > $1 RETURNING user_id",
        )
        .bind(t)
        .bind(token_hash)
        .bind(purpose.as_str())
        .fetch_optional(&self.pool)
        .await?;
        match row {
            Some((id,)) => self.user_by_id(id).await,
            None => Ok(None),
        }
    }

    /// The latest lock time over the given throttle keys (Unix seconds; 0 when none).
    pub async fn throttle_locked_until(&self, keys: &[&str]) -> Result<i64, StoreError> {
        let mut until = 0;
        for key in keys {
            let row: Option<(i64,)> =
                sqlx::query_as("SELECT locked_until FROM sign_in_throttle WHERE key = $1")
                    .bind(*key)
                    .fetch_optional(&self.pool)
                    .await?;
            until = until.max(row.map(|r| r.0).unwrap_or(0));
        }
        Ok(until)
    }

    /// Counts a failed sign-in for `key` (failures older than a day are forgotten) and locks it
    /// for `delay(failures)` seconds. Returns the failure count.
    pub async fn throttle_failure(
        &self,
        key: &str,
        delay: impl Fn(i64) -> i64,
    ) -> Result<i64, StoreError> {
        let t = now();
        let mut tx = self.write_tx().await?;
        let (failures,): (i64,) = sqlx::query_as(
            "INSERT INTO sign_in_throttle (key, failures, locked_until, updated_at) VALUES ($1, 1, 0, $2) \
             ON CONFLICT (key) DO UPDATE SET failures = CASE WHEN sign_in_throttle.updated_at < $3 \
             THEN 1 ELSE sign_in_throttle.failures + 1 END, updated_at = $2 RETURNING failures",
        )
        .bind(key)
        .bind(t)
        .bind(t - 86_400)
        .fetch_one(&mut *tx)
        .await?;
        let lock = delay(failures);
        if lock > 0 {
            sqlx::query("UPDATE sign_in_throttle SET locked_until = $1 WHERE key = $2")
                .bind(t + lock)
                .bind(key)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(failures)
    }

    /// Forgets failures for `key` after a successful sign-in.
    pub async fn throttle_clear(&self, key: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM sign_in_throttle WHERE key = $1")
            .bind(key)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}
