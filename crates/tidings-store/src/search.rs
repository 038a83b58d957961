//! Full-text search over title, dek, body text and tag names: FTS5 on SQLite, a weighted
//! `tsvector` with a GIN index on PostgreSQL. Every content write re-indexes the articles it
//! touches in its own transaction, so a story is findable (and gone) the moment the write commits.

use sqlx::{Any, Row, Transaction};
use tidings_content::search_query::SearchQuery;

use crate::db::Backend;
use crate::error::StoreError;
use crate::Store;

mod query;
mod snippet;

/// Marks a highlighted stretch in a snippet (control characters no article text contains).
pub const MARK_START: char = '\u{2}';
/// Ends a highlighted stretch.
pub const MARK_END: char = '\u{3}';

/// Matches counted at most: beyond this a page says "more than" (counting every match of a broad
/// query would cost as much as ranking them).
pub const COUNT_CAP: i64 = 1000;

/// The SQLite index: published articles (all readers search), then everything else (which the
/// newsroom searches too). Each has a twin holding the headline, dek and tags alone (see
/// [`head`]).
const FTS5_TABLES: [&str; 2] = ["article_search", "article_search_newsroom"];

/// The twin of FTS5 table `table` that holds the headline, dek and tags alone. Stories with a
/// searched word there rank first, ordered by this small table's `bm25`: ranking a broad query
/// in the full table would cost about 2 µs for every match, plus a pass over each word's entire
/// list of articles to weigh it.
fn head(table: &str) -> String {
    format!("{table}_head")
}

/// Articles indexed per transaction while rebuilding.
const REBUILD_BATCH: i64 = 500;

/// PostgreSQL's text-search configuration for a site language (`fr`, `pt-BR`...); `simple`
/// (no stemming) where PostgreSQL has none.
pub fn pg_config(language: &str) -> &'static str {
    let base = language
        .split(['-', '_'])
        .next()
        .unwrap_or("")
        .to_ascii_lowercase();
    match base.as_str() {
        "ar" => "arabic",
        "ca" => "catalan",
        "da" => "danish",
        "de" => "german",
        "el" => "greek",
        // An index not yet built for the site's language starts as English, as on SQLite.
        "" | "en" => "english",
        "es" => "spanish",
        "eu" => "basque",
        "fi" => "finnish",
        "fr" => "french",
        "ga" => "irish",
        "hi" => "hindi",
        "hu" => "hungarian",
        "hy" => "armenian",
        "id" => "indonesian",
        "it" => "italian",
        "lt" => "lithuanian",
        "nb" | "nn" | "no" => "norwegian",
        "ne" => "nepali",
        "nl" => "dutch",
        "pt" => "portuguese",
        "ro" => "romanian",
        "ru" => "russian",
        "sr" => "serbian",
        "sv" => "swedish",
        "ta" => "tamil",
        "tr" => "turkish",
        "yi" => "yiddish",
        _ => "simple",
    }
}

/// The FTS5 tokenizer for a site language: Porter stemming for English, otherwise words with
/// diacritics folded (`école` finds `ecole`), unstemmed.
pub fn fts5_tokenizer(language: &str) -> &'static str {
    if language.to_ascii_lowercase().starts_with("en") {
        "porter unicode61 remove_diacritics 2"
    } else {
        "unicode61 remove_diacritics 2"
    }
}

/// Which articles a search looks at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Published articles (not pages), as readers see them.
    Public,
    /// Everything, drafts included, for the newsroom.
    Newsroom,
}

/// One result.
#[derive(Debug, Clone, serde::Serialize)]
pub struct SearchHit {
    /// Article id.
    pub id: i64,
    /// Its slug.
    pub slug: String,
    /// Its title.
    pub title: String,
    /// Its dek.
    pub dek: String,
    /// `draft`, `scheduled` or `published`.
    pub status: String,
    /// When it was (or will be) published, Unix seconds.
    pub published_at: Option<i64>,
    /// A stretch of the body around the match, with [`MARK_START`]/[`MARK_END`] around hits.
    pub snippet: String,
}

/// A page of results.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct SearchPage {
    /// How many match in all, counted up to [`COUNT_CAP`]; more when [`SearchPage::more`].
    pub total: i64,
    /// More than [`COUNT_CAP`] match.
    pub more: bool,
    /// This page of them, best first.
    pub hits: Vec<SearchHit>,
}

fn tx_backend(tx: &Transaction<'static, Any>) -> Backend {
    // The Any driver names its backend; both engines' names are known.
    if tx.backend_name().eq_ignore_ascii_case("postgresql") {
        Backend::Postgres
    } else {
        Backend::Sqlite
    }
}

/// The language the index was built for (`""` when it must be built).
async fn indexed_language(tx: &mut Transaction<'static, Any>) -> Result<String, StoreError> {
    let (language,): (String,) = sqlx::query_as("SELECT language FROM search_state WHERE id = 1")
        .fetch_one(&mut **tx)
        .await?;
    Ok(language)
}

/// What is indexed of one article.
struct Document {
    title: String,
    dek: String,
    body: String,
    tags: String,
    /// A published article, which readers may find.
    public: bool,
}

