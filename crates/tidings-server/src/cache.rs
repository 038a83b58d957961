//! The rendered-page cache.
//!
//! Correctness rests on one number: the site-wide content generation, bumped by every write. A page
//! rendered at an older generation is never served; it is rebuilt on its next request, and its
//! compressed forms with it. Compression happens once, when a page enters the cache.

use std::collections::HashMap;
use std::io::Write;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, RwLock};

use axum::http::header::{
    ACCEPT_ENCODING, CACHE_CONTROL, CONTENT_ENCODING, CONTENT_TYPE, ETAG, IF_NONE_MATCH, VARY,
};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use tokio::sync::Notify;

use tidings_theme::digest;

/// Marks a cached page served while the database could not be reached: it may be out of date.
pub const STALE_HEADER: axum::http::HeaderName =
    axum::http::HeaderName::from_static("tidings-stale");

/// Pages smaller than this are not worth compressing.
const MIN_COMPRESS: usize = 512;
/// Brotli quality on the request path: about a millisecond for a page, a tenth larger than the best.
const QUICK_BROTLI: i32 = 5;
/// Brotli quality a stored page is refined to afterwards, off the request path (ten or more
/// milliseconds of a core for a page, which no reader should wait for).
const BEST_BROTLI: i32 = 10;
/// Upper bound on cached pages; past it the cache starts over (simple and safe under random URLs).
const MAX_ENTRIES: usize = 4096;

/// A response body with its precomputed encodings and validators.
#[derive(Debug, Clone)]
pub struct CachedPage {
    /// Generation the page was rendered at.
    pub generation: i64,
    status: StatusCode,
    content_type: HeaderValue,
    cache_control: HeaderValue,
    etag: HeaderValue,
    identity: Bytes,
    /// Made when a client first asks for it: nearly every client takes brotli, and gzip at its
    /// best level is as much work again as the quick brotli a miss makes.
    gzip: OnceLock<Bytes>,
    /// `None` when the body is too small to be worth compressing (then gzip is never made either).
    brotli: Option<Bytes>,
}

/// Which representation a client accepts best.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// Brotli.
    Brotli,
    /// Gzip.
    Gzip,
    /// Uncompressed.
    Identity,
}

impl CachedPage {
    /// Builds a page, compressing it once in both encodings (brotli quickly: see [`Self::refined`]).
    pub fn new(
        generation: i64,
        status: StatusCode,
        content_type: &'static str,
        cache_control: &'static str,
        body: impl Into<Bytes>,
    ) -> CachedPage {
        Self::compressed(
            generation,
            status,
            content_type,
            cache_control,
            body.into(),
            QUICK_BROTLI,
        )
    }

    /// Like [`CachedPage::new`] with brotli at the best quality at once (for what is made off
    /// the request path, such as theme assets).
    pub fn best(
        status: StatusCode,
        content_type: &'static str,
        cache_control: &'static str,
        body: impl Into<Bytes>,
    ) -> CachedPage {
        Self::compressed(
            0,
            status,
            content_type,
            cache_control,
            body.into(),
            BEST_BROTLI,
        )
    }

    fn compressed(
        generation: i64,
        status: StatusCode,
        content_type: &'static str,
        cache_control: &'static str,
        identity: Bytes,
        quality: i32,
    ) -> CachedPage {
        let brotli = (identity.len() >= MIN_COMPRESS).then(|| brotli(&identity, quality));
        let etag = HeaderValue::from_str(&format!("W/\"{}\"", &digest(&identity)))
            .expect("hex is a valid header");
        CachedPage {
            generation,
            status,
            content_type: HeaderValue::from_static(content_type),
            cache_control: HeaderValue::from_static(cache_control),
            etag,
            identity,
            gzip: OnceLock::new(),
            brotli,
        }
    }

    /// The same page with its brotli form at the best quality (`None` when it has none).
    pub fn refined(&self) -> Option<CachedPage> {
        self.brotli.as_ref()?;
        Some(CachedPage {
            brotli: Some(brotli(&self.identity, BEST_BROTLI)),
            ..self.clone()
        })
    }

    /// The uncompressed body.
    pub fn body(&self) -> &Bytes {
        &self.identity
    }

