//! Every admin route and action against every role: allowed (2xx/3xx) or denied (403).

use tidings_accounts::Role;
use tidings_store::NewArticle;

use crate::server_test;
use crate::support::browser::{account, Browser, PASSWORD};
use crate::support::Options;

#[derive(Clone, Copy, Debug, PartialEq)]
enum Expect {
    Allow,
    Deny,
}
use Expect::{Allow, Deny};

/// (role, can manage people/audit, can edit others' articles, can publish own)
fn expectations(role: Role) -> [(&'static str, &'static str, Expect); 18] {
    let admin = if matches!(role, Role::Owner | Role::Administrator) {
        Allow
    } else {
        Deny
    };
    let editor = if role <= Role::Editor { Allow } else { Deny };
    let publish = if role <= Role::Author { Allow } else { Deny };
    [
        ("GET", "/admin/", Allow),
        ("GET", "/admin/articles", Allow),
        ("GET", "/admin/articles/new", Allow),
        ("GET", "/admin/account", Allow),
        ("GET", "/admin/users", admin),
        ("GET", "/admin/audit", admin),
        ("GET", "OTHERS_ARTICLE", editor),
        ("POST", "OTHERS_ARTICLE", editor),
        ("POST", "OWN_PUBLISH", publish),
        ("GET", "/admin/media", Allow),
        ("GET", "/admin/tags", editor),
        ("GET", "/admin/authors", editor),
        ("GET", "OTHERS_REVISIONS", editor),
        ("POST", "OTHERS_NOTE", editor),
        ("GET", "/admin/subscribers", admin),
        ("GET", "/admin/export", admin),
        ("GET", "/admin/jobs", admin),
        ("GET", "/admin/redirects", admin),
    ]
}

server_test!(permission_matrix, Options::default(), |app| {
    let someone = account(&app.store, "someone@example.org", Role::Editor).await;
    let mut others = NewArticle::published("Someone else's story", "Text.");
    others.created_by = Some(someone.id);
    let others = app.store.create_article(&others).await.unwrap();
    for role in Role::ALL {
        let email = format!("{}@example.org", role.as_str());
        account(&app.store, &email, role).await;
        let mut b = Browser::new(&app.base);
        assert_eq!(
            b.sign_in(&email, PASSWORD).await.status,
            303,
            "{role:?} signs in"
        );
        for (method, path, expect) in expectations(role) {
            let status = match (method, path) {
                ("GET", "OTHERS_ARTICLE") => {
                    b.get(&format!("/admin/articles/{}", others.id))
                        .await
                        .status
                }
                ("POST", "OTHERS_ARTICLE") => {
                    b.get("/admin/account").await;
                    let others = app.store.article_by_id(others.id).await.unwrap().unwrap();
                    b.post(
                        &format!("/admin/articles/{}", others.id),
                        &[
                            ("title", "Someone else's story"),
                            ("body", "Text."),
                            ("version", &others.version.to_string()),
                            ("action", "save"),
                        ],
                    )
                    .await
                    .status
                }
                ("POST", "OWN_PUBLISH") => {
                    b.get("/admin/articles/new").await;
                    let title = format!("Own story by {}", role.as_str());
                    let saved = b
                        .post(
                            "/admin/articles/new",
                            &[("title", &title), ("action", "save")],
                        )
                        .await;
                    let loc = saved.location.unwrap();
                    let id = loc
                        .trim_start_matches("/admin/articles/")
                        .split('?')
                        .next()
                        .unwrap()
                        .to_string();
                    b.post(
                        &format!("/admin/articles/{id}"),
                        &[("title", &title), ("version", "1"), ("action", "publish")],
                    )
                    .await
                    .status
                }
                ("GET", "OTHERS_REVISIONS") => {
                    b.get(&format!("/admin/articles/{}/revisions", others.id))
                        .await
                        .status
                }
                ("POST", "OTHERS_NOTE") => {
                    b.get("/admin/account").await;
                    b.post(
                        &format!("/admin/articles/{}/notes", others.id),
                        &[("kind", "update"), ("note", "More details.")],
                    )
                    .await
                    .status
                }
                ("GET", p) => b.get(p).await.status,
                _ => unreachable!(),
            };
            let got = if status == 403 {
                Deny
            } else if status < 400 {
                Allow
            } else {
                panic!("{role:?} {method} {path}: {status}")
            };
            assert_eq!(got, expect, "{role:?} {method} {path} answered {status}");
        }
        // Role changes: only owners and administrators, and administrators cannot make owners.
        let target = app
            .store
            .user_by_email("someone@example.org")
            .await
            .unwrap()
            .unwrap();
        b.get("/admin/account").await;
        let status = b
            .post(
                &format!("/admin/users/{}/role", target.id),
                &[("role", "owner")],
            )
            .await
            .status;
        let expected = if role == Role::Owner { 303 } else { 403 };
        assert_eq!(status, expected, "{role:?} makes someone owner");
        if role == Role::Owner {
            b.post(
                &format!("/admin/users/{}/role", target.id),
                &[("role", "editor")],
            )
            .await;
        }
    }
    // Not signed in: pages send you to sign in; actions are refused.
    let mut anon = Browser::new(&app.base);
    assert_eq!(anon.get("/admin/articles").await.status, 303);
    assert_eq!(anon.get("/admin/users").await.status, 303);
    anon.get("/admin/login").await;
    assert_eq!(
        anon.post("/admin/articles/new", &[("title", "x")])
            .await
            .status,
        403
    );
});
