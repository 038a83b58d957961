//! Route tests: real HTTP requests to a running server, on SQLite and (when configured) PostgreSQL.

mod support;

pub mod routes {
    pub mod admin {
        mod auth;
        pub mod editor;
        mod media;
        mod permissions;
        mod revisions;
        mod subscribers;
    }
    mod api;
    pub mod api_admin;
    mod articles;
    mod caching;
    mod cluster;
    mod dashboard;
    mod digest_memory;
    pub mod donate;
    mod donate_defences;
    mod donors;
    mod edge;
    mod email_texts;
    mod errors;
    mod export;
    mod feeds;
    mod health;
    mod health_checks;
    mod home;
    mod imports;
    mod jobs;
    mod listings;
    mod moved_in;
    pub mod newsletter;
    mod newsletter_desk;
    mod observability;
    mod related;
    mod search;
    pub mod security;
    mod settings;
    mod settings_images;
    mod settings_navigation;
    mod settings_public;
    mod stripe;
    pub mod subscribe;
    mod system;
    mod webhooks;
}