    /// Answers a request: 304 when the client's validator matches, else the best encoding.
    pub fn respond(&self, request: &HeaderMap) -> Response {
        let mut headers = HeaderMap::with_capacity(6);
        headers.insert(CACHE_CONTROL, self.cache_control.clone());
        headers.insert(ETAG, self.etag.clone());
        headers.insert(VARY, HeaderValue::from_static("Accept-Encoding"));
        if self.status == StatusCode::OK && etag_matches(request, &self.etag) {
            return (StatusCode::NOT_MODIFIED, headers).into_response();
        }
        headers.insert(CONTENT_TYPE, self.content_type.clone());
        let body = match (negotiate(request), &self.brotli) {
            (Encoding::Brotli, Some(br)) => {
                headers.insert(CONTENT_ENCODING, HeaderValue::from_static("br"));
                br.clone()
            }
            (Encoding::Gzip, Some(_)) => {
                headers.insert(CONTENT_ENCODING, HeaderValue::from_static("gzip"));
                self.gzip.get_or_init(|| gzip(&self.identity)).clone()
            }
            _ => self.identity.clone(),
        };
        (self.status, headers, body).into_response()
    }
}

/// Cached pages keyed by path, valid for one content generation.
///
/// A page of an older generation is kept until its replacement is stored: while one request
/// renders the new version, others asking for the same page get the previous one (a few
/// milliseconds old) instead of all rendering it at once, which after a publication would queue
/// every reader of a busy page behind the database.
#[derive(Default)]
pub struct PageCache {
    generation: AtomicI64,
    pages: RwLock<HashMap<String, Arc<CachedPage>>>,
    rendering: Mutex<HashMap<String, Arc<Notify>>>,
}

/// Who renders a missing page: this request, or another one already at it.
pub enum Turn<'a> {
    /// This request renders; others wait or get the previous version until the turn is dropped.
    Render(RenderTurn<'a>),
    /// Another request is rendering; `Notify` wakes its waiters when it is done.
    Wait(Arc<Notify>),
}

/// The right to render one page, released (and its waiters woken) when dropped.
pub struct RenderTurn<'a> {
    cache: &'a PageCache,
    key: String,
    done: Arc<Notify>,
}

impl Drop for RenderTurn<'_> {
    fn drop(&mut self) {
        let mut rendering = self.cache.rendering.lock().expect("cache lock");
        if rendering
            .get(&self.key)
            .is_some_and(|d| Arc::ptr_eq(d, &self.done))
        {
            rendering.remove(&self.key);
        }
        self.done.notify_waiters();
    }
}

impl PageCache {
    /// The generation pages are currently rendered at.
    pub fn generation(&self) -> i64 {
        self.generation.load(Ordering::Acquire)
    }

    /// Moves to a new generation; pages of older ones are no longer served as current. Returns
    /// whether it changed.
    pub fn advance(&self, generation: i64) -> bool {
        self.generation.swap(generation, Ordering::AcqRel) != generation
    }

    /// The page for `key` of whatever generation, to answer while its new version is rendered.
    pub fn previous(&self, key: &str) -> Option<Arc<CachedPage>> {
        self.pages.read().expect("cache lock").get(key).cloned()
    }

    /// Takes the turn to render `key`, unless another request has it.
    pub fn turn(&self, key: &str) -> Turn<'_> {
        let mut rendering = self.rendering.lock().expect("cache lock");
        if let Some(done) = rendering.get(key) {
            return Turn::Wait(done.clone());
        }
        let done = Arc::new(Notify::new());
        rendering.insert(key.to_string(), done.clone());
        Turn::Render(RenderTurn {
            cache: self,
            key: key.to_string(),
            done,
        })
    }

    /// Whether the render that `done` belongs to is still going.
    pub fn still_rendering(&self, key: &str, done: &Arc<Notify>) -> bool {
        self.rendering
            .lock()
            .expect("cache lock")
            .get(key)
            .is_some_and(|d| Arc::ptr_eq(d, done))
    }

    /// The page for `key` if it belongs to the current generation.
    pub fn get(&self, key: &str) -> Option<Arc<CachedPage>> {
        let page = self.pages.read().expect("cache lock").get(key).cloned()?;
        (page.generation == self.generation()).then_some(page)
    }

    /// Stores a page unless the generation moved on while it was being rendered.
    pub fn put(&self, key: String, page: Arc<CachedPage>) {
        if page.generation != self.generation() {
            return;
        }
        let mut pages = self.pages.write().expect("cache lock");
        if pages.len() >= MAX_ENTRIES {
            pages.clear();
        }
        pages.insert(key, page);
    }

    /// Puts `better` in the place of `page`, if `page` is still the one stored for `key`.
    pub fn replace(&self, key: &str, page: &Arc<CachedPage>, better: Arc<CachedPage>) {
        let mut pages = self.pages.write().expect("cache lock");
        if let Some(stored) = pages.get_mut(key) {
            if Arc::ptr_eq(stored, page) {
                *stored = better;
            }
        }
    }

    /// Number of cached pages.
    pub fn len(&self) -> usize {
        self.pages.read().expect("cache lock").len()
    }

    /// Whether the cache holds no page.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Picks the best encoding the client accepts (brotli, then gzip), honouring `q=0`.
