//! Full-text search over title, dek, body text and tag names: FTS5 on SQLite, a weighted
//! `tsvector` with a GIN index on PostgreSQL. Every content write re-indexes the articles it
//! touches in its own transaction, so a story is findable (and gone) the moment the write commits.

use sqlx::{Any, Row, Transaction};
use tidings_content::search_query::SearchQuery;

use crate::db::Backend;
use crate::error::StoreError;
use crate::Store;

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

    async fn search_fts5(
        &self,
        query: &SearchQuery,
        scope: Scope,
        limit: i64,
        offset: i64,
    ) -> Result<SearchPage, StoreError> {
        let tables: &[&str] = match scope {
            Scope::Public => &FTS5_TABLES[..1],
            Scope::Newsroom => &FTS5_TABLES,
        };
        let needle = query.fts5();
        let any = query.fts5_any();
        // Enough of each table's best for the page, and a margin for ties on its edge.
        let wanted = offset.max(0) + limit.max(0) + 10;
        let mut total = 0;
        // (group, score, published_at, id, table): the headline group (0) before the rest (1).
        let mut ranked: Vec<(u8, f64, i64, i64, &str)> = Vec::new();
        for table in tables {
            // The matches, up to one past the count's cap, in one row (a row per match would
            // cost more to hand over than to find): a narrow query's whole set, which the
            // headline ranking below then reads from a list instead of matching again.
            let (n, ids): (i64, Option<String>) = sqlx::query_as(&format!(
                "SELECT COUNT(*), group_concat(rowid) FROM \
                 (SELECT rowid FROM {table} WHERE {table} MATCH $1 LIMIT $2)"
            ))
            .bind(&needle)
            .bind(COUNT_CAP + 1)
            .fetch_one(&self.pool)
            .await?;
            total += n;
            if n == 0 {
                continue;
            }
            // The stories naming a searched word in the headline, dek or tags, ranked within
            // the small headline table. The `+` keeps SQLite from handing the list of matches to
            // FTS5 as rowids to look up one by one (each lookup would weigh the words afresh).
            let ids = ids.unwrap_or_default();
            let listed = n <= COUNT_CAP && ids.bytes().all(|b| b.is_ascii_digit() || b == b',');
            let within = if listed {
                ids
            } else {
                format!("SELECT rowid FROM {table} WHERE {table} MATCH $3")
            };
            let head = head(table);
            let sql = format!(
                "SELECT t.score, a.published_at, a.id FROM \
                 (SELECT rowid AS id, bm25({head}, 10.0, 4.0, 4.0) AS score FROM {head} \
                  WHERE {head} MATCH $1 AND +rowid IN ({within}) \
                  ORDER BY score LIMIT $2) t \
                 CROSS JOIN articles a ON a.id = t.id"
            );
            let mut first_query = sqlx::query_as(&sql).bind(&any).bind(wanted);
            if !listed {
                first_query = first_query.bind(&needle);
            }
            let first: Vec<(f64, Option<i64>, i64)> = first_query.fetch_all(&self.pool).await?;
            let found = first.len() as i64;
            let seen: Vec<String> = first.iter().map(|(_, _, id)| id.to_string()).collect();
            ranked.extend(
                first
                    .into_iter()
                    .map(|(score, at, id)| (0, score, at.unwrap_or(0), id, *table)),
            );
            if found >= wanted || found >= n {
                continue;
            }
            // The rest, ranked by the whole entry (their body, in effect); only reached when
            // the headline group does not fill the page.
            let rest: Vec<(f64, Option<i64>, i64)> = sqlx::query_as(&format!(
                "SELECT t.score, a.published_at, a.id FROM \
                 (SELECT rowid AS id, bm25({table}, 10.0, 4.0, 1.0, 4.0) AS score \
                  FROM {table} WHERE {table} MATCH $1 AND +rowid NOT IN ({}) \
                  ORDER BY score LIMIT $2) t \
                 CROSS JOIN articles a ON a.id = t.id",
                if seen.is_empty() {
                    "0".to_string()
                } else {
                    seen.join(", ")
                }
            ))
            .bind(&needle)
            .bind(wanted - found)
            .fetch_all(&self.pool)
            .await?;
            ranked.extend(
                rest.into_iter()
                    .map(|(score, at, id)| (1, score, at.unwrap_or(0), id, *table)),
            );
        }
        ranked.sort_by(|a, b| {
            a.0.cmp(&b.0)
                .then(a.1.total_cmp(&b.1))
                .then(b.2.cmp(&a.2))
                .then(b.3.cmp(&a.3))
        });
        let page: Vec<(i64, &str)> = ranked
            .into_iter()
            .skip(offset.max(0) as usize)
            .take(limit.max(0) as usize)
            .map(|(_, _, _, id, table)| (id, table))
            .collect();
        let mut hits: Vec<SearchHit> = Vec::with_capacity(page.len());
        for table in tables {
            let ids: Vec<String> = page
                .iter()
                .filter(|(_, t)| t == table)
                .map(|(id, _)| id.to_string())
                .collect();
            if ids.is_empty() {
                continue;
            }
            // Snippets only for the page (FTS5 would otherwise make one for every match), in one
            // statement; the ids are integers from the index.
            let rows = sqlx::query(&format!(
                "SELECT a.id, a.slug, a.title, a.dek, a.status, a.published_at, \
                 snippet({table}, 2, char(2), char(3), '…', 24) AS snippet \
                 FROM {table} CROSS JOIN articles a ON a.id = {table}.rowid \
                 WHERE {table} MATCH $1 AND {table}.rowid IN ({})",
                ids.join(", ")
            ))
            .bind(&needle)
            .fetch_all(&self.pool)
            .await?;
            for row in &rows {
                let mut hit = hit_from_row(row)?;
                hit.snippet = row.try_get("snippet")?;
                hits.push(hit);
            }
        }
        hits.sort_by_key(|h| page.iter().position(|(id, _)| *id == h.id));
        Ok(SearchPage::counted(total, hits))
    }

    async fn search_tsvector(
        &self,
        query: &SearchQuery,
        scope: Scope,
        limit: i64,
        offset: i64,
    ) -> Result<SearchPage, StoreError> {
        let config = pg_config(&self.search_index_language().await?);
        let visible = match scope {
            Scope::Public => " AND s.public",
            Scope::Newsroom => "",
        };
        let needle = query.tsquery();
        let (total,): (i64,) = sqlx::query_as(&format!(
            "SELECT COUNT(*) FROM (SELECT 1 FROM article_search s \
             WHERE s.document @@ to_tsquery('{config}', $1){visible} LIMIT $2) m"
        ))
        .bind(&needle)
        .bind(COUNT_CAP + 1)
        .fetch_one(&self.pool)
        .await?;
        if total == 0 {
            return Ok(SearchPage::default());
        }
        let rows = sqlx::query(&format!(
            "WITH q AS (SELECT to_tsquery('{config}', $1) AS query, \
                 to_tsquery('{config}', $4) AS head), \
             page AS (SELECT a.id, a.slug, a.title, a.dek, a.status, a.published_at, s.body, \
               s.document @@ q.head AS headline, ts_rank_cd(s.document, q.query) AS rank \
               FROM article_search s JOIN articles a ON a.id = s.article_id, q \
               WHERE s.document @@ q.query{visible} \
               ORDER BY headline DESC, rank DESC, a.published_at DESC NULLS LAST, a.id DESC \
               LIMIT $2 OFFSET $3) \
             SELECT page.id, page.slug, page.title, page.dek, page.status, page.published_at, \
               ts_headline('{config}', page.body, q.query, \
                 'StartSel=' || chr(2) || ', StopSel=' || chr(3) || \
                 ', MaxWords=30, MinWords=12, MaxFragments=1, FragmentDelimiter=…') AS snippet \
             FROM page, q ORDER BY page.headline DESC, page.rank DESC, \
               page.published_at DESC NULLS LAST, page.id DESC"
        ))
        .bind(&needle)
        .bind(limit)
        .bind(offset)
        .bind(query.tsquery_head())
        .fetch_all(&self.pool)
        .await?;
        let hits = rows
            .iter()
            .map(|r| {
                let mut hit = hit_from_row(r)?;
                hit.snippet = r.try_get("snippet")?;
                Ok(hit)
            })
            .collect::<Result<Vec<_>, sqlx::Error>>()?;
        Ok(SearchPage::counted(total, hits))
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
