//! The editor: the article list, writing, previewing, publishing and scheduling.

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};
use minijinja::{context, Value};
use serde::{Deserialize, Serialize};
use tidings_accounts::{Action, Role};
use tidings_content::{render_markdown, Kind, Status};
use tidings_store::{
    AdminFilter, Article, FeatureImage, NewArticle, NewTag, RevisionKind, StoreError, User,
};

use crate::admin::emails;
use crate::admin::page::{forbidden, me, render, see_other};
use crate::admin::session::Signed;
use crate::app::AppState;
use crate::error::AppError;

mod related;
mod save;
pub use related::save_related;
pub use save::{create, save};

/// What the editor form holds, as typed.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ArticleForm {
    title: String,
    slug: String,
    dek: String,
    body: String,
    kind: String,
    tags: String,
    authors: Vec<i64>,
    featured: bool,
    digest_priority: String,
    image_path: String,
    image_alt: String,
    image_caption: String,
    image_credit: String,
    seo_title: String,
    seo_description: String,
    canonical_url: String,
    publish_at: String,
    version: i64,
    action: String,
}

impl ArticleForm {
    /// Parses the urlencoded body; repeated `author` fields become the byline list.
    fn parse(body: &[u8]) -> ArticleForm {
        let mut f = ArticleForm::default();
        for (k, v) in url::form_urlencoded::parse(body) {
            let v = v.into_owned();
            match k.as_ref() {
                "title" => f.title = v,
                "slug" => f.slug = v,
                "dek" => f.dek = v,
                "body" => f.body = v,
                "kind" => f.kind = v,
                "tags" => f.tags = v,
                "author" => f.authors.extend(v.parse::<i64>().ok()),
                "featured" => f.featured = !v.is_empty(),
                "digest_priority" => f.digest_priority = v,
                "image_path" => f.image_path = v,
                "image_alt" => f.image_alt = v,
                "image_caption" => f.image_caption = v,
                "image_credit" => f.image_credit = v,
                "seo_title" => f.seo_title = v,
                "seo_description" => f.seo_description = v,
                "canonical_url" => f.canonical_url = v,
                "publish_at" => f.publish_at = v,
                "version" => f.version = v.parse().unwrap_or(0),
                "action" => f.action = v,
                _ => {}
            }
        }
        f
    }

    fn from_article(a: &Article, tz: chrono_tz::Tz) -> ArticleForm {
        ArticleForm {
            title: a.title.clone(),
            slug: a.slug.clone(),
            dek: a.dek.clone(),
            body: a.body_markdown.clone(),
            kind: a.kind.as_str().into(),
            tags: a
                .tags
                .iter()
                .map(|t| t.name.clone())
                .collect::<Vec<_>>()
                .join(", "),
            authors: a.authors.iter().map(|au| au.id).collect(),
            featured: a.featured,
            digest_priority: a.digest_priority.to_string(),
            image_path: a.feature_image.path.clone(),
            image_alt: a.feature_image.alt.clone(),
            image_caption: a.feature_image.caption.clone(),
            image_credit: a.feature_image.credit.clone(),
            seo_title: a.seo_title.clone(),
            seo_description: a.seo_description.clone(),
            canonical_url: a.canonical_url.clone(),
            publish_at: a
                .published_at
                .map(|t| t.with_timezone(&tz).format("%Y-%m-%dT%H:%M").to_string())
                .unwrap_or_default(),
            version: a.version,
            action: String::new(),
        }
    }
}

/// Local date and time in the site's timezone to UTC. A time skipped by a daylight-saving change
/// moves to the first valid instant after it; a repeated one takes its first occurrence.
pub fn local_to_utc(local: &str, tz: chrono_tz::Tz) -> Option<DateTime<Utc>> {
    let naive = NaiveDateTime::parse_from_str(local.trim(), "%Y-%m-%dT%H:%M").ok()?;
    for minutes in 0..=120 {
        let candidate = naive + chrono::Duration::minutes(minutes);
        if let Some(t) = tz.from_local_datetime(&candidate).earliest() {
            return Some(t.with_timezone(&Utc));
        }
    }
    None
}

