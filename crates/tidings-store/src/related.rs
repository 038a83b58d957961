//! Related coverage: the stories listed under "Related" at the end of each story, computed when a
//! story is saved or published (never on the read path) from the tags and the names (people,
//! places, organisations) stories share, each weighted by its rarity across the archive, and from
//! how close in time they ran. Editors' pins and removals are kept through every recomputation.

use std::collections::{BTreeSet, HashMap};

use sqlx::{Any, Transaction};

use crate::db::Store;
use crate::error::StoreError;
use crate::listing::SUMMARY_COLUMNS;
use crate::models::ArticleSummary;
use crate::tags::TAG_COLUMNS;

/// Stories listed under "Related" at most.
pub const RELATED_MAX: usize = 4;
/// Stories considered per shared tag or name: the most recent ones (recency counts anyway).
const PER_KEY: i64 = 200;
/// Stories, besides the saved one, whose lists are recomputed after a save: its closest matches
/// (relatedness is mostly mutual), and those that listed it before.
const NEIGHBOURS: usize = 6;
/// Most names kept per story.
const MAX_NAMES: usize = 200;
/// A story this many days apart counts half as much as one from the same day.
const HALF_LIFE_DAYS: f64 = 30.0;

/// The job that recomputes every list after an import.
pub const REFRESH_JOB: &str = "related.refresh";

