use crate::server_test;
use crate::support::{demo, Options};

server_test!(security_headers_are_on_every_response, demo(), |app| {
    for path in [
        "/",
        "/about/",
        "/no-such-page/",
        "/rss/",
        "/healthz",
        "/media/demo/story-00.jpg",
        "/about",
    ] {
        let res = app.get(path).await;
        let h = res.headers();
        let csp = h["content-security-policy"].to_str().unwrap();
        assert!(
            csp.contains("default-src 'self'") && csp.contains("frame-ancestors 'none'"),
            "{path}"
        );
        assert!(
            csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"),
            "{path}"
        );
        assert_eq!(h["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(
            h["referrer-policy"], "strict-origin-when-cross-origin",
            "{path}"
        );
        assert!(
            h.get("strict-transport-security").is_none(),
            "no HSTS over plain HTTP"
        );
    }
});

server_test!(health_and_readiness, Options::default(), |app| {
    let res = app.get("/healthz").await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.text().await.unwrap(), "ok\n");
    assert_eq!(app.get("/readyz").await.status(), 200);
    app.store.close().await;
    assert_eq!(
        app.get("/readyz").await.status(),
        503,
        "not ready without a database"
    );
    assert_eq!(app.get("/healthz").await.status(), 200, "but alive");
});

server_test!(media_files_are_served_from_the_data_dir, demo(), |app| {
    let res = app.get("/media/demo/story-00-480w.jpg").await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "image/jpeg");
    assert!(res.headers()["cache-control"]
        .to_str()
        .unwrap()
        .contains("max-age"));
    let bytes = res.bytes().await.unwrap();
    assert_eq!(&bytes[..3], &[0xFF, 0xD8, 0xFF], "a real JPEG");
    assert_eq!(app.get("/media/demo/missing.jpg").await.status(), 404);
    // Sent as raw bytes: an HTTP client would normalise these paths away before sending them.
    for path in [
        "/media/../tidings.db",
        "/media/%2e%2e/tidings.db",
        "/media/..%2ftidings.db",
        "/media/..%2Ftidings.db",
        "/media/%2e%2e%2ftidings.db",
        "/media/..%5ctidings.db",
        "/media/demo/../../tidings.db",
        "/media/..\\tidings.db",
    ] {
        let raw = crate::support::raw_get(app.addr(), path).await;
        let status = raw.split(' ').nth(1).unwrap_or_default().to_string();
        assert!(
            status == "404" || status == "400",
            "{path}: {}",
            raw.lines().next().unwrap_or_default()
        );
        assert!(!raw.contains("SQLite format"), "{path} served the database");
    }
});

server_test!(
    slow_clients_time_out_and_huge_headers_are_refused,
    Options::default(),
    |app| {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let addr = app.base.trim_start_matches("http://").to_string();
        // A client that starts a request and never finishes its headers is cut off.
        let mut slow = tokio::net::TcpStream::connect(&addr).await.unwrap();
        slow.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n")
            .await
            .unwrap();
        let mut buf = Vec::new();
        let read = tokio::time::timeout(
            std::time::Duration::from_secs(5),
            slow.read_to_end(&mut buf),
        )
        .await;
        assert!(
            read.is_ok(),
            "the server closed the connection of a client that stalled"
        );

        let huge = "x".repeat(100 * 1024);
        let res = app.get_with("/", &[("x-filler", huge.as_str())]).await;
        assert_eq!(res.status(), 431);
    }
);
