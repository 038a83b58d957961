//! Application state shared by every handler, and the cached-render path they all use.

use std::future::Future;
use std::sync::{Arc, RwLock};

use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use chrono_tz::Tz;
use minijinja::Value;
use tidings_config::Config;
use tidings_donations::{Donations, Payments};
use tidings_newsletter::{NewsletterOptions, Newsletters};
use tidings_store::Store;

use crate::cache::{CachedPage, PageCache, Turn};
use crate::error::AppError;
pub use crate::site_config::SiteConfig;
use tidings_theme::views::SiteView;
use tidings_theme::Theme;

/// Cache policy for HTML pages: shared caches and browsers may reuse a page briefly, then revalidate
/// with the ETag (a 304 costs almost nothing).
pub const HTML_CACHE: &str = "public, max-age=60, stale-while-revalidate=30";
/// Longest wait for the content generation before the database is taken to be unreachable.
const GENERATION_READ_LIMIT: std::time::Duration = std::time::Duration::from_secs(2);
/// HTML content type.
pub const HTML: &str = "text/html; charset=utf-8";
/// Content-hashed names never change meaning, so browsers may keep them forever.
pub const IMMUTABLE: &str = "public, max-age=31536000, immutable";

/// A response rendered by a handler, before caching.
pub struct Rendered {
    /// Status to answer with.
    pub status: StatusCode,
    /// MIME type.
    pub content_type: &'static str,
    /// Cache-Control header value.
    pub cache_control: &'static str,
    /// Body.
    pub body: String,
}

impl Rendered {
    /// A 200 HTML page.
    pub fn html(body: String) -> Self {
        Rendered {
            status: StatusCode::OK,
            content_type: HTML,
            cache_control: HTML_CACHE,
            body,
        }
    }
}

struct Inner {
    /// The runtime the server was started on, whose blocking threads take work that holds a core
    /// (see [`AppState::spawn_blocking`]).
    blocking: tokio::runtime::Handle,
    store: Store,
    /// Where public reads go: the replica when one is configured, else the primary.
    reader: Store,
    passwords: tidings_accounts::Passwords,
    mailer: tidings_mail::Mailer,
    setup_code: std::sync::Mutex<Option<String>>,
    media_dir: std::path::PathBuf,
    theme: Arc<Theme>,
    /// Theme assets, compressed at the best quality once: by a thread of its own a moment after
    /// start, or by the first request for one if that comes sooner.
    assets: Arc<std::sync::OnceLock<std::collections::HashMap<String, CachedPage>>>,
    cache: PageCache,
    /// One page at a time is refined to the best compression; others stay quick when it is busy.
    refining: Arc<tokio::sync::Semaphore>,
    site: SiteConfig,
    site_view: RwLock<Option<(i64, Arc<SiteView>)>>,
    /// The pages' security policy, which names the outlet's analytics host when it has one.
    policy: RwLock<axum::http::HeaderValue>,
    donations: Donations,
    newsletters: Newsletters,
    searches: crate::searches::Searches,
    /// Set while the database cannot be reached: cached pages are then served marked stale.
    database_down: std::sync::atomic::AtomicBool,
}

/// The theme's assets, precompressed.
fn compress_assets(theme: &Theme) -> std::collections::HashMap<String, CachedPage> {
    theme
        .assets()
        .map(|(name, a)| {
            let page = CachedPage::best(StatusCode::OK, a.content_type, IMMUTABLE, a.bytes.clone());
            (name.to_string(), page)
        })
        .collect()
}

/// Compresses the assets on a thread of their own, a moment after start: a start (and its first
/// page) need not wait for tens of milliseconds of compression.
fn compress_assets_later(
    theme: Arc<Theme>,
    slot: Arc<std::sync::OnceLock<std::collections::HashMap<String, CachedPage>>>,
) {
    std::thread::spawn(move || {
        std::thread::sleep(std::time::Duration::from_secs(1));
        slot.get_or_init(|| compress_assets(&theme));
    });
}

/// Handle to everything a request may need; cheap to clone.
#[derive(Clone)]
pub struct AppState(Arc<Inner>);

