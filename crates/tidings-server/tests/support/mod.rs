//! A running test server over a throwaway database, and helpers to talk to it.

use std::time::{Duration, Instant};

use tidings_accounts::PasswordCost;
use tidings_config::Config;
use tidings_mail::testing::SmtpCatcher;
use tidings_server::Server;
use tidings_store::testing::TestDb;
use tidings_store::{Backend, Store};

/// Public URL the test server announces (links, canonical URLs, feeds).
pub const SITE: &str = "http://news.test";

/// A server on a loopback port over a fresh database.
pub struct TestApp {
    pub server: Option<Server>,
    pub store: Store,
    pub base: String,
    /// The SMTP server mail goes to, when asked for.
    pub smtp: Option<SmtpCatcher>,
    /// URL of the throwaway database, for a second connection pool.
    pub db_url: String,
    pub client: reqwest::Client,
    /// The relay between the server and its database, when asked for.
    pub proxy: Option<proxy::TcpProxy>,
    /// The server's data folder.
    pub data_dir: std::path::PathBuf,
    _data: tempfile::TempDir,
    _db: TestDb,
}

/// A change to the test server's configuration.
pub type Configure = Box<dyn Fn(&mut Config) + Send + Sync>;

/// Options for starting a test server.
#[derive(Default)]
pub struct Options {
    /// Fill the sample newsroom before starting.
    pub demo: bool,
    /// Display timezone.
    pub timezone: Option<&'static str>,
    /// Files to write under the data dir before start (e.g. theme overrides).
    pub files: Vec<(&'static str, &'static str)>,
    /// Send mail to a real SMTP server on loopback (`TestApp::smtp`) instead of the outbox.
    pub smtp: bool,
    /// Daily digest time; scheduled sending is off unless a test asks for it.
    pub digest_time: Option<&'static str>,
    /// Any other configuration a test needs.
    pub configure: Option<Configure>,
    /// Reach the database through a relay the test can cut (`TestApp::proxy`; PostgreSQL only).
    pub through_proxy: bool,
}

impl TestApp {
    /// Starts a server, or `None` for PostgreSQL when no test server is configured.
    pub async fn start(backend: Backend, options: Options) -> Option<TestApp> {
        let db = TestDb::new(backend).await?;
        let data = tempfile::tempdir().unwrap();
        let mut config = Config::default();
        config.server.listen = "127.0.0.1:0".parse().unwrap();
        config.server.data_dir = data.path().to_path_buf();
        config.site.url = SITE.into();
        config.site.title = "Test Ledger".into();
        config.server.header_timeout_secs = 1;
        // Seconds of unoptimised encoding per demo photo, in every test that fills the demo: on
        // only where a test turns it on.
        config.media.avif = false;
        let smtp = if options.smtp {
            let catcher = SmtpCatcher::start().await;
            config.mail.url = catcher.url();
            Some(catcher)
        } else {
            None
        };
        config.newsletter.digest_time = options.digest_time.unwrap_or("off").into();
        if let Some(tz) = options.timezone {
            config.site.timezone = tz.into();
        }
        if let Some(configure) = &options.configure {
            configure(&mut config);
        }
        for (path, contents) in &options.files {
            let full = data.path().join(path);
            std::fs::create_dir_all(full.parent().unwrap()).unwrap();
            std::fs::write(full, contents).unwrap();
        }
        if options.demo {
            tidings_demo::fill(&db.store, &data.path().join("media"))
                .await
                .unwrap();
        }
        let (store, proxy) = if options.through_proxy {
            let (store, proxy) = proxied_store(&db.url).await;
            (store, Some(proxy))
        } else {
            (db.store.clone(), None)
        };
        let server = Server::start_with(&config, store, PasswordCost::Test)
            .await
            .unwrap();
        let base = format!("http://{}", server.addr);
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        Some(TestApp {
            store: db.store.clone(),
            server: Some(server),
            base,
            db_url: db.url.clone(),
            smtp,
            client,
            proxy,
            data_dir: data.path().to_path_buf(),
            _data: data,
            _db: db,
        })
    }

    /// The address the server listens on.
    pub fn addr(&self) -> std::net::SocketAddr {
        self.server.as_ref().expect("running").addr
    }

