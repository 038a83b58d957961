//! Sample content for `tidings demo`: a fictional local newsroom, the Harbour Ledger in Port Alder,
//! with about twenty stories, four reporters, sections, static pages, organisation settings and
//! images drawn on this machine. No subscribers, no newsletters: those start empty.

mod images;
mod pages;
mod stories;

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;

use anyhow::Context;
use chrono::{DateTime, Duration, Utc};
use tidings_content::{Kind, Status};
use tidings_store::{FeatureImage, Media, NewArticle, NewAuthor, NewTag, Store};

pub use images::{Palette, FEATURE_SIZE};
use stories::{Story, AUTHORS, STORIES, TAGS};

/// The site title the demo uses when the operator has not chosen one.
pub const DEMO_TITLE: &str = "The Harbour Ledger";

/// What `fill` created.
#[derive(Debug, Default, Clone, Copy)]
pub struct Summary {
    /// Articles published now.
    pub published: usize,
    /// Articles scheduled for later.
    pub scheduled: usize,
    /// Static pages.
    pub pages: usize,
    /// Authors.
    pub authors: usize,
    /// Tags.
    pub tags: usize,
}

/// Fills an empty database with the sample newsroom and writes its images under `media_dir`.
pub async fn fill(store: &Store, media_dir: &Path) -> anyhow::Result<Summary> {
    let demo_media = media_dir.join("demo");
    std::fs::create_dir_all(&demo_media)
        .with_context(|| format!("creating {}", demo_media.display()))?;
    let mut summary = Summary::default();

    let mut author_ids = Vec::new();
    for (i, a) in AUTHORS.iter().enumerate() {
        let stem = format!("author-{}", a.slug);
        let colours = stories::PORTRAIT_COLOURS[i % stories::PORTRAIT_COLOURS.len()];
        images::portrait(160, colours.0, colours.1)
            .save(demo_media.join(format!("{stem}.jpg")))
            .context("writing a portrait")?;
        let author = store
            .create_author(&NewAuthor {
                slug: a.slug.into(),
                name: a.name.into(),
                bio: a.bio.into(),
                avatar_url: format!("/media/demo/{stem}.jpg"),
            })
            .await?;
        author_ids.push((a.slug, author.id));
        summary.authors += 1;
    }
    let mut tag_ids = Vec::new();
    for t in TAGS {
        let tag = store
            .create_tag(&NewTag {
                slug: t.0.into(),
                name: t.1.into(),
                description: t.2.into(),
                ..NewTag::default()
            })
            .await?;
        tag_ids.push((t.0, tag.id));
        summary.tags += 1;
    }

    let now = Utc::now();
    let features = draw_features(media_dir, now)?;
    for (story, (feature_image, media)) in STORIES.iter().zip(features) {
        if let Some(media) = media {
            store.create_media(&media, None).await?;
        }
        let lookup = |list: &[(&str, i64)], keys: &[&str]| -> Vec<i64> {
            keys.iter()
                .filter_map(|k| list.iter().find(|(s, _)| s == k).map(|(_, id)| *id))
                .collect()
        };
        let scheduled = story.hours_ago < 0.0;
        let new = NewArticle {
            kind: Kind::Article,
            slug: String::new(),
            title: story.title.into(),
            dek: story.dek.into(),
            body_markdown: story.body.into(),
            feature_image,
            status: if scheduled {
                Status::Scheduled
            } else {
                Status::Published
            },
            published_at: Some(now - Duration::minutes((story.hours_ago * 60.0) as i64)),
            featured: story.featured,
            digest_priority: story.priority,
            tag_ids: lookup(&tag_ids, story.tags),
            author_ids: lookup(&author_ids, story.authors),
            seo_title: String::new(),
            seo_description: String::new(),
            canonical_url: String::new(),
            created_by: None,
        };
        store
            .create_article(&new)
            .await
            .with_context(|| format!("creating \"{}\"", story.title))?;
        if scheduled {
            summary.scheduled += 1;
        } else {
            summary.published += 1;
        }
    }

    for page in pages::PAGES {
        let mut new = NewArticle::published(page.1, page.2);
        new.kind = Kind::Page;
        new.slug = page.0.into();
        new.published_at = Some(now - Duration::days(400));
        store.create_article(&new).await?;
        summary.pages += 1;
    }

    store.set_settings(pages::SETTINGS).await?;
    donations(store).await?;
    if let Some((_, id)) = tag_ids
        .iter()
        .find(|(slug, _)| *slug == stories::RUNNING_STORY.0)
    {
        store
            .set_running_story(*id, Some(stories::RUNNING_STORY.1))
            .await?;
    }
    // Stories were saved one by one, each seeing only those before it: settle every list.
    store.refresh_all_related().await?;
    Ok(summary)
}

