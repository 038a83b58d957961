//! The whole-site export as a download: owners and administrators only, the same document the
//! CLI writes, and an entry in the audit log.

use tidings_accounts::Role;

use crate::server_test;
use crate::support::browser::{account, Browser, PASSWORD};
use crate::support::demo;

server_test!(
    owners_download_the_whole_site_and_editors_cannot,
    demo(),
    |app| {
        account(&app.store, "ed@example.org", Role::Editor).await;
        account(&app.store, "owner@example.org", Role::Owner).await;
        let mut editor = Browser::new(&app.base);
        editor.sign_in("ed@example.org", PASSWORD).await;
        assert_eq!(editor.get("/admin/export").await.status, 403);
        assert_eq!(editor.get("/admin/export/download").await.status, 403);

        let mut owner = Browser::new(&app.base);
        owner.sign_in("owner@example.org", PASSWORD).await;
        let page = owner.get("/admin/export").await;
        assert_eq!(page.status, 200);
        assert!(
            page.body.contains("No backup has been taken yet"),
            "{}",
            page.body
        );
        assert!(page.body.contains("href=\"/admin/export/download\""));
        let download = owner.get("/admin/export/download").await;
        assert_eq!(download.status, 200);
        let doc: serde_json::Value = serde_json::from_str(&download.body).unwrap();
        assert_eq!(doc["format"], "tidings-export");
        assert_eq!(doc["version"], 1);
        let articles = doc["tables"]["articles"].as_array().unwrap();
        assert!(articles
            .iter()
            .any(|a| a["slug"] == "harbour-sea-wall-must-rise-by-60-centimetres-engineers-warn"));
        let users = doc["tables"]["users"].as_array().unwrap();
        assert_eq!(users.len(), 2);
        let log = app.store.audit_log(10).await.unwrap();
        assert!(log.iter().any(|e| e.action == "site.export"));
        // Nothing is left behind in the data folder.
        let leftovers = std::fs::read_dir(&app.data_dir)
            .unwrap()
            .filter(|e| {
                e.as_ref()
                    .unwrap()
                    .file_name()
                    .to_string_lossy()
                    .starts_with(".export-")
            })
            .count();
        assert_eq!(leftovers, 0);
    }
);