impl AppState {
    /// Builds the state over the services (which bring the store, mailer and theme); the cache
    /// starts at the database's current generation.
    pub async fn new(
        newsletters: Newsletters,
        site: SiteConfig,
        passwords: tidings_accounts::Passwords,
        media_dir: std::path::PathBuf,
        donations: Donations,
        reader: Option<Store>,
    ) -> Result<Self, AppError> {
        let store = newsletters.store().clone();
        let mailer = newsletters.mailer().clone();
        let theme = newsletters.theme().clone();
        // With no account yet, whoever claims the site first from outside loopback needs this code,
        // which only the operator sees (printed by `serve`).
        let setup_code = if store.count_users().await? == 0 {
            Some(tidings_accounts::new_token()[..12].to_string())
        } else {
            None
        };
        let assets = Arc::new(std::sync::OnceLock::new());
        compress_assets_later(theme.clone(), assets.clone());
        let state = AppState(Arc::new(Inner {
            blocking: tokio::runtime::Handle::current(),
            newsletters,
            reader: reader.unwrap_or_else(|| store.clone()),
            store,
            passwords,
            mailer,
            setup_code: std::sync::Mutex::new(setup_code),
            media_dir,
            theme,
            assets,
            cache: PageCache::default(),
            refining: Arc::new(tokio::sync::Semaphore::new(1)),
            site_view: RwLock::new(None),
            policy: RwLock::new(crate::middleware::page_policy(None)),
            searches: crate::searches::Searches::new(site.search_per_minute),
            site,
            donations,
            database_down: std::sync::atomic::AtomicBool::new(false),
        }));
        state.refresh_generation().await?;
        Ok(state)
    }

    /// This node's search limiter and query log.
    pub fn searches(&self) -> &crate::searches::Searches {
        &self.0.searches
    }

    /// The repository (the primary database: every write, and reads that must see them).
    pub fn store(&self) -> &Store {
        &self.0.store
    }

    /// The repository for public reads (pages, feeds, search, the content API): the replica when
    /// `database.replica_url` is set. The page cache follows the replica's generation, so a page
    /// is never cached as new while the replica still holds the old content.
    pub fn reader(&self) -> &Store {
        &self.0.reader
    }

    /// Whether public reads go to a replica.
    pub fn has_replica(&self) -> bool {
        self.0.site.replica
    }

