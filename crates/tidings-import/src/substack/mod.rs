//! Moving in from Substack: its export (the zip, or the folder it unpacks to) holds `posts.csv`
//! and one `posts/<post_id>.html` per post. Everything is read and checked first (columns, types,
//! dates, every body present), then brought in; a failure midway takes the run back. Substack's
//! widgets and buttons are cleaned out; paid posts come in unpublished and are listed; every old
//! `/p/<slug>` address redirects to the story.

mod clean;

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use tidings_content::{Kind, Status};
use tidings_store::{ImportUndo, NewArticle, Store};

use crate::wordpress::ImportError;

/// Where what a Substack import made is recorded.
pub const SOURCE: &str = "substack";

/// Why a Substack import stopped.
#[derive(Debug, thiserror::Error)]
pub enum SubstackError {
    /// The export cannot be read, or a row or body is wrong (the place is named).
    #[error("{0}")]
    File(String),
    /// The database refused; nothing from this run was kept.
    #[error("{0}; nothing from this import was kept")]
    RolledBack(String),
}

/// One post of the export, checked.
#[derive(Debug, Clone)]
pub struct Post {
    /// `141201.why-a-harbor-newsletter`
    pub post_id: String,
    /// The address part of the id.
    pub slug: String,
    /// Headline.
    pub title: String,
    /// Subtitle (the dek here).
    pub subtitle: String,
    /// `newsletter`, `podcast`, `thread` or `page`.
    pub kind: String,
    /// `everyone`, `only_paid`, `founding`, `only_free`.
    pub audience: String,
    /// Published on Substack.
    pub published: bool,
    /// When.
    pub date: Option<DateTime<Utc>>,
    /// The episode's audio, for podcasts.
    pub podcast_url: String,
    /// The body, cleaned.
    pub html: String,
    /// Whether the body had Substack's paywall marker.
    pub paywall: bool,
}

/// A checked export.
#[derive(Debug, Default)]
pub struct Plan {
    /// Every post, in file order.
    pub posts: Vec<Post>,
    /// Posts by (type, published or draft).
    pub counts: BTreeMap<(String, String), usize>,
}

/// What the import did.
#[derive(Debug, Default)]
pub struct Report {
    /// Posts created.
    pub created: usize,
    /// Posts updated (imported before).
    pub updated: usize,
    /// Posts an earlier run brought exactly as they are now (left alone).
    pub unchanged: usize,
    /// Redirects added.
    pub redirects: usize,
    /// One line per post changed or held back, and why.
    pub notes: Vec<String>,
}

/// The export, as a folder or a zip.
enum Export {
    Dir(PathBuf),
    Zip {
        archive: zip::ZipArchive<std::fs::File>,
        prefix: String,
    },
}

impl Export {
    fn open(path: &Path) -> Result<Export, SubstackError> {
        let fail =
            |e: &dyn std::fmt::Display| SubstackError::File(format!("{}: {e}", path.display()));
        if path.is_dir() {
            return Ok(Export::Dir(path.to_path_buf()));
        }
        let file = std::fs::File::open(path).map_err(|e| fail(&e))?;
        let archive = zip::ZipArchive::new(file).map_err(|e| fail(&e))?;
        // The files may sit in a folder inside the zip.
        let prefix = archive
            .file_names()
            .find(|n| *n == "posts.csv" || n.ends_with("/posts.csv"))
            .map(|n| n.trim_end_matches("posts.csv").to_string())
            .ok_or_else(|| fail(&"no posts.csv in the zip: not a Substack export"))?;
        Ok(Export::Zip { archive, prefix })
    }

    /// The file at `name` inside the export, if there.
    fn read(&mut self, name: &str) -> Result<Option<Vec<u8>>, String> {
        match self {
            Export::Dir(dir) => match std::fs::read(dir.join(name)) {
                Ok(b) => Ok(Some(b)),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
                Err(e) => Err(format!("{name}: {e}")),
            },
            Export::Zip { archive, prefix } => {
                let full = format!("{prefix}{name}");
                let mut entry = match archive.by_name(&full) {
                    Ok(e) => e,
                    Err(zip::result::ZipError::FileNotFound) => return Ok(None),
                    Err(e) => return Err(format!("{full}: {e}")),
                };
                // Bodies are text; a 64 MB one is not a post.
                if entry.size() > 64 << 20 {
                    return Err(format!("{full}: too large to be a post"));
                }
                let mut out = Vec::with_capacity(entry.size() as usize);
                entry
                    .read_to_end(&mut out)
                    .map_err(|e| format!("{full}: {e}"))?;
                Ok(Some(out))
            }
        }
    }
}

