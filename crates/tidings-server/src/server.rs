//! Starting and stopping the HTTP server and its background work.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use tidings_config::Config;
use tidings_store::Store;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tower::ServiceExt;

use tidings_accounts::PasswordCost;

use crate::app::AppState;
use crate::conn::{Limits, Served, TimedBody, TimedIo};
use crate::router::router;

/// How often the server looks for content written by other processes (CLI commands, other nodes).
const GENERATION_POLL: Duration = Duration::from_millis(500);
/// How often a node that hears announced generations still reads it: in case an announcement
/// was lost, and to notice within seconds that the database went away.
const GENERATION_SAFETY_POLL: Duration = Duration::from_secs(2);
/// How long a node waits before listening again after the listener failed.
const LISTEN_RETRY: Duration = Duration::from_secs(5);
/// Upper bound on buffered request head bytes (headers larger than this are refused).
const MAX_HEADER_BYTES: usize = 64 * 1024;
/// How often in-memory read counts are written to the database.
const READS_FLUSH: Duration = Duration::from_secs(60);

/// Limits on client connections, from `[server]`.
#[derive(Debug, Clone, Copy)]
struct Edge {
    limits: Limits,
    max_connections: usize,
}

impl Edge {
    fn from_config(config: &Config) -> Edge {
        let open_files = crate::conn::raise_open_files_limit();
        let max_connections = config.server.max_connections;
        // Each connection is one descriptor; the database, mail and files need a few more.
        if open_files < max_connections as u64 + 256 {
            tracing::warn!(
                open_files,
                max_connections,
                "the open-files limit is below server.max_connections; raise it (ulimit -n) or \
                 lower the cap"
            );
        }
        Edge {
            limits: Limits {
                header: Duration::from_secs(config.server.header_timeout_secs),
                body: Duration::from_secs(config.server.body_timeout_secs),
                keep_alive: Duration::from_secs(config.server.keep_alive_secs),
            },
            max_connections,
        }
    }
}

/// A running server: its address and the handles to stop it.
pub struct Server {
    /// The address actually bound (useful with port 0).
    pub addr: SocketAddr,
    /// The separate metrics address actually bound, when `metrics.listen` is set.
    pub metrics_addr: Option<SocketAddr>,
    /// Shared state, for tests and commands in the same process.
    pub state: AppState,
    stop: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

impl Server {
    /// Binds the listen address, starts background work and serves until [`Server::stop`].
    pub async fn start(config: &Config, store: Store) -> anyhow::Result<Server> {
        Self::start_with(config, store, PasswordCost::Standard).await
    }

    /// Like [`Server::start`], choosing the cost of new password hashes (tests use a cheap one).
    pub async fn start_with(
        config: &Config,
        store: Store,
        password_cost: PasswordCost,
    ) -> anyhow::Result<Server> {
        let listener = bind(config).await?;
        Self::start_on(config, store, password_cost, listener).await
    }

    /// Starts on a listener already bound to `server.listen`.
    async fn start_on(
        config: &Config,
        store: Store,
        password_cost: PasswordCost,
        listener: Arc<TcpListener>,
    ) -> anyhow::Result<Server> {
        let addr = listener.local_addr()?;
        // The address actually bound (port 0 becomes a real port) is one the site answers to.
        let mut config = config.clone();
        config.server.listen = addr;
        let config = &config;
        let state = AppState::from_config(config, store, password_cost).await?;
        let media_dir = config.server.data_dir.join("media");
        let app = router(state.clone(), &media_dir);
        let (stop, stopped) = watch::channel(false);

        let edge = Edge::from_config(config);
        if state.site().metrics {
            crate::metrics::install();
        }
        let http = tokio::spawn(accept_loop(listener, app, edge, stopped.clone()));
        // Per-node tasks run in every process; cluster-once work goes through the job runner.
        let mut tasks = vec![
            http,
            tokio::spawn(watch_generation(state.clone(), stopped.clone())),
            tokio::spawn(flush_reads(state.clone(), stopped.clone())),
        ];
        let mut metrics_bound = None;
        if let Some(metrics_addr) = config.metrics.listen_addr() {
            let metrics = TcpListener::bind(metrics_addr)
                .await
                .with_context(|| format!("cannot listen on {metrics_addr} (metrics.listen)"))?;
            metrics_bound = Some(metrics.local_addr()?);
            let metrics = Arc::new(metrics);
            let app = crate::metrics::listener_router(state.clone());
            tasks.push(tokio::spawn(accept_loop(
                metrics,
                app,
                edge,
                stopped.clone(),
            )));
        }
        if config.server.jobs {
            let runner = job_runner(&state, config);
            tasks.push(tokio::spawn(
                runner.run(stopped, tidings_jobs::site::STOP_GRACE),
            ));
        }
        Ok(Server {
            addr,
            metrics_addr: metrics_bound,
            state,
            stop,
            tasks,
        })
    }

    /// Stops accepting connections, lets running requests finish, and ends background work.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        for task in self.tasks {
            let _ = task.await;
        }
    }
}

