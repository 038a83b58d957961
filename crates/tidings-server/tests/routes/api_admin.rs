//! The admin API through the router: tokens made in the admin (shown once, scoped, expiring,
//! revocable, never stronger than their maker's role), per-token limits, article writes that show
//! on the site and in the audit log under the editor's version rule, subscribers and donations.

use reqwest::Method;
use serde_json::Value;
use tidings_accounts::Role;
use tidings_store::NewApiToken;

use crate::server_test;
use crate::support::browser::{account, Browser, PASSWORD};
use crate::support::{Options, TestApp};

/// Signs `email` (made with `role`) in and makes a token with `scopes` in the admin.
pub async fn token(app: &TestApp, email: &str, role: Role, scopes: &[&str]) -> String {
    account(&app.store, email, role).await;
    let mut b = Browser::new(&app.base);
    b.sign_in(email, PASSWORD).await;
    b.get("/admin/account/tokens").await;
    let mut fields = vec![("name", "Script"), ("expires", "30")];
    fields.extend(scopes.iter().map(|s| ("scope", *s)));
    let page = b.post("/admin/account/tokens", &fields).await;
    assert_eq!(page.status, 201, "{}", page.body);
    let at = page.body.find("tdg_").expect("the token is shown");
    let end = page.body[at..].find('<').unwrap() + at;
    page.body[at..end].to_string()
}

pub struct Answer {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
}

pub async fn call(
    app: &TestApp,
    method: Method,
    path: &str,
    token: Option<&str>,
    body: Option<&str>,
) -> Answer {
    let mut req = app.client.request(method, format!("{}{path}", app.base));
    if let Some(t) = token {
        req = req.header("authorization", format!("Bearer {t}"));
    }
    if let Some(b) = body {
        req = req
            .header("content-type", "application/json")
            .body(b.to_string());
    }
    let res = req.send().await.unwrap();
    let status = res.status().as_u16();
    let headers = res.headers().clone();
    let text = res.text().await.unwrap();
    Answer {
        status,
        headers,
        body: serde_json::from_str(&text).unwrap_or(Value::String(text)),
    }
}

