//! Addresses and names: WordPress slugs and times as Tidings takes them, old paths, and the
//! redirects and tags an import makes (each remembered for an undo).

use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;
use tidings_content::slugify;
use tidings_store::{ImportUndo, NewTag, Store};

use super::{ImportError, Report, SOURCE};

/// A WordPress slug (percent-encoded when not ASCII) as a Tidings slug: the same letters, in any
/// script, when they make a valid slug; else one made from the fallback (the title or name).
pub(super) fn slug_of(wp: &str, fallback: &str) -> String {
    let decoded = percent_encoding::percent_decode_str(wp)
        .decode_utf8_lossy()
        .to_lowercase();
    if tidings_content::validate_slug(&decoded).is_ok() {
        return decoded;
    }
    let slug = slugify(&decoded);
    if slug.is_empty() || slug.bytes().all(|b| b.is_ascii_digit() || b == b'-') {
        slugify(fallback)
    } else {
        slug
    }
}

/// A WordPress time (`YYYY-MM-DD HH:MM:SS`), GMT when given, else the site's local time.
pub(super) fn when(gmt: &str, local: &str, tz: Tz) -> Option<DateTime<Utc>> {
    let parse = |s: &str| NaiveDateTime::parse_from_str(s.trim(), "%Y-%m-%d %H:%M:%S").ok();
    if !gmt.starts_with("0000") {
        if let Some(t) = parse(gmt) {
            return Some(Utc.from_utc_datetime(&t));
        }
    }
    let t = parse(local)?;
    tz.from_local_datetime(&t)
        .earliest()
        .map(|t| t.with_timezone(&Utc))
}

/// The path part of an old permalink (`https://old.example/2015/11/27/x/` → `/2015/11/27/x/`).
pub(super) fn old_path(link: &str, blog_url: &str) -> Option<String> {
    let rest = link
        .strip_prefix(blog_url.trim_end_matches('/'))
        .or_else(|| {
            link.split_once("://")
                .and_then(|(_, r)| r.find('/').map(|i| &r[i..]))
        })?;
    let rest = if rest.is_empty() { "/" } else { rest };
    // Kept decoded: requests are looked up decoded too, whatever case their escapes use.
    let mut rest = percent_encoding::percent_decode_str(rest)
        .decode_utf8_lossy()
        .into_owned();
    while rest.contains("//") {
        rest = rest.replace("//", "/");
    }
    rest.starts_with('/').then_some(rest)
}

/// Adds a redirect (an undo finds the run's new ones by their creation time).
pub(super) async fn redirect(store: &Store, from: &str, to: &str) -> Result<(), ImportError> {
    store.set_redirect(from, to, SOURCE).await?;
    Ok(())
}

pub(super) async fn tag_id(
    store: &Store,
    undo: &mut ImportUndo,
    wp_slug: &str,
    name: &str,
    description: &str,
    report: &mut Report,
) -> Result<i64, ImportError> {
    let slug = slug_of(wp_slug, name);
    if let Some(t) = store.tag_by_slug(&slug).await? {
        return Ok(t.id);
    }
    report.tags_created += 1;
    let tag = store
        .create_tag(&NewTag {
            slug: slug.clone(),
            name: if name.is_empty() {
                slug.clone()
            } else {
                name.to_string()
            },
            description: description.to_string(),
            ..NewTag::default()
        })
        .await?;
    undo.tags.push(tag.id);
    if !wp_slug.is_empty() && slug != wp_slug {
        redirect(store, &format!("/tag/{wp_slug}/"), &format!("/tag/{slug}/")).await?;
    }
    Ok(tag.id)
}
