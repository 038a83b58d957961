//! Route tests: real HTTP requests to a running server, on SQLite and (when configured) PostgreSQL.

mod support;

pub mod routes {
    mod admin {
        mod auth;
        mod editor;
        mod media;
        mod permissions;
        mod subscribers;
    }
    mod articles;
    mod caching;
    mod donate;
    mod edge;
    mod errors;
    mod feeds;
    mod home;
    mod listings;
    mod newsletter;
    pub mod security;
    mod stripe;
    mod subscribe;
    mod system;
}
