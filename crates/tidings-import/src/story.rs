//! Saving a story brought in from another platform: updated when an earlier run brought it,
//! else created (under another address when its own is taken or reserved here), and remembered
//! by its id there for the next run.

use tidings_content::slugify;
use tidings_store::{Article, ImportUndo, NewArticle, Store, StoreError};

/// What saving did.
pub(crate) struct Saved {
    /// The story as stored.
    pub article: Article,
    /// Whether it is new (else an earlier run's, updated or unchanged).
    pub created: bool,
    /// Whether an earlier run's story was already exactly this (and was left alone).
    pub unchanged: bool,
    /// The address it wanted, when it had to take another.
    pub moved_from: Option<String>,
}

impl Saved {
    /// Adds this save to an import's counts of stories created, updated and left alone.
    pub fn tally(&self, created: &mut usize, updated: &mut usize, unchanged: &mut usize) {
        match (self.created, self.unchanged) {
            (true, _) => *created += 1,
            (false, true) => *unchanged += 1,
            (false, false) => *updated += 1,
        }
    }
}

/// Saves `new` as the story `source_id` of `source` (`kind` is recorded with it); `suffix` makes
/// a free address when the wanted one is taken (the id there, usually).
pub(crate) async fn save(
    store: &Store,
    source: &str,
    source_id: &str,
    kind: &str,
    new: &mut NewArticle,
    suffix: &str,
    undo: &mut ImportUndo,
) -> Result<Saved, StoreError> {
    let previous = match store.imported(source, source_id).await? {
        Some((_, id)) => store.article_by_id(id).await?,
        None => None,
    };
    let (article, created, moved_from) = match previous {
        // A second run of the same file changes nothing (no new version, no revision).
        Some(existing) if same(&existing, new) => {
            return Ok(Saved {
                article: existing,
                created: false,
                unchanged: true,
                moved_from: None,
            })
        }
        Some(existing) => (
            store.update_article(existing.id, new, None).await?,
            false,
            None,
        ),
        None => match store.create_article(new).await {
            Ok(a) => (a, true, None),
            Err(StoreError::Conflict { .. }) | Err(StoreError::Invalid { field: "slug", .. }) => {
                let wanted = std::mem::take(&mut new.slug);
                new.slug = format!("{}-{suffix}", slugify(&new.title).trim_matches('-'))
                    .trim_start_matches('-')
                    .to_string();
                (store.create_article(new).await?, true, Some(wanted))
            }
            Err(e) => return Err(e),
        },
    };
    if created {
        undo.articles.push(article.id);
    }
    store
        .record_import(source, source_id, kind, article.id)
        .await?;
    Ok(Saved {
        article,
        created,
        unchanged: false,
        moved_from,
    })
}

/// Whether the stored story already says everything `new` would.
fn same(a: &Article, new: &NewArticle) -> bool {
    let ids = |v: &[i64]| v.to_vec();
    a.kind == new.kind
        && a.slug == new.slug
        && a.title == new.title.trim()
        && a.dek == new.dek.trim()
        && a.body_markdown == new.body_markdown
        && a.status == new.status
        && a.published_at.map(|t| t.timestamp()) == new.published_at.map(|t| t.timestamp())
        && a.featured == new.featured
        && a.seo_title == new.seo_title.trim()
        && a.seo_description == new.seo_description.trim()
        && a.canonical_url == new.canonical_url.trim()
        && a.feature_image.path == new.feature_image.path
        && a.tags.iter().map(|t| t.id).collect::<Vec<_>>() == ids(&new.tag_ids)
        && a.authors.iter().map(|x| x.id).collect::<Vec<_>>() == ids(&new.author_ids)
}
