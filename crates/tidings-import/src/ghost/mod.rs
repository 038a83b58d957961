//! Moving in from Ghost: its JSON export (Settings → Labs → Export, with or without the `db`
//! wrapper) checked whole first, then posts and pages, tags and authors brought in (a failure midway
//! takes back everything the run created). Bodies come from the export's HTML, else from Lexical
//! or Mobiledoc. Ghost serves stories, tags and authors at the addresses Tidings uses, so they keep
//! them; an address that must change, and each post's old `/amp/` page, redirect to the new one.

mod cards;
mod lexical;
mod mobiledoc;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::Deserialize;
use tidings_content::{Kind, Status};
use tidings_store::{ImportUndo, NewArticle, NewAuthor, NewTag, Store};

use crate::uploads::Uploads;
use crate::wordpress::ImportError;

/// Where what a Ghost import made is recorded.
pub const SOURCE: &str = "ghost";

/// Why a Ghost import stopped.
#[derive(Debug, thiserror::Error)]
pub enum GhostError {
    /// The file cannot be read, is not JSON, or is not a Ghost export.
    #[error("{0}")]
    File(String),
    /// The database or the media folder refused; nothing from this run was kept.
    #[error("{0}; nothing from this import was kept")]
    RolledBack(String),
}

#[derive(Deserialize)]
struct Export {
    #[serde(default)]
    db: Vec<Db>,
    meta: Option<Meta>,
    data: Option<Data>,
}

#[derive(Deserialize)]
struct Db {
    meta: Option<Meta>,
    data: Data,
}

#[derive(Deserialize)]
struct Meta {
    #[serde(default)]
    version: String,
}

#[derive(Deserialize, Default)]
struct Data {
    #[serde(default)]
    posts: Vec<Post>,
    #[serde(default)]
    users: Vec<User>,
    #[serde(default)]
    tags: Vec<GhostTag>,
    #[serde(default)]
    posts_authors: Vec<Link>,
    #[serde(default)]
    posts_tags: Vec<Link>,
    #[serde(default)]
    posts_meta: Vec<PostMeta>,
}

/// A time as Ghost writes it: RFC 3339 text, or milliseconds in old exports.
#[derive(Deserialize, Clone)]
#[serde(untagged)]
enum When {
    Text(String),
    Millis(i64),
}

impl When {
    fn at(&self) -> Option<DateTime<Utc>> {
        match self {
            When::Text(t) => DateTime::parse_from_rfc3339(t)
                .ok()
                .map(|t| t.with_timezone(&Utc))
                .or_else(|| {
                    chrono::NaiveDateTime::parse_from_str(t, "%Y-%m-%d %H:%M:%S")
                        .ok()
                        .map(|t| t.and_utc())
                }),
            When::Millis(ms) => DateTime::from_timestamp_millis(*ms),
        }
    }
}

/// `true`/`false`, or `1`/`0` in old exports.
#[derive(Deserialize, Clone, Copy)]
#[serde(untagged)]
enum Flag {
    Bool(bool),
    Int(i64),
}

impl Flag {
    fn on(self) -> bool {
        match self {
            Flag::Bool(b) => b,
            Flag::Int(i) => i != 0,
        }
    }
}

#[derive(Deserialize)]
struct Post {
    id: String,
    #[serde(default)]
    title: Option<String>,
    slug: String,
    html: Option<String>,
    lexical: Option<String>,
    mobiledoc: Option<String>,
    feature_image: Option<String>,
    featured: Option<Flag>,
    #[serde(rename = "type")]
    kind: Option<String>,
    page: Option<Flag>,
    status: String,
    visibility: Option<String>,
    created_at: Option<When>,
    published_at: Option<When>,
    custom_excerpt: Option<String>,
    canonical_url: Option<String>,
    meta_title: Option<String>,
    meta_description: Option<String>,
    author_id: Option<String>,
}

#[derive(Deserialize)]
struct User {
    id: String,
    name: String,
    slug: String,
    bio: Option<String>,
    profile_image: Option<String>,
}

