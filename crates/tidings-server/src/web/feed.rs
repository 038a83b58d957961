//! RSS 2.0 feeds: `/rss/`, `/tag/{slug}/rss/`, `/author/{slug}/rss/`.

use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use tidings_store::Article;

use crate::app::{AppState, Rendered};
use crate::error::AppError;
use crate::web::{plausible_slug, xml_escape};

const FEED_ITEMS: i64 = 20;
const RSS: &str = "application/rss+xml; charset=utf-8";
const FEED_CACHE: &str = "public, max-age=300";

/// `GET /rss/`
pub async fn show_feed(State(app): State<AppState>, headers: HeaderMap) -> Response {
    app.cached("/rss/", &headers, || render(app.clone(), None, None))
        .await
}

/// `GET /tag/{slug}/rss/`
pub async fn show_tag_feed(
    State(app): State<AppState>,
    slug: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
) -> Response {
    match slug {
        Ok(Path(slug)) if plausible_slug(&slug) => {
            let key = format!("/tag/{slug}/rss/");
            app.cached(&key, &headers, || render(app.clone(), Some(slug), None))
                .await
        }
        _ => AppError::NotFound.into_response(),
    }
}

/// `GET /author/{slug}/rss/`
pub async fn show_author_feed(
    State(app): State<AppState>,
    slug: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
) -> Response {
    match slug {
        Ok(Path(slug)) if plausible_slug(&slug) => {
            let key = format!("/author/{slug}/rss/");
            app.cached(&key, &headers, || render(app.clone(), None, Some(slug)))
                .await
        }
        _ => AppError::NotFound.into_response(),
    }
}

async fn render(
    app: AppState,
    tag: Option<String>,
    author: Option<String>,
) -> Result<Rendered, AppError> {
    let store = app.reader();
    let site = app.site_view().await?;
    let base = &app.site().url;
    let (title, link, description, tag_id, author_id) = match (tag, author) {
        (Some(slug), _) => {
            let t = store.tag_by_slug(&slug).await?.ok_or(AppError::NotFound)?;
            let link = format!("{base}/tag/{}/", t.slug);
            (
                format!("{}: {}", site.title, t.name),
                link,
                t.description,
                Some(t.id),
                None,
            )
        }
        (None, Some(slug)) => {
            let a = store
                .author_by_slug(&slug)
                .await?
                .ok_or(AppError::NotFound)?;
            let link = format!("{base}/author/{}/", a.slug);
            (
                format!("{}: {}", site.title, a.name),
                link,
                a.bio,
                None,
                Some(a.id),
            )
        }
        (None, None) => (
            site.title.clone(),
            format!("{base}/"),
            site.description.clone(),
            None,
            None,
        ),
    };
    let articles = store.feed_articles(tag_id, author_id, FEED_ITEMS).await?;
    let description = if description.is_empty() {
        site.description.clone()
    } else {
        description
    };
    let body = rss(
        &title,
        &link,
        &description,
        &site.language,
        &articles,
        base,
        app.site().feed_full_content,
    );
    Ok(Rendered {
        status: axum::http::StatusCode::OK,
        content_type: RSS,
        cache_control: FEED_CACHE,
        body,
    })
}

fn rss(
    title: &str,
    link: &str,
    description: &str,
    language: &str,
    articles: &[Article],
    base: &str,
    full: bool,
) -> String {
    let mut out = String::with_capacity(4096 + articles.len() * 2048);
    let self_url = format!("{link}rss/").replace(&format!("{base}//"), &format!("{base}/"));
    let built = articles
        .iter()
        .map(|a| a.updated_at)
        .max()
        .unwrap_or_else(chrono::Utc::now);
    out.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    out.push_str("<rss version=\"2.0\" xmlns:atom=\"http://www.w3.org/2005/Atom\" xmlns:content=\"http://purl.org/rss/1.0/modules/content/\" xmlns:dc=\"http://purl.org/dc/elements/1.1/\">\n<channel>\n");
    out.push_str(&format!(
        "<title>{}</title>\n<link>{}</link>\n<description>{}</description>\n<language>{}</language>\n<lastBuildDate>{}</lastBuildDate>\n<atom:link href=\"{}\" rel=\"self\" type=\"application/rss+xml\"/>\n<generator>Tidings</generator>\n",
        xml_escape(title),
        xml_escape(link),
        xml_escape(description),
        xml_escape(language),
        built.to_rfc2822(),
        xml_escape(&self_url),
    ));
    for a in articles {
        let url = format!("{base}/{}/", a.slug);
        let published = a.published_at.unwrap_or(a.updated_at);
        out.push_str("<item>\n");
        out.push_str(&format!(
            "<title>{}</title>\n<link>{}</link>\n<guid isPermaLink=\"true\">{}</guid>\n<pubDate>{}</pubDate>\n",
            xml_escape(&a.title),
            xml_escape(&url),
            xml_escape(&url),
            published.to_rfc2822()
        ));
        for author in &a.authors {
            out.push_str(&format!(
                "<dc:creator>{}</dc:creator>\n",
                xml_escape(&author.name)
            ));
        }
        for tag in &a.tags {
            out.push_str(&format!("<category>{}</category>\n", xml_escape(&tag.name)));
        }
        let summary = if a.dek.is_empty() {
            tidings_content::excerpt(&a.body_html, 300)
        } else {
            a.dek.clone()
        };
        out.push_str(&format!(
            "<description>{}</description>\n",
            xml_escape(&summary)
        ));
        if full {
            out.push_str(&format!(
                "<content:encoded>{}</content:encoded>\n",
                xml_escape(&absolute_links(&a.body_html, base))
            ));
        }
        out.push_str("</item>\n");
    }
    out.push_str("</channel>\n</rss>\n");
    out
}

/// Feed readers resolve nothing: make site-relative links and images absolute.
fn absolute_links(html: &str, base: &str) -> String {
    html.replace("href=\"/", &format!("href=\"{base}/"))
        .replace("src=\"/", &format!("src=\"{base}/"))
}