/// Whether `user` created the story or is one of its bylines.
fn owns(user: &User, a: &Article) -> bool {
    a.created_by == Some(user.id)
        || user
            .author_id
            .is_some_and(|id| a.authors.iter().any(|au| au.id == id))
}

/// Whether `user` may change the story (the admin and the API ask the same question).
pub(crate) fn may_edit(user: &User, a: &Article) -> bool {
    let role = user.role;
    if role.can(Action::EditAnyArticle) {
        return true;
    }
    // Contributors write drafts; once a story is live or scheduled it is the editors'.
    owns(user, a) && (role != Role::Contributor || a.status == Status::Draft)
}

/// The article with this id, if this person may edit it (404 when missing, 403 when not theirs).
async fn editable(app: &AppState, signed: &Signed, id: i64) -> Result<Article, AppError> {
    let article = app
        .store()
        .article_by_id(id)
        .await?
        .ok_or(AppError::NotFound)?;
    if may_edit(&signed.user, &article) {
        Ok(article)
    } else {
        Err(AppError::Forbidden)
    }
}

/// Whether `user` may publish, schedule or unpublish the story (a new one when `None`).
pub(crate) fn may_publish(user: &User, a: Option<&Article>) -> bool {
    let role = user.role;
    role.can(Action::PublishAnyArticle)
        || (role.can(Action::PublishOwnArticle) && a.is_none_or(|a| owns(user, a)))
}

#[derive(Deserialize, Default)]
pub struct ListQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    author: String,
    #[serde(default)]
    tag: String,
}

/// `GET /admin/articles`: search and filter by status, author and tag.
pub async fn list(
    State(app): State<AppState>,
    signed: Signed,
    Query(q): Query<ListQuery>,
) -> Result<Response, AppError> {
    let store = app.store();
    let author = match q.author.as_str() {
        "" => None,
        slug => store.author_by_slug(slug).await?,
    };
    let tag = match q.tag.as_str() {
        "" => None,
        slug => store.tag_by_slug(slug).await?,
    };
    let mut filter = AdminFilter {
        query: q.q.chars().take(200).collect(),
        status: Status::parse(&q.status),
        author_id: author.map(|a| a.id),
        tag_id: tag.map(|t| t.id),
        owner: None,
    };
    if !signed.user.role.can(Action::EditAnyArticle) {
        filter.owner = Some((signed.user.id, signed.user.author_id));
    }
    let rows = store.admin_articles(&filter).await?;
    let ctx = context! {
        articles => Value::from_serialize(&rows),
        q => q.q, status => q.status, author => q.author, tag => q.tag,
        authors => Value::from_serialize(store.list_authors().await?),
        tags => Value::from_serialize(store.list_tags().await?),
    };
    Ok(render(
        &app,
        StatusCode::OK,
        "admin/articles.html",
        Some(me(&signed)),
        ctx,
    )
    .await)
}

/// Everything the editor page shows besides the form.
#[derive(Default)]
struct EditorState {
    id: Option<i64>,
    status: Option<Status>,
    public_url: Option<String>,
    error: Option<String>,
    notice: Option<String>,
    preview: Option<String>,
    conflict: Option<Article>,
    can_publish: bool,
    autosave: Option<i64>,
    notes: Vec<tidings_store::Note>,
}

async fn editor(
    app: &AppState,
    signed: &Signed,
    status: StatusCode,
    form: &ArticleForm,
    st: EditorState,
) -> Result<Response, AppError> {
    let authors = app.store().list_authors().await?;
    let related = match st.id {
        Some(id) => Some(related::related_context(app, id).await?),
        None => None,
    };
    let conflict = st.conflict.as_ref().map(|c| {
        context! { title => c.title.clone(), dek => c.dek.clone(), body => c.body_markdown.clone(), version => c.version }
    });
    let ctx = context! {
        form => Value::from_serialize(form),
        id => st.id,
        status => st.status.map(|s| s.as_str()),
        public_url => st.public_url,
        authors => Value::from_serialize(&authors),
        error => st.error, notice => st.notice,
        preview => st.preview.map(Value::from_safe_string),
        conflict => conflict,
        can_publish => st.can_publish,
        autosave => st.autosave,
        notes => Value::from_serialize(st.notes.iter().map(|n| context! { kind => n.kind.clone(), body => n.body.clone(), at => tidings_theme::views::display_date(n.created_at, app.tz()) }).collect::<Vec<_>>()),
        is_contributor => signed.user.role == Role::Contributor,
        timezone => app.tz().name(),
        related => related,
    };
    Ok(render(app, status, "admin/editor.html", Some(me(signed)), ctx).await)
}