const COLUMNS: &[&str] = &["post_id", "post_date", "is_published", "type", "title"];

/// Reads and checks the whole export, writing nothing.
pub fn plan(path: &Path) -> Result<Plan, SubstackError> {
    let mut export = Export::open(path)?;
    let at = |line: u64, msg: String| {
        SubstackError::File(format!("{}: posts.csv line {line}: {msg}", path.display()))
    };
    let csv_bytes = export
        .read("posts.csv")
        .map_err(SubstackError::File)?
        .ok_or_else(|| {
            SubstackError::File(format!(
                "{}: no posts.csv: not a Substack export",
                path.display()
            ))
        })?;
    let mut reader = csv::ReaderBuilder::new()
        .flexible(false)
        .from_reader(csv_bytes.as_slice());
    let headers: Vec<String> = reader
        .headers()
        .map_err(|e| at(1, e.to_string()))?
        .iter()
        .map(|h| h.trim_start_matches('\u{feff}').trim().to_string())
        .collect();
    let missing: Vec<&str> = COLUMNS
        .iter()
        .copied()
        .filter(|c| !headers.iter().any(|h| h == c))
        .collect();
    if !missing.is_empty() {
        return Err(at(1, format!("missing column(s) {}", missing.join(", "))));
    }
    let col = |name: &str| headers.iter().position(|h| h == name);
    let mut plan = Plan::default();
    let mut seen = std::collections::HashSet::new();
    for (i, record) in reader.byte_records().enumerate() {
        let line = i as u64 + 2;
        let record = record.map_err(|e| at(line, e.to_string()))?;
        let cells: Vec<String> = record
            .iter()
            .map(|c| std::str::from_utf8(c).map(str::to_string))
            .collect::<Result<_, _>>()
            .map_err(|_| at(line, "not UTF-8 text".into()))?;
        let get = |name: &str| {
            col(name)
                .and_then(|i| cells.get(i))
                .map(|s| s.trim().to_string())
                .unwrap_or_default()
        };
        let post_id = get("post_id");
        let slug = post_id
            .split_once('.')
            .map(|(_, s)| s)
            .unwrap_or("")
            .to_string();
        if slug.is_empty()
            || !post_id
                .split('.')
                .next()
                .is_some_and(|n| n.bytes().all(|b| b.is_ascii_digit()))
        {
            return Err(at(
                line,
                format!("post_id `{post_id}` is not <number>.<slug>"),
            ));
        }
        if !seen.insert(post_id.clone()) {
            return Err(at(line, format!("post {post_id} appears twice")));
        }
        let kind = get("type");
        if !matches!(kind.as_str(), "newsletter" | "podcast" | "thread" | "page") {
            return Err(at(
                line,
                format!(
                    "unknown type `{kind}` (Substack writes newsletter, podcast, thread or page)"
                ),
            ));
        }
        let published = match get("is_published").as_str() {
            "true" => true,
            "false" | "" => false,
            other => {
                return Err(at(
                    line,
                    format!("is_published `{other}` is neither true nor false"),
                ))
            }
        };
        let date_text = get("post_date");
        let date = match date_text.as_str() {
            "" => None,
            t => Some(
                DateTime::parse_from_rfc3339(t)
                    .map_err(|_| at(line, format!("post_date `{t}` is not a date and time")))?
                    .with_timezone(&Utc),
            ),
        };
        if published && date.is_none() {
            return Err(at(line, "a published post without a post_date".into()));
        }
        let body_name = format!("posts/{post_id}.html");
        let body = export
            .read(&body_name)
            .map_err(SubstackError::File)?
            .ok_or_else(|| {
                SubstackError::File(format!(
                    "{}: {body_name} is missing (its row is line {line} of posts.csv)",
                    path.display()
                ))
            })?;
        let body = String::from_utf8(body).map_err(|_| {
            SubstackError::File(format!("{}: {body_name} is not UTF-8 text", path.display()))
        })?;
        let cleaned = clean::clean(&body)
            .map_err(|e| SubstackError::File(format!("{}: {body_name}: {e}", path.display())))?;
        *plan
            .counts
            .entry((
                kind.clone(),
                if published { "published" } else { "draft" }.to_string(),
            ))
            .or_default() += 1;
        plan.posts.push(Post {
            post_id,
            slug,
            title: get("title"),
            subtitle: get("subtitle"),
            kind,
            audience: get("audience"),
            published,
            date,
            podcast_url: get("podcast_url"),
            html: cleaned.html,
            paywall: cleaned.paywall,
        });
    }
    Ok(plan)
}

