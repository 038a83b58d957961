//! What templates see: view structs with every string ready to print, never database rows.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use percent_encoding::{utf8_percent_encode, NON_ALPHANUMERIC};
use serde::Serialize;
use tidings_content::reading_minutes;
use tidings_store::{Article, ArticleSummary, Author, FeatureImage, Note, Tag};

pub use crate::site_view::{Analytics, SiteView, Verification};

/// A named link.
#[derive(Debug, Clone, Serialize)]
pub struct LinkView {
    /// Text.
    pub name: String,
    /// Site-relative URL.
    pub url: String,
}

/// Link to a tag's listing.
pub fn tag_link(tag: &Tag) -> LinkView {
    LinkView {
        name: tag.name.clone(),
        url: format!("/tag/{}/", tag.slug),
    }
}

/// Link to an author's listing.
pub fn author_link(author: &Author) -> LinkView {
    LinkView {
        name: author.name.clone(),
        url: format!("/author/{}/", author.slug),
    }
}

/// An image with its responsive variants.
#[derive(Debug, Clone, Serialize)]
pub struct ImageView {
    /// URL of the original.
    pub src: String,
    /// `srcset` candidates, widest last.
    pub srcset: String,
    /// The same candidates as WebP, when smaller copies exist; empty otherwise.
    pub webp_srcset: String,
    /// The same candidates as AVIF, when smaller copies exist; empty otherwise.
    pub avif_srcset: String,
    /// Intrinsic width, so the browser reserves space.
    pub width: i64,
    /// Intrinsic height.
    pub height: i64,
    /// Text alternative.
    pub alt: String,
    /// Caption.
    pub caption: String,
    /// Credit line.
    pub credit: String,
}