    /// Runs `f` on a blocking thread of the server's main runtime. Connection threads each have a
    /// runtime of their own (ADR 023) whose blocking threads would add to the process's threads,
    /// and each new thread gets an allocator arena that keeps what brotli or an image needed.
    pub fn spawn_blocking<F, R>(&self, f: F) -> tokio::task::JoinHandle<R>
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        self.0.blocking.spawn_blocking(f)
    }

    /// The server's main runtime (for [`AppState::spawn_blocking`]'s kind of work).
    pub fn runtime(&self) -> &tokio::runtime::Handle {
        &self.0.blocking
    }

    /// Hashes a new password on a blocking thread: argon2 takes tens of milliseconds of a core,
    /// which on a connection thread would hold up every other reader served by it.
    pub async fn hash_password(
        &self,
        password: &str,
    ) -> Result<String, tidings_accounts::PasswordError> {
        let passwords = self.0.passwords;
        let password = password.to_owned();
        self.spawn_blocking(move || passwords.hash(&password))
            .await
            .unwrap_or(Err(tidings_accounts::PasswordError::Hash))
    }

    /// Checks a password against a stored hash (or none: see `Passwords::verify`), on a blocking
    /// thread for the same reason.
    pub async fn verify_password(&self, password: &str, hash: Option<&str>) -> bool {
        let passwords = self.0.passwords;
        let password = password.to_owned();
        let hash = hash.map(str::to_owned);
        self.spawn_blocking(move || passwords.verify(&password, hash.as_deref()))
            .await
            .unwrap_or(false)
    }

    /// Outgoing mail.
    pub fn mailer(&self) -> &tidings_mail::Mailer {
        &self.0.mailer
    }

    /// The one-time setup code, while no account exists.
    pub fn setup_code(&self) -> Option<String> {
        self.0.setup_code.lock().expect("lock").clone()
    }

    /// Where uploaded images are written (`<data dir>/media`).
    pub fn media_dir(&self) -> &std::path::Path {
        &self.0.media_dir
    }

    /// A random secret kept in the settings under `name`, made on first use.
    pub async fn secret(&self, name: &str) -> Result<String, AppError> {
        Ok(self.store().secret(name).await?)
    }

    /// Forgets the setup code once the owner exists.
    pub fn clear_setup_code(&self) {
        *self.0.setup_code.lock().expect("lock") = None;
    }

    /// The theme.
    pub fn theme(&self) -> &Arc<Theme> {
        &self.0.theme
    }

    /// A theme asset by its hashed file name, precompressed (the first request before the
    /// background compression is done makes it, off the async workers; others wait for it).
    pub async fn asset(&self, hashed: &str) -> Option<&CachedPage> {
        if self.0.assets.get().is_none() {
            let (slot, theme) = (self.0.assets.clone(), self.0.theme.clone());
            let _ = self
                .spawn_blocking(move || {
                    slot.get_or_init(|| compress_assets(&theme));
                })
                .await;
        }
        self.0.assets.get()?.get(hashed)
    }

    /// Recompresses a stored page at the best quality off the request path, and stores that in
    /// its place if it is still the page stored; skipped while another page is being refined.
    fn refine_later(&self, key: String, page: Arc<CachedPage>) {
        let Ok(permit) = self.0.refining.clone().try_acquire_owned() else {
            return;
        };
        let app = self.clone();
        self.spawn_blocking(move || {
            if let Some(better) = page.refined() {
                app.cache().replace(&key, &page, Arc::new(better));
            }
            drop(permit);
        });
    }

    /// Queues `email` for the job runner (the outbox): sent with retries, never on the request.
    pub async fn send_later(&self, email: tidings_mail::Email) -> Result<(), AppError> {
        self.store().enqueue_job(&self.outbox_job(email)).await?;
        Ok(())
    }

    /// The job that sends `email`, to be queued in the same transaction as the change it reports.
    pub fn outbox_job(&self, email: tidings_mail::Email) -> tidings_store::NewJob {
        let payload = self.mailer().outbox_payload(email);
        tidings_store::NewJob::new(
            tidings_mail::OUTBOX_JOB,
            payload,
            chrono::Utc::now().timestamp(),
        )
    }

    /// The donation service.
    pub fn donations(&self) -> &Donations {
        &self.0.donations
    }

    /// The payment gateway and donation settings.
    pub fn payments(&self) -> &tidings_donations::Payments {
        self.0.donations.payments()
    }

    /// Where configuration key `key` was set explicitly, if it was (it then wins over the setting).
    pub fn config_set_by(&self, key: &str) -> Option<&str> {
        self.0.site.explicit.get(key).map(String::as_str)
    }

    /// The newsletter service.
    pub fn newsletters(&self) -> &Newsletters {
        &self.0.newsletters
    }

    /// Builds the state from the configuration: theme (with the data dir's overrides), mailer
    /// (pool size, DKIM key) and media folder. Used by `serve` and by commands that send mail.
    pub async fn from_config(
        config: &Config,
        store: Store,
        password_cost: tidings_accounts::PasswordCost,
    ) -> anyhow::Result<Self> {
        use anyhow::Context;
        let data_dir = &config.server.data_dir;
        let started = std::time::Instant::now();
        let theme = Theme::load(Some(&data_dir.join("theme"))).context("loading the theme")?;
        tracing::debug!(ms = started.elapsed().as_secs_f64() * 1e3, "theme loaded");
        let site = SiteConfig::from_config(config);
        store
            .set_site_url(&site.url)
            .await
            .context("recording the site URL")?;
        let mailer = tidings_mail::Mailer::from_config(config).context("setting up mail")?;
        let info = tidings_theme::SiteInfo::from_config(config);
        info.refresh(&store)
            .await
            .context("reading the site's settings")?;
        let payments = Payments::from_config(config)?;
        let replica = match config.database.replica_url.trim() {
            "" => None,
            url => Some(
                Store::connect(url, config.database.max_connections)
                    .await
                    .context("connecting to the replica (database.replica_url)")?,
            ),
        };
        let donations = Donations::new(store.clone(), mailer.clone(), info.clone(), payments);
        let newsletters = Newsletters::new(
            store,
            mailer,
            Arc::new(theme),
            info,
            NewsletterOptions::from_config(config),
        );
        let state = AppState::new(
            newsletters,
            site,
            tidings_accounts::Passwords::new(password_cost),
            data_dir.join("media"),
            donations,
            replica,
        )
        .await
        .context("reading the content generation")?;
        tracing::debug!(
            ms = started.elapsed().as_secs_f64() * 1e3,
            "site state built"
        );
        let currency = state.payments().currency;
        state
            .store()
            .ensure_default_form(currency.code(), currency.scale())
            .await
            .context("creating the default donation form")?;
        Ok(state)
    }

    /// The page cache.
    pub fn cache(&self) -> &PageCache {
        &self.0.cache
    }

    /// Configuration-derived facts.
    pub fn site(&self) -> &SiteConfig {
        &self.0.site
    }

    /// Display timezone.
    pub fn tz(&self) -> Tz {
        self.newsletters().site().timezone()
    }

    /// Reads the content generation from the database and drops stale pages if it moved; notes
    /// whether the database answered, so that pages served meanwhile can say they may be stale.
    pub async fn refresh_generation(&self) -> Result<bool, AppError> {
        // A database that takes this long for the smallest query is as good as gone for readers.
        let read = tokio::time::timeout(GENERATION_READ_LIMIT, self.reader().generation()).await;
        let read = match read {
            Ok(Ok(generation)) => generation,
            Ok(Err(e)) => {
                self.set_database_down(e.is_unavailable());
                return Err(e.into());
            }
            Err(_) => {
                self.set_database_down(true);
                return Err(AppError::Unavailable);
            }
        };
        self.set_database_down(false);
        Ok(self.cache().advance(read))
    }

    /// Whether the last look at the database found it unreachable.
    pub fn database_down(&self) -> bool {
        self.0
            .database_down
            .load(std::sync::atomic::Ordering::Relaxed)
    }

    fn set_database_down(&self, down: bool) {
        let was = self
            .0
            .database_down
            .swap(down, std::sync::atomic::Ordering::Relaxed);
        if was != down {
            if down {
                tracing::error!("the database cannot be reached; serving cached pages as they are");
            } else {
                tracing::info!("the database answers again");
            }
        }
    }

    /// Site-wide view (settings, sections), rebuilt once per content generation.
    pub async fn site_view(&self) -> Result<Arc<SiteView>, AppError> {
        let generation = self.cache().generation();
        if let Some((g, view)) = self.0.site_view.read().expect("lock").as_ref() {
            if *g == generation {
                return Ok(view.clone());
            }
        }
        let view = Arc::new(self.newsletters().site().view(self.store()).await?);
        self.newsletters().mailer().set_sender_name(&view.title);
        *self.0.policy.write().expect("lock") =
            crate::middleware::page_policy(view.analytics.as_ref().map(|a| a.origin.as_str()));
        *self.0.site_view.write().expect("lock") = Some((generation, view.clone()));
        Ok(view)
    }

    /// The security policy for pages, as of the last site view.
    pub fn page_policy(&self) -> axum::http::HeaderValue {
        self.0.policy.read().expect("lock").clone()
    }

    /// Renders a theme template with the site view merged into the context.
    pub async fn render_page(&self, template: &str, ctx: Value) -> Result<String, AppError> {
        let site = self.site_view().await?;
        Ok(self.theme().render_page(template, &site, ctx)?)
    }

    /// Answers from the cache, or renders, caches (200s only) and answers. One request at a time
    /// renders a given page; the others meanwhile get its previous version when there is one, or
    /// wait for the render.
    pub async fn cached<F, Fut>(&self, key: &str, request: &HeaderMap, render: F) -> Response
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<Rendered, AppError>>,
    {
        let metrics = self.site().metrics;
        loop {
            if let Some(page) = self.cache().get(key) {
                if metrics {
                    crate::metrics::cache_lookup(true);
                }
                let mut response = page.respond(request);
                if self.database_down() {
                    response.headers_mut().insert(
                        crate::cache::STALE_HEADER,
                        axum::http::HeaderValue::from_static("database-unreachable"),
                    );
                }
                return response;
            }
            let turn = match self.cache().turn(key) {
                Turn::Render(turn) => turn,
                Turn::Wait(done) => {
                    if let Some(page) = self.cache().previous(key) {
                        return page.respond(request);
                    }
                    let notified = done.notified();
                    tokio::pin!(notified);
                    notified.as_mut().enable();
                    if self.cache().still_rendering(key, &done) {
                        notified.await;
                    }
                    continue;
                }
            };
            if metrics {
                crate::metrics::cache_lookup(false);
            }
            if self.database_down() {
                // Rendering needs the database: answer at once instead of after the pool's wait.
                return axum::response::IntoResponse::into_response(AppError::Unavailable);
            }
            let generation = self.cache().generation();
            let response = match render().await {
                Ok(r) => {
                    let page = Arc::new(CachedPage::new(
                        generation,
                        r.status,
                        r.content_type,
                        r.cache_control,
                        r.body,
                    ));
                    if r.status == StatusCode::OK {
                        self.cache().put(key.to_string(), page.clone());
                        self.refine_later(key.to_string(), page.clone());
                    }
                    page.respond(request)
                }
                Err(e) => axum::response::IntoResponse::into_response(e),
            };
            drop(turn);
            return response;
        }
    }
}
