//! Tokens for the admin API: made by a person in the admin, kept only as a SHA-256 (the token is
//! shown once), expiring or not, revocable, with the time of their last use.

use sqlx::any::AnyRow;
use sqlx::Row;

use crate::accounts::{user_from_row, User, USER_COLUMNS};
use crate::db::Store;
use crate::error::StoreError;

/// An API token as the admin lists it (never the token itself).
#[derive(Debug, Clone)]
pub struct ApiToken {
    /// Row id.
    pub id: i64,
    /// Whose it is: it never does more than this person's role allows.
    pub user_id: i64,
    /// What its maker called it ("Print bridge").
    pub name: String,
    /// The token's last characters, to tell tokens apart.
    pub hint: String,
    /// What it may be used for (`content:read`...).
    pub scopes: Vec<String>,
    /// When it was made (Unix seconds).
    pub created_at: i64,
    /// When it stops working, if ever.
    pub expires_at: Option<i64>,
    /// When it was last used (to the minute), if ever.
    pub last_used_at: Option<i64>,
    /// When it was revoked, if it was.
    pub revoked_at: Option<i64>,
}

/// What a new token is.
#[derive(Debug, Clone)]
pub struct NewApiToken<'a> {
    /// Whose it is.
    pub user_id: i64,
    /// Its name.
    pub name: &'a str,
    /// SHA-256 of the token, hex.
    pub token_hash: &'a str,
    /// The token's last characters.
    pub hint: &'a str,
    /// Its scopes.
    pub scopes: &'a [&'a str],
    /// When it stops working, if ever.
    pub expires_at: Option<i64>,
}

const TOKEN_COLUMNS: &str = "k.id AS token_id, k.user_id, k.name AS token_name, k.hint, k.scopes, \
    k.created_at AS token_created_at, k.expires_at AS token_expires_at, k.last_used_at, k.revoked_at";

fn token_from_row(row: &AnyRow) -> Result<ApiToken, sqlx::Error> {
    let scopes: String = row.try_get("scopes")?;
    Ok(ApiToken {
        id: row.try_get("token_id")?,
        user_id: row.try_get("user_id")?,
        name: row.try_get("token_name")?,
        hint: row.try_get("hint")?,
        scopes: scopes.split_whitespace().map(str::to_string).collect(),
        created_at: row.try_get("token_created_at")?,
        expires_at: row.try_get("token_expires_at")?,
        last_used_at: row.try_get("last_used_at")?,
        revoked_at: row.try_get("revoked_at")?,
    })
}

impl Store {
    /// Keeps a new token; `now` is its creation time.
    pub async fn create_api_token(
        &self,
        new: &NewApiToken<'_>,
        now: i64,
    ) -> Result<ApiToken, StoreError> {
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO api_tokens (user_id, name, token_hash, hint, scopes, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        )
        .bind(new.user_id)
        .bind(new.name)
        .bind(new.token_hash)
        .bind(new.hint)
        .bind(new.scopes.join(" "))
        .bind(now)
        .bind(new.expires_at)
        .fetch_one(&self.pool)
        .await?;
        Ok(ApiToken {
            id,
            user_id: new.user_id,
            name: new.name.to_string(),
            hint: new.hint.to_string(),
            scopes: new.scopes.iter().map(|s| s.to_string()).collect(),
            created_at: now,
            expires_at: new.expires_at,
            last_used_at: None,
            revoked_at: None,
        })
    }

    /// A person's tokens, newest first, revoked ones included.
    pub async fn api_tokens_of(&self, user_id: i64) -> Result<Vec<ApiToken>, StoreError> {
        let sql = format!(
            "SELECT {TOKEN_COLUMNS} FROM api_tokens k WHERE k.user_id = $1 ORDER BY k.id DESC"
        );
        let rows = sqlx::query(&sql)
            .bind(user_id)
            .fetch_all(&self.pool)
            .await?;
        Ok(rows.iter().map(token_from_row).collect::<Result<_, _>>()?)
    }

    /// The unrevoked, unexpired token with this hash and its (enabled) owner.
    pub async fn api_token_by_hash(
        &self,
        token_hash: &str,
        now: i64,
    ) -> Result<Option<(ApiToken, User)>, StoreError> {
        let sql = format!(
            "SELECT {TOKEN_COLUMNS}, {USER_COLUMNS} FROM api_tokens k JOIN users u ON u.id = k.user_id \
             WHERE k.token_hash = $1 AND k.revoked_at IS NULL \
               AND (k.expires_at IS NULL OR k.expires_at > $2) AND u.disabled = 0"
        );
        let Some(row) = sqlx::query(&sql)
            .bind(token_hash)
            .bind(now)
            .fetch_optional(&self.pool)
            .await?
        else {
            return Ok(None);
        };
        Ok(Some((token_from_row(&row)?, user_from_row(&row)?)))
    }

    /// Notes a use of token `id`, at most once a minute (a write per request would make every
    /// read a write).
    pub async fn touch_api_token(&self, id: i64, now: i64) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE api_tokens SET last_used_at = $2 \
             WHERE id = $1 AND (last_used_at IS NULL OR last_used_at <= $3)",
        )
        .bind(id)
        .bind(now)
        .bind(now - 60)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Revokes token `id` of `user_id`; false when there is no such live token.
    pub async fn revoke_api_token(
        &self,
        user_id: i64,
        id: i64,
        now: i64,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE api_tokens SET revoked_at = $3 \
             WHERE id = $1 AND user_id = $2 AND revoked_at IS NULL",
        )
        .bind(id)
        .bind(user_id)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }
}