/// A member drive with a goal on the default form, and a few test-mode gifts towards it.
async fn donations(store: &Store) -> anyhow::Result<()> {
    store.ensure_default_form("USD", 100).await?;
    let campaign = store
        .save_campaign("spring-drive", "Spring member drive", 2_500_000, "USD")
        .await?;
    if let Some(mut form) = store.donation_form("default").await? {
        form.title = "Keep Port Alder informed".into();
        form.body = "The Harbour Ledger is free for everyone because readers chip in. A gift of any size pays for the reporting the town relies on.".into();
        form.campaign_id = Some(campaign);
        store.save_donation_form(&form).await?;
    }
    let gifts = [
        (
            "mara@example.org",
            "Mara",
            "Quinn",
            10_000,
            tidings_store::Frequency::Once,
        ),
        (
            "teo@example.org",
            "Teo",
            "Brandt",
            2_500,
            tidings_store::Frequency::Once,
        ),
        (
            "iris@example.org",
            "Iris",
            "Okafor",
            25_000,
            tidings_store::Frequency::Once,
        ),
        (
            "sam@example.org",
            "Sam",
            "Holm",
            5_000,
            tidings_store::Frequency::Once,
        ),
    ];
    for (i, (email, first, last, amount, frequency)) in gifts.into_iter().enumerate() {
        let started = store
            .start_donation(&tidings_store::NewDonation {
                email: email.into(),
                first_name: first.into(),
                last_name: last.into(),
                campaign_id: Some(campaign),
                amount,
                currency: "USD".into(),
                frequency,
                gateway: tidings_store::GatewayKind::Test,
                idempotency_key: format!("demo-gift-{i}"),
                source: "demo".into(),
                ..Default::default()
            })
            .await?;
        let d = match started {
            tidings_store::Started::New(d) | tidings_store::Started::Existing(d) => d,
        };
        store
            .complete_donation(d.id, &format!("test_demo_{i}"), &[])
            .await?;
        store.mark_receipt_sent(d.id).await?;
    }
    Ok(())
}

/// Writes every story's feature image under `media_dir` and makes its library record.
fn draw_features(
    media_dir: &Path,
    now: DateTime<Utc>,
) -> anyhow::Result<Vec<(FeatureImage, Option<Media>)>> {
    let mut features = Vec::with_capacity(STORIES.len());
    for (n, (story, encoded)) in STORIES.iter().zip(encoded_features()).enumerate() {
        let (Some(img), Some(encoded)) = (&story.image, encoded) else {
            features.push((FeatureImage::default(), None));
            continue;
        };
        let processed = encoded
            .as_ref()
            .map_err(|e| anyhow::anyhow!("encoding a demo image: {e}"))?;
        let stem = format!("demo/story-{n:02}");
        tidings_media::library::write_files(processed, media_dir, &stem)
            .with_context(|| format!("writing {stem}"))?;
        let name = format!("story-{n:02}.jpg");
        let media = tidings_media::library::record(processed, &stem, &name, img.alt, now);
        let feature = FeatureImage {
            alt: img.alt.into(),
            caption: img.caption.into(),
            credit: img.credit.into(),
            ..media.feature_image()
        };
        features.push((feature, Some(media)));
    }
    Ok(features)
}

/// One story's encoded feature image, if it has one.
type Encoded = Option<Result<tidings_media::Processed, String>>;

/// Every story's feature image drawn and run through the upload pipeline (variants, WebP) on all
/// cores, once per process: the encoders are the slow part of a fill, and every demo a process
/// fills (a test run makes dozens) gets the same bytes.
fn encoded_features() -> &'static [Encoded] {
    static ENCODED: OnceLock<Vec<Encoded>> = OnceLock::new();
    ENCODED.get_or_init(|| {
        let workers = std::thread::available_parallelism().map_or(1, usize::from);
        let next = AtomicUsize::new(0);
        let mut done: Vec<(usize, Encoded)> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..workers)
                .map(|_| {
                    scope.spawn(|| {
                        let mut out = Vec::new();
                        loop {
                            let n = next.fetch_add(1, Ordering::Relaxed);
                            let Some(story) = STORIES.get(n) else {
                                return out;
                            };
                            out.push((n, encode_feature(story, n as u32)));
                        }
                    })
                })
                .collect();
            handles
                .into_iter()
                .flat_map(|h| h.join().expect("a demo image worker panicked"))
                .collect()
        });
        done.sort_by_key(|(n, _)| *n);
        done.into_iter().map(|(_, e)| e).collect()
    })
}

fn encode_feature(story: &Story, seed: u32) -> Encoded {
    let img = story.image.as_ref()?;
    let (w, h) = FEATURE_SIZE;
    Some(
        tidings_media::process_photo(images::scene(w, h, img.palette, seed * 7 + 3))
            .map_err(|e| e.to_string()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sample_content_has_what_the_demo_promises() {
        assert!((18..=24).contains(&STORIES.len()));
        let recent = STORIES
            .iter()
            .filter(|s| (0.0..24.0).contains(&s.hours_ago))
            .count();
        assert!(recent >= 3, "at least three stories from the last 24 hours");
        assert!(
            STORIES.iter().any(|s| s.hours_ago < 0.0),
            "one story waits for its time"
        );
        let words: Vec<usize> = STORIES
            .iter()
            .map(|s| s.body.split_whitespace().count())
            .collect();
        assert!(words.iter().any(|w| *w < 150) && words.iter().any(|w| *w > 600));
        assert!(
            words.iter().any(|w| (520..=680).contains(w)),
            "a ~600-word story: {words:?}"
        );
    }
}