/// `GET /admin/articles/new`
pub async fn new(State(app): State<AppState>, signed: Signed) -> Result<Response, AppError> {
    signed.require(Action::CreateArticle)?;
    let form = ArticleForm {
        kind: "article".into(),
        authors: signed.user.author_id.into_iter().collect(),
        digest_priority: "0".into(),
        ..ArticleForm::default()
    };
    let st = EditorState {
        can_publish: may_publish(&signed.user, None),
        ..EditorState::default()
    };
    editor(&app, &signed, StatusCode::OK, &form, st).await
}

#[derive(Deserialize, Default)]
pub struct EditQuery {
    revision: Option<i64>,
}

/// `GET /admin/articles/{id}`; with `?revision=N`, that revision's words are loaded into the form
/// (restored once saved).
pub async fn edit(
    State(app): State<AppState>,
    signed: Signed,
    Path(id): Path<i64>,
    Query(q): Query<EditQuery>,
) -> Result<Response, AppError> {
    let article = editable(&app, &signed, id).await?;
    let mut form = ArticleForm::from_article(&article, app.tz());
    let mut st = state_for(&app, &signed, &article);
    let revisions = app.store().revisions(id).await?;
    if let Some(rev) = q
        .revision
        .and_then(|r| revisions.iter().find(|v| v.id == r))
    {
        form.title = rev.title.clone();
        form.dek = rev.dek.clone();
        form.body = rev.body_markdown.clone();
        st.notice = Some(format!(
            "Loaded the {} from {}. Save to restore it.",
            if rev.kind == RevisionKind::Autosave {
                "autosaved text"
            } else {
                "revision"
            },
            tidings_theme::views::display_date(rev.saved_at, app.tz())
        ));
    } else if let Some(auto) = revisions.iter().find(|r| {
        r.kind == RevisionKind::Autosave
            && r.saved_by.as_deref() == Some(signed.user.email.as_str())
            && r.saved_at >= article.updated_at
    }) {
        if auto.body_markdown != article.body_markdown
            || auto.title != article.title
            || auto.dek != article.dek
        {
            st.autosave = Some(auto.id);
        }
    }
    st.notes = app.store().notes(id).await?;
    editor(&app, &signed, StatusCode::OK, &form, st).await
}

/// `GET /admin/articles/{id}/revisions`
pub async fn revisions(
    State(app): State<AppState>,
    signed: Signed,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    let article = editable(&app, &signed, id).await?;
    let tz = app.tz();
    let rows: Vec<Value> = app
        .store()
        .revisions(id)
        .await?
        .iter()
        .map(|r| {
            context! {
                id => r.id, version => r.version, autosave => r.kind == RevisionKind::Autosave,
                title => r.title.clone(), by => r.saved_by.clone(),
                at => tidings_theme::views::display_date(r.saved_at, tz),
                words => r.body_markdown.split_whitespace().count(),
            }
        })
        .collect();
    let ctx = context! { article => context! { id => id, title => article.title.clone() }, revisions => rows };
    Ok(render(
        &app,
        StatusCode::OK,
        "admin/revisions.html",
        Some(me(&signed)),
        ctx,
    )
    .await)
}

