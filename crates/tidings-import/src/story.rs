//! Saving a story brought in from another platform: updated when an earlier run brought it,
//! else created (under another address when its own is taken or reserved here), and remembered
//! by its id there for the next run.

use tidings_content::slugify;
use tidings_store::{Article, ImportUndo, NewArticle, Store, StoreError};

/// What saving did.
pub(crate) struct Saved {
    /// The story as stored.
    pub article: Article,
    /// Whether it is new (else an earlier run's, updated).
    pub created: bool,
    /// The address it wanted, when it had to take another.
    pub moved_from: Option<String>,
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
    let previous = store.imported(source, source_id).await?;
    let (article, created, moved_from) = match previous {
        Some((_, id)) => (store.update_article(id, new, None).await?, false, None),
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
        moved_from,
    })
}