#[derive(Deserialize)]
struct GhostTag {
    id: String,
    name: String,
    slug: String,
    description: Option<String>,
    feature_image: Option<String>,
}

#[derive(Deserialize)]
struct Link {
    post_id: String,
    #[serde(alias = "author_id")]
    #[serde(alias = "tag_id")]
    target: Option<String>,
    #[serde(default)]
    sort_order: i64,
}

#[derive(Deserialize)]
struct PostMeta {
    post_id: String,
    meta_title: Option<String>,
    meta_description: Option<String>,
}

/// A checked export: what it holds and how many of each.
pub struct Plan {
    data: Data,
    /// The Ghost version that wrote it.
    pub version: String,
    /// Posts by status (`published`, `draft`, `scheduled`, `sent`).
    pub posts: std::collections::BTreeMap<String, usize>,
    /// Pages.
    pub pages: usize,
    /// Tags (internal `#tags` excluded).
    pub tags: usize,
    /// Authors.
    pub authors: usize,
}

/// What the import did.
#[derive(Debug, Default)]
pub struct Report {
    /// Posts and pages created.
    pub created: usize,
    /// Posts and pages updated (imported before).
    pub updated: usize,
    /// Posts and pages an earlier run brought exactly as they are now (left alone).
    pub unchanged: usize,
    /// Tags created.
    pub tags_created: usize,
    /// Authors created.
    pub authors_created: usize,
    /// Redirects added.
    pub redirects: usize,
    /// One line per item changed or left out, and why.
    pub notes: Vec<String>,
}

/// Reads and checks the whole export, writing nothing.
pub fn plan(path: &Path) -> Result<Plan, GhostError> {
    let bytes =
        std::fs::read(path).map_err(|e| GhostError::File(format!("{}: {e}", path.display())))?;
    let export: Export = serde_json::from_slice(&bytes)
        .map_err(|e| GhostError::File(format!("{}: {e}", path.display())))?;
    let (meta, data) = match (export.db.into_iter().next(), export.meta, export.data) {
        (Some(db), _, _) => (db.meta, db.data),
        (None, meta, Some(data)) => (meta, data),
        _ => {
            return Err(GhostError::File(format!(
                "{}: not a Ghost export (no db or data)",
                path.display()
            )))
        }
    };
    let version = meta.map(|m| m.version).unwrap_or_default();
    let mut plan = Plan {
        version,
        posts: Default::default(),
        pages: 0,
        tags: data
            .tags
            .iter()
            .filter(|t| !t.name.starts_with('#'))
            .count(),
        authors: data.users.len(),
        data: Data::default(),
    };
    let mut seen = std::collections::HashSet::new();
    for p in &data.posts {
        let label = format!("{}: post {} ({})", path.display(), p.id, p.slug);
        if !seen.insert(p.id.clone()) {
            return Err(GhostError::File(format!("{label} appears twice")));
        }
        if !matches!(
            p.status.as_str(),
            "published" | "draft" | "scheduled" | "sent"
        ) {
            return Err(GhostError::File(format!(
                "{label}: unknown status `{}` (Ghost writes published, draft, scheduled or sent)",
                p.status
            )));
        }
        if p.status == "scheduled" && p.published_at.as_ref().and_then(When::at).is_none() {
            return Err(GhostError::File(format!(
                "{label}: scheduled without a readable time"
            )));
        }
        if p.html.is_none() {
            let body = match (&p.lexical, &p.mobiledoc) {
                (Some(l), _) => lexical::to_html(l).map(|_| ()),
                (None, Some(m)) => mobiledoc::to_html(m).map(|_| ()),
                (None, None) => Ok(()),
            };
            body.map_err(|e| GhostError::File(format!("{label}: {e}")))?;
        }
        if is_page(p) {
            plan.pages += 1;
        } else {
            *plan.posts.entry(p.status.clone()).or_default() += 1;
        }
    }
    plan.data = data;
    Ok(plan)
}

fn is_page(p: &Post) -> bool {
    p.kind.as_deref() == Some("page") || p.page.is_some_and(Flag::on)
}

