//! `tidings import wordpress`: a first streaming pass checks the whole file and counts what it
//! holds (nothing is written when it fails); a second pass brings it in. Importing the same file
//! again updates what the first run made (matched by GUID), so an outlet can import, check, and
//! import again on moving day.

mod addresses;
mod content;
mod plan;
mod wxr;

use std::collections::HashMap;
use std::path::Path;

use chrono::Utc;
use chrono_tz::Tz;
use tidings_content::{slugify, Kind, Status};
use tidings_store::{ImportUndo, NewArticle, NewAuthor, Store, StoreError};

use crate::uploads::Uploads;
use addresses::{old_path, redirect, slug_of, tag_id, when};
pub use content::{clean, Body};
pub use plan::{already_imported, plan, Plan};
use plan::{open, source_id};
pub use wxr::{Item, Record, WxrError, WxrReader, MAX_DEPTH, MAX_ITEM_BYTES};

/// The name imports from WordPress are recorded under.
const SOURCE: &str = "wordpress";

/// Why an import stopped.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The file could not be opened.
    #[error("cannot read {path}")]
    Open {
        /// The file.
        path: String,
        /// What the OS said.
        source: std::io::Error,
    },
    /// The file is not a WordPress export we can read; nothing was written.
    #[error("{0}")]
    File(#[from] WxrError),
    /// The same item twice; nothing was written.
    #[error("{0}")]
    Duplicate(String),
    /// The database refused.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The import stopped midway and what it had written was taken back.
    #[error("{0}; nothing from this import was kept")]
    RolledBack(Box<ImportError>),
}

/// What an import did, and every item it skipped or changed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    /// Articles and pages created.
    pub created: usize,
    /// Articles and pages updated (imported before).
    pub updated: usize,
    /// Articles and pages an earlier run brought exactly as they are now (left alone).
    pub unchanged: usize,
    /// Authors created.
    pub authors_created: usize,
    /// Tags (from categories and tags) created.
    pub tags_created: usize,
    /// Redirects from old addresses.
    pub redirects: usize,
    /// One line per item skipped or changed, and why.
    pub notes: Vec<String>,
}

/// Options for [`import`].
#[derive(Debug, Clone)]
pub struct Options {
    /// The site's timezone (drafts carry only local times).
    pub timezone: Tz,
    /// The old site's `wp-content/uploads` folder, and the site's media folder to copy into; without
    /// it, images stay links to the old site.
    pub uploads: Option<(std::path::PathBuf, std::path::PathBuf)>,
}

