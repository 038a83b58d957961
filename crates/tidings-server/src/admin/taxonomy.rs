//! Tags and authors: names, slugs, descriptions, portraits, and which account writes as whom.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Form;
use minijinja::{context, Value};
use serde::Deserialize;
use tidings_accounts::Action;
use tidings_store::{NewAuthor, NewTag, StoreError};

use crate::admin::page::{me, render, see_other};
use crate::admin::session::Signed;
use crate::app::AppState;
use crate::error::AppError;

fn message(e: &StoreError) -> Option<String> {
    match e {
        StoreError::Invalid { field, message } => Some(format!("{field}: {message}.")),
        StoreError::Conflict { value, .. } => Some(format!("The slug `{value}` is already taken.")),
        _ => None,
    }
}

async fn tags_page(
    app: &AppState,
    signed: &Signed,
    status: StatusCode,
    error: Option<String>,
) -> Result<Response, AppError> {
    let tags = app.store().list_tags().await?;
    Ok(render(
        app,
        status,
        "admin/tags.html",
        Some(me(signed)),
        context! { tags => Value::from_serialize(&tags), error => error },
    )
    .await)
}

/// `GET /admin/tags`
pub async fn list_tags(State(app): State<AppState>, signed: Signed) -> Result<Response, AppError> {
    signed.require(Action::ManageTaxonomy)?;
    tags_page(&app, &signed, StatusCode::OK, None).await
}

#[derive(Deserialize, Default)]
pub struct TagForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    slug: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    image_url: String,
    /// The broader tag's id; empty for the top level.
    #[serde(default)]
    parent_id: String,
}

impl TagForm {
    fn to_new(&self) -> Result<NewTag, StoreError> {
        let parent_id = match self.parent_id.trim() {
            "" => None,
            id => Some(id.parse().map_err(|_| StoreError::Invalid {
                field: "parent",
                message: "no such tag".into(),
            })?),
        };
        Ok(NewTag {
            name: self.name.clone(),
            slug: self.slug.clone(),
            description: self.description.clone(),
            image_url: self.image_url.clone(),
            parent_id,
        })
    }
}

/// `POST /admin/tags` (create) and `POST /admin/tags/{id}` (update).
pub async fn save_tag(
    State(app): State<AppState>,
    signed: Signed,
    id: Option<Path<i64>>,
    Form(form): Form<TagForm>,
) -> Result<Response, AppError> {
    signed.require(Action::ManageTaxonomy)?;
    let result = match (form.to_new(), id) {
        (Err(e), _) => Err(e),
        (Ok(new), Some(Path(id))) => app.store().update_tag(id, &new).await,
        (Ok(new), None) => app.store().create_tag(&new).await,
    };
    match result {
        Ok(tag) => {
            signed.audit(&app, "tag.save", &tag.slug).await;
            Ok(see_other("/admin/tags"))
        }
        Err(e) => match message(&e) {
            Some(msg) => {
                tags_page(&app, &signed, StatusCode::UNPROCESSABLE_ENTITY, Some(msg)).await
            }
            None => Err(e.into()),
        },
    }
}

async fn authors_page(
    app: &AppState,
    signed: &Signed,
    status: StatusCode,
    error: Option<String>,
) -> Result<Response, AppError> {
    let authors = app.store().list_authors().await?;
    let users = app.store().list_users().await?;
    let rows: Vec<Value> = authors
        .iter()
        .map(|a| {
            let linked = users.iter().find(|u| u.author_id == Some(a.id)).map(|u| u.id);
            context! { id => a.id, name => a.name.clone(), slug => a.slug.clone(), bio => a.bio.clone(), avatar_url => a.avatar_url.clone(), user_id => linked }
        })
        .collect();
    let people: Vec<Value> = users
        .iter()
        .map(|u| context! { id => u.id, email => u.email.clone() })
        .collect();
    Ok(render(
        app,
        status,
        "admin/authors.html",
        Some(me(signed)),
        context! { authors => rows, users => people, error => error },
    )
    .await)
}

/// `GET /admin/authors`
pub async fn list_authors(
    State(app): State<AppState>,
    signed: Signed,
) -> Result<Response, AppError> {
    signed.require(Action::ManageTaxonomy)?;
    authors_page(&app, &signed, StatusCode::OK, None).await
}

#[derive(Deserialize, Default)]
pub struct AuthorForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    slug: String,
    #[serde(default)]
    bio: String,
    #[serde(default)]
    avatar_url: String,
    #[serde(default)]
    user_id: String,
}

/// `POST /admin/authors` (create) and `POST /admin/authors/{id}` (update, and link an account).
pub async fn save_author(
    State(app): State<AppState>,
    signed: Signed,
    id: Option<Path<i64>>,
    Form(form): Form<AuthorForm>,
) -> Result<Response, AppError> {
    signed.require(Action::ManageTaxonomy)?;
    let new = NewAuthor {
        name: form.name.clone(),
        slug: form.slug.clone(),
        bio: form.bio.clone(),
        avatar_url: form.avatar_url.clone(),
    };
    let result = match id {
        Some(Path(id)) => app.store().update_author(id, &new).await,
        None => app.store().create_author(&new).await,
    };
    let author = match result {
        Ok(a) => a,
        Err(e) => {
            return match message(&e) {
                Some(msg) => {
                    authors_page(&app, &signed, StatusCode::UNPROCESSABLE_ENTITY, Some(msg)).await
                }
                None => Err(e.into()),
            }
        }
    };
    // One account writes as one byline: unlink whoever held it, then link the chosen account.
    for u in app
        .store()
        .list_users()
        .await?
        .iter()
        .filter(|u| u.author_id == Some(author.id))
    {
        app.store().set_user_author(u.id, None).await?;
    }
    if let Ok(user_id) = form.user_id.parse::<i64>() {
        app.store()
            .set_user_author(user_id, Some(author.id))
            .await?;
    }
    signed.audit(&app, "author.save", &author.slug).await;
    Ok(see_other("/admin/authors"))
}