/// Escapes text for HTML.
pub(crate) fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Brings a checked export in; `images` is Ghost's `content/images` folder and the site's media
/// folder to copy into (without it, images stay links to the old site). If anything fails midway,
/// everything this run created is taken back.
pub async fn import(
    store: &Store,
    plan: &Plan,
    images: Option<(PathBuf, PathBuf)>,
) -> Result<Report, GhostError> {
    let mut report = Report::default();
    let mut undo = ImportUndo {
        since: Utc::now().timestamp(),
        ..ImportUndo::default()
    };
    let mut files =
        images.map(|(dir, media)| Uploads::new(dir, media, crate::uploads::GHOST, SOURCE));
    let outcome = bring_in(store, plan, files.as_mut(), &mut undo, &mut report).await;
    if let Some(f) = files.as_mut() {
        undo.media.append(&mut f.created);
    }
    match outcome {
        Ok(()) => {
            if let Some(f) = files {
                report.notes.extend(f.problems);
            }
            Ok(report)
        }
        Err(e) => {
            match store.undo_import(SOURCE, &undo).await {
                Ok(()) => {
                    for path in files.iter().flat_map(|f| &f.written) {
                        let _ = std::fs::remove_file(path);
                    }
                }
                Err(undo_error) => {
                    tracing::error!(error = %undo_error, "cannot take back a failed Ghost import")
                }
            }
            Err(GhostError::RolledBack(e.to_string()))
        }
    }
}