/// Checks the whole file, then brings it in. Nothing is written unless the file reads cleanly
/// from start to end.
pub async fn import(
    path: &Path,
    store: &Store,
    options: &Options,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Result<(Plan, Report), ImportError> {
    let plan = plan(path)?;
    let mut report = Report::default();
    let mut files = options
        .uploads
        .clone()
        .map(|(dir, media)| Uploads::new(dir, media, crate::uploads::WORDPRESS, SOURCE));
    // Attachment files by post id, so that a featured image found before its attachment (WordPress
    // writes them in either order) can be brought in at once.
    let mut attachment_urls: HashMap<i64, (String, String)> = HashMap::new();
    // Only worth a pass (and the memory) when there are files to bring in.
    if files.is_some() {
        let mut reader = open(path)?;
        while let Some(record) = reader.next_record()? {
            if let Record::Item(item) = record {
                if item.post_type == "attachment" && !item.attachment_url.is_empty() {
                    // Its text alternative, else its title (WordPress names images after files).
                    let alt = item
                        .meta("_wp_attachment_image_alt")
                        .map(str::trim)
                        .filter(|a| !a.is_empty())
                        .unwrap_or(item.title.trim())
                        .to_string();
                    attachment_urls.insert(item.post_id, (item.attachment_url.clone(), alt));
                }
            }
        }
    }
    // Everything this run creates is remembered, so that a failure midway takes it back.
    let mut created = ImportUndo {
        since: Utc::now().timestamp(),
        ..ImportUndo::default()
    };
    let outcome: Result<(), ImportError> = async {
        let undo = &mut created;
        // The old site's main feed.
        redirect(store, "/feed/", "/rss/").await?;
        let total = plan.items.values().sum();
        let mut authors: HashMap<String, i64> = HashMap::new();
        let mut parents: HashMap<String, String> = HashMap::new();
        // Categories this run created that sit under another: placed once all are known (a
        // parent may come after its child in the file).
        let mut nested: Vec<(i64, String)> = Vec::new();
        let mut tags: HashMap<String, i64> = HashMap::new();
        let mut done = 0;
        // Attachment pages lead to the post they belong to, once every post has its new address.
        let mut attachments: Vec<(String, i64)> = Vec::new();
        let mut reader = open(path)?;
        while let Some(record) = reader.next_record()? {
            match record {
                Record::Channel { .. } => {}
                Record::Author(a) => {
                    let slug = slug_of(&a.login, &a.display_name);
                    let id = match store.author_by_slug(&slug).await? {
                        Some(existing) => existing.id,
                        None => {
                            report.authors_created += 1;
                            let name = if a.display_name.is_empty() {
                                a.login.clone()
                            } else {
                                a.display_name.clone()
                            };
                            let id = store
                                .create_author(&NewAuthor {
                                    slug: slug.clone(),
                                    name,
                                    ..NewAuthor::default()
                                })
                                .await?
                                .id;
                            undo.authors.push(id);
                            id
                        }
                    };
                    if slug != a.login {
                        report
                            .notes
                            .push(format!("author {}: served at /author/{slug}/", a.login));
                        redirect(
                            store,
                            &format!("/author/{}/", a.login),
                            &format!("/author/{slug}/"),
                        )
                        .await?;
                    }
                    authors.insert(a.login, id);
                }
                Record::Category(t) => {
                    let id =
                        tag_id(store, undo, &t.slug, &t.name, &t.description, &mut report).await?;
                    let slug = slug_of(&t.slug, &t.name);
                    // Old category listings (and their later pages and feeds) lead to the tag.
                    redirect(
                        store,
                        &format!("/category/{}/", t.slug),
                        &format!("/tag/{slug}/"),
                    )
                    .await?;
                    report.redirects += 1;
                    // A nested category's address names its ancestors: /category/news/local/.
                    if !t.parent.is_empty() {
                        let mut chain = vec![t.slug.clone()];
                        let mut at = t.parent.clone();
                        while !at.is_empty() && chain.len() < 16 {
                            chain.push(at.clone());
                            at = parents.get(&at).cloned().unwrap_or_default();
                        }
                        chain.reverse();
                        redirect(
                            store,
                            &format!("/category/{}/", chain.join("/")),
                            &format!("/tag/{slug}/"),
                        )
                        .await?;
                        report.redirects += 1;
                    }
                    parents.insert(t.slug.clone(), t.parent.clone());
                    if !t.parent.is_empty() && undo.tags.contains(&id) {
                        nested.push((id, t.parent.clone()));
                    }
                    tags.insert(t.slug, id);
                }
                Record::Tag(t) => {
                    let id =
                        tag_id(store, undo, &t.slug, &t.name, &t.description, &mut report).await?;
                    tags.insert(t.slug, id);
                }
                Record::Item(item) if item.post_type == "attachment" => {
                    done += 1;
                    progress(done, total);
                    let copied = match files.as_mut() {
                        Some(f) => f.media(store, &item.attachment_url).await?.is_some(),
                        None => false,
                    };
                    if !copied {
                        report.notes.push(format!(
                            "attachment {}: kept at {} (not copied)",
                            item.post_id, item.attachment_url
                        ));
                    }
                    if let Some(from) = old_path(&item.link, &plan.blog_url) {
                        if item.post_parent > 0 && from != "/" {
                            attachments.push((from, item.post_parent));
                        }
                    }
                }
                Record::Item(item) => {
                    done += 1;
                    progress(done, total);
                    let mut site = Site {
                        authors: &mut authors,
                        tags: &mut tags,
                        files: files.as_mut(),
                        attachment_urls: &attachment_urls,
                        undo: &mut *undo,
                    };
                    bring_in(store, &plan, options, &item, &mut site, &mut report).await?;
                }
            }
        }
        for (id, parent) in nested {
            match tags.get(&parent) {
                Some(&parent_id) => match store.set_tag_parent(id, parent_id).await {
                    Err(StoreError::Invalid { message, .. }) => report
                        .notes
                        .push(format!("category under {parent}: {message}; kept at the top level")),
                    other => other?,
                },
                None => report.notes.push(format!(
                    "category {parent}: named as a parent but not in the file; its children stay at the top level"
                )),
            }
        }
        for (from, parent) in attachments {
            let target = match store.imported(SOURCE, &format!("post:{parent}")).await? {
                Some((_, id)) => store.article_by_id(id).await?,
                None => None,
            };
            match target {
                Some(a) => {
                    store.set_redirect_to_article(&from, a.id, SOURCE).await?;
                    report.redirects += 1;
                }
                None => report.notes.push(format!(
                    "{from}: its post was not imported; the address is not mapped"
                )),
            }
        }
        Ok(())
    }
    .await;
    let mut written = Vec::new();
    if let Some(f) = files.as_mut() {
        created.media.append(&mut f.created);
        written.append(&mut f.written);
    }
    if let Err(e) = outcome {
        return Err(match store.undo_import(SOURCE, &created).await {
            Ok(()) => {
                // The files go only once nothing refers to them any more.
                for path in &written {
                    if let Err(e) = std::fs::remove_file(path) {
                        tracing::warn!(path = %path.display(), error = %e, "cannot remove a file of a failed import");
                    }
                }
                ImportError::RolledBack(Box::new(e))
            }
            Err(undo) => {
                tracing::error!(error = %undo, "cannot take back a failed import");
                e
            }
        });
    }
    if let Some(f) = files {
        report.notes.extend(f.problems);
    }
    Ok((plan, report))
}

/// What an item is imported against: the authors, tags and files met so far.
struct Site<'a> {
    undo: &'a mut ImportUndo,
    authors: &'a mut HashMap<String, i64>,
    tags: &'a mut HashMap<String, i64>,
    files: Option<&'a mut Uploads>,
    attachment_urls: &'a HashMap<i64, (String, String)>,
}

