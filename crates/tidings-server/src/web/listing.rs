//! Tag and author listings: `/tag/{slug}/`, `/author/{slug}/` and their pages.

use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use minijinja::{context, Value};

use crate::app::{AppState, Rendered};
use crate::error::AppError;
use crate::web::{moved, parse_page, plausible_slug, Pagination, PER_PAGE};
use tidings_theme::views::card_view;

/// Which listing a request is for.
#[derive(Debug, Clone, Copy)]
pub enum Listing {
    /// `/tag/{slug}/`
    Tag,
    /// `/author/{slug}/`
    Author,
}

impl Listing {
    fn prefix(self) -> &'static str {
        match self {
            Listing::Tag => "tag",
            Listing::Author => "author",
        }
    }
}

/// `GET /tag/{slug}/`
pub async fn show_tag(
    state: State<AppState>,
    slug: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
) -> Response {
    show(state, Listing::Tag, slug.map(|Path(s)| (s, None)), headers).await
}

/// `GET /tag/{slug}/page/{n}/`
pub async fn show_tag_page(
    state: State<AppState>,
    params: Result<Path<(String, String)>, PathRejection>,
    headers: HeaderMap,
) -> Response {
    show(
        state,
        Listing::Tag,
        params.map(|Path((s, n))| (s, Some(n))),
        headers,
    )
    .await
}

/// `GET /author/{slug}/`
pub async fn show_author(
    state: State<AppState>,
    slug: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
) -> Response {
    show(
        state,
        Listing::Author,
        slug.map(|Path(s)| (s, None)),
        headers,
    )
    .await
}

/// `GET /author/{slug}/page/{n}/`
pub async fn show_author_page(
    state: State<AppState>,
    params: Result<Path<(String, String)>, PathRejection>,
    headers: HeaderMap,
) -> Response {
    show(
        state,
        Listing::Author,
        params.map(|Path((s, n))| (s, Some(n))),
        headers,
    )
    .await
}

async fn show(
    State(app): State<AppState>,
    listing: Listing,
    params: Result<(String, Option<String>), PathRejection>,
    headers: HeaderMap,
) -> Response {
    let Ok((slug, page)) = params else {
        return AppError::NotFound.into_response();
    };
    let explicit = page.is_some();
    let page = match parse_page(page.as_deref().unwrap_or("1")) {
        Ok(n) if plausible_slug(&slug) => n,
        _ => return AppError::NotFound.into_response(),
    };
    let base = format!("/{}/{slug}/", listing.prefix());
    if page == 1 && explicit {
        return moved(&base);
    }
    let key = if page == 1 {
        base.clone()
    } else {
        format!("{base}page/{page}/")
    };
    app.cached(&key, &headers, || {
        render(app.clone(), listing, slug, base, page)
    })
    .await
}

async fn render(
    app: AppState,
    listing: Listing,
    slug: String,
    base: String,
    page: i64,
) -> Result<Rendered, AppError> {
    let store = app.reader();
    let offset = (page - 1) * PER_PAGE;
    let mut trail = Vec::new();
    let mut narrower = Vec::new();
    let mut story = None;
    let (heading, description, image, rows) = match listing {
        Listing::Tag => {
            let tag = store.tag_by_slug(&slug).await?.ok_or(AppError::NotFound)?;
            let rows = store.latest_by_tag(tag.id, PER_PAGE, offset).await?;
            trail = store.tag_ancestors(&tag).await?;
            narrower = store.tag_children(tag.id).await?;
            story = store.running_story(tag.id).await?;
            (tag.name, tag.description, tag.image_url, rows)
        }
        Listing::Author => {
            let author = store
                .author_by_slug(&slug)
                .await?
                .ok_or(AppError::NotFound)?;
            let rows = store.latest_by_author(author.id, PER_PAGE, offset).await?;
            (author.name, author.bio, author.avatar_url, rows)
        }
    };
    if page > 1 && rows.items.is_empty() {
        return Err(AppError::NotFound);
    }
    let pages = ((rows.total + PER_PAGE - 1) / PER_PAGE).max(1);
    let tz = app.tz();
    let ctx = context! {
        kind => listing.prefix(),
        heading => heading,
        description => description,
        image => image,
        trail => Value::from_serialize(&trail),
        narrower => Value::from_serialize(&narrower),
        feed_url => format!("{base}rss/"),
        canonical => format!("{}{base}", app.site().url),
        articles => Value::from_serialize(rows.items.iter().map(|a| card_view(a, tz)).collect::<Vec<_>>()),
        pagination => Value::from_serialize(Pagination::new(&base, page, pages)),
        story_summary => story,
        timeline_url => format!("{base}timeline/"),
    };
    Ok(Rendered::html(app.render_page("listing.html", ctx).await?))
}