/// Brings a checked export in; a failure midway takes back everything this run created.
pub async fn import(store: &Store, plan: &Plan) -> Result<Report, SubstackError> {
    let mut report = Report::default();
    let mut undo = ImportUndo {
        since: Utc::now().timestamp(),
        ..ImportUndo::default()
    };
    match bring_in(store, plan, &mut undo, &mut report).await {
        Ok(()) => Ok(report),
        Err(e) => {
            if let Err(undo_error) = store.undo_import(SOURCE, &undo).await {
                tracing::error!(error = %undo_error, "cannot take back a failed Substack import");
            }
            Err(SubstackError::RolledBack(e.to_string()))
        }
    }
}

async fn bring_in(
    store: &Store,
    plan: &Plan,
    undo: &mut ImportUndo,
    report: &mut Report,
) -> Result<(), ImportError> {
    for p in &plan.posts {
        let label = format!("{} {}", p.kind, p.post_id);
        let paid = !matches!(p.audience.as_str(), "" | "everyone" | "only_free");
        let mut body = String::new();
        if !p.podcast_url.is_empty() {
            // Pages here carry no players (the sanitiser keeps links, not <audio>).
            body.push_str(&format!(
                "<p><a href=\"{}\">Listen to the episode</a></p>\n",
                crate::ghost::escape(&p.podcast_url)
            ));
        }
        body.push_str(&p.html);
        let title = if p.title.trim().is_empty() {
            report
                .notes
                .push(format!("{label}: untitled, titled from its address"));
            p.slug.replace('-', " ")
        } else {
            p.title.clone()
        };
        let mut new = NewArticle::published(&title, &body);
        new.kind = if p.kind == "page" {
            Kind::Page
        } else {
            Kind::Article
        };
        new.slug = p.slug.clone();
        new.dek = p.subtitle.chars().take(300).collect();
        (new.status, new.published_at) = if paid {
            report.notes.push(format!(
                "{label}: for paid subscribers on Substack ({}{}); imported unpublished, publish it to make it free to read",
                p.audience,
                if p.paywall { ", with a paywall marker" } else { "" }
            ));
            (Status::Draft, None)
        } else if p.published {
            (Status::Published, p.date)
        } else {
            (Status::Draft, None)
        };
        let saved = crate::story::save(
            store,
            SOURCE,
            &p.post_id,
            &p.kind,
            &mut new,
            &p.post_id.replace('.', "-"),
            undo,
        )
        .await?;
        saved.tally(
            &mut report.created,
            &mut report.updated,
            &mut report.unchanged,
        );
        if let Some(wanted) = &saved.moved_from {
            report.notes.push(format!(
                "{label}: the address /{wanted}/ was taken or reserved; served at /{}/",
                saved.article.slug
            ));
        }
        // Substack's addresses: /p/<slug> for posts, /<slug> for pages.
        let olds = if p.kind == "page" {
            vec![format!("/{}", p.slug)]
        } else {
            vec![format!("/p/{}", p.slug), format!("/p/{}/", p.slug)]
        };
        for from in olds {
            if from != format!("/{}/", saved.article.slug) {
                store
                    .set_redirect_to_article(&from, saved.article.id, SOURCE)
                    .await?;
                report.redirects += 1;
            }
        }
    }
    Ok(())
}