async fn bring_in(
    store: &Store,
    plan: &Plan,
    options: &Options,
    item: &Item,
    site: &mut Site<'_>,
    report: &mut Report,
) -> Result<(), ImportError> {
    let authors = &mut *site.authors;
    let tags = &mut *site.tags;
    let kind = match item.post_type.as_str() {
        "post" => Kind::Article,
        "page" => Kind::Page,
        _ => return Ok(()),
    };
    let label = format!("{} {} ({})", item.post_type, item.post_id, item.title);
    let protected = !item.post_password.is_empty();
    let (status, published_at) = match item.status.as_str() {
        "trash" | "auto-draft" => {
            report
                .notes
                .push(format!("{label}: {} in WordPress, skipped", item.status));
            return Ok(());
        }
        _ if protected => {
            report
                .notes
                .push(format!("{label}: password-protected, imported unpublished"));
            (Status::Draft, None)
        }
        "publish" => (
            Status::Published,
            when(&item.post_date_gmt, &item.post_date, options.timezone),
        ),
        "future" => (
            Status::Scheduled,
            when(&item.post_date_gmt, &item.post_date, options.timezone),
        ),
        "private" => {
            report
                .notes
                .push(format!("{label}: private, imported unpublished"));
            (Status::Draft, None)
        }
        _ => (Status::Draft, None),
    };
    let date =
        when(&item.post_date_gmt, &item.post_date, options.timezone).unwrap_or_else(Utc::now);
    let title = if item.title.trim().is_empty() {
        report
            .notes
            .push(format!("{label}: untitled, given a title from its date"));
        format!("Untitled, {}", date.format("%-d %B %Y"))
    } else if item.title.trim().chars().count() > 300 {
        // Headlines here are at most 300 characters; WordPress sets no limit.
        report
            .notes
            .push(format!("{label}: title shortened to 300 characters"));
        item.title.trim().chars().take(299).collect::<String>() + "…"
    } else {
        item.title.clone()
    };
    // A scheduled post whose time cannot be read waits as a draft rather than stopping the import.
    let (status, published_at) = match (status, published_at) {
        (Status::Scheduled, None) => {
            report.notes.push(format!(
                "{label}: scheduled without a readable time, imported as a draft"
            ));
            (Status::Draft, None)
        }
        other => other,
    };
    let mut body = clean(&item.content);
    let mut feature_image = None;
    if let Some(f) = site.files.as_mut() {
        body.html = f.rewrite(store, &body.html).await?;
    }
    if let Some(thumb) = item.meta("_thumbnail_id") {
        let url = thumb
            .trim()
            .parse::<i64>()
            .ok()
            .and_then(|id| site.attachment_urls.get(&id));
        if let (Some(f), Some((url, alt))) = (site.files.as_mut(), url) {
            let alt = if alt.is_empty() { &item.title } else { alt };
            feature_image = f.feature(store, url, alt).await?;
        }
        if feature_image.is_none() {
            report.notes.push(format!(
                "{label}: featured image (attachment {}) not copied",
                thumb.trim()
            ));
        }
    }
    for code in &body.unconverted {
        report
            .notes
            .push(format!("{label}: shortcode [{code}] left as text"));
    }
    // Categories first (the first is the section), then tags.
    let mut tag_ids = Vec::new();
    for domain in ["category", "post_tag"] {
        // Old exports name terms without a domain or slug: they are categories, known by name.
        let terms = item
            .terms
            .iter()
            .filter(|t| t.domain == domain || (t.domain.is_empty() && domain == "category"));
        for t in terms {
            let key = if t.slug.is_empty() { &t.name } else { &t.slug };
            let id = match tags.get(key) {
                Some(id) => *id,
                None => {
                    let id = tag_id(store, site.undo, key, &t.name, "", report).await?;
                    tags.insert(key.clone(), id);
                    id
                }
            };
            if !tag_ids.contains(&id) {
                tag_ids.push(id);
            }
        }
    }
    let dek: String = tidings_content::html_to_text(&item.excerpt)
        .chars()
        .take(300)
        .collect();
    let meta = |keys: &[&str]| {
        keys.iter()
            .find_map(|k| item.meta(k).filter(|v| !v.trim().is_empty()))
            .map(|v| v.trim().to_string())
            .unwrap_or_default()
    };
    // Known by post id (GUIDs repeat when a post was copied).
    let source_id = source_id(item);
    let wanted_slug = slug_of(&item.post_name, &title);
    let mut new = NewArticle::published(&title, &body.html);
    new.kind = kind;
    new.slug = if wanted_slug.is_empty() {
        format!("post-{}", item.post_id)
    } else {
        wanted_slug
    };
    new.dek = dek;
    new.status = status;
    new.published_at = published_at
        .or(Some(date))
        .filter(|_| status != Status::Draft);
    new.featured = item.is_sticky;
    new.tag_ids = tag_ids;
    new.author_ids = match authors.get(&item.creator) {
        Some(id) => vec![*id],
        // Exports without an authors list name the author by display name only.
        None if !item.creator.trim().is_empty() => {
            let slug = slugify(&item.creator);
            let id = match store.author_by_slug(&slug).await? {
                Some(a) => a.id,
                None => {
                    report.authors_created += 1;
                    let id = store
                        .create_author(&NewAuthor {
                            slug,
                            name: item.creator.trim().to_string(),
                            ..NewAuthor::default()
                        })
                        .await?
                        .id;
                    site.undo.authors.push(id);
                    id
                }
            };
            authors.insert(item.creator.clone(), id);
            vec![id]
        }
        None => Vec::new(),
    };
    new.seo_title = meta(&["_yoast_wpseo_title", "rank_math_title"]);
    new.seo_description = meta(&["_yoast_wpseo_metadesc", "rank_math_description"]);
    if let Some(image) = feature_image {
        new.feature_image = image;
    }
    let saved = crate::story::save(
        store,
        SOURCE,
        &source_id,
        &item.post_type,
        &mut new,
        &item.post_id.to_string(),
        site.undo,
    )
    .await?;
    if let Some(wanted) = &saved.moved_from {
        report.notes.push(format!(
            "{label}: the address /{wanted}/ was taken or reserved; served at /{}/",
            saved.article.slug
        ));
    }
    saved.tally(
        &mut report.created,
        &mut report.updated,
        &mut report.unchanged,
    );
    let saved = saved.article;
    // Every old address of the item leads to its new one, and follows it if it is renamed later.
    let to = format!("/{}/", saved.slug);
    let mut from = Vec::new();
    if let Some(p) = old_path(&item.link, &plan.blog_url) {
        from.push(p);
    }
    from.push(match kind {
        Kind::Page => format!("/?page_id={}", item.post_id),
        _ => format!("/?p={}", item.post_id),
    });
    for f in from {
        if f != to && f != "/" {
            store.set_redirect_to_article(&f, saved.id, SOURCE).await?;
            report.redirects += 1;
        }
    }
    Ok(())
}
