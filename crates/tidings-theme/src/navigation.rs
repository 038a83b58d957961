//! The header and footer menus: what the outlet saved (the `menu_header` and `menu_footer`
//! settings, JSON lists of items), or the built-in menus until it saves its own.

use serde::{Deserialize, Serialize};
use tidings_store::{PageLink, Settings, Tag};

use crate::views::LinkView;

/// The two menus.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Menu {
    /// Under the masthead.
    Header,
    /// In the site footer.
    Footer,
}

impl Menu {
    /// The setting that holds it.
    pub fn key(self) -> &'static str {
        match self {
            Menu::Header => "menu_header",
            Menu::Footer => "menu_footer",
        }
    }

    /// `header` or `footer`.
    pub fn name(self) -> &'static str {
        match self {
            Menu::Header => "header",
            Menu::Footer => "footer",
        }
    }

    /// The menu a form names.
    pub fn parse(name: &str) -> Option<Menu> {
        [Menu::Header, Menu::Footer]
            .into_iter()
            .find(|m| m.name() == name)
    }
}

/// Where an item leads. Tags and pages are kept by id, so a renamed one keeps its place.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "to", rename_all = "lowercase")]
pub enum Target {
    /// A tag's listing.
    Tag(i64),
    /// A published page.
    Page(i64),
    /// A path on this site or an https:// address.
    Url(String),
}

/// One menu entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Item {
    /// The words shown.
    pub label: String,
    /// Where it leads.
    #[serde(flatten)]
    pub target: Target,
}

/// Most entries in one menu.
pub const MAX_ITEMS: usize = 12;

/// The menu as the outlet saved it, or `None` when it never did.
pub fn saved(settings: &Settings, menu: Menu) -> Option<Vec<Item>> {
    serde_json::from_str(settings.get(menu.key())).ok()
}

/// The menu in force: the saved one, or the built-in one (the first sections under the masthead;
/// the feed, donation and standard pages in the footer).
pub fn items(settings: &Settings, menu: Menu, sections: &[Tag]) -> Vec<Item> {
    saved(settings, menu).unwrap_or_else(|| match menu {
        Menu::Header => sections
            .iter()
            .map(|t| Item {
                label: t.name.clone(),
                target: Target::Tag(t.id),
            })
            .collect(),
        Menu::Footer => [
            ("RSS feed", "/rss/"),
            ("Donate", "/donate/"),
            ("About", "/about/"),
            ("Privacy", "/privacy/"),
            ("Corrections", "/corrections/"),
        ]
        .into_iter()
        .map(|(label, url)| Item {
            label: label.into(),
            target: Target::Url(url.into()),
        })
        .collect(),
    })
}

/// The links readers see: each item's address, leaving out tags and pages that are gone.
pub fn links(items: &[Item], tags: &[Tag], pages: &[PageLink]) -> Vec<LinkView> {
    items
        .iter()
        .filter_map(|item| {
            let url = match &item.target {
                Target::Tag(id) => format!("/tag/{}/", tags.iter().find(|t| t.id == *id)?.slug),
                Target::Page(id) => format!("/{}/", pages.iter().find(|p| p.id == *id)?.slug),
                Target::Url(url) => url.clone(),
            };
            Some(LinkView {
                name: item.label.clone(),
                url,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tag(id: i64, slug: &str) -> Tag {
        Tag {
            id,
            slug: slug.into(),
            name: slug.into(),
            description: String::new(),
            image_url: String::new(),
            parent_id: None,
        }
    }

    #[test]
    fn saved_menus_round_trip_and_gone_targets_drop_out() {
        let items = vec![
            Item {
                label: "Harbour".into(),
                target: Target::Tag(2),
            },
            Item {
                label: "About us".into(),
                target: Target::Page(9),
            },
            Item {
                label: "Gone".into(),
                target: Target::Tag(99),
            },
            Item {
                label: "Shop".into(),
                target: Target::Url("https://shop.example/".into()),
            },
        ];
        let json = serde_json::to_string(&items).unwrap();
        assert!(
            json.contains(r#"{"label":"Harbour","kind":"tag","to":2}"#),
            "{json}"
        );
        let settings = Settings([("menu_footer".to_string(), json)].into_iter().collect());
        assert_eq!(saved(&settings, Menu::Footer), Some(items.clone()));
        assert_eq!(saved(&settings, Menu::Header), None);
        let pages = [PageLink {
            id: 9,
            slug: "about".into(),
            title: "About".into(),
        }];
        let urls: Vec<String> = links(&items, &[tag(2, "harbour")], &pages)
            .into_iter()
            .map(|l| l.url)
            .collect();
        assert_eq!(urls, ["/tag/harbour/", "/about/", "https://shop.example/"]);
    }

    #[test]
    fn unsaved_menus_are_the_built_in_ones() {
        let header = items(&Settings::default(), Menu::Header, &[tag(1, "city-hall")]);
        assert_eq!(header[0].target, Target::Tag(1));
        let footer = items(&Settings::default(), Menu::Footer, &[]);
        assert_eq!(footer.len(), 5);
    }
}