async fn document(
    tx: &mut Transaction<'static, Any>,
    id: i64,
) -> Result<Option<Document>, StoreError> {
    let row: Option<(String, String, String, String, String)> =
        sqlx::query_as("SELECT title, dek, body_html, kind, status FROM articles WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut **tx)
            .await?;
    let Some((title, dek, html, kind, status)) = row else {
        return Ok(None);
    };
    let tags: Vec<(String,)> = sqlx::query_as(
        "SELECT t.name FROM article_tags at JOIN tags t ON t.id = at.tag_id \
         WHERE at.article_id = $1 ORDER BY at.position",
    )
    .bind(id)
    .fetch_all(&mut **tx)
    .await?;
    Ok(Some(Document {
        title,
        dek,
        body: tidings_content::html_to_text(&html),
        tags: tags.into_iter().map(|(n,)| n).collect::<Vec<_>>().join(" "),
        public: kind == "article" && status == "published",
    }))
}

/// Writes article `id`'s index entry, replacing any earlier one; removes it when the article is
/// gone. On SQLite the entry goes to the readers' or the newsroom's table (with `suffix`, the ones
/// a rebuild is filling).
async fn write_entry(
    tx: &mut Transaction<'static, Any>,
    id: i64,
    suffix: &str,
    language: &str,
) -> Result<(), StoreError> {
    let backend = tx_backend(tx);
    let doc = document(tx, id).await?;
    match backend {
        Backend::Sqlite => {
            for table in FTS5_TABLES {
                for t in [table.to_string(), head(table)] {
                    sqlx::query(&format!("DELETE FROM {t}{suffix} WHERE rowid = $1"))
                        .bind(id)
                        .execute(&mut **tx)
                        .await?;
                }
            }
            if let Some(d) = doc {
                let table = FTS5_TABLES[usize::from(!d.public)];
                sqlx::query(&format!(
                    "INSERT INTO {table}{suffix} (rowid, title, dek, body, tags) \
                     VALUES ($1, $2, $3, $4, $5)"
                ))
                .bind(id)
                .bind(&d.title)
                .bind(&d.dek)
                .bind(&d.body)
                .bind(&d.tags)
                .execute(&mut **tx)
                .await?;
                sqlx::query(&format!(
                    "INSERT INTO {}{suffix} (rowid, title, dek, tags) VALUES ($1, $2, $3, $4)",
                    head(table)
                ))
                .bind(id)
                .bind(&d.title)
                .bind(&d.dek)
                .bind(&d.tags)
                .execute(&mut **tx)
                .await?;
            }
        }
        Backend::Postgres => {
            let Some(d) = doc else {
                sqlx::query("DELETE FROM article_search WHERE article_id = $1")
                    .bind(id)
                    .execute(&mut **tx)
                    .await?;
                return Ok(());
            };
            sqlx::query(
                "INSERT INTO article_search (article_id, title, dek, body, tags, public, document) \
                 VALUES ($1, $2, $3, $4, $5, $7, \
                   setweight(to_tsvector($6::regconfig, $2), 'A') || \
                   setweight(to_tsvector($6::regconfig, $3), 'B') || \
                   setweight(to_tsvector($6::regconfig, $5), 'B') || \
                   setweight(to_tsvector($6::regconfig, $4), 'C')) \
                 ON CONFLICT (article_id) DO UPDATE SET title = EXCLUDED.title, dek = EXCLUDED.dek, \
                   body = EXCLUDED.body, tags = EXCLUDED.tags, public = EXCLUDED.public, \
                   document = EXCLUDED.document",
            )
            .bind(id)
            .bind(&d.title)
            .bind(&d.dek)
            .bind(&d.body)
            .bind(&d.tags)
            .bind(pg_config(language))
            .bind(d.public)
            .execute(&mut **tx)
            .await?;
        }
    }
    Ok(())
}

/// Re-indexes article `id` inside the write that changed it.
pub(crate) async fn index_article(
    tx: &mut Transaction<'static, Any>,
    id: i64,
) -> Result<(), StoreError> {
    let language = indexed_language(tx).await?;
    write_entry(tx, id, "", &language).await
}

/// Re-indexes every article carrying tag `tag_id` (its name is part of their entries).
pub(crate) async fn index_tagged(
    tx: &mut Transaction<'static, Any>,
    tag_id: i64,
) -> Result<(), StoreError> {
    let ids: Vec<(i64,)> = sqlx::query_as("SELECT article_id FROM article_tags WHERE tag_id = $1")
        .bind(tag_id)
        .fetch_all(&mut **tx)
        .await?;
    for (id,) in ids {
        index_article(tx, id).await?;
    }
    Ok(())
}

impl Store {
    /// The language the search index was built for; `""` when it still has to be built.
    pub async fn search_index_language(&self) -> Result<String, StoreError> {
        let (language,): (String,) =
            sqlx::query_as("SELECT language FROM search_state WHERE id = 1")
                .fetch_one(&self.pool)
                .await?;
        Ok(language)
    }

    /// Builds the whole index afresh for `language`, in batches so that writers are never held
    /// up for long; returns how many articles it indexed. On SQLite the new index is built beside
    /// the old one (searches keep working) and swapped in at the end; articles saved meanwhile are
    /// indexed again after the swap.
    pub async fn rebuild_search_index(&self, language: &str) -> Result<i64, StoreError> {
        let started = chrono::Utc::now().timestamp();
        let suffix = match self.backend() {
            Backend::Sqlite => {
                let mut tx = self.write_tx().await?;
                for table in FTS5_TABLES {
                    for (t, columns) in [
                        (table.to_string(), "title, dek, body, tags"),
                        (head(table), "title, dek, tags"),
                    ] {
                        sqlx::query(&format!("DROP TABLE IF EXISTS {t}_next"))
                            .execute(&mut *tx)
                            .await?;
                        sqlx::query(&format!(
                            "CREATE VIRTUAL TABLE {t}_next USING fts5({columns}, tokenize = '{}')",
                            fts5_tokenizer(language)
                        ))
                        .execute(&mut *tx)
                        .await?;
                    }
                }
                tx.commit().await?;
                "_next"
            }
            Backend::Postgres => {
                // New entries follow the new language at once; the rest are rewritten below.
                let mut tx = self.write_tx().await?;
                sqlx::query("UPDATE search_state SET language = $1 WHERE id = 1")
                    .bind(language)
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                ""
            }
        };
        let mut last = 0_i64;
        let mut count = 0_i64;
        loop {
            let ids: Vec<(i64,)> =
                sqlx::query_as("SELECT id FROM articles WHERE id > $1 ORDER BY id LIMIT $2")
                    .bind(last)
                    .bind(REBUILD_BATCH)
                    .fetch_all(&self.pool)
                    .await?;
            let Some(&(end,)) = ids.last() else { break };
            let mut tx = self.write_tx().await?;
            for (id,) in &ids {
                write_entry(&mut tx, *id, suffix, language).await?;
            }
            tx.commit().await?;
            count += ids.len() as i64;
            last = end;
        }
        if self.backend() == Backend::Sqlite {
            let mut tx = self.write_tx().await?;
            for table in FTS5_TABLES {
                for t in [table.to_string(), head(table)] {
                    sqlx::query(&format!("DROP TABLE {t}"))
                        .execute(&mut *tx)
                        .await?;
                    sqlx::query(&format!("ALTER TABLE {t}_next RENAME TO {t}"))
                        .execute(&mut *tx)
                        .await?;
                }
            }
            sqlx::query("UPDATE search_state SET language = $1 WHERE id = 1")
                .bind(language)
                .execute(&mut *tx)
                .await?;
            let changed: Vec<(i64,)> =
                sqlx::query_as("SELECT id FROM articles WHERE updated_at >= $1")
                    .bind(started)
                    .fetch_all(&mut *tx)
                    .await?;
            for (id,) in changed {
                index_article(&mut tx, id).await?;
            }
            tx.commit().await?;
            // One b-tree per table instead of the dozens of segments a batched build leaves:
            // every later query seeks each word's list once (a fifth off a search, for a few
            // seconds here).
            for table in FTS5_TABLES {
                for t in [table.to_string(), head(table)] {
                    let mut tx = self.write_tx().await?;
                    sqlx::query(&format!("INSERT INTO {t} ({t}) VALUES ('optimize')"))
                        .execute(&mut *tx)
                        .await?;
                    tx.commit().await?;
                }
            }
        } else {
            // Entries removed while rebuilding leave nothing behind (the foreign key sees to it).
        }
        Ok(count)
    }

    /// Asks for the index to be rebuilt (after a whole-site load, whose rows bypass it).
    pub async fn invalidate_search_index(&self) -> Result<(), StoreError> {
        sqlx::query("UPDATE search_state SET language = '' WHERE id = 1")
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// One page of articles matching `query` in `scope`, best first: those naming a searched
    /// word in the headline, dek or tags before the rest, each group by relevance (title above
    /// dek and tags above body), then the newest.
    pub async fn search(
        &self,
        query: &SearchQuery,
        scope: Scope,
        limit: i64,
        offset: i64,
    ) -> Result<SearchPage, StoreError> {
        if query.is_empty() {
            return Ok(SearchPage::default());
        }
        match self.backend() {
            Backend::Sqlite => self.search_fts5(query, scope, limit, offset).await,
            Backend::Postgres => self.search_tsvector(query, scope, limit, offset).await,
        }
    }
}

impl SearchPage {
    fn counted(total: i64, hits: Vec<SearchHit>) -> SearchPage {
        SearchPage {
            total: total.min(COUNT_CAP),
            more: total > COUNT_CAP,
            hits,
        }
    }
}

fn hit_from_row(r: &sqlx::any::AnyRow) -> Result<SearchHit, sqlx::Error> {
    Ok(SearchHit {
        id: r.try_get("id")?,
        slug: r.try_get("slug")?,
        title: r.try_get("title")?,
        dek: r.try_get("dek")?,
        status: r.try_get("status")?,
        published_at: r.try_get("published_at")?,
        snippet: String::new(),
    })
}
