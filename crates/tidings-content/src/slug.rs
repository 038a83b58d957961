//! Slugs: the single path segment that names an article, page, tag or author.

/// Paths the site itself uses; no article or page may take them.
pub const RESERVED_SLUGS: &[&str] = &[
    "admin",
    "api",
    "assets",
    "media",
    "tag",
    "author",
    "page",
    "rss",
    "search",
    "subscribe",
    "unsubscribe",
    "newsletter",
    "donate",
    "webhooks",
    "healthz",
    "readyz",
    "metrics",
    "sitemap.xml",
    "news-sitemap.xml",
    "robots.txt",
    "favicon.ico",
    "feed",
    "login",
    "preview",
    "logout",
    ".well-known",
];

/// Why a slug was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SlugError {
    /// Nothing left after trimming.
    #[error("the slug is empty")]
    Empty,
    /// Longer than 120 characters.
    #[error("the slug is longer than 120 characters")]
    TooLong,
    /// Contains something other than lowercase letters, digits and single hyphens.
    #[error(
        "the slug may contain only lowercase letters, digits and hyphens (not at the start or end)"
    )]
    Invalid,
    /// One of [`RESERVED_SLUGS`].
    #[error("`{0}` is used by the site itself; choose another slug")]
    Reserved(String),
}

/// Turns a title into a slug: lowercase ASCII letters and digits joined by single hyphens.
pub fn slugify(title: &str) -> String {
    let mut out = String::with_capacity(title.len());
    for c in title.chars().flat_map(fold_accent) {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.is_empty() && !out.ends_with('-') && c != '\'' && c != '’' {
            out.push('-');
        }
    }
    let mut slug = out.trim_end_matches('-').to_string();
    if slug.len() > 80 {
        slug.truncate(80);
        if let Some(cut) = slug.rfind('-') {
            slug.truncate(cut);
        }
    }
    slug
}

/// Checks a slug given by a person or an importer.
pub fn validate_slug(slug: &str) -> Result<(), SlugError> {
    if slug.is_empty() {
        return Err(SlugError::Empty);
    }
    if slug.chars().count() > 120 {
        return Err(SlugError::TooLong);
    }
    // Letters of any script are kept (an imported Greek or Cyrillic address stays what it was),
    // but only in lower case, so that one story has one address.
    let ok_chars = slug
        .chars()
        .all(|c| c == '-' || (c.is_alphanumeric() && !c.is_uppercase()));
    if !ok_chars || slug.starts_with('-') || slug.ends_with('-') || slug.contains("--") {
        return Err(SlugError::Invalid);
    }
    if RESERVED_SLUGS.contains(&slug) {
        return Err(SlugError::Reserved(slug.to_string()));
    }
    Ok(())
}

/// Maps common Latin accented letters to their base letters so that slugs stay readable.
fn fold_accent(c: char) -> Vec<char> {
    let base = match c {
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'À' | 'Á' | 'Â' | 'Ã' | 'Ä' | 'Å' => 'a',
        'ç' | 'Ç' => 'c',
        'è' | 'é' | 'ê' | 'ë' | 'È' | 'É' | 'Ê' | 'Ë' => 'e',
        'ì' | 'í' | 'î' | 'ï' | 'Ì' | 'Í' | 'Î' | 'Ï' => 'i',
        'ñ' | 'Ñ' => 'n',
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'Ò' | 'Ó' | 'Ô' | 'Õ' | 'Ö' | 'Ø' => 'o',
        'ù' | 'ú' | 'û' | 'ü' | 'Ù' | 'Ú' | 'Û' | 'Ü' => 'u',
        'ý' | 'ÿ' | 'Ý' => 'y',
        'ß' => return vec!['s', 's'],
        'æ' | 'Æ' => return vec!['a', 'e'],
        _ => c,
    };
    vec![base]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugify_titles() {
        assert_eq!(
            slugify("City Council Approves New Budget"),
            "city-council-approves-new-budget"
        );
        assert_eq!(
            slugify("  Café owners' “fight” — 2026!  "),
            "cafe-owners-fight-2026"
        );
        assert_eq!(slugify("Straße"), "strasse");
        assert_eq!(slugify("!!!"), "");
    }

    #[test]
    fn reserved_and_malformed_slugs_are_refused() {
        assert_eq!(
            validate_slug("admin"),
            Err(SlugError::Reserved("admin".into()))
        );
        assert_eq!(validate_slug("sitemap.xml"), Err(SlugError::Invalid));
        assert_eq!(validate_slug("rss"), Err(SlugError::Reserved("rss".into())));
        assert_eq!(validate_slug(""), Err(SlugError::Empty));
        assert_eq!(validate_slug("Hello"), Err(SlugError::Invalid));
        assert_eq!(validate_slug("a--b"), Err(SlugError::Invalid));
        assert_eq!(validate_slug("-a"), Err(SlugError::Invalid));
        assert_eq!(validate_slug(&"a".repeat(121)), Err(SlugError::TooLong));
        assert_eq!(validate_slug("city-budget-2026"), Ok(()));
    }
}
