//! The dashboard's week at a glance: numbers and bars from the site's own counts; who signs up and
//! who gives only for those who may see personal data.

use tidings_accounts::Role;

use crate::server_test;
use crate::support::browser::{account, Browser, PASSWORD};
use crate::support::Options;

server_test!(the_week_at_a_glance, Options::default(), |app| {
    account(&app.store, "owner@example.org", Role::Owner).await;
    account(&app.store, "ed@example.org", Role::Editor).await;
    let story = app
        .store
        .create_article(&tidings_store::NewArticle::published("Ferry", "Text."))
        .await
        .unwrap();
    let hour = chrono::Utc::now().timestamp() / 3_600;
    app.store
        .add_reads(&[(story.id, hour, 12), (story.id, hour - 48, 30)])
        .await
        .unwrap();

    let mut owner = Browser::new(&app.base);
    owner.sign_in("owner@example.org", PASSWORD).await;
    let page = owner.get("/admin/").await.body;
    assert!(
        page.contains("<strong>12</strong> reads today, <strong>42</strong> in seven days"),
        "{page}"
    );
    assert!(page.contains("new subscribers today") && page.contains("gifts today"));
    assert!(
        page.contains("aria-label=\"Reads per day: "),
        "the chart is described in words"
    );

    let mut editor = Browser::new(&app.base);
    editor.sign_in("ed@example.org", PASSWORD).await;
    let page = editor.get("/admin/").await.body;
    assert!(page.contains("reads today"));
    assert!(
        !page.contains("gifts today"),
        "gifts are for those who may see personal data"
    );
});