/// Records what a story names and recomputes its list and its closest neighbours' lists (inside
/// the transaction that changed it, so the lists are never out of step with the stories); with
/// `deferred` (an import), only the names: the lists are computed once the import is done.
pub(crate) async fn note_change(
    tx: &mut Transaction<'static, Any>,
    id: i64,
    deferred: bool,
) -> Result<(), StoreError> {
    let story: Option<(String, String, String, String, String)> =
        sqlx::query_as("SELECT status, kind, title, dek, body_html FROM articles WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut **tx)
            .await?;
    sqlx::query("DELETE FROM article_names WHERE article_id = $1")
        .bind(id)
        .execute(&mut **tx)
        .await?;
    let live = story
        .as_ref()
        .is_some_and(|(status, kind, ..)| status == "published" && kind == "article");
    if let (true, Some((_, _, title, dek, body))) = (live, &story) {
        let text = format!("{title}.\n{dek}.\n{}", tidings_content::html_to_text(body));
        for name in tidings_content::names(&text).into_iter().take(MAX_NAMES) {
            sqlx::query("INSERT INTO article_names (article_id, name) VALUES ($1, $2)")
                .bind(id)
                .bind(name)
                .execute(&mut **tx)
                .await?;
        }
        if deferred {
            return Ok(());
        }
    }
    // The stories listing it now, whose lists change with it.
    let mut affected: BTreeSet<i64> = sqlx::query_as::<_, (i64,)>(
        "SELECT article_id FROM related_articles WHERE related_id = $1 AND choice = 'computed'",
    )
    .bind(id)
    .fetch_all(&mut **tx)
    .await?
    .into_iter()
    .map(|r| r.0)
    .collect();
    if live {
        let ranked = ranked(tx, id).await?;
        affected.extend(ranked.iter().take(NEIGHBOURS).map(|r| r.0));
        store_list(tx, id, &ranked).await?;
    } else {
        sqlx::query("DELETE FROM related_articles WHERE article_id = $1 AND choice = 'computed'")
            .bind(id)
            .execute(&mut **tx)
            .await?;
    }
    affected.remove(&id);
    for other in affected {
        let ranked = ranked(tx, other).await?;
        store_list(tx, other, &ranked).await?;
    }
    Ok(())
}

/// Replaces the computed part of `id`'s list, after its pins and without its removals.
async fn store_list(
    tx: &mut Transaction<'static, Any>,
    id: i64,
    ranked: &[(i64, i64)],
) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM related_articles WHERE article_id = $1 AND choice = 'computed'")
        .bind(id)
        .execute(&mut **tx)
        .await?;
    let chosen: Vec<(i64, String)> = sqlx::query_as(
        "SELECT r.related_id, r.choice FROM related_articles r JOIN articles a \
         ON a.id = r.related_id WHERE r.article_id = $1 \
         AND (r.choice = 'removed' OR a.status = 'published')",
    )
    .bind(id)
    .fetch_all(&mut **tx)
    .await?;
    let pinned = chosen.iter().filter(|c| c.1 == "pinned").count();
    let taken: BTreeSet<i64> = chosen.iter().map(|c| c.0).collect();
    let fresh = ranked
        .iter()
        .filter(|(other, _)| !taken.contains(other))
        .take(RELATED_MAX.saturating_sub(pinned));
    for (position, (other, score)) in fresh.enumerate() {
        sqlx::query(
            "INSERT INTO related_articles (article_id, related_id, choice, position, score) \
             VALUES ($1, $2, 'computed', $3, $4)",
        )
        .bind(id)
        .bind(other)
        .bind(position as i64)
        .bind(score)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

/// Every published story sharing a tag or a name with `id`, best first, with its score (in
/// thousandths): the rarity (`ln(1 + N / stories carrying it)`) of each shared tag and name,
/// summed, then scaled down by the days between the two stories; newer first on ties.
async fn ranked(
    tx: &mut Transaction<'static, Any>,
    id: i64,
) -> Result<Vec<(i64, i64)>, StoreError> {
    let Some((published_at,)): Option<(Option<i64>,)> =
        sqlx::query_as("SELECT published_at FROM articles WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut **tx)
            .await?
    else {
        return Ok(Vec::new());
    };
    let at = published_at.unwrap_or_default();
    let (total,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM articles WHERE status = 'published' AND kind = 'article'",
    )
    .fetch_one(&mut **tx)
    .await?;
    let rarity = |carrying: i64| (1.0 + total as f64 / carrying.max(1) as f64).ln();
    // Candidate -> (summed rarity, its publication time).
    let mut scores: HashMap<i64, (f64, i64)> = HashMap::new();

    let tags: Vec<(i64,)> = sqlx::query_as("SELECT tag_id FROM article_tags WHERE article_id = $1")
        .bind(id)
        .fetch_all(&mut **tx)
        .await?;
    for (tag,) in tags {
        let (carrying,): (i64,) = sqlx::query_as(
            "SELECT COUNT(*) FROM article_tags t JOIN articles a ON a.id = t.article_id \
             WHERE t.tag_id = $1 AND a.status = 'published' AND a.kind = 'article'",
        )
        .bind(tag)
        .fetch_one(&mut **tx)
        .await?;
        let weight = rarity(carrying);
        let others: Vec<(i64, i64)> = sqlx::query_as(
            "SELECT a.id, a.published_at FROM article_tags t JOIN articles a ON a.id = t.article_id \
             WHERE t.tag_id = $1 AND a.status = 'published' AND a.kind = 'article' AND a.id <> $2 \
             ORDER BY a.published_at DESC LIMIT $3",
        )
        .bind(tag)
        .bind(id)
        .bind(PER_KEY)
        .fetch_all(&mut **tx)
        .await?;
        credit(&mut scores, others, weight);
    }

    let names: Vec<(String,)> =
        sqlx::query_as("SELECT name FROM article_names WHERE article_id = $1")
            .bind(id)
            .fetch_all(&mut **tx)
            .await?;
    for (name,) in names {
        let (carrying,): (i64,) =
            sqlx::query_as("SELECT COUNT(*) FROM article_names WHERE name = $1")
                .bind(&name)
                .fetch_one(&mut **tx)
                .await?;
        if carrying < 2 {
            continue;
        }
        let weight = rarity(carrying);
        let others: Vec<(i64, i64)> = sqlx::query_as(
            "SELECT a.id, a.published_at FROM article_names n JOIN articles a ON a.id = n.article_id \
             WHERE n.name = $1 AND a.id <> $2 ORDER BY a.published_at DESC LIMIT $3",
        )
        .bind(&name)
        .bind(id)
        .bind(PER_KEY)
        .fetch_all(&mut **tx)
        .await?;
        credit(&mut scores, others, weight);
    }

    let mut ranked: Vec<(i64, i64, i64)> = scores
        .into_iter()
        .map(|(other, (sum, when))| {
            let days = (when - at).abs() as f64 / 86_400.0;
            let score = sum / (1.0 + days / HALF_LIFE_DAYS);
            (other, (score * 1000.0).round() as i64, when)
        })
        .collect();
    ranked.sort_by(|a, b| b.1.cmp(&a.1).then(b.2.cmp(&a.2)).then(b.0.cmp(&a.0)));
    Ok(ranked.into_iter().map(|(o, s, _)| (o, s)).collect())
}

impl Store {
    /// The stories listed under "Related" for `article_id`: its pins in order, then the computed
    /// ones, published only, at most [`RELATED_MAX`].
    pub async fn related_coverage(
        &self,
        article_id: i64,
    ) -> Result<Vec<ArticleSummary>, StoreError> {
        let sql = format!(
            "SELECT {SUMMARY_COLUMNS}, {TAG_COLUMNS} FROM related_articles r \
             JOIN articles a ON a.id = r.related_id LEFT JOIN tags t ON t.id = a.primary_tag_id \
             WHERE r.article_id = $1 AND r.choice <> 'removed' AND a.status = 'published' \
             ORDER BY CASE r.choice WHEN 'pinned' THEN 0 ELSE 1 END, r.position LIMIT $2"
        );
        let rows = sqlx::query(&sql)
            .bind(article_id)
            .bind(RELATED_MAX as i64)
            .fetch_all(&self.pool)
            .await?;
        self.summaries(rows).await
    }

    /// The editor's choices for `article_id`'s list: `pinned` in this order first, `removed`
    /// never listed; the rest is computed again around them.
    pub async fn set_related_choices(
        &self,
        article_id: i64,
        pinned: &[i64],
        removed: &[i64],
    ) -> Result<(), StoreError> {
        let mut tx = self.write_tx().await?;
        sqlx::query("DELETE FROM related_articles WHERE article_id = $1")
            .bind(article_id)
            .execute(&mut *tx)
            .await?;
        let mut seen = BTreeSet::from([article_id]);
        for (position, other) in pinned.iter().enumerate() {
            if seen.insert(*other) {
                insert_choice(&mut tx, article_id, *other, "pinned", position as i64).await?;
            }
        }
        for other in removed {
            if seen.insert(*other) {
                insert_choice(&mut tx, article_id, *other, "removed", 0).await?;
            }
        }
        let ranked = ranked(&mut tx, article_id).await?;
        store_list(&mut tx, article_id, &ranked).await?;
        crate::db::bump_generation(&mut tx).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The id of the story (any status) at `slug`.
    pub async fn article_id_by_slug(&self, slug: &str) -> Result<Option<i64>, StoreError> {
        let row: Option<(i64,)> =
            sqlx::query_as("SELECT id FROM articles WHERE slug = $1 AND kind = 'article'")
                .bind(slug)
                .fetch_optional(&self.pool)
                .await?;
        Ok(row.map(|r| r.0))
    }

    /// The editor's pins (in order) and removals for `article_id`.
    pub async fn related_choices(
        &self,
        article_id: i64,
    ) -> Result<(Vec<i64>, Vec<i64>), StoreError> {
        let rows: Vec<(i64, String)> = sqlx::query_as(
            "SELECT related_id, choice FROM related_articles WHERE article_id = $1 \
             AND choice <> 'computed' ORDER BY position, related_id",
        )
        .bind(article_id)
        .fetch_all(&self.pool)
        .await?;
        let pick = |c: &str| rows.iter().filter(|r| r.1 == c).map(|r| r.0).collect();
        Ok((pick("pinned"), pick("removed")))
    }

    /// Has the job runner recompute every list soon (after an import made with
    /// [`Store::for_bulk_import`]).
    pub async fn queue_related_refresh(&self) -> Result<(), StoreError> {
        let job = crate::jobs::NewJob::new(REFRESH_JOB, "{}".into(), crate::db::now());
        self.enqueue_job(&job).await?;
        Ok(())
    }

    /// Recomputes every published story's names and list (after an import or for a new site).
    pub async fn refresh_all_related(&self) -> Result<u64, StoreError> {
        let ids: Vec<(i64,)> = sqlx::query_as(
            "SELECT id FROM articles WHERE status = 'published' AND kind = 'article' \
             ORDER BY published_at",
        )
        .fetch_all(&self.pool)
        .await?;
        // Every story's names first, so that each list is computed once, seeing all of them.
        for (id,) in &ids {
            let mut tx = self.write_tx().await?;
            note_change(&mut tx, *id, true).await?;
            tx.commit().await?;
        }
        for (id,) in &ids {
            let mut tx = self.write_tx().await?;
            let ranked = ranked(&mut tx, *id).await?;
            store_list(&mut tx, *id, &ranked).await?;
            tx.commit().await?;
        }
        let mut tx = self.write_tx().await?;
        crate::db::bump_generation(&mut tx).await?;
        tx.commit().await?;
        Ok(ids.len() as u64)
    }
}

/// Adds `weight` to each of `others` (stories with their publication times).
fn credit(scores: &mut HashMap<i64, (f64, i64)>, others: Vec<(i64, i64)>, weight: f64) {
    for (other, when) in others {
        scores.entry(other).or_insert((0.0, when)).0 += weight;
    }
}

async fn insert_choice(
    tx: &mut Transaction<'static, Any>,
    article_id: i64,
    other: i64,
    choice: &str,
    position: i64,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO related_articles (article_id, related_id, choice, position) \
         VALUES ($1, $2, $3, $4)",
    )
    .bind(article_id)
    .bind(other)
    .bind(choice)
    .bind(position)
    .execute(&mut **tx)
    .await?;
    Ok(())
}