/// `POST /admin/articles/{id}/autosave` (from the editor's script): keeps the words being typed,
/// without touching the article, so a closed tab or a crash loses nothing.
pub async fn autosave(
    State(app): State<AppState>,
    signed: Signed,
    Path(id): Path<i64>,
    body: Bytes,
) -> Result<Response, AppError> {
    editable(&app, &signed, id).await?;
    let form = ArticleForm::parse(&body);
    app.store()
        .add_revision(
            id,
            None,
            &form.title,
            &form.dek,
            &form.body,
            Some(signed.user.id),
        )
        .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `POST /admin/articles/{id}/preview-link`: a link to read the story as it stands, without signing
/// in, for a week.
pub async fn preview_link(
    State(app): State<AppState>,
    signed: Signed,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    let article = editable(&app, &signed, id).await?;
    let path = crate::web::preview::link(&app, id).await?;
    signed
        .audit(&app, "article.preview_link", &article.slug)
        .await;
    let mut st = state_for(&app, &signed, &article);
    st.notice = Some(format!(
        "Preview link, valid for 7 days: {}{path}",
        app.site().url
    ));
    st.notes = app.store().notes(id).await?;
    let form = ArticleForm::from_article(&article, app.tz());
    editor(&app, &signed, StatusCode::OK, &form, st).await
}

#[derive(Deserialize)]
pub struct NoteForm {
    #[serde(default)]
    kind: String,
    #[serde(default)]
    note: String,
}

/// `POST /admin/articles/{id}/notes`: a dated correction or update on a published story.
pub async fn add_note(
    State(app): State<AppState>,
    signed: Signed,
    Path(id): Path<i64>,
    axum::Form(form): axum::Form<NoteForm>,
) -> Result<Response, AppError> {
    let article = editable(&app, &signed, id).await?;
    if !may_publish(&signed.user, Some(&article)) {
        return Ok(forbidden());
    }
    match app
        .store()
        .add_note(id, &form.kind, &form.note, Some(signed.user.id))
        .await
    {
        Ok(()) => {}
        Err(StoreError::Invalid { message, .. }) => {
            let mut st = state_for(&app, &signed, &article);
            st.error = Some(format!("Correction or update: {message}."));
            st.notes = app.store().notes(id).await?;
            let f = ArticleForm::from_article(&article, app.tz());
            return editor(&app, &signed, StatusCode::UNPROCESSABLE_ENTITY, &f, st).await;
        }
        Err(e) => return Err(e.into()),
    }
    signed
        .audit(&app, &format!("article.{}", form.kind), &article.slug)
        .await;
    let _ = app.refresh_generation().await;
    Ok(see_other(&format!("/admin/articles/{id}?saved=1")))
}

fn state_for(app: &AppState, signed: &Signed, a: &Article) -> EditorState {
    EditorState {
        id: Some(a.id),
        status: Some(a.status),
        public_url: (a.status == Status::Published)
            .then(|| format!("{}/{}/", app.site().url, a.slug)),
        can_publish: may_publish(&signed.user, Some(a)),
        ..EditorState::default()
    }
}

/// `POST /admin/preview`: the body rendered by the same pipeline as the public page.
pub async fn preview(_signed: Signed, body: Bytes) -> Response {
    let markdown = url::form_urlencoded::parse(&body)
        .find(|(k, _)| k == "body")
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default();
    (
        [
            (CONTENT_TYPE, "text/html; charset=utf-8"),
            (CACHE_CONTROL, "no-store"),
        ],
        render_markdown(&markdown),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_times_across_daylight_saving() {
        let paris = chrono_tz::Europe::Paris;
        assert_eq!(
            local_to_utc("2026-07-01T09:30", paris)
                .unwrap()
                .to_rfc3339(),
            "2026-07-01T07:30:00+00:00"
        );
        // 02:30 does not exist on 29 March 2026 in Paris: the first valid instant is 03:00 CEST.
        assert_eq!(
            local_to_utc("2026-03-29T02:30", paris)
                .unwrap()
                .to_rfc3339(),
            "2026-03-29T01:00:00+00:00"
        );
        // 02:30 happens twice on 25 October 2026: the first one (CEST) is taken.
        assert_eq!(
            local_to_utc("2026-10-25T02:30", paris)
                .unwrap()
                .to_rfc3339(),
            "2026-10-25T00:30:00+00:00"
        );
        assert!(local_to_utc("tomorrow", paris).is_none());
    }
}