server_test!(
    tokens_are_shown_once_scoped_expiring_and_revocable,
    Options::default(),
    |app| {
        let t = token(&app, "owner@example.org", Role::Owner, &["content:read"]).await;
        assert!(t.len() > 60);
        let mut b = Browser::new(&app.base);
        b.sign_in("owner@example.org", PASSWORD).await;
        let list = b.get("/admin/account/tokens").await;
        assert!(!list.body.contains(&t), "shown once only");
        assert!(
            list.body.contains(&t[t.len() - 4..]),
            "its last characters are"
        );

        let ok = call(&app, Method::GET, "/api/v1/admin/articles", Some(&t), None).await;
        assert_eq!(ok.status, 200);
        let none = call(&app, Method::GET, "/api/v1/admin/articles", None, None).await;
        assert_eq!(none.status, 401);
        assert!(none.headers.contains_key("www-authenticate"));
        assert_eq!(none.body["type"], "/api/docs#problem-unauthorized");
        let wrong = call(
            &app,
            Method::GET,
            "/api/v1/admin/articles",
            Some("tdg_nope"),
            None,
        )
        .await;
        assert_eq!(wrong.status, 401);
        let scope = call(
            &app,
            Method::POST,
            "/api/v1/admin/articles",
            Some(&t),
            Some(r#"{"title": "Nope"}"#),
        )
        .await;
        assert_eq!(scope.status, 403);
        assert!(scope.body["detail"]
            .as_str()
            .unwrap()
            .contains("content:write"));

        // Revoked in the admin: refused from then on.
        let id = app.store.api_tokens_of(1).await.unwrap()[0].id;
        let revoked = b
            .post(&format!("/admin/account/tokens/{id}/revoke"), &[])
            .await;
        assert_eq!(revoked.status, 303);
        let after = call(&app, Method::GET, "/api/v1/admin/articles", Some(&t), None).await;
        assert_eq!(after.status, 401);

        // Expired: refused.
        let user = app
            .store
            .user_by_email("owner@example.org")
            .await
            .unwrap()
            .unwrap();
        let now = chrono::Utc::now().timestamp();
        app.store
            .create_api_token(
                &NewApiToken {
                    user_id: user.id,
                    name: "Old",
                    token_hash: &tidings_accounts::hash_token("tdg_old"),
                    hint: "_old",
                    scopes: &["content:read"],
                    expires_at: Some(now - 1),
                },
                now - 100,
            )
            .await
            .unwrap();
        let old = call(
            &app,
            Method::GET,
            "/api/v1/admin/articles",
            Some("tdg_old"),
            None,
        )
        .await;
        assert_eq!(old.status, 401);

        let audit = app.store.audit_log(20).await.unwrap();
        assert!(audit.iter().any(|e| e.action == "api_token.create"));
        assert!(audit.iter().any(|e| e.action == "api_token.revoke"));
    }
);

server_test!(
    a_token_never_does_more_than_its_makers_role,
    Options::default(),
    |app| {
        // The admin offers a contributor no scope beyond their role, and refuses one sent anyway.
        account(&app.store, "writer@example.org", Role::Contributor).await;
        let mut b = Browser::new(&app.base);
        b.sign_in("writer@example.org", PASSWORD).await;
        let form = b.get("/admin/account/tokens").await;
        assert!(form.body.contains("value=\"content:write\""));
        assert!(!form.body.contains("value=\"subscribers:read\""));
        let refused = b
            .post(
                "/admin/account/tokens",
                &[
                    ("name", "Sneaky"),
                    ("expires", "30"),
                    ("scope", "subscribers:read"),
                ],
            )
            .await;
        assert_eq!(refused.status, 422);

        // A token made by an administrator stops reading subscribers when its maker is demoted.
        let t = token(
            &app,
            "admin@example.org",
            Role::Administrator,
            &["subscribers:read"],
        )
        .await;
        let ok = call(
            &app,
            Method::GET,
            "/api/v1/admin/subscribers",
            Some(&t),
            None,
        )
        .await;
        assert_eq!(ok.status, 200);
        let admin = app
            .store
            .user_by_email("admin@example.org")
            .await
            .unwrap()
            .unwrap();
        app.store.set_role(admin.id, Role::Editor).await.unwrap();
        let now = call(
            &app,
            Method::GET,
            "/api/v1/admin/subscribers",
            Some(&t),
            None,
        )
        .await;
        assert_eq!(now.status, 403);
        assert!(now.body["detail"].as_str().unwrap().contains("no longer"));
    }
);

server_test!(
    api_writes_show_on_the_site_and_in_the_audit_log,
    Options::default(),
    |app| {
        let t = token(
            &app,
            "ed@example.org",
            Role::Editor,
            &["content:read", "content:write", "content:publish"],
        )
        .await;
        let made = call(
            &app,
            Method::POST,
            "/api/v1/admin/articles",
            Some(&t),
            Some(r#"{"title": "Bridge toll scrapped", "body_markdown": "The council *voted*.", "slug": "bridge-toll"}"#),
        )
        .await;
        assert_eq!(made.status, 201, "{}", made.body);
        assert_eq!(made.body["status"], "draft");
        let id = made.body["id"].as_i64().unwrap();
        assert_eq!(
            made.headers["location"],
            format!("/api/v1/admin/articles/{id}").as_str()
        );
        assert_eq!(
            app.get("/bridge-toll/").await.status(),
            404,
            "a draft is not public"
        );

        // The version rule: a change based on an old version is refused.
        let path = format!("/api/v1/admin/articles/{id}");
        let stale = call(
            &app,
            Method::PATCH,
            &path,
            Some(&t),
            Some(r#"{"version": 0, "dek": "Old"}"#),
        )
        .await;
        assert_eq!(stale.status, 409);
        let version = made.body["version"].as_i64().unwrap();
        let changed = call(
            &app,
            Method::PATCH,
            &path,
            Some(&t),
            Some(&format!(
                r#"{{"version": {version}, "dek": "Drivers rejoice."}}"#
            )),
        )
        .await;
        assert_eq!(changed.status, 200, "{}", changed.body);
        assert_eq!(changed.body["dek"], "Drivers rejoice.");

        // Bad bodies are problems, not 500s.
        for (body, status) in [
            ("not json", 400),
            (r#"{"version": 1, "colour": "red"}"#, 400),
            (r#"{"version": "one"}"#, 400),
        ] {
            let r = call(&app, Method::PATCH, &path, Some(&t), Some(body)).await;
            assert_eq!(r.status, status, "{body}: {}", r.body);
        }
        let past = call(
            &app,
            Method::POST,
            &format!("{path}/publish"),
            Some(&t),
            Some(r#"{"at": "2001-01-01T00:00:00Z"}"#),
        )
        .await;
        assert_eq!(past.status, 422);

        let published = call(
            &app,
            Method::POST,
            &format!("{path}/publish"),
            Some(&t),
            None,
        )
        .await;
        assert_eq!(published.status, 200, "{}", published.body);
        assert_eq!(published.body["status"], "published");
        assert!(
            app.eventually("/bridge-toll/", std::time::Duration::from_secs(5), |b| {
                b.contains("Drivers rejoice.")
            })
            .await
        );
        let audit = app.store.audit_log(20).await.unwrap();
        let entry = audit
            .iter()
            .find(|e| e.action == "article.publish")
            .unwrap();
        assert!(
            entry.subject.contains("API token “Script”"),
            "{}",
            entry.subject
        );
        assert_eq!(entry.user.as_deref(), Some("ed@example.org"));

        let unpublished = call(
            &app,
            Method::POST,
            &format!("{path}/unpublish"),
            Some(&t),
            None,
        )
        .await;
        assert_eq!(unpublished.body["status"], "draft");
        assert_eq!(app.get("/bridge-toll/").await.status(), 404);

        let later = (chrono::Utc::now() + chrono::Duration::days(1)).to_rfc3339();
        let scheduled = call(
            &app,
            Method::POST,
            &format!("{path}/publish"),
            Some(&t),
            Some(&format!(r#"{{"at": "{later}"}}"#)),
        )
        .await;
        assert_eq!(scheduled.body["status"], "scheduled");

        let listed = call(
            &app,
            Method::GET,
            "/api/v1/admin/articles?status=scheduled",
            Some(&t),
            None,
        )
        .await;
        assert_eq!(listed.body["items"][0]["id"], id);
        let missing = call(
            &app,
            Method::GET,
            "/api/v1/admin/articles/999999",
            Some(&t),
            None,
        )
        .await;
        assert_eq!(missing.status, 404);
    }
);

server_test!(
    a_contributor_token_writes_drafts_only,
    Options::default(),
    |app| {
        let t = token(
            &app,
            "writer@example.org",
            Role::Contributor,
            &["content:read", "content:write"],
        )
        .await;
        let made = call(
            &app,
            Method::POST,
            "/api/v1/admin/articles",
            Some(&t),
            Some(r#"{"title": "My first story"}"#),
        )
        .await;
        assert_eq!(made.status, 201);
        let id = made.body["id"].as_i64().unwrap();
        let publish = call(
            &app,
            Method::POST,
            &format!("/api/v1/admin/articles/{id}/publish"),
            Some(&t),
            None,
        )
        .await;
        assert_eq!(publish.status, 403);
        // Someone else's story is not theirs to change.
        let other = app
            .store
            .create_article(&tidings_store::NewArticle::published(
                "Editor's piece",
                "Text.",
            ))
            .await
            .unwrap();
        let change = call(
            &app,
            Method::PATCH,
            &format!("/api/v1/admin/articles/{}", other.id),
            Some(&t),
            Some(&format!(
                r#"{{"version": {}, "title": "Mine now"}}"#,
                other.version
            )),
        )
        .await;
        assert_eq!(change.status, 403);
    }
);

server_test!(
    each_token_is_limited_per_minute,
    Options {
        configure: Some(Box::new(|c| c.api.token_per_minute = 3)),
        ..Options::default()
    },
    |app| {
        let t = token(&app, "owner@example.org", Role::Owner, &["content:read"]).await;
        for _ in 0..3 {
            let r = call(&app, Method::GET, "/api/v1/admin/articles", Some(&t), None).await;
            assert_eq!(r.status, 200);
        }
        let r = call(&app, Method::GET, "/api/v1/admin/articles", Some(&t), None).await;
        assert_eq!(r.status, 429);
        assert!(r.headers.contains_key("retry-after"));
    }
);

server_test!(
    subscribers_are_added_listed_and_suppressed,
    Options::default(),
    |app| {
        let t = token(
            &app,
            "admin@example.org",
            Role::Administrator,
            &["subscribers:read", "subscribers:write", "donations:read"],
        )
        .await;
        let add = |body: &'static str| {
            let app = &app;
            let t = t.clone();
            async move {
                call(
                    app,
                    Method::POST,
                    "/api/v1/admin/subscribers",
                    Some(&t),
                    Some(body),
                )
                .await
            }
        };
        let made = add(r#"{"email": "Reader@Example.org", "name": "Ana"}"#).await;
        assert_eq!(made.status, 201, "{}", made.body);
        assert_eq!(made.body["email"], "reader@example.org");
        assert_eq!(made.body["status"], "confirmed");
        assert_eq!(made.body["consent_source"], "api: Script");
        assert_eq!(add(r#"{"email": "reader@example.org"}"#).await.status, 200);
        assert_eq!(add(r#"{"email": "not an address"}"#).await.status, 422);

        let id = made.body["id"].as_i64().unwrap();
        let gone = call(
            &app,
            Method::POST,
            &format!("/api/v1/admin/subscribers/{id}/suppress"),
            Some(&t),
            None,
        )
        .await;
        assert_eq!(gone.body["status"], "suppressed");
        // Suppressed stays suppressed: adding the address again changes nothing.
        let again = add(r#"{"email": "reader@example.org"}"#).await;
        assert_eq!(again.body["status"], "suppressed");

        let list = call(
            &app,
            Method::GET,
            "/api/v1/admin/subscribers?status=suppressed",
            Some(&t),
            None,
        )
        .await;
        assert_eq!(list.body["items"][0]["email"], "reader@example.org");
        let gifts = call(&app, Method::GET, "/api/v1/admin/donations", Some(&t), None).await;
        assert_eq!(gifts.status, 200);
        assert_eq!(gifts.body["items"], Value::Array(vec![]));
        assert!(app
            .store
            .audit_log(20)
            .await
            .unwrap()
            .iter()
            .any(|e| e.action == "subscriber.suppress"));
    }
);

/// A multipart body holding `file` (when given) and an alt text, and its content type.
fn upload_body(file: Option<(&str, &[u8])>) -> (Vec<u8>, String) {
    let boundary = "apiboundary3Vx9";
    let mut body = Vec::new();
    if let Some((name, bytes)) = file {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(
        format!("--{boundary}\r\nContent-Disposition: form-data; name=\"alt\"\r\n\r\nA gull\r\n--{boundary}--\r\n")
            .as_bytes(),
    );
    (body, format!("multipart/form-data; boundary={boundary}"))
}

server_test!(
    images_are_uploaded_with_the_admins_checks,
    Options::default(),
    |app| {
        let t = token(&app, "ed@example.org", Role::Editor, &["media:write"]).await;
        let mut png = Vec::new();
        image::RgbImage::from_pixel(1600, 900, image::Rgb([40, 90, 160]))
            .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
            .unwrap();
        let send = |body: (Vec<u8>, String)| {
            let app = &app;
            let t = t.clone();
            async move {
                app.client
                    .post(format!("{}/api/v1/admin/media", app.base))
                    .header("authorization", format!("Bearer {t}"))
                    .header("content-type", body.1)
                    .body(body.0)
                    .send()
                    .await
                    .unwrap()
            }
        };
        let res = send(upload_body(Some(("gull.png", &png)))).await;
        assert_eq!(res.status(), 201);
        let item: Value = serde_json::from_str(&res.text().await.unwrap()).unwrap();
        assert_eq!(item["width"], 1600);
        assert_eq!(item["alt"], "A gull");
        let path = item["path"].as_str().unwrap();
        assert_eq!(app.get(&format!("/media/{path}")).await.status(), 200);

        let text = send(upload_body(Some(("notes.png", b"not an image")))).await;
        assert_eq!(text.status(), 422);
        let none = send(upload_body(None)).await;
        assert_eq!(none.status(), 422);
        let audit = app.store.audit_log(10).await.unwrap();
        assert!(audit.iter().any(|e| e.action == "media.upload"));
    }
);