async fn bind(config: &Config) -> anyhow::Result<Arc<TcpListener>> {
    let listener = TcpListener::bind(config.server.listen)
        .await
        .with_context(|| format!("cannot listen on {}", config.server.listen))?;
    Ok(Arc::new(listener))
}

/// Applies pending migrations while the listener already answers: `/healthz` is 200, and
/// `/readyz` and every page 503, so a load balancer sends readers to nodes that are ready.
async fn migrate_listening(
    config: &Config,
    store: &Store,
    listener: Arc<TcpListener>,
) -> anyhow::Result<()> {
    let (stop, stopped) = watch::channel(false);
    let edge = Edge::from_config(config);
    let answering = tokio::spawn(accept_loop(listener, migrating_router(), edge, stopped));
    // Another node may be migrating (holding the migration lock): waiting for it counts too.
    let applied = store.migrate().await;
    let _ = stop.send(true);
    let _ = answering.await;
    for m in applied.context("migrating the database")? {
        tracing::info!(migration = %m, "applied");
    }
    Ok(())
}

fn migrating_router() -> axum::Router {
    use axum::http::{header, StatusCode};
    use axum::response::IntoResponse;
    axum::Router::new()
        .route("/healthz", axum::routing::get(crate::web::health::healthz))
        .fallback(|| async {
            (
                StatusCode::SERVICE_UNAVAILABLE,
                [
                    (header::RETRY_AFTER, crate::error::RETRY_UNAVAILABLE),
                    (header::CACHE_CONTROL, "no-store"),
                ],
                "Updating the database; back in a moment.\n",
            )
                .into_response()
        })
}

/// Serves until `shutdown` resolves (Ctrl-C or SIGTERM in the binary), first applying any
/// pending migrations to `store` while answering that the node is not ready yet.
pub async fn serve(
    config: &Config,
    store: Store,
    shutdown: impl std::future::Future<Output = ()>,
) -> anyhow::Result<()> {
    // The time to the first page is a feature (a restarted node is back at once): each step's
    // share is logged, for `RUST_LOG=tidings_server=debug`.
    let started = std::time::Instant::now();
    let listener = bind(config).await?;
    migrate_listening(config, &store, listener.clone()).await?;
    tracing::debug!(
        ms = started.elapsed().as_secs_f64() * 1e3,
        "migrations checked"
    );
    let server = Server::start_on(config, store, PasswordCost::Standard, listener).await?;
    tracing::debug!(ms = started.elapsed().as_secs_f64() * 1e3, "serving");
    tracing::info!(url = %server.state.site().url, addr = %server.addr, "Tidings is serving");
    if let Some(code) = server.state.setup_code() {
        println!(
            "No account exists yet. Create the owner at {}/admin/setup with the one-time setup \
             code {code} (or run `tidings user add`).",
            server.state.site().url
        );
    }
    shutdown.await;
    tracing::info!("shutting down");
    server.stop().await;
    Ok(())
}

