//! For search engines: `/sitemap.xml`, `/news-sitemap.xml` and `/robots.txt`.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use chrono::{Duration, Utc};

use crate::app::{AppState, Rendered};
use crate::error::AppError;
use crate::web::xml_escape;

const XML: &str = "application/xml; charset=utf-8";
const SITEMAP_CACHE: &str = "public, max-age=300";

/// `GET /sitemap.xml`: home, every published article and page, tags and authors.
pub async fn show_sitemap(State(app): State<AppState>, headers: HeaderMap) -> Response {
    app.cached("/sitemap.xml", &headers, || async {
        let base = &app.site().url;
        let entries = app.reader().sitemap_entries().await?;
        let (tags, authors) = app.reader().listed_tags_and_authors().await?;
        let mut out = String::from(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n",
        );
        let newest = entries.iter().map(|e| e.updated_at).max();
        out.push_str(&url_entry(&format!("{base}/"), newest.map(|d| d.to_rfc3339())));
        for e in &entries {
            out.push_str(&url_entry(&format!("{base}/{}/", url_slug(&e.slug)), Some(e.updated_at.to_rfc3339())));
        }
        for t in &tags {
            out.push_str(&url_entry(&format!("{base}/tag/{}/", url_slug(&t.slug)), None));
        }
        for a in &authors {
            out.push_str(&url_entry(&format!("{base}/author/{}/", url_slug(&a.slug)), None));
        }
        // Readers search for "donate to <outlet>" and "<outlet> newsletter".
        for page in ["donate/", "subscribe/"] {
            out.push_str(&url_entry(&format!("{base}/{page}"), None));
        }
        for form in app.reader().donation_forms().await? {
            if form.slug != "default" {
                out.push_str(&url_entry(&format!("{base}/donate/{}/", url_slug(&form.slug)), None));
            }
        }
        out.push_str("</urlset>\n");
        Ok(xml(out))
    })
    .await
}

fn url_entry(loc: &str, lastmod: Option<String>) -> String {
    match lastmod {
        Some(m) => format!(
            "<url><loc>{}</loc><lastmod>{m}</lastmod></url>\n",
            xml_escape(loc)
        ),
        None => format!("<url><loc>{}</loc></url>\n", xml_escape(loc)),
    }
}

/// `GET /news-sitemap.xml`: Google News sitemap of articles from the last two days.
pub async fn show_news_sitemap(State(app): State<AppState>, headers: HeaderMap) -> Response {
    app.cached("/news-sitemap.xml", &headers, || async {
        let base = &app.site().url;
        let site = app.site_view().await?;
        let recent = app
            .reader()
            .published_since(Utc::now() - Duration::days(2))
            .await?;
        let mut out = String::from(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\" xmlns:news=\"http://www.google.com/schemas/sitemap-news/0.9\">\n",
        );
        for a in &recent {
            out.push_str(&format!(
                "<url><loc>{}</loc><news:news><news:publication><news:name>{}</news:name><news:language>{}</news:language></news:publication><news:publication_date>{}</news:publication_date><news:title>{}</news:title></news:news></url>\n",
                xml_escape(&format!("{base}/{}/", url_slug(&a.slug))),
                xml_escape(&site.title),
                xml_escape(&site.language),
                a.published_at.to_rfc3339(),
                xml_escape(&a.title),
            ));
        }
        out.push_str("</urlset>\n");
        Ok(xml(out))
    })
    .await
}

/// `GET /robots.txt`
pub async fn show_robots(State(app): State<AppState>, headers: HeaderMap) -> Response {
    app.cached("/robots.txt", &headers, || async {
        let base = &app.site().url;
        let mut body = format!(
            "User-agent: *\nDisallow: /admin/\nDisallow: /api/\nAllow: /\n\nSitemap: {base}/sitemap.xml\nSitemap: {base}/news-sitemap.xml\n"
        );
        // The outlet's own lines follow ours, as a group of their own (a blank line first).
        let extra = app.reader().settings().await?.get("robots_extra").trim().to_string();
        if !extra.is_empty() {
            body.push('\n');
            body.push_str(&extra);
            body.push('\n');
        }
        Ok::<_, AppError>(Rendered {
            status: StatusCode::OK,
            content_type: "text/plain; charset=utf-8",
            cache_control: "public, max-age=3600",
            body,
        })
    })
    .await
}

fn xml(body: String) -> Rendered {
    Rendered {
        status: StatusCode::OK,
        content_type: XML,
        cache_control: SITEMAP_CACHE,
        body,
    }
}

/// A slug as it must appear in a sitemap URL: letters beyond ASCII percent-encoded.
fn url_slug(slug: &str) -> std::borrow::Cow<'_, str> {
    const KEEP: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC.remove(b'-');
    percent_encoding::utf8_percent_encode(slug, KEEP).into()
}
