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
    links: &Links,
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
    if !site.social.is_empty() {
        doc["publisher"]["sameAs"] = json!(site.social.iter().map(|l| &l.url).collect::<Vec<_>>());
    }
    if let Some(tag) = &a.primary_tag {
        doc["articleSection"] = json!(tag.name);
    }
    if let Some((name, url)) = &links.story {
        doc["isPartOf"] = json!({ "@type": "CreativeWorkSeries", "name": name, "url": url });
    }
    if !links.related.is_empty() {
        doc["mainEntityOfPage"]["relatedLink"] = json!(links.related);
    }
    script_safe(&doc.to_string())
}

/// What a story is connected to, for its JSON-LD: the running story it is part of (a
/// `CreativeWorkSeries`), and its related coverage (the page's `relatedLink`s).
#[derive(Debug, Clone, Default)]
pub struct Links {
    /// The running story's name and absolute URL.
    pub story: Option<(String, String)>,
    /// Absolute URLs of the related stories.
    pub related: Vec<String>,
}

/// JSON made safe inside `<script>`: `<`, `>` and `&` can only occur inside JSON strings, where
/// their `\uXXXX` escapes mean the same, so no `</script>`, `<!--` or entity survives.
fn script_safe(json: &str) -> String {
    let mut out = String::with_capacity(json.len());
    for c in json.chars() {
        match c {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::script_safe;

    #[test]
    fn markup_characters_are_escaped_and_the_json_means_the_same() {
        let doc =
            serde_json::json!({"headline": "</script><!-- a & b --><script>alert(1)</script>"});
        let safe = script_safe(&doc.to_string());
        assert!(
            !safe.contains('<') && !safe.contains('>') && !safe.contains('&'),
            "{safe}"
        );
        let back: serde_json::Value = serde_json::from_str(&safe).unwrap();
        assert_eq!(back, doc);
    }
}