/// Serves HTTP/1.1 connections until stopped, then lets open requests finish (for up to 10 s).
///
/// A hand-rolled loop rather than `axum::serve`: that one sets no timer, so a client that trickles
/// its request forever would hold a connection forever, and it has no connection cap.
async fn accept_loop(
    listener: Arc<TcpListener>,
    app: axum::Router,
    edge: Edge,
    mut stopped: watch::Receiver<bool>,
) {
    let stop = async move {
        let _ = stopped.wait_for(|s| *s).await;
    };
    let mut stop = std::pin::pin!(stop);
    let graceful = GracefulShutdown::new();
    let mut builder = http1::Builder::new();
    // The header clock is kept by `TimedIo`, which tells a slow head from an idle keep-alive.
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(None)
        .max_header_size(MAX_HEADER_BYTES);
    let slots = std::sync::Arc::new(tokio::sync::Semaphore::new(edge.max_connections));
    loop {
        // At the cap, stop accepting: further clients wait in the kernel's backlog.
        let slot = tokio::select! {
            slot = slots.clone().acquire_owned() => slot.expect("semaphore open"),
            _ = &mut stop => break,
        };
        tokio::select! {
            accepted = listener.accept() => {
                let (stream, peer) = match accepted {
                    Ok(accepted) => accepted,
                    Err(e) => {
                        // Out of file descriptors and the like: back off instead of spinning.
                        tracing::warn!(error = %e, "accept failed");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                let _ = stream.set_nodelay(true);
                let stream = match stream.into_std() {
                    Ok(stream) => stream,
                    Err(e) => {
                        tracing::warn!(error = %e, "cannot hand over a connection");
                        continue;
                    }
                };
                let app = app.clone();
                let builder = builder.clone();
                let watcher = graceful.watcher();
                crate::workers::run(move || {
                    let stream = match tokio::net::TcpStream::from_std(stream) {
                        Ok(stream) => stream,
                        Err(e) => {
                            tracing::warn!(error = %e, "cannot take over a connection");
                            return;
                        }
                    };
                    let conn = connection(stream, peer, app, edge, &builder);
                    let conn = watcher.watch(conn);
                    tokio::spawn(async move {
                        let _ = conn.await;
                        drop(slot);
                    });
                });
            }
            _ = &mut stop => break,
        }
    }
    drop(listener);
    tokio::select! {
        _ = graceful.shutdown() => {}
        _ = tokio::time::sleep(Duration::from_secs(10)) => {
            tracing::warn!("some connections were still open at shutdown");
        }
    }
}

/// One client connection: hyper's HTTP/1.1 over the socket's clocks, answering with `app`.
fn connection(
    stream: tokio::net::TcpStream,
    peer: SocketAddr,
    app: axum::Router,
    edge: Edge,
    builder: &http1::Builder,
) -> impl hyper_util::server::graceful::GracefulConnection {
    let (io, tracker) = TimedIo::new(stream, edge.limits);
    let body_timeout = edge.limits.body;
    // Handlers that need the client's address (sign-in throttling, setup from loopback)
    // read it as `ConnectInfo`.
    let service =
        hyper::service::service_fn(move |req: axum::http::Request<hyper::body::Incoming>| {
            let served = tracker.begin();
            let (mut parts, body) = req.into_parts();
            parts.extensions.insert(axum::extract::ConnectInfo(peer));
            let req = axum::http::Request::from_parts(
                parts,
                axum::body::Body::new(TimedBody::new(body, body_timeout)),
            );
            let response = app.clone().oneshot(req);
            async move {
                let response = response.await?;
                Ok::<_, std::convert::Infallible>(finish_with_body(response, served))
            }
        });
    builder.serve_connection(TokioIo::new(io), service)
}

/// Keeps the request's [`Served`] guard alive until the response body has been sent (or dropped),
/// which is when the connection becomes idle.
fn finish_with_body(
    response: axum::response::Response,
    served: Served,
) -> axum::response::Response {
    use http_body_util::BodyExt;
    response.map(|body| {
        axum::body::Body::new(body.map_frame(move |frame| {
            let _ = &served;
            frame
        }))
    })
}

/// Notices writes from other processes within a second and drops stale cached pages.
///
/// On PostgreSQL each new generation is announced (`LISTEN/NOTIFY`), so other nodes drop stale
/// pages at once and reading the generation becomes a slow safety net; while the listener is down,
/// and always on SQLite, the generation is read twice a second.
async fn watch_generation(state: AppState, mut stopped: watch::Receiver<bool>) {
    let mut listener: Option<tidings_store::GenerationListener> = None;
    let mut next_attempt = tokio::time::Instant::now();
    loop {
        if listener.is_none() && tokio::time::Instant::now() >= next_attempt {
            next_attempt = tokio::time::Instant::now() + LISTEN_RETRY;
            match state.store().listen_generations().await {
                Ok(l) => listener = l,
                Err(e) => tracing::warn!(error = %e, "cannot listen for content changes"),
            }
        }
        // With a replica, an announcement from the primary may run ahead of the replica: the
        // generation is read from the replica, promptly, either way.
        let poll = if listener.is_some() && !state.has_replica() {
            GENERATION_SAFETY_POLL
        } else {
            GENERATION_POLL
        };
        let heard = async {
            match listener.as_mut() {
                Some(l) => l.next().await,
                None => std::future::pending().await,
            }
        };
        let heard = tokio::select! {
            _ = tokio::time::sleep(poll) => Ok(None),
            heard = heard => heard,
            _ = stopped.wait_for(|s| *s) => return,
        };
        // Anything but an announcement (a quiet spell, a dropped listener) means reading it.
        let announced = heard.unwrap_or_else(|e| {
            tracing::warn!(error = %e, "lost the content-change listener");
            listener = None;
            None
        });
        match announced {
            Some(generation) if !state.has_replica() => {
                state.cache().advance(generation);
            }
            _ => {
                if let Err(e) = state.refresh_generation().await {
                    tracing::warn!(error = %e, "cannot read the content generation");
                }
            }
        }
    }
}

/// Writes this node's read counts to the database every minute and once more on the way out (a
/// per-node task: each process counts its own readers).
async fn flush_reads(state: AppState, mut stopped: watch::Receiver<bool>) {
    loop {
        let stop = tokio::select! {
            _ = tokio::time::sleep(READS_FLUSH) => false,
            _ = stopped.wait_for(|s| *s) => true,
        };
        let now = chrono::Utc::now();
        if let Err(e) = state.newsletters().reads().flush(state.store(), now).await {
            tracing::warn!(error = %e, "cannot record read counts");
        }
        if stop {
            return;
        }
    }
}

/// The job runner with every job of the site, over this process's services.
pub fn job_runner(state: &AppState, config: &Config) -> tidings_jobs::Runner {
    tidings_jobs::site::runner(tidings_jobs::site::Site {
        store: state.store().clone(),
        newsletters: state.newsletters().clone(),
        donations: state.donations().clone(),
        backup: tidings_jobs::site::Nightly::from_config(config),
        media_dir: state.media_dir().to_path_buf(),
        avif: config.media.avif,
    })
}
