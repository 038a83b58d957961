//! The review's findings at the edge: open redirects, the Host header, `security.txt`.

use crate::server_test;
use crate::support::browser::{account, Browser, PASSWORD};
use crate::support::{demo, raw_get, Options};
use tidings_accounts::Role;

/// Whether a raw response carries no redirect that a browser would follow to another host.
pub fn stays_on_site(raw: &str) -> bool {
    let head = raw.split("\r\n\r\n").next().unwrap_or_default();
    head.lines()
        .filter_map(|l| l.split_once(':'))
        .filter(|(k, _)| k.eq_ignore_ascii_case("location"))
        .all(|(_, v)| {
            let v = v.trim();
            let lower = v.to_ascii_lowercase();
            v.starts_with('/')
                && !v.starts_with("//")
                && !v.contains('\\')
                && !lower.contains("%2f")
                && !lower.contains("%5c")
        })
}

server_test!(
    no_request_path_becomes_an_off_site_redirect,
    demo(),
    |app| {
        for path in [
            "//evil%2Ecom",
            "//3232235777",
            "//evil.com",
            "/\\evil.com",
            "/%2F%2Fevil.com",
            "/%5C%5Cevil.com",
            "//evil%2Ecom?x=1",
            "/about%2F%2Fevil",
        ] {
            let raw = raw_get(app.addr(), path).await;
            assert!(raw.starts_with("HTTP/1.1 "), "{path}: {raw}");
            assert!(stays_on_site(&raw), "{path}: {raw}");
            assert!(!raw.starts_with("HTTP/1.1 30"), "{path} redirected: {raw}");
        }
        // The trailing-slash redirect itself still works for real pages.
        let raw = raw_get(app.addr(), "/about").await;
        assert!(raw.starts_with("HTTP/1.1 301"), "{raw}");
        assert!(raw.contains("\r\nlocation: /about/\r\n"), "{raw}");
    }
);

server_test!(
    sign_in_only_returns_to_admin_paths,
    Options::default(),
    |app| {
        account(&app.store, "editor@example.org", Role::Editor).await;
        for next in [
            "//evil.com",
            "/\\evil.com",
            "/admin/%2F%2Fevil.com",
            "https://evil.com/admin/",
            "/admin/../..//evil.com",
        ] {
            let mut b = Browser::new(&app.base);
            let page = b
                .get(&format!("/admin/login?next={}", urlencode(next)))
                .await;
            assert!(
                page.body.contains("value=\"/admin/\""),
                "{next}: {}",
                page.body
            );
            let signed = b
                .post(
                    "/admin/login",
                    &[
                        ("email", "editor@example.org"),
                        ("password", PASSWORD),
                        ("next", next),
                    ],
                )
                .await;
            assert_eq!(signed.location.as_deref(), Some("/admin/"), "{next}");
        }
    }
);

fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

server_test!(
    requests_for_other_host_names_are_refused,
    Options::default(),
    |app| {
        let port = app.addr().port();
        // The listen address and site.url's host are this site.
        for host in [
            format!("127.0.0.1:{port}"),
            "news.test".into(),
            "NEWS.test.".into(),
        ] {
            let res = app.get_with("/", &[("host", &host)]).await;
            assert_eq!(res.status(), 200, "{host}");
        }
        // A rebound DNS name reaches nothing but health checks.
        for path in ["/", "/admin/login", "/subscribe/", "/donate/"] {
            let res = app.get_with(path, &[("host", "attacker.example")]).await;
            assert_eq!(res.status(), 421, "{path}");
            assert!(res.text().await.unwrap().contains("server.allowed_hosts"));
        }
        let res = app
            .client
            .post(format!("{}/subscribe/", app.base))
            .header("host", "attacker.example")
            .form(&[("email", "a@example.org")])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 421);
        for path in ["/healthz", "/readyz"] {
            let res = app.get_with(path, &[("host", "10.0.0.5:8080")]).await;
            assert_eq!(res.status(), 200, "{path}");
        }
    }
);

server_test!(
    listed_host_names_are_allowed,
    Options {
        configure: Some(Box::new(|c| {
            c.server.allowed_hosts = vec!["www.news.test".into()];
        })),
        ..Options::default()
    },
    |app| {
        let res = app.get_with("/", &[("host", "www.news.test")]).await;
        assert_eq!(res.status(), 200);
        let res = app.get_with("/", &[("host", "www.news.test:8443")]).await;
        assert_eq!(
            res.status(),
            421,
            "a listed name on another port is another site"
        );
    }
);

server_test!(
    without_a_site_url_the_host_check_is_off,
    Options {
        configure: Some(Box::new(|c| c.site.url = String::new())),
        ..Options::default()
    },
    |app| {
        let res = app.get_with("/", &[("host", "anything.example")]).await;
        assert_eq!(res.status(), 200);
    }
);

server_test!(
    security_txt_names_the_configured_contact,
    Options {
        configure: Some(Box::new(|c| {
            c.site.security_contact = "mailto:security@news.test".into();
        })),
        ..Options::default()
    },
    |app| {
        let res = app.get("/.well-known/security.txt").await;
        assert_eq!(res.status(), 200);
        assert_eq!(res.headers()["content-type"], "text/plain; charset=utf-8");
        let body = res.text().await.unwrap();
        assert!(
            body.contains("Contact: mailto:security@news.test\n"),
            "{body}"
        );
        let expires = body
            .lines()
            .find_map(|l| l.strip_prefix("Expires: "))
            .expect("Expires is required by RFC 9116");
        let expires = chrono::DateTime::parse_from_rfc3339(expires).unwrap();
        assert!(expires > chrono::Utc::now());
        assert!(body.contains("Canonical: http://news.test/.well-known/security.txt"));
    }
);

server_test!(
    security_txt_is_absent_without_a_contact,
    Options::default(),
    |app| {
        assert_eq!(app.get("/.well-known/security.txt").await.status(), 404);
    }
);

server_test!(the_digest_desk_refuses_oversized_forms, demo(), |app| {
    account(&app.store, "editor@example.org", Role::Editor).await;
    let mut b = Browser::new(&app.base);
    b.sign_in("editor@example.org", PASSWORD).await;
    b.get("/admin/newsletter").await;
    let mut fields: Vec<(String, String)> = vec![("action".into(), "save".into())];
    for i in 0..20_000 {
        fields.push(("story".into(), i.to_string()));
        fields.push((format!("pos_{i}"), i.to_string()));
    }
    let refs: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let page = b.post("/admin/newsletter/digest", &refs).await;
    assert_eq!(page.status, 422, "{}", page.body);
    assert!(page.body.contains("too many fields"));
    let huge = "9".repeat(100);
    let page = b
        .post(
            "/admin/newsletter/digest",
            &[("action", "save"), ("story", "1"), ("pos_1", huge.as_str())],
        )
        .await;
    assert_eq!(page.status, 422, "{}", page.body);
});
