//! Every settings page reaches what readers and search engines get: the page's language, the
//! accent's stylesheet, verification tags, robots.txt, ads.txt, the analytics script and its place
//! in the security policy, the call to action, the donation form, newsletters and receipts.

use tidings_accounts::Role;

use crate::server_test;
use crate::support::browser::{account, Browser, PASSWORD};
use crate::support::Options;

server_test!(
    each_settings_page_reaches_the_public_site_and_the_mail,
    Options {
        smtp: true,
        ..Options::default()
    },
    |app| {
        account(&app.store, "owner@example.org", Role::Owner).await;
        account(&app.store, "writer@example.org", Role::Contributor).await;
        let mut writer = Browser::new(&app.base);
        writer.sign_in("writer@example.org", PASSWORD).await;
        for path in ["/admin/settings/search", "/admin/settings/donations"] {
            assert_eq!(writer.get(path).await.status, 403, "{path}");
        }
        let mut owner = Browser::new(&app.base);
        owner.sign_in("owner@example.org", PASSWORD).await;
        owner.get("/admin/").await;
        let story = app
            .store
            .create_article(&tidings_store::NewArticle::published(
                "Ferry timetable",
                "Text.",
            ))
            .await
            .unwrap();
        for (path, fields) in [
            (
                "/admin/settings",
                vec![
                    ("site_title", "Le Courrier du Quai"),
                    ("site_description", "Les nouvelles du port."),
                    ("site_language", "fr"),
                    ("site_timezone", "Europe/Paris"),
                    ("accent_colour", "#0B4F8A"),
                ],
            ),
            (
                "/admin/settings/search",
                vec![
                    (
                        "google_site_verification",
                        "<meta name=\"google-site-verification\" content=\"g00gle_Code-1\" />",
                    ),
                    ("bing_site_verification", "B1NGCODE"),
                    ("robots_extra", "User-agent: GPTBot\nDisallow: /"),
                    (
                        "ads_txt",
                        "google.com, pub-0000000000000000, DIRECT, f08c47fec0942fa0",
                    ),
                    ("analytics_script", "https://stats.example/js/script.js"),
                    ("analytics_attributes", "data-domain=news.test"),
                ],
            ),
            (
                "/admin/settings/donations",
                vec![
                    ("donation_cta_enabled", "on"),
                    ("donation_cta", "Gardez le Courrier libre."),
                    ("donation_default_form", "default"),
                    ("donation_fee_text", "Oui, j'ajoute les frais pour que"),
                ],
            ),
            (
                "/admin/settings/emails/receipt",
                vec![
                    ("subject", "Recu de {{ site_name }}"),
                    (
                        "body",
                        "Dear {{ first_name }},\r\n\r\nMerci du fond du coeur.\r\n\r\nThis is your receipt.",
                    ),
                ],
            ),
            (
                "/admin/settings/newsletter",
                vec![
                    ("newsletter_name", "La Marée"),
                    ("newsletter_sender_name", "Courrier Tide Desk"),
                    ("newsletter_sender_address", "maree@news.test"),
                    ("newsletter_reply_to", "redaction@courrier.example"),
                    ("newsletter_footer", "Écrivez-nous : nous lisons tout."),
                    ("digest_time", "off"),
                    ("digest_max_stories", "10"),
                ],
            ),
        ] {
            let saved = owner.post(path, &fields).await;
            assert_eq!(saved.status, 303, "{path}: {}", saved.body);
        }

        assert!(
            app.eventually("/", std::time::Duration::from_secs(5), |b| b
                .contains("Le Courrier du Quai"))
                .await
        );
        // The Donations page shows the payment mode and the /donate/ form's limits, edited with the forms.
        let donations = owner.get("/admin/settings/donations").await.body;
        assert!(
            donations.contains("Payments are in <strong>test</strong> mode"),
            "{donations}"
        );
        assert!(
            donations
                .contains("takes gifts from <strong>$5.00</strong> to <strong>$10,000.00</strong>"),
            "{donations}"
        );
        let home = app.get("/").await;
        let policy = home.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .to_string();
        assert!(
            policy.contains("script-src 'self' https://stats.example"),
            "{policy}"
        );
        let home = home.text().await.unwrap();
        assert!(
            home.starts_with("<!doctype html>\n<html lang=\"fr\">"),
            "{home}"
        );
        assert!(home.contains("<link rel=\"stylesheet\" href=\"/theme.css?v=0b4f8a\">"));
        assert!(home.contains("<meta name=\"google-site-verification\" content=\"g00gle_Code-1\">"));
        assert!(home.contains("<meta name=\"msvalidate.01\" content=\"B1NGCODE\">"));
        assert!(home.contains(
            "<script src=\"https://stats.example/js/script.js\" defer data-domain=\"news.test\"></script>"
        ));
        let css = app.text("/theme.css?v=0b4f8a").await;
        assert!(css.contains("--accent:#0b4f8a"), "{css}");
        let robots = app.text("/robots.txt").await;
        assert!(robots.contains("Disallow: /admin/"), "ours stay: {robots}");
        assert!(
            robots.ends_with("\nUser-agent: GPTBot\nDisallow: /\n"),
            "{robots}"
        );
        assert_eq!(
            app.text("/ads.txt").await,
            "google.com, pub-0000000000000000, DIRECT, f08c47fec0942fa0\n"
        );
        let article = app.text(&format!("/{}/", story.slug)).await;
        assert!(article.contains("Gardez le Courrier libre."));
        let donate = app.get("/donate/").await;
        let policy = donate.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .to_string();
        assert!(policy.contains("https://stats.example"), "{policy}");
        assert!(donate
            .text()
            .await
            .unwrap()
            .contains("ajoute les frais pour que Le Courrier du Quai receives"));

        // The call to action can be turned off; the sitewide Donate button stays.
        let saved = owner
            .post(
                "/admin/settings/donations",
                &[
                    ("donation_cta", "Gardez le Courrier libre."),
                    ("donation_default_form", "default"),
                ],
            )
            .await;
        assert_eq!(saved.status, 303);
        assert!(
            app.eventually(
                &format!("/{}/", story.slug),
                std::time::Duration::from_secs(5),
                |b| !b.contains("donate-cta")
            )
            .await
        );
        let article = app.text(&format!("/{}/", story.slug)).await;
        assert!(article.contains("<a class=\"button button-donate\" href=\"/donate/\">Donate</a>"));

        // Newsletters go out under the newsletter's own sender, with its reply-to and footer.
        let state = &app.server.as_ref().unwrap().state;
        let now = chrono::Utc::now();
        let edition = state.newsletters().upcoming(now).await.unwrap();
        state
            .newsletters()
            .send_test(&edition, now, "owner@example.org")
            .await
            .unwrap();
        let smtp = app.smtp.as_ref().unwrap();
        let test_copy = &smtp.wait_for("owner@example.org", 1).await[0];
        let from = test_copy.header("From").unwrap();
        assert!(
            from.trim_start_matches('"')
                .starts_with("Courrier Tide Desk")
                && from.ends_with("<maree@news.test>"),
            "{from}"
        );
        assert_eq!(
            test_copy.header("Reply-To").as_deref(),
            Some("redaction@courrier.example")
        );
        assert!(
            test_copy.data.contains("nous lisons tout"),
            "{}",
            test_copy.data
        );
        // Dates readers see follow the site's timezone.
        assert_eq!(state.tz(), chrono_tz::Europe::Paris);

        // Receipts open with the outlet's own words (Settings → Emails).
        let mut donor = Browser::new(&app.base);
        let sent = crate::routes::donate::donate(&mut donor, &[]).await;
        assert_eq!(sent.status, 303, "{}", sent.body);
        let checkout = sent.location.unwrap();
        let path = checkout.trim_start_matches("http://news.test");
        let done = donor.post_raw(path, &[("outcome", "complete")]).await;
        assert_eq!(done.status, 303);
        let receipt = &smtp.wait_for("ana@example.org", 1).await[0];
        assert!(
            receipt
                .data
                .contains("Dear Ana,\r\n\r\nMerci du fond du coeur.\r\n\r\nThis is your receipt."),
            "{}",
            receipt.data
        );
        assert_eq!(
            receipt.header("Subject").as_deref(),
            Some("Recu de Le Courrier du Quai")
        );
    }
);
