//! Builds a search benchmark corpus: N published articles of about 800 words drawn from a
//! Zipf-distributed vocabulary, inserted directly (the index left empty), then times a full index
//! build, records how much the index grows the database, writes query files for wrk (one word of
//! the vocabulary; two and three words, and two-word phrases, that stand in one article; never among
//! the 200 most frequent words) and times the same queries through the store.
//!
//! Usage: search_corpus DATABASE_URL ARTICLES OUT_DIR

use std::fmt::Write as _;
use std::time::Instant;

use sqlx::any::AnyPoolOptions;
use tidings_content::search_query::parse;
use tidings_store::{Backend, Scope, Store};

const VOCABULARY: usize = 50_000;
const WORDS_PER_ARTICLE: usize = 800;
const COMMON: usize = 200;
const QUERIES: usize = 200;
const SYLLABLES: [&str; 40] = [
    "ka", "lo", "mi", "ter", "san", "vel", "ro", "dun", "pa", "sho", "bri", "en", "ta", "mor",
    "gal", "fi", "nu", "des", "hal", "ver", "ol", "quin", "ra", "sel", "tor", "am", "bel", "co",
    "dra", "ex", "fa", "gen", "hu", "ib", "jo", "kri", "lum", "mar", "nev", "ost",
];

/// xorshift64*: a fixed, seeded sequence, so every run builds the same corpus.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

fn vocabulary() -> Vec<String> {
    let mut words = Vec::with_capacity(VOCABULARY);
    let n = SYLLABLES.len();
    let mut i = 0usize;
    while words.len() < VOCABULARY {
        // Every number spelled in syllables is a different word.
        let mut k = i;
        let mut w = String::new();
        loop {
            w.push_str(SYLLABLES[k % n]);
            k /= n;
            if k == 0 {
                break;
            }
        }
        if w.len() >= 3 {
            words.push(w);
        }
        i += 1;
    }
    words
}

/// Cumulative Zipf weights (s = 1.07) over the vocabulary's ranks.
fn zipf() -> Vec<f64> {
    let mut acc = 0.0;
    let mut cdf: Vec<f64> = (1..=VOCABULARY)
        .map(|r| {
            acc += 1.0 / (r as f64).powf(1.07);
            acc
        })
        .collect();
    for c in &mut cdf {
        *c /= acc;
    }
    cdf
}

