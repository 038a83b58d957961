//! The repository layer: the only place with SQL.
//!
//! One code path serves SQLite (the embedded default) and PostgreSQL through sqlx's `Any` driver;
//! the schema is kept in two migration trees with the same names. Every write bumps the site-wide
//! content generation so that running servers drop stale cached pages.

mod accounts;
mod activity;
mod api_tokens;
mod articles;
mod audit;
mod authors;
mod db;
mod donations;
mod dump;
mod error;
mod generations;
mod imports;
mod jobs;
mod listing;
mod media;
mod models;
mod navigation;
mod newsletters;
mod rate;
mod related;
mod revisions;
mod running;
mod search;
mod search_log;
mod site;
mod states;
mod subscribers;
mod tags;
#[cfg(feature = "testing")]
pub mod testing;
mod webhooks;

pub use accounts::{NewUser, Session, User, UserToken};
pub use activity::DayActivity;
pub use api_tokens::{ApiToken, NewApiToken};
pub use audit::AuditEntry;
pub use db::{Backend, Store};
pub use donations::{
    Campaign, Donation, DonationFilter, DonationForm, MoveIn, MovedIn, MovedInDonor, MovedInGift,
    MovedInPlan, NewDonation, RecurringPlan, RefundStart, Started,
};
pub use dump::{Cell, ColumnKind, Columns, DumpTable, Loader, Snapshot, DUMP_TABLES};
pub use error::StoreError;
pub use generations::GenerationListener;
pub use imports::{ImportUndo, Redirect};
pub use jobs::{next_slot, Job, JobRecord, NewJob};
pub use listing::{AdminArticle, AdminFilter, ArticleQuery, Page, SitemapEntry};
pub use media::Media;
pub use models::{
    Article, ArticleSummary, Author, FeatureImage, NewArticle, NewAuthor, NewTag, Tag,
};
pub use navigation::PageLink;
pub use newsletters::{
    Audience, ClaimedDelivery, DeliveryCounts, DeliveryOutcome, DeliveryRecorder, DigestPlan,
    FailedDelivery, NewNewsletter, Newsletter, QUEUE_CHUNK,
};
pub use rate::Window;
pub use related::{REFRESH_JOB as RELATED_REFRESH_JOB, RELATED_MAX};
pub use revisions::{Note, Revision};
pub use running::TIMELINE_MAX;
pub use search::{
    fts5_tokenizer, pg_config, Scope, SearchHit, SearchPage, COUNT_CAP, MARK_END, MARK_START,
};
pub use search_log::QueryCount;
pub use site::Settings;
pub use states::{
    DeliveryState, DonationStatus, Frequency, GatewayKind, JobState, NewsletterState, NoteKind,
    PlanStatus, RevisionKind, SubscriberStatus, UnknownState,
};
pub use subscribers::{Consent, ImportedSubscriber, Signup, Subscriber};
pub use webhooks::{
    WebhookDelivery, WebhookEndpoint, DELIVERY_ATTEMPTS, DELIVER_JOB, WEBHOOK_EVENTS,
};