    /// GET a path and return the response.
    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .unwrap()
    }

    /// GET a path with extra headers.
    pub async fn get_with(&self, path: &str, headers: &[(&str, &str)]) -> reqwest::Response {
        let mut req = self.client.get(format!("{}{path}", self.base));
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        req.send().await.unwrap()
    }

    /// GET a path, expect 200, and return the body.
    pub async fn text(&self, path: &str) -> String {
        let res = self.get(path).await;
        assert_eq!(res.status(), 200, "GET {path}");
        res.text().await.unwrap()
    }

    /// Polls `path` until its body satisfies `check`, for at most `limit`.
    pub async fn eventually(
        &self,
        path: &str,
        limit: Duration,
        check: impl Fn(&str) -> bool,
    ) -> bool {
        let start = Instant::now();
        while start.elapsed() < limit {
            let res = self.get(path).await;
            if res.status() == 200 && check(&res.text().await.unwrap()) {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        false
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        // Background tasks end with the runtime; nothing else to release.
        self.server.take();
    }
}

/// Runs a test body against a server on each engine (PostgreSQL ignored unless asked for).
#[macro_export]
macro_rules! server_test {
    // With parts started before the server (a DNS server, a stand-in API): `$setup` is a future
    // of `(Options, parts)`, and the body gets the parts as `$parts`.
    ($name:ident, setup $setup:expr, |$app:ident, $parts:pat_param| $body:block) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let (options, $parts) = $setup.await;
                let $app = $crate::support::TestApp::start(tidings_store::Backend::Sqlite, options)
                    .await
                    .unwrap();
                $body
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            #[ignore = "PostgreSQL: set TIDINGS_TEST_DATABASE_URL and run with --ignored"]
            async fn postgres() {
                let (options, $parts) = $setup.await;
                let $app =
                    $crate::support::TestApp::start(tidings_store::Backend::Postgres, options)
                        .await
                        .expect("TIDINGS_TEST_DATABASE_URL is not set: this test needs PostgreSQL");
                $body
            }
        }
    };
    ($name:ident, $options:expr, |$app:ident| $body:block) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let $app =
                    $crate::support::TestApp::start(tidings_store::Backend::Sqlite, $options)
                        .await
                        .unwrap();
                $body
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            #[ignore = "PostgreSQL: set TIDINGS_TEST_DATABASE_URL and run with --ignored"]
            async fn postgres() {
                let $app =
                    $crate::support::TestApp::start(tidings_store::Backend::Postgres, $options)
                        .await
                        .expect("TIDINGS_TEST_DATABASE_URL is not set: this test needs PostgreSQL");
                $body
            }
        }
    };
}

pub mod browser;
pub mod proxy;

/// A store of the server's own that reaches the PostgreSQL database at `url` through a relay.
async fn proxied_store(url: &str) -> (Store, proxy::TcpProxy) {
    let mut url = url::Url::parse(url).expect("a PostgreSQL URL");
    assert!(
        url.scheme().starts_with("postgres"),
        "only a database server can be cut off"
    );
    let host = url.host_str().unwrap_or("127.0.0.1").to_string();
    let port = url.port().unwrap_or(5432);
    let upstream = tokio::net::lookup_host((host.as_str(), port))
        .await
        .unwrap()
        .next()
        .unwrap();
    let proxy = proxy::TcpProxy::start(upstream).await;
    url.set_host(Some("127.0.0.1")).unwrap();
    url.set_port(Some(proxy.addr.port())).unwrap();
    let store = Store::connect(url.as_str(), 4).await.unwrap();
    (store, proxy)
}

/// The demo options most tests use.
pub fn demo() -> Options {
    Options {
        demo: true,
        ..Options::default()
    }
}

/// Extracts the value of the first `attr="..."` inside the first tag matching `tag_start`.
pub fn attr(html: &str, tag_start: &str, attr: &str) -> Option<String> {
    let at = html.find(tag_start)?;
    let tag_end = html[at..].find('>')? + at;
    let tag = &html[at..tag_end];
    let key = format!("{attr}=\"");
    let start = tag.find(&key)? + key.len();
    let end = tag[start..].find('"')? + start;
    Some(tag[start..end].to_string())
}

/// Sends `request` as raw bytes over a fresh socket, so the server sees exactly what was written
/// (no client normalises the path), and returns the whole response as text.
pub async fn raw_request(addr: std::net::SocketAddr, request: &[u8]) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut socket = tokio::net::TcpStream::connect(addr).await.unwrap();
    socket.write_all(request).await.unwrap();
    let mut out = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), socket.read_to_end(&mut out))
        .await
        .expect("the server answers and closes")
        .unwrap();
    String::from_utf8_lossy(&out).into_owned()
}

/// A GET of `path` exactly as written, with `Connection: close`.
pub async fn raw_get(addr: std::net::SocketAddr, path: &str) -> String {
    raw_request(
        addr,
        format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n").as_bytes(),
    )
    .await
}
