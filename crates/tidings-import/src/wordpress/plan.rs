//! The first pass: the whole file read and checked, and what it holds counted. Nothing is
//! written; `--dry-run` is this pass alone.

use std::collections::{BTreeMap, HashSet};
use std::io::BufReader;
use std::path::Path;

use tidings_store::Store;

use super::{ImportError, Item, Record, WxrReader, SOURCE};

/// What the file holds, from the first pass.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Plan {
    /// WXR version.
    pub version: String,
    /// The old site's address.
    pub blog_url: String,
    /// Authors declared.
    pub authors: usize,
    /// Categories declared.
    pub categories: usize,
    /// Tags declared.
    pub tags: usize,
    /// Items by (post type, status).
    pub items: BTreeMap<(String, String), usize>,
    /// Password-protected posts and pages.
    pub protected: usize,
    /// Comments (counted, not imported).
    pub comments: usize,
    /// Posts or pages whose GUID another one has too (each is known by its post id).
    pub shared_guids: usize,
    /// How each post or page to import is known across imports.
    pub content_ids: HashSet<String>,
}

impl Plan {
    /// Posts and pages the import brings in (not trashed, not auto-drafts).
    pub fn content(&self) -> usize {
        self.items
            .iter()
            .filter(|((kind, status), _)| {
                matches!(kind.as_str(), "post" | "page")
                    && !matches!(status.as_str(), "trash" | "auto-draft" | "inherit")
            })
            .map(|(_, n)| n)
            .sum()
    }

    /// Items of one type and status.
    pub fn count(&self, kind: &str, status: &str) -> usize {
        self.items
            .get(&(kind.to_string(), status.to_string()))
            .copied()
            .unwrap_or(0)
    }
}

/// Reads the whole file once: checks it and counts what it holds. Writes nothing.
pub fn plan(path: &Path) -> Result<Plan, ImportError> {
    let mut plan = Plan::default();
    let mut guids = HashSet::new();
    let mut ids: HashSet<String> = HashSet::new();
    let mut importable: HashSet<String> = HashSet::new();
    let mut reader = open(path)?;
    while let Some(record) = reader.next_record()? {
        match record {
            Record::Channel { version, blog_url } => {
                plan.version = version;
                plan.blog_url = blog_url;
            }
            Record::Author(_) => plan.authors += 1,
            Record::Category(_) => plan.categories += 1,
            Record::Tag(_) => plan.tags += 1,
            Record::Item(item) => {
                // A post or page is known by its id; the same one twice means a damaged export.
                // (WordPress itself repeats menu items, and copies of a post can share a GUID:
                // those are not errors.)
                let content = matches!(item.post_type.as_str(), "post" | "page");
                if content && !ids.insert(source_id(&item)) {
                    return Err(ImportError::Duplicate(format!(
                        "{} {} (GUID {}) appears twice; the export is damaged, nothing was imported",
                        item.post_type, item.post_id, item.guid
                    )));
                }
                if content && !item.guid.is_empty() && !guids.insert(item.guid.clone()) {
                    plan.shared_guids += 1;
                }
                if !item.post_password.is_empty() {
                    plan.protected += 1;
                }
                plan.comments += item.comments;
                if content && !matches!(item.status.as_str(), "trash" | "auto-draft") {
                    importable.insert(source_id(&item));
                }
                *plan
                    .items
                    .entry((item.post_type.clone(), item.status.clone()))
                    .or_default() += 1;
            }
        }
    }
    plan.content_ids = importable;
    Ok(plan)
}

/// How many of the plan's posts and pages an earlier import brought into `store` (and would be
/// updated rather than created).
pub async fn already_imported(plan: &Plan, store: &Store) -> Result<usize, ImportError> {
    let known = store.imported_ids(SOURCE).await?;
    Ok(plan.content_ids.intersection(&known).count())
}

/// How an item is known across imports: its post id, or its GUID in exports without ids.
pub(super) fn source_id(item: &Item) -> String {
    if item.post_id > 0 {
        format!("post:{}", item.post_id)
    } else {
        format!("guid:{}", item.guid)
    }
}

pub(super) fn open(path: &Path) -> Result<WxrReader<BufReader<std::fs::File>>, ImportError> {
    let file = std::fs::File::open(path).map_err(|source| ImportError::Open {
        path: path.display().to_string(),
        source,
    })?;
    Ok(WxrReader::new(BufReader::with_capacity(256 * 1024, file)))
}