async fn bring_in(
    store: &Store,
    plan: &Plan,
    mut files: Option<&mut Uploads>,
    undo: &mut ImportUndo,
    report: &mut Report,
) -> Result<(), ImportError> {
    let data = &plan.data;
    let mut authors: HashMap<&str, i64> = HashMap::new();
    for u in &data.users {
        let id = match store.author_by_slug(&u.slug).await? {
            Some(a) => a.id,
            None => {
                let a = store
                    .create_author(&NewAuthor {
                        slug: u.slug.clone(),
                        name: u.name.clone(),
                        bio: u.bio.clone().unwrap_or_default(),
                        avatar_url: u.profile_image.clone().unwrap_or_default(),
                    })
                    .await?;
                report.authors_created += 1;
                undo.authors.push(a.id);
                a.id
            }
        };
        authors.insert(&u.id, id);
    }
    let mut tags: HashMap<&str, i64> = HashMap::new();
    for t in &data.tags {
        // Ghost's internal tags (#name) only steer its themes.
        if t.name.starts_with('#') {
            report
                .notes
                .push(format!("internal tag {}: left out", t.name));
            continue;
        }
        let id = match store.tag_by_slug(&t.slug).await? {
            Some(existing) => existing.id,
            None => {
                let created = store
                    .create_tag(&NewTag {
                        slug: t.slug.clone(),
                        name: t.name.clone(),
                        description: t.description.clone().unwrap_or_default(),
                        image_url: t.feature_image.clone().unwrap_or_default(),
                        parent_id: None,
                    })
                    .await?;
                report.tags_created += 1;
                undo.tags.push(created.id);
                created.id
            }
        };
        tags.insert(&t.id, id);
    }
    let related = |links: &[Link], post: &str, known: &HashMap<&str, i64>| -> Vec<i64> {
        let mut found: Vec<(i64, i64)> = links
            .iter()
            .filter(|l| l.post_id == post)
            .filter_map(|l| Some((l.sort_order, *known.get(l.target.as_deref()?)?)))
            .collect();
        found.sort();
        let mut ids: Vec<i64> = Vec::new();
        for (_, id) in found {
            if !ids.contains(&id) {
                ids.push(id);
            }
        }
        ids
    };
    let metas: HashMap<&str, &PostMeta> = data
        .posts_meta
        .iter()
        .map(|m| (m.post_id.as_str(), m))
        .collect();
    for p in &data.posts {
        let label = format!(
            "{} {} ({})",
            if is_page(p) { "page" } else { "post" },
            p.id,
            p.slug
        );
        let (body, skipped) = match (&p.html, &p.lexical, &p.mobiledoc) {
            (Some(html), _, _) => (html.clone(), Vec::new()),
            (None, Some(l), _) => lexical::to_html(l).unwrap_or_default(),
            (None, None, Some(m)) => mobiledoc::to_html(m).unwrap_or_default(),
            _ => (String::new(), Vec::new()),
        };
        for card in skipped {
            report.notes.push(format!(
                "{label}: {card} card left out (it has no meaning outside Ghost)"
            ));
        }
        let title = p
            .title
            .clone()
            .filter(|t| !t.trim().is_empty())
            .unwrap_or_else(|| {
                report
                    .notes
                    .push(format!("{label}: untitled, titled from its slug"));
                p.slug.replace('-', " ")
            });
        let members_only = !matches!(p.visibility.as_deref(), None | Some("public"));
        let published_at = p.published_at.as_ref().and_then(When::at);
        let (status, published_at) = match p.status.as_str() {
            _ if members_only => {
                report.notes.push(format!(
                    "{label}: for {} only in Ghost; imported unpublished (there is no paywall here)",
                    p.visibility.as_deref().unwrap_or("members")
                ));
                (Status::Draft, None)
            }
            "published" => (
                Status::Published,
                published_at.or(p.created_at.as_ref().and_then(When::at)),
            ),
            "scheduled" => (Status::Scheduled, published_at),
            "sent" => {
                report.notes.push(format!(
                    "{label}: sent by email only in Ghost; imported unpublished"
                ));
                (Status::Draft, None)
            }
            _ => (Status::Draft, None),
        };
        let mut new = NewArticle::published(&title, &body);
        new.kind = if is_page(p) {
            Kind::Page
        } else {
            Kind::Article
        };
        new.slug = p.slug.clone();
        new.status = status;
        new.published_at = published_at.filter(|_| status != Status::Draft);
        new.dek = p
            .custom_excerpt
            .clone()
            .unwrap_or_default()
            .chars()
            .take(300)
            .collect();
        new.featured = p.featured.is_some_and(Flag::on);
        new.canonical_url = p.canonical_url.clone().unwrap_or_default();
        let meta = metas.get(p.id.as_str());
        new.seo_title = meta
            .and_then(|m| m.meta_title.clone())
            .or_else(|| p.meta_title.clone())
            .unwrap_or_default();
        new.seo_description = meta
            .and_then(|m| m.meta_description.clone())
            .or_else(|| p.meta_description.clone())
            .unwrap_or_default();
        new.tag_ids = related(&data.posts_tags, &p.id, &tags);
        new.author_ids = related(&data.posts_authors, &p.id, &authors);
        if new.author_ids.is_empty() {
            // Ghost 1.x named one author on the post.
            if let Some(id) = p.author_id.as_deref().and_then(|a| authors.get(a)) {
                new.author_ids.push(*id);
            }
        }
        if let Some(f) = files.as_mut() {
            new.body_markdown = f.rewrite(store, &new.body_markdown).await?;
        }
        if let Some(image) = p.feature_image.as_deref().filter(|i| !i.is_empty()) {
            let copied = match files.as_mut() {
                Some(f) => f.feature(store, image, &title).await?,
                None => None,
            };
            match copied {
                Some(fi) => new.feature_image = fi,
                None => report.notes.push(format!(
                    "{label}: feature image kept at {image} (not copied)"
                )),
            }
        }
        let saved = crate::story::save(store, SOURCE, &p.id, "post", &mut new, &p.id, undo).await?;
        saved.tally(
            &mut report.created,
            &mut report.updated,
            &mut report.unchanged,
        );
        let article = saved.article;
        let mut old = Vec::new();
        if let Some(wanted) = saved.moved_from {
            report.notes.push(format!(
                "{label}: the address /{wanted}/ was taken or reserved; served at /{}/",
                article.slug
            ));
            old.push(format!("/{wanted}/"));
        }
        if !is_page(p) {
            old.push(format!("/{}/amp/", p.slug));
        }
        for from in old {
            store
                .set_redirect_to_article(&from, article.id, SOURCE)
                .await?;
            report.redirects += 1;
        }
    }
    Ok(())
}
