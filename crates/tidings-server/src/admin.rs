//! The newsroom at `/admin/`: sign-in, people, the editor. Server-rendered; every route checks the
//! signed-in person's role, and every state-changing request carries a CSRF token.

mod account;
pub(crate) mod articles;
mod dashboard;
mod donations;
mod emails;
mod export;
mod guard;
mod health;
mod jobs;
mod login;
pub(crate) mod media;
mod newsletter;
mod page;
mod people;
mod redirects;
mod running;
mod searches;
mod session;
mod settings;
mod setup;
pub(crate) mod subscribers;
mod taxonomy;
mod tokens;
mod webhooks;

use axum::middleware::from_fn_with_state;
use axum::routing::{get, post};
use axum::Router;

use crate::app::AppState;

pub use guard::MAX_UPLOAD;
pub use page::see_other;
pub use session::{Peer, Signed, SESSION_COOKIE};

/// Every admin route.
pub fn routes(app: AppState) -> Router<AppState> {
    Router::new()
        .route("/admin/", get(dashboard::show))
        .route("/admin/setup", get(setup::show).post(setup::submit))
        .route("/admin/login", get(login::show).post(login::submit))
        .route("/admin/logout", post(login::logout))
        .route(
            "/admin/two-factor",
            get(login::show_second_factor).post(login::submit_second_factor),
        )
        .route(
            "/admin/reset",
            get(login::show_reset_request).post(login::submit_reset_request),
        )
        .route(
            "/admin/reset/{token}",
            get(login::show_reset).post(login::submit_reset),
        )
        .route(
            "/admin/invite/{token}",
            get(login::show_invite).post(login::submit_invite),
        )
        .route(
            "/admin/signin/{token}",
            get(login::show_link_sign_in).post(login::submit_link_sign_in),
        )
        .route("/admin/account", get(account::show))
        .route("/admin/account/password", post(account::change_password))
        .route(
            "/admin/account/two-factor",
            post(account::enable_two_factor),
        )
        .route(
            "/admin/account/two-factor/off",
            post(account::disable_two_factor),
        )
        .route(
            "/admin/account/sessions/revoke",
            post(account::revoke_sessions),
        )
        .route(
            "/admin/account/tokens",
            get(tokens::list).post(tokens::create),
        )
        .route("/admin/account/tokens/{id}/revoke", post(tokens::revoke))
        .route("/admin/users", get(people::list).post(people::invite))
        .route("/admin/users/{id}/role", post(people::change_role))
        .route("/admin/audit", get(people::audit))
        .route("/admin/jobs", get(jobs::list))
        .route("/admin/export", get(export::show))
        .route(
            "/admin/settings",
            get(settings::show_site).post(settings::save_site),
        )
        .route("/admin/health", get(health::show))
        .route("/admin/searches", get(searches::show))
        .route(
            "/admin/webhooks",
            get(webhooks::list).post(webhooks::create),
        )
        .route("/admin/webhooks/{id}/test", post(webhooks::test))
        .route("/admin/webhooks/{id}/delete", post(webhooks::delete))
        .route("/admin/health/mail", post(health::test_mail))
        .route("/admin/health/dns", post(health::check_dns))
        .route("/admin/health/payments", post(health::check_payments))
        .route("/admin/settings/emails", get(settings::list_emails))
        .route(
            "/admin/settings/emails/{slug}",
            get(settings::show_email).post(settings::save_email),
        )
        .route(
            "/admin/settings/emails/{slug}/preview",
            get(settings::preview_email).post(settings::preview_email_draft),
        )
        .route(
            "/admin/settings/emails/{slug}/test",
            post(settings::test_email),
        )
        .route(
            "/admin/settings/navigation",
            get(settings::show_navigation).post(settings::save_navigation),
        )
        .route(
            "/admin/settings/images",
            post(settings::save_images)
                .layer(axum::extract::DefaultBodyLimit::max(guard::MAX_UPLOAD)),
        )
        .route(
            "/admin/settings/signup-preview",
            get(settings::signup_preview),
        )
        .route(
            "/admin/settings/{section}",
            get(settings::show_section).post(settings::save_section),
        )
        .route("/admin/export/download", get(export::download))
        .route(
            "/admin/redirects",
            get(redirects::list).post(redirects::save),
        )
        .route("/admin/jobs/{id}/retry", post(jobs::retry))
        .route("/admin/subscribers", get(subscribers::list))
        .route("/admin/subscribers/export", get(subscribers::export))
        .route(
            "/admin/subscribers/import",
            post(subscribers::import)
                .layer(axum::extract::DefaultBodyLimit::max(guard::MAX_UPLOAD)),
        )
        .route("/admin/donations", get(donations::list))
        .route("/admin/donations/export", get(donations::export))
        .route("/admin/donations/{id}/refund", post(donations::refund))
        .route(
            "/admin/donations/forms",
            get(donations::forms).post(donations::save_form),
        )
        .route("/admin/donations/campaigns", post(donations::save_campaign))
        .route("/admin/newsletter", get(newsletter::show))
        .route("/admin/newsletter/digest", post(newsletter::digest_action))
        .route("/admin/newsletter/breaking", post(newsletter::breaking))
        .route("/admin/newsletter/{id}", get(newsletter::detail))
        .route(
            "/admin/subscribers/{id}/suppress",
            post(subscribers::suppress),
        )
        .route("/admin/articles", get(articles::list))
        .route(
            "/admin/articles/new",
            get(articles::new).post(articles::create),
        )
        .route(
            "/admin/articles/{id}",
            get(articles::edit).post(articles::save),
        )
        .route("/admin/articles/{id}/revisions", get(articles::revisions))
        .route("/admin/articles/{id}/autosave", post(articles::autosave))
        .route("/admin/articles/{id}/notes", post(articles::add_note))
        .route("/admin/articles/{id}/related", post(articles::save_related))
        .route(
            "/admin/articles/{id}/preview-link",
            post(articles::preview_link),
        )
        .route("/admin/preview", post(articles::preview))
        .route(
            "/admin/tags",
            get(taxonomy::list_tags).post(taxonomy::save_tag),
        )
        .route("/admin/tags/{id}", post(taxonomy::save_tag))
        .route(
            "/admin/tags/{id}/story",
            get(running::show).post(running::save),
        )
        .route(
            "/admin/authors",
            get(taxonomy::list_authors).post(taxonomy::save_author),
        )
        .route("/admin/authors/{id}", post(taxonomy::save_author))
        .route(
            "/admin/media",
            get(media::list)
                .post(media::upload)
                .layer(axum::extract::DefaultBodyLimit::max(guard::MAX_UPLOAD)),
        )
        .route_layer(from_fn_with_state(app, guard::csrf_guard))
}