/// Builds the image view, or `None` when the article has no image.
pub fn image_view(fi: &FeatureImage) -> Option<ImageView> {
    if fi.path.is_empty() {
        return None;
    }
    let src = format!("/media/{}", fi.path);
    let mut candidates: Vec<String> = fi
        .widths
        .iter()
        .filter(|w| **w < fi.width || fi.width == 0)
        .map(|w| format!("{} {w}w", variant_url(&fi.path, *w)))
        .collect();
    if fi.width > 0 {
        candidates.push(format!("{src} {}w", fi.width));
    }
    // Each `<source>` lists the same widths in another format; the browser takes the first
    // format it can show.
    let same_in = |made: bool, ext: &str| -> String {
        if !made {
            return String::new();
        }
        candidates
            .iter()
            .map(|c| {
                let (url, w) = c.split_once(' ').unwrap_or((c, ""));
                let stem = url.rsplit_once('.').map_or(url, |(stem, _)| stem);
                format!("{stem}.{ext} {w}").trim_end().to_string()
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    let webp_srcset = same_in(fi.webp, "webp");
    let avif_srcset = same_in(fi.avif, "avif");
    Some(ImageView {
        srcset: candidates.join(", "),
        webp_srcset,
        avif_srcset,
        src,
        width: fi.width,
        height: fi.height,
        alt: fi.alt.clone(),
        caption: fi.caption.clone(),
        credit: fi.credit.clone(),
    })
}

/// URL of the resized variant `<stem>-<w>w.<ext>` of a media path.
pub fn variant_url(path: &str, width: i64) -> String {
    match path.rsplit_once('.') {
        Some((stem, ext)) => format!("/media/{stem}-{width}w.{ext}"),
        None => format!("/media/{path}-{width}w"),
    }
}

/// A story in a listing.
#[derive(Debug, Clone, Serialize)]
pub struct CardView {
    /// Site-relative URL.
    pub url: String,
    /// Headline.
    pub title: String,
    /// Standfirst.
    pub dek: String,
    /// Date as readers see it, in the site's timezone.
    pub date: String,
    /// Machine-readable date.
    pub date_iso: String,
    /// "N min read".
    pub reading_time: String,
    /// Section.
    pub section: Option<LinkView>,
    /// Bylines.
    pub authors: Vec<LinkView>,
    /// Feature image.
    pub image: Option<ImageView>,
}

/// Formats a time for readers in the site's timezone.
pub fn display_date(at: DateTime<Utc>, tz: Tz) -> String {
    at.with_timezone(&tz)
        .format("%-d %B %Y, %H:%M %Z")
        .to_string()
}

/// "N min read" for a word count.
pub fn reading_time(words: i64) -> String {
    format!("{} min read", reading_minutes(words.max(0) as usize))
}

/// Builds a listing card.
pub fn card_view(a: &ArticleSummary, tz: Tz) -> CardView {
    CardView {
        url: format!("/{}/", a.slug),
        title: a.title.clone(),
        dek: a.dek.clone(),
        date: display_date(a.published_at, tz),
        date_iso: a.published_at.to_rfc3339(),
        reading_time: reading_time(a.word_count),
        section: a.primary_tag.as_ref().map(tag_link),
        authors: a.authors.iter().map(author_link).collect(),
        image: image_view(&a.feature_image),
    }
}

/// A share target that needs no third-party script: a plain link.
#[derive(Debug, Clone, Serialize)]
pub struct ShareLink {
    /// Network name.
    pub name: &'static str,
    /// Short machine name for styling and tests.
    pub key: &'static str,
    /// Link that opens the network's share dialog.
    pub url: String,
}

/// Share links for an article URL and title.
pub fn share_links(url: &str, title: &str) -> Vec<ShareLink> {
    let u = utf8_percent_encode(url, NON_ALPHANUMERIC).to_string();
    let t = utf8_percent_encode(title, NON_ALPHANUMERIC).to_string();
    vec![
        ShareLink {
            name: "Facebook",
            key: "facebook",
            url: format!("https://www.facebook.com/sharer/sharer.php?u={u}"),
        },
        ShareLink {
            name: "X",
            key: "x",
            url: format!("https://x.com/intent/post?url={u}&text={t}"),
        },
        ShareLink {
            name: "WhatsApp",
            key: "whatsapp",
            url: format!("https://wa.me/?text={t}%20{u}"),
        },
        ShareLink {
            name: "Telegram",
            key: "telegram",
            url: format!("https://t.me/share/url?url={u}&text={t}"),
        },
        ShareLink {
            name: "LinkedIn",
            key: "linkedin",
            url: format!("https://www.linkedin.com/sharing/share-offsite/?url={u}"),
        },
        ShareLink {
            name: "Email",
            key: "email",
            url: format!("mailto:?subject={t}&body={t}%0A%0A{u}"),
        },
    ]
}

/// An author as shown under an article.
#[derive(Debug, Clone, Serialize)]
pub struct AuthorView {
    /// Name.
    pub name: String,
    /// Listing URL.
    pub url: String,
    /// Short bio.
    pub bio: String,
    /// Avatar URL or empty.
    pub avatar: String,
}

/// Everything the article template needs.
#[derive(Debug, Clone, Serialize)]
pub struct ArticleView {
    /// The common card fields.
    #[serde(flatten)]
    pub card: CardView,
    /// Absolute canonical URL.
    pub canonical: String,
    /// `<title>` text.
    pub meta_title: String,
    /// Meta description.
    pub description: String,
    /// Absolute image URL for Open Graph and Twitter cards.
    pub social_image: String,
    /// Body before the in-article signup box (all of it for short stories).
    pub body_before: String,
    /// Body after the signup box; empty when the box goes after the body.
    pub body_after: String,
    /// Shown when the story changed after publication.
    pub updated: Option<String>,
    /// Machine-readable last change.
    pub updated_iso: String,
    /// All tags.
    pub tags: Vec<LinkView>,
    /// Bylines with bios.
    pub author_details: Vec<AuthorView>,
    /// Share links.
    pub share: Vec<ShareLink>,
    /// Other stories in the section.
    pub related: Vec<CardView>,
    /// Related coverage across sections (pinned by editors, or computed from shared tags and names).
    pub coverage: Vec<CardView>,
    /// The running story it belongs to, if any.
    pub story: Option<StoryView>,
    /// JSON-LD NewsArticle, already escaped for a script element.
    pub json_ld: String,
    /// Corrections and updates, oldest first.
    pub notes: Vec<NoteView>,
}

/// A correction or update as readers see it.
#[derive(Debug, Clone, Serialize)]
pub struct NoteView {
    /// "Correction" or "Update".
    pub label: &'static str,
    /// Date in the site's timezone.
    pub date: String,
    /// Machine-readable date.
    pub date_iso: String,
    /// The note.
    pub body: String,
}

/// Splits a long body after its fourth paragraph, where the signup box goes.
pub fn split_body(html: &str, words: i64) -> (String, String) {
    if words < 700 {
        return (html.to_string(), String::new());
    }
    let mut from = 0;
    for _ in 0..4 {
        match html[from..].find("</p>") {
            Some(i) => from += i + 4,
            None => return (html.to_string(), String::new()),
        }
    }
    (html[..from].to_string(), html[from..].to_string())
}

/// The stories an article page points to at its end.
#[derive(Debug, Clone, Default)]
pub struct Connected {
    /// The latest in the story's section ("More in City Hall").
    pub section: Vec<ArticleSummary>,
    /// Related coverage ("Related").
    pub related: Vec<ArticleSummary>,
    /// The running story it belongs to, with the stories that came before it (latest first).
    pub story: Option<(tidings_store::Tag, Vec<ArticleSummary>)>,
}

/// The running story an article belongs to, for "Earlier in this story".
#[derive(Debug, Clone, Serialize)]
pub struct StoryView {
    /// The story's name (its tag's).
    pub name: String,
    /// Its tag page.
    pub url: String,
    /// The whole story, oldest first.
    pub timeline_url: String,
    /// What came before, latest first.
    pub earlier: Vec<CardView>,
}

/// Builds the article page view.
pub fn article_view(
    a: &Article,
    site: &SiteView,
    connected: &Connected,
    notes: &[Note],
    tz: Tz,
) -> ArticleView {
    let published = a.published_at.unwrap_or(a.updated_at);
    let summary = ArticleSummary {
        id: a.id,
        slug: a.slug.clone(),
        title: a.title.clone(),
        dek: a.dek.clone(),
        word_count: a.word_count,
        feature_image: a.feature_image.clone(),
        published_at: published,
        updated_at: a.updated_at,
        featured: a.featured,
        digest_priority: a.digest_priority,
        primary_tag: a.primary_tag.clone(),
        authors: a.authors.clone(),
    };
    let card = card_view(&summary, tz);
    let canonical = if a.canonical_url.is_empty() {
        format!("{}/{}/", site.url, a.slug)
    } else {
        a.canonical_url.clone()
    };
    let description = [&a.seo_description, &a.dek]
        .into_iter()
        .find(|s| !s.trim().is_empty())
        .cloned()
        .unwrap_or_else(|| tidings_content::excerpt(&a.body_html, 160));
    let social_image = card
        .image
        .as_ref()
        .map(|i| format!("{}{}", site.url, i.src))
        .unwrap_or_default();
    let (body_before, body_after) = split_body(&a.body_html, a.word_count);
    let updated = (a.updated_at.timestamp() - published.timestamp() > 60)
        .then(|| display_date(a.updated_at, tz));
    let story = connected.story.as_ref().map(|(tag, earlier)| StoryView {
        name: tag.name.clone(),
        url: format!("/tag/{}/", tag.slug),
        timeline_url: format!("/tag/{}/timeline/", tag.slug),
        earlier: earlier.iter().map(|e| card_view(e, tz)).collect(),
    });
    let links = crate::jsonld::Links {
        story: story
            .as_ref()
            .map(|s| (s.name.clone(), format!("{}{}", site.url, s.url))),
        related: connected
            .related
            .iter()
            .map(|r| format!("{}/{}/", site.url, r.slug))
            .collect(),
    };
    let json_ld =
        crate::jsonld::news_article(a, site, &canonical, &description, &social_image, &links);
    ArticleView {
        meta_title: if a.seo_title.is_empty() {
            format!("{} | {}", a.title, site.title)
        } else {
            a.seo_title.clone()
        },
        share: share_links(&canonical, &a.title),
        canonical,
        description,
        social_image,
        body_before,
        body_after,
        updated,
        updated_iso: a.updated_at.to_rfc3339(),
        tags: a.tags.iter().map(tag_link).collect(),
        author_details: a
            .authors
            .iter()
            .map(|au| AuthorView {
                name: au.name.clone(),
                url: format!("/author/{}/", au.slug),
                bio: au.bio.clone(),
                avatar: au.avatar_url.clone(),
            })
            .collect(),
        related: connected.section.iter().map(|r| card_view(r, tz)).collect(),
        coverage: connected.related.iter().map(|r| card_view(r, tz)).collect(),
        story,
        json_ld,
        notes: notes
            .iter()
            .map(|n| NoteView {
                label: if n.kind == tidings_store::NoteKind::Correction {
                    "Correction"
                } else {
                    "Update"
                },
                date: display_date(n.created_at, tz),
                date_iso: n.created_at.to_rfc3339(),
                body: n.body.clone(),
            })
            .collect(),
        card,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_bodies_split_after_the_fourth_paragraph() {
        let html = "<p>1</p><p>2</p><p>3</p><p>4</p><p>5</p>";
        assert_eq!(split_body(html, 100).1, "");
        let (a, b) = split_body(html, 900);
        assert_eq!(a, "<p>1</p><p>2</p><p>3</p><p>4</p>");
        assert_eq!(b, "<p>5</p>");
    }

    #[test]
    fn share_links_are_plain_encoded_links() {
        let links = share_links("https://news.example/a-b/", "Rates & rents");
        assert_eq!(links.len(), 6);
        let x = links.iter().find(|l| l.key == "x").unwrap();
        assert_eq!(x.url, "https://x.com/intent/post?url=https%3A%2F%2Fnews%2Eexample%2Fa%2Db%2F&text=Rates%20%26%20rents");
    }

    #[test]
    fn dates_show_in_the_site_timezone() {
        let at = DateTime::parse_from_rfc3339("2026-07-01T12:00:00Z")
            .unwrap()
            .to_utc();
        assert_eq!(
            display_date(at, chrono_tz::Europe::Paris),
            "1 July 2026, 14:00 CEST"
        );
        assert_eq!(display_date(at, chrono_tz::UTC), "1 July 2026, 12:00 UTC");
    }

    #[test]
    fn srcset_lists_variants_then_the_original() {
        let fi = FeatureImage {
            path: "demo/harbour.jpg".into(),
            alt: "Boats".into(),
            width: 1600,
            height: 900,
            widths: vec![480, 960],
            ..FeatureImage::default()
        };
        let v = image_view(&fi).unwrap();
        assert_eq!(
            v.srcset,
            "/media/demo/harbour-480w.jpg 480w, /media/demo/harbour-960w.jpg 960w, /media/demo/harbour.jpg 1600w"
        );
    }
}
