use crate::server_test;
use crate::support::{demo, Options};

server_test!(home_shows_lead_secondary_and_latest, demo(), |app| {
    let html = app.text("/").await;
    assert!(html.contains("class=\"card card-lead"));
    assert!(
        html.contains("Council approves a leaner budget"),
        "the newest featured story leads"
    );
    assert_eq!(html.matches("class=\"card card-small").count(), 3);
    assert_eq!(html.matches("class=\"card card-row").count(), 10);
    assert!(
        !html.contains("Gales expected"),
        "scheduled stories are not shown early"
    );
    assert!(html.contains("<nav class=\"sections"), "masthead sections");
    assert!(html.contains("href=\"/subscribe/\"") && html.contains("href=\"/donate/\""));
    assert!(html.contains("href=\"/page/2/\""));
    assert!(
        html.contains("14 Quay Street, Port Alder"),
        "organisation address in the footer"
    );
});

server_test!(pagination_continues_where_page_one_ends, demo(), |app| {
    let one = app.text("/").await;
    let two = app.text("/page/2/").await;
    assert_eq!(
        two.matches("class=\"card card-row").count(),
        6,
        "20 published: 4 top + 10 + 6"
    );
    for title in ["Students map every street tree", "Sailing club offers"] {
        assert!(two.contains(title) && !one.contains(title), "{title}");
    }
    assert!(two.contains("href=\"/\"") && two.contains("Page 2 of 2"));
    let res = app.get("/page/1/").await;
    assert_eq!(res.status(), 301);
    assert_eq!(res.headers()["location"], "/");
    for bad in [
        "/page/3/",
        "/page/0/",
        "/page/abc/",
        "/page/-1/",
        "/page/99999999999/",
    ] {
        let res = app.get(bad).await;
        assert_eq!(res.status(), 404, "{bad}");
        assert!(
            res.text()
                .await
                .unwrap()
                .contains("We can't find that page"),
            "themed 404 for {bad}"
        );
    }
});

server_test!(an_empty_site_says_so, Options::default(), |app| {
    let html = app.text("/").await;
    assert!(html.contains("No stories have been published yet."));
    assert_eq!(app.get("/page/2/").await.status(), 404);
});
