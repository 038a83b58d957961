//! A privacy-friendly read counter: per article and hour, in memory on each node, flushed to the
//! database now and then. No cookie, no address, no identifier: only a number per story.

use std::collections::HashMap;
use std::sync::Mutex;

use chrono::{DateTime, Utc};
use tidings_store::Store;

/// User-agent fragments of crawlers, link previewers, monitors and scripts, compared in lowercase.
const BOT_MARKERS: &[&str] = &[
    "bot",
    "crawl",
    "spider",
    "slurp",
    "preview",
    "facebookexternalhit",
    "headless",
    "monitor",
    "lighthouse",
    "curl",
    "wget",
    "python",
    "go-http",
    "java/",
    "okhttp",
    "axios",
    "node-fetch",
    "libwww",
    "httpclient",
    "scrapy",
    "feedfetcher",
    "embedly",
    "whatsapp",
    "validator",
];

/// Whether a request looks like a person reading (not a bot, not a speculative prefetch), given
/// its headers by (lowercase) name.
pub fn is_reader<'a>(header: impl Fn(&str) -> Option<&'a str>) -> bool {
    let prefetch = ["purpose", "sec-purpose", "x-moz", "x-purpose"]
        .iter()
        .any(|h| header(h).is_some_and(|v| v.contains("prefetch") || v.contains("preview")));
    if prefetch {
        return false;
    }
    let Some(ua) = header("user-agent") else {
        return false;
    };
    // Every article view passes here (cache hits too), so compare in place rather than allocate.
    let ua = ua.as_bytes();
    ua.len() >= 8
        && ua[..8].eq_ignore_ascii_case(b"mozilla/")
        && !BOT_MARKERS
            .iter()
            .any(|m| contains_ignore_case(ua, m.as_bytes()))
}

/// Whether `haystack` contains the lowercase `needle`, ignoring ASCII case.
fn contains_ignore_case(haystack: &[u8], needle: &[u8]) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w.eq_ignore_ascii_case(needle))
}

/// Reads counted since the last flush, by article slug.
#[derive(Default)]
pub struct ReadCounter {
    counts: Mutex<HashMap<String, i64>>,
}

impl ReadCounter {
    /// Counts one read of the article at `slug`.
    pub fn count(&self, slug: &str) {
        let mut counts = self.counts.lock().expect("read counter lock");
        match counts.get_mut(slug) {
            Some(n) => *n += 1,
            None => {
                counts.insert(slug.to_string(), 1);
            }
        }
    }

    /// Writes the counts to the database under the current hour and starts again from zero. On
    /// failure the counts are put back, so a database hiccup loses nothing.
    pub async fn flush(
        &self,
        store: &Store,
        now: DateTime<Utc>,
    ) -> Result<usize, tidings_store::StoreError> {
        let taken = std::mem::take(&mut *self.counts.lock().expect("read counter lock"));
        if taken.is_empty() {
            return Ok(0);
        }
        let slugs: Vec<String> = taken.keys().cloned().collect();
        let result = async {
            let ids = store.article_ids_by_slug(&slugs).await?;
            let hour = now.timestamp() / 3600;
            let rows: Vec<(i64, i64, i64)> = taken
                .iter()
                .filter_map(|(slug, n)| ids.get(slug).map(|id| (*id, hour, *n)))
                .collect();
            store.add_reads(&rows).await?;
            Ok(rows.len())
        }
        .await;
        if result.is_err() {
            let mut counts = self.counts.lock().expect("read counter lock");
            for (slug, n) in taken {
                *counts.entry(slug).or_default() += n;
            }
        }
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reader(headers: &[(&str, &str)]) -> bool {
        is_reader(|name| headers.iter().find(|(n, _)| *n == name).map(|(_, v)| *v))
    }

    #[test]
    fn people_count_and_bots_do_not() {
        assert!(reader(&[(
            "user-agent",
            "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/131.0 Safari/537.36"
        )]));
        for bot in [
            "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
            "Mozilla/5.0 (X11; Linux x86_64) HeadlessChrome/131.0",
            "curl/8.5.0",
            "facebookexternalhit/1.1",
            "",
        ] {
            assert!(!reader(&[("user-agent", bot)]), "{bot}");
        }
        assert!(!reader(&[]));
        assert!(!reader(&[
            (
                "user-agent",
                "Mozilla/5.0 (X11; Linux x86_64) Firefox/133.0"
            ),
            ("sec-purpose", "prefetch"),
        ]));
    }
}
