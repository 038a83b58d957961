use std::io::Read;
use std::time::Duration;

use chrono::Utc;
use tidings_store::{NewArticle, Store};

use crate::server_test;
use crate::support::{demo, Options};

const PATH: &str = "/harbour-sea-wall-must-rise-by-60-centimetres-engineers-warn/";

server_test!(etag_revalidation_answers_304, demo(), |app| {
    let res = app.get(PATH).await;
    let etag = res.headers()["etag"].to_str().unwrap().to_string();
    assert!(res.headers()["cache-control"]
        .to_str()
        .unwrap()
        .contains("max-age"));
    assert_eq!(res.headers()["vary"], "Accept-Encoding");
    let res = app.get_with(PATH, &[("if-none-match", &etag)]).await;
    assert_eq!(res.status(), 304);
    assert!(res.bytes().await.unwrap().is_empty());
    let res = app
        .get_with(PATH, &[("if-none-match", "W/\"something-else\"")])
        .await;
    assert_eq!(res.status(), 200);
});

server_test!(pages_are_served_compressed_once, demo(), |app| {
    let plain = app.get_with(PATH, &[("accept-encoding", "identity")]).await;
    assert!(plain.headers().get("content-encoding").is_none());
    let plain = plain.text().await.unwrap();

    let gz = app.get_with(PATH, &[("accept-encoding", "gzip")]).await;
    assert_eq!(gz.headers()["content-encoding"], "gzip");
    let gz_bytes = gz.bytes().await.unwrap();
    let mut unzipped = String::new();
    flate2::read::GzDecoder::new(&gz_bytes[..])
        .read_to_string(&mut unzipped)
        .unwrap();
    assert_eq!(unzipped, plain);

    let br = app
        .get_with(PATH, &[("accept-encoding", "gzip, deflate, br")])
        .await;
    assert_eq!(br.headers()["content-encoding"], "br");
    let br_bytes = br.bytes().await.unwrap();
    let mut out = Vec::new();
    brotli::BrotliDecompress(&mut &br_bytes[..], &mut out).unwrap();
    assert_eq!(String::from_utf8(out).unwrap(), plain);
    assert!(br_bytes.len() < gz_bytes.len() && gz_bytes.len() < plain.len() / 2);

    // The same compressed bytes come back: compressed when cached, not per request.
    let again = app
        .get_with(PATH, &[("accept-encoding", "br")])
        .await
        .bytes()
        .await
        .unwrap();
    assert_eq!(again, br_bytes);
    let state = &app.server.as_ref().unwrap().state;
    assert!(!state.cache().is_empty());
});

server_test!(
    a_write_from_another_process_shows_within_a_second,
    demo(),
    |app| {
        let before = app.text("/").await;
        assert!(!before.contains("Breaking: harbour crane collapses"));
        // A second connection pool, as a CLI command running beside the server would have.
        let other = Store::connect(&app.db_url, 2).await.unwrap();
        let mut new =
            NewArticle::published("Breaking: harbour crane collapses", "Nobody was hurt.");
        new.featured = true;
        other.create_article(&new).await.unwrap();
        assert!(
            app.eventually("/", Duration::from_millis(1500), |html| html
                .contains("Breaking: harbour crane collapses"))
                .await,
            "the cached home page was rebuilt after the write"
        );
    }
);

server_test!(
    scheduled_articles_appear_on_time_without_a_restart,
    Options::default(),
    |app| {
        let mut soon = NewArticle::published("Right On Time", "Scheduled story.");
        soon.published_at = Some(Utc::now() + chrono::Duration::seconds(2));
        let created = app.store.create_article(&soon).await.unwrap();
        assert_eq!(created.status, tidings_content::Status::Scheduled);
        assert_eq!(app.get("/right-on-time/").await.status(), 404);
        let home = app.text("/").await;
        assert!(!home.contains("Right On Time"));
        assert!(
            app.eventually("/", Duration::from_secs(6), |html| html
                .contains("Right On Time"))
                .await,
            "the scheduled story went live"
        );
        assert_eq!(app.get("/right-on-time/").await.status(), 200);
    }
);

server_test!(
    assets_are_content_hashed_and_immutable,
    Options::default(),
    |app| {
        let html = app.text("/").await;
        let css = crate::support::attr(&html, "<link rel=\"stylesheet\"", "href").unwrap();
        assert!(
            css.starts_with("/assets/style.")
                && css.ends_with(".css")
                && css.len() > "/assets/style..css".len()
        );
        let res = app.get_with(&css, &[("accept-encoding", "br")]).await;
        assert_eq!(res.status(), 200);
        assert_eq!(
            res.headers()["cache-control"],
            "public, max-age=31536000, immutable"
        );
        assert_eq!(res.headers()["content-type"], "text/css; charset=utf-8");
        assert_eq!(res.headers()["content-encoding"], "br");
        assert_eq!(app.get("/assets/style.css").await.status(), 404);
        assert_eq!(app.get("/assets/style.0000000000.css").await.status(), 404);
    }
);