pub fn negotiate(request: &HeaderMap) -> Encoding {
    let Some(value) = request.get(ACCEPT_ENCODING).and_then(|v| v.to_str().ok()) else {
        return Encoding::Identity;
    };
    let mut br = false;
    let mut gz = false;
    for part in value.split(',') {
        let mut bits = part.split(';');
        let coding = bits.next().unwrap_or_default().trim();
        let refused = bits.any(|p| {
            p.trim()
                .strip_prefix("q=")
                .and_then(|q| q.trim().parse::<f32>().ok())
                .is_some_and(|q| q <= 0.0)
        });
        if refused {
            continue;
        }
        match coding {
            "br" => br = true,
            "gzip" | "x-gzip" => gz = true,
            "*" => {
                br = true;
                gz = true;
            }
            _ => {}
        }
    }
    if br {
        Encoding::Brotli
    } else if gz {
        Encoding::Gzip
    } else {
        Encoding::Identity
    }
}

/// Whether `If-None-Match` names this entity (weak comparison, as RFC 9110 asks for GET).
pub fn etag_matches(request: &HeaderMap, etag: &HeaderValue) -> bool {
    let Some(inm) = request.get(IF_NONE_MATCH).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let ours = etag.to_str().unwrap_or_default().trim_start_matches("W/");
    inm.split(',').any(|t| {
        let t = t.trim();
        t == "*" || t.trim_start_matches("W/") == ours
    })
}

fn gzip(data: &[u8]) -> Bytes {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    enc.write_all(data).expect("writing to memory");
    Bytes::from(enc.finish().expect("writing to memory"))
}

