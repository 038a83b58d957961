//! Structured data for search engines: schema.org `NewsArticle` as JSON-LD.

use serde_json::json;
use tidings_store::Article;

use crate::views::SiteView;

/// The JSON-LD for an article, safe to place inside `<script type="application/ld+json">`.
pub fn news_article(
    a: &Article,
    site: &SiteView,
    canonical: &str,
    description: &str,
    image: &str,
) -> String {
    let published = a.published_at.unwrap_or(a.updated_at);
    let authors: Vec<_> = a
        .authors
        .iter()
        .map(|au| {
            json!({
                "@type": "Person",
                "name": au.name,
                "url": format!("{}/author/{}/", site.url, au.slug),
            })
        })
        .collect();
    let mut doc = json!({
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "headline": a.title,
        "description": description,
        "datePublished": published.to_rfc3339(),
        "dateModified": a.updated_at.max(published).to_rfc3339(),
        "mainEntityOfPage": { "@type": "WebPage", "@id": canonical },
        "url": canonical,
        "inLanguage": site.language,
        "wordCount": a.word_count,
        "author": authors,
        "publisher": {
            "@type": "NewsMediaOrganization",
            "name": site.organisation,
            "url": format!("{}/", site.url),
        },
    });
    if !image.is_empty() {
        doc["image"] = json!([image]);
    }
    if let Some(tag) = &a.primary_tag {
        doc["articleSection"] = json!(tag.name);
    }
    // `</script>` inside a string would end the element early; `<\/` means the same to JSON.
    doc.to_string().replace("</", "<\\/")
}