fn draw(rng: &mut Rng, cdf: &[f64]) -> usize {
    let u = rng.unit();
    cdf.partition_point(|c| *c < u).min(VOCABULARY - 1)
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let (url, count, out) = match args.as_slice() {
        [_, url, n, out] => (
            url.clone(),
            n.parse::<usize>()?,
            std::path::PathBuf::from(out),
        ),
        _ => return Err("usage: search_corpus DATABASE_URL ARTICLES OUT_DIR".into()),
    };
    std::fs::create_dir_all(&out)?;
    let store = Store::open(&url, 4).await?;
    store.migrate().await?;
    sqlx::any::install_default_drivers();
    let raw = AnyPoolOptions::new()
        .max_connections(1)
        .connect(&url)
        .await?;
    if store.backend() == Backend::Sqlite {
        sqlx::query("PRAGMA journal_mode = WAL")
            .execute(&raw)
            .await?;
    }
    // A corpus already there (a second run over the same database) is reused: the same seed
    // draws the same articles, so the queries drawn from them are the same too.
    let (existing,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM articles")
        .fetch_one(&raw)
        .await?;
    let reuse = existing as usize == count;
    let words = vocabulary();
    let cdf = zipf();
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    // One in fifty articles is kept (as ranks) to draw queries from.
    let mut samples: Vec<Vec<usize>> = Vec::new();
    let now = chrono::Utc::now().timestamp();
    let started = Instant::now();
    let mut inserted = 0usize;
    while inserted < count {
        let batch = (count - inserted).min(1000);
        let mut tx = raw.begin().await?;
        for i in inserted..inserted + batch {
            let ranks: Vec<usize> = (0..WORDS_PER_ARTICLE)
                .map(|_| draw(&mut rng, &cdf))
                .collect();
            if reuse {
                if i % 50 == 0 {
                    samples.push(ranks);
                }
                continue;
            }
            let mut html = String::with_capacity(WORDS_PER_ARTICLE * 8);
            let mut text = String::with_capacity(WORDS_PER_ARTICLE * 8);
            for para in ranks.chunks(80) {
                let p: Vec<&str> = para.iter().map(|r| words[*r].as_str()).collect();
                let _ = write!(html, "<p>{}.</p>", p.join(" "));
                let _ = write!(text, "{}.\n\n", p.join(" "));
            }
            let title: Vec<&str> = ranks[..8].iter().map(|r| words[*r].as_str()).collect();
            let dek: Vec<&str> = ranks[8..24].iter().map(|r| words[*r].as_str()).collect();
            sqlx::query(
                "INSERT INTO articles (kind, slug, title, dek, body_markdown, body_html, word_count, \
                 status, published_at, updated_at, created_at) \
                 VALUES ('article', $1, $2, $3, $4, $5, $6, 'published', $7, $7, $7)",
            )
            .bind(format!("story-{i}"))
            .bind(title.join(" "))
            .bind(dek.join(" "))
            .bind(&text)
            .bind(&html)
            .bind(WORDS_PER_ARTICLE as i64)
            .bind(now - (count - i) as i64 * 600)
            .execute(&mut *tx)
            .await?;
            if i % 50 == 0 {
                samples.push(ranks);
            }
        }
        tx.commit().await?;
        inserted += batch;
    }
    println!(
        "corpus: {count} articles of {WORDS_PER_ARTICLE} words in {:.1} s",
        started.elapsed().as_secs_f64()
    );

    let size = |sql: &'static str| {
        let raw = raw.clone();
        async move {
            sqlx::query_as::<_, (i64,)>(sql)
                .fetch_one(&raw)
                .await
                .map(|(n,)| n)
        }
    };
    let (before_sql, after_sql) = match store.backend() {
        Backend::Sqlite => (
            "SELECT (page_count - freelist_count) * page_size FROM pragma_page_count(), pragma_freelist_count(), pragma_page_size()",
            "SELECT (page_count - freelist_count) * page_size FROM pragma_page_count(), pragma_freelist_count(), pragma_page_size()",
        ),
        Backend::Postgres => (
            "SELECT pg_database_size(current_database())::BIGINT - pg_total_relation_size('article_search')::BIGINT",
            "SELECT pg_database_size(current_database())::BIGINT",
        ),
    };
    if reuse {
        println!("reusing the corpus and index already in the database");
    } else {
        let before = size(before_sql).await?;
        let started = Instant::now();
        let indexed = store.rebuild_search_index("en").await?;
        let build = started.elapsed().as_secs_f64();
        if store.backend() == Backend::Postgres {
            sqlx::query("VACUUM ANALYZE article_search")
                .execute(&raw)
                .await?;
        }
        let after = size(after_sql).await?;
        println!(
        "index build: {indexed} articles in {build:.1} s; database {:.0} MB without the index, {:.0} MB with it (+{:.0} MB, {:.2}x)",
        before as f64 / 1e6,
        after as f64 / 1e6,
        (after - before) as f64 / 1e6,
        after as f64 / before as f64
    );
    }

    // Queries: words of one sampled article, outside the 200 most frequent.
    let rare = |ranks: &[usize]| -> Vec<usize> {
        let mut r: Vec<usize> = ranks.iter().copied().filter(|r| *r >= COMMON).collect();
        r.sort_unstable();
        r.dedup();
        r
    };
    let mut classes: Vec<(&str, Vec<String>)> = Vec::new();
    // One word: any word of the vocabulary beyond the 200 most frequent, all equally likely.
    let one: Vec<String> = (0..QUERIES)
        .map(|_| words[COMMON + rng.below(VOCABULARY - COMMON)].clone())
        .collect();
    classes.push(("one-word", one));
    // Two and three words that stand together in one article (so each query finds something),
    // each of the article's distinct words beyond the 200 most frequent equally likely.
    for n in 2..=3 {
        let mut qs = Vec::new();
        while qs.len() < QUERIES {
            let doc = rare(&samples[rng.below(samples.len())]);
            let mut picked: Vec<usize> = Vec::new();
            while picked.len() < n {
                let w = doc[rng.below(doc.len())];
                if !picked.contains(&w) {
                    picked.push(w);
                }
            }
            qs.push(
                picked
                    .iter()
                    .map(|r| words[*r].clone())
                    .collect::<Vec<_>>()
                    .join(" "),
            );
        }
        classes.push((["", "", "two-word", "three-word"][n], qs));
    }
    let mut phrases = Vec::new();
    while phrases.len() < QUERIES {
        let doc = &samples[rng.below(samples.len())];
        let at = rng.below(doc.len() - 1);
        if doc[at] >= COMMON && doc[at + 1] >= COMMON && !(at + 1).is_multiple_of(80) {
            phrases.push(format!("\"{} {}\"", words[doc[at]], words[doc[at + 1]]));
        }
    }
    classes.push(("phrase", phrases));

    for (name, qs) in &classes {
        let mut file = String::new();
        let mut times = Vec::new();
        let mut hits = Vec::new();
        for q in qs {
            let encoded: String = url::form_urlencoded::byte_serialize(q.as_bytes()).collect();
            let _ = writeln!(file, "/search/?q={encoded}");
            let started = Instant::now();
            let page = store.search(&parse(q), Scope::Public, 10, 0).await?;
            times.push(started.elapsed().as_secs_f64() * 1000.0);
            hits.push(page.total as f64);
        }
        std::fs::write(out.join(format!("{name}.txt")), file)?;
        times.sort_by(f64::total_cmp);
        hits.sort_by(f64::total_cmp);
        println!(
            "store {name}: p50 {:.2} ms, p95 {:.2} ms; hits median {:.0}, p95 {:.0}, max {:.0}",
            percentile(&times, 0.5),
            percentile(&times, 0.95),
            percentile(&hits, 0.5),
            percentile(&hits, 0.95),
            hits[hits.len() - 1]
        );
    }
    std::fs::write(out.join("article.txt"), format!("/story-{}/\n", count / 2))?;
    Ok(())
}
