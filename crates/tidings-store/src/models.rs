//! Rows as the rest of the program sees them: `Article` for reads, `NewArticle` for writes.

use chrono::{DateTime, Utc};
use serde::Serialize;
use tidings_content::{Kind, Status};

/// A person credited on articles.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Author {
    /// Row id.
    pub id: i64,
    /// URL name under `/author/`.
    pub slug: String,
    /// Display name.
    pub name: String,
    /// Short biography shown under articles.
    pub bio: String,
    /// Path or URL of a small portrait; empty for none.
    pub avatar_url: String,
}

/// A section or topic.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Tag {
    /// Row id.
    pub id: i64,
    /// URL name under `/tag/`.
    pub slug: String,
    /// Display name.
    pub name: String,
    /// Shown at the top of the tag's listing.
    pub description: String,
    /// Image shown at the top of the tag's listing; empty for none.
    pub image_url: String,
    /// The broader tag this one sits under (its listing includes this one's stories).
    pub parent_id: Option<i64>,
}

/// The image at the top of an article, with the words that go with it.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct FeatureImage {
    /// Path under `/media/` of the original (e.g. `demo/harbour.jpg`); empty for none.
    pub path: String,
    /// Text alternative for people who cannot see it.
    pub alt: String,
    /// Caption shown under it.
    pub caption: String,
    /// Photographer or source.
    pub credit: String,
    /// Pixel width of the original.
    pub width: i64,
    /// Pixel height of the original.
    pub height: i64,
    /// Widths of the resized variants stored as `<stem>-<width>w.<ext>`.
    pub widths: Vec<i64>,
    /// Whether a smaller WebP copy sits beside every size.
    pub webp: bool,
    /// Whether a smaller AVIF copy sits beside every size (made in the background after upload;
    /// the store sets it from the media library, whatever the caller passes).
    pub avif: bool,
}

/// An article or static page with everything needed to show it.
#[derive(Debug, Clone, Serialize)]
pub struct Article {
    /// Row id.
    pub id: i64,
    /// Article or static page.
    pub kind: Kind,
    /// URL name.
    pub slug: String,
    /// Headline.
    pub title: String,
    /// The standfirst under the headline, also the default meta description.
    pub dek: String,
    /// Source as the author wrote it.
    pub body_markdown: String,
    /// Sanitized HTML rendered at save time.
    pub body_html: String,
    /// Words in the body, for reading time.
    pub word_count: i64,
    /// Image at the top.
    pub feature_image: FeatureImage,
    /// Draft, scheduled or published.
    pub status: Status,
    /// When it went (or goes) live.
    pub published_at: Option<DateTime<Utc>>,
    /// Last content change visible to readers.
    pub updated_at: DateTime<Utc>,
    /// Lead-story candidate on the home page and in the digest.
    pub featured: bool,
    /// Editor's ranking for the digest; higher comes first.
    pub digest_priority: i64,
    /// The section the article belongs to.
    pub primary_tag: Option<Tag>,
    /// All tags, primary first.
    pub tags: Vec<Tag>,
    /// Bylines in order.
    pub authors: Vec<Author>,
    /// Overrides the `<title>` when set.
    pub seo_title: String,
    /// Overrides the meta description when set.
    pub seo_description: String,
    /// Overrides the canonical URL when set.
    pub canonical_url: String,
    /// Bumped by every save, for conflict detection.
    pub version: i64,
    /// The account that created it.
    pub created_by: Option<i64>,
}

/// An article as shown in listings and feeds: no Markdown source.
#[derive(Debug, Clone, Serialize)]
pub struct ArticleSummary {
    /// Row id.
    pub id: i64,
    /// URL name.
    pub slug: String,
    /// Headline.
    pub title: String,
    /// Standfirst.
    pub dek: String,
    /// Words in the body, for reading time.
    pub word_count: i64,
    /// Image at the top.
    pub feature_image: FeatureImage,
    /// When it went live.
    pub published_at: DateTime<Utc>,
    /// Last content change.
    pub updated_at: DateTime<Utc>,
    /// Lead-story candidate.
    pub featured: bool,
    /// Editor's digest ranking.
    pub digest_priority: i64,
    /// Section.
    pub primary_tag: Option<Tag>,
    /// Bylines in order.
    pub authors: Vec<Author>,
}

/// Input for creating an article or page; the store validates it and renders the body.
#[derive(Debug, Clone)]
pub struct NewArticle {
    /// Article or static page.
    pub kind: Kind,
    /// URL name; empty means "derive from the title".
    pub slug: String,
    /// Headline.
    pub title: String,
    /// Standfirst.
    pub dek: String,
    /// Markdown source.
    pub body_markdown: String,
    /// Image at the top.
    pub feature_image: FeatureImage,
    /// Draft, scheduled or published.
    pub status: Status,
    /// Publication time; required for scheduled, defaults to now for published.
    pub published_at: Option<DateTime<Utc>>,
    /// Lead-story candidate.
    pub featured: bool,
    /// Editor's digest ranking.
    pub digest_priority: i64,
    /// Tag ids; the first is the primary tag.
    pub tag_ids: Vec<i64>,
    /// Author ids in byline order.
    pub author_ids: Vec<i64>,
    /// `<title>` override.
    pub seo_title: String,
    /// Meta description override.
    pub seo_description: String,
    /// Canonical URL override.
    pub canonical_url: String,
    /// The account creating it (None for imports and sample content).
    pub created_by: Option<i64>,
}

impl NewArticle {
    /// A published article with the given title and Markdown, everything else empty.
    pub fn published(title: &str, body_markdown: &str) -> Self {
        NewArticle {
            kind: Kind::Article,
            slug: String::new(),
            title: title.to_string(),
            dek: String::new(),
            body_markdown: body_markdown.to_string(),
            feature_image: FeatureImage::default(),
            status: Status::Published,
            published_at: None,
            featured: false,
            digest_priority: 0,
            tag_ids: Vec::new(),
            author_ids: Vec::new(),
            seo_title: String::new(),
            seo_description: String::new(),
            canonical_url: String::new(),
            created_by: None,
        }
    }
}

/// Input for creating an author.
#[derive(Debug, Clone, Default)]
pub struct NewAuthor {
    /// URL name; empty means "derive from the name".
    pub slug: String,
    /// Display name.
    pub name: String,
    /// Short biography.
    pub bio: String,
    /// Portrait path or URL.
    pub avatar_url: String,
}

/// Input for creating a tag.
#[derive(Debug, Clone, Default)]
pub struct NewTag {
    /// URL name; empty means "derive from the name".
    pub slug: String,
    /// Display name.
    pub name: String,
    /// Shown on the tag's listing.
    pub description: String,
    /// Image for the tag's listing.
    pub image_url: String,
    /// The broader tag this one sits under; `None` for a top-level tag.
    pub parent_id: Option<i64>,
}