fn brotli(data: &[u8], quality: i32) -> Bytes {
    let mut out = Vec::with_capacity(data.len() / 3);
    // A window no larger than the input compresses it exactly as well as the 4 MB one, and
    // the encoder's buffers follow the window: megabytes less per page made, which the
    // allocator would otherwise keep for the life of the process. Not below 128 kB at qualities
    // 5 to 9, though: for windows of 64 kB or less this encoder switches to another match finder
    // (its H40 to H42) that zeroes about 17 MB on every call, ten times slower for a 22 kB page.
    let fits = (usize::BITS - (data.len() + 16).leading_zeros()) as i32;
    let least = if (5..=9).contains(&quality) { 17 } else { 10 };
    let params = brotli::enc::BrotliEncoderParams {
        quality,
        lgwin: fits.clamp(least, 22),
        size_hint: data.len(),
        ..Default::default()
    };
    brotli::BrotliCompress(&mut &data[..], &mut out, &params).expect("writing to memory");
    Bytes::from(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_static(v));
        }
        h
    }

    #[test]
    fn negotiation_prefers_brotli_and_honours_q_zero() {
        assert_eq!(
            negotiate(&headers(&[("accept-encoding", "gzip, deflate, br")])),
            Encoding::Brotli
        );
        assert_eq!(
            negotiate(&headers(&[("accept-encoding", "gzip, br;q=0")])),
            Encoding::Gzip
        );
        assert_eq!(
            negotiate(&headers(&[("accept-encoding", "identity")])),
            Encoding::Identity
        );
        assert_eq!(negotiate(&headers(&[])), Encoding::Identity);
    }

    #[test]
    fn stale_generations_are_never_served() {
        let cache = PageCache::default();
        cache.advance(1);
        let page = Arc::new(CachedPage::new(
            1,
            StatusCode::OK,
            "text/html",
            "no-cache",
            "hello",
        ));
        cache.put("/".into(), page);
        assert!(cache.get("/").is_some());
        cache.advance(2);
        assert!(cache.get("/").is_none());
        assert!(
            cache.previous("/").is_some(),
            "kept to answer while its new version renders"
        );
        let late = Arc::new(CachedPage::new(
            1,
            StatusCode::OK,
            "text/html",
            "no-cache",
            "old",
        ));
        cache.put("/".into(), late);
        assert!(
            cache.get("/").is_none(),
            "a page rendered before the bump is not stored"
        );
    }

    #[test]
    fn one_request_renders_a_page_at_a_time() {
        let cache = PageCache::default();
        let Turn::Render(turn) = cache.turn("/") else {
            panic!("the first request renders");
        };
        let Turn::Wait(done) = cache.turn("/") else {
            panic!("the second waits");
        };
        assert!(matches!(cache.turn("/other/"), Turn::Render(_)));
        assert!(cache.still_rendering("/", &done));
        drop(turn);
        assert!(!cache.still_rendering("/", &done));
        assert!(matches!(cache.turn("/"), Turn::Render(_)), "free again");
    }

    #[test]
    fn compressed_forms_decode_to_the_page() {
        use std::io::Read;
        let body = "<p>news</p>".repeat(200);
        let page = CachedPage::new(1, StatusCode::OK, "text/html", "no-cache", body.clone());
        let mut out = String::new();
        assert!(
            page.gzip.get().is_none(),
            "gzip waits for a client that wants it"
        );
        let mut gzip_only = HeaderMap::new();
        gzip_only.insert("accept-encoding", HeaderValue::from_static("gzip"));
        let response = page.respond(&gzip_only);
        assert_eq!(response.headers()[CONTENT_ENCODING], "gzip");
        flate2::read::GzDecoder::new(&page.gzip.get().unwrap()[..])
            .read_to_string(&mut out)
            .unwrap();
        assert_eq!(out, body);
        let mut out = Vec::new();
        brotli::BrotliDecompress(&mut &page.brotli.as_ref().unwrap()[..], &mut out).unwrap();
        assert_eq!(out, body.as_bytes());
    }

    #[test]
    fn a_refined_page_replaces_only_the_page_it_refines() {
        // Text with some variety, so that the two qualities differ.
        let body: String = (0..400)
            .map(|i| format!("<p>story {} of {}</p>", i * 7 % 13, i))
            .collect();
        let cache = PageCache::default();
        let quick = Arc::new(CachedPage::new(
            0,
            StatusCode::OK,
            "text/html",
            "no-cache",
            body.clone(),
        ));
        let best = Arc::new(quick.refined().expect("compressible"));
        let size = |p: &CachedPage| p.brotli.as_ref().unwrap().len();
        assert!(
            size(&best) <= size(&quick),
            "{} > {}",
            size(&best),
            size(&quick)
        );
        let mut out = Vec::new();
        brotli::BrotliDecompress(&mut &best.brotli.as_ref().unwrap()[..], &mut out).unwrap();
        assert_eq!(out, body.as_bytes());
        assert_eq!(best.etag, quick.etag, "the same page to validators");
        cache.put("/".into(), quick.clone());
        // A page stored meanwhile (a newer render) is not overwritten by a stale refinement.
        let newer = Arc::new(CachedPage::new(
            0,
            StatusCode::OK,
            "text/html",
            "no-cache",
            "newer page ".repeat(100),
        ));
        cache.put("/".into(), newer.clone());
        cache.replace("/", &quick, best.clone());
        assert!(Arc::ptr_eq(&cache.get("/").unwrap(), &newer));
        cache.put("/".into(), quick.clone());
        cache.replace("/", &quick, best.clone());
        assert!(Arc::ptr_eq(&cache.get("/").unwrap(), &best));
        let tiny = CachedPage::new(0, StatusCode::OK, "text/html", "no-cache", "short");
        assert!(
            tiny.refined().is_none(),
            "nothing to refine below the compression floor"
        );
    }
}
