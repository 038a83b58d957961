//! Running a search on each engine: FTS5 with its headline twin on SQLite, the weighted tsvector
//! on PostgreSQL; one page of hits with their snippets.

use super::*;
use crate::search::snippet;

impl Store {
    pub(super) async fn search_fts5(
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
            // Statements naming ids are run once: kept out of the statement cache, where they
            // would only push out the ones that are reused.
            let mut first_query = sqlx::query_as(&sql)
                .persistent(!listed)
                .bind(&any)
                .bind(wanted);
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
            .persistent(false)
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
            // Snippets only for the page, in one statement (the ids are integers from the index):
            // the body as FTS5 marks it, cut here.
            let rows = sqlx::query(&format!(
                "SELECT a.id, a.slug, a.title, a.dek, a.status, a.published_at, \
                 highlight({table}, 2, char(2), char(3)) AS marked \
                 FROM {table} CROSS JOIN articles a ON a.id = {table}.rowid \
                 WHERE {table} MATCH $1 AND {table}.rowid IN ({})",
                ids.join(", ")
            ))
            .persistent(false)
            .bind(&needle)
            .fetch_all(&self.pool)
            .await?;
            for row in &rows {
                let mut hit = hit_from_row(row)?;
                hit.snippet = snippet::cut(row.try_get("marked")?);
                hits.push(hit);
            }
        }
        hits.sort_by_key(|h| page.iter().position(|(id, _)| *id == h.id));
        Ok(SearchPage::counted(total, hits))
    }

    pub(super) async fn search_tsvector(
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
