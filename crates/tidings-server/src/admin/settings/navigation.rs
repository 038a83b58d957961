//! The header and footer menus in the admin: items that lead to a tag, a page or an address,
//! moved with up and down buttons (plain form buttons: they work from the keyboard and without
//! JavaScript), removed, added, or the built-in menu restored.

use std::collections::BTreeMap;

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Form;
use minijinja::context;
use serde::Deserialize;
use tidings_accounts::Action;
use tidings_store::{PageLink, Settings, Tag};
use tidings_theme::navigation::{self, Item, Menu, Target, MAX_ITEMS};

use crate::admin::page::{me, render, see_other};
use crate::admin::session::Signed;
use crate::app::AppState;
use crate::error::AppError;

/// The page's address.
pub const URL: &str = "/admin/settings/navigation";

/// Longest label.
const MAX_LABEL: usize = 60;

/// What the page lists and offers.
struct Parts {
    settings: Settings,
    sections: Vec<Tag>,
    tags: Vec<Tag>,
    pages: Vec<PageLink>,
}

async fn parts(app: &AppState) -> Result<Parts, AppError> {
    Ok(Parts {
        settings: app.store().settings().await?,
        sections: app.store().sections(6).await?,
        tags: app.store().list_tags().await?,
        pages: app.store().published_pages().await?,
    })
}

/// What an item leads to, in words, for the list.
fn describe(target: &Target, p: &Parts) -> String {
    match target {
        Target::Tag(id) => match p.tags.iter().find(|t| t.id == *id) {
            Some(t) => format!("Tag: {}", t.name),
            None => "A tag since deleted (not shown to readers)".into(),
        },
        Target::Page(id) => match p.pages.iter().find(|pg| pg.id == *id) {
            Some(pg) => format!("Page: {}", pg.title),
            None => "A page no longer published (not shown to readers)".into(),
        },
        Target::Url(url) => url.clone(),
    }
}

async fn page(
    app: &AppState,
    signed: &Signed,
    status: StatusCode,
    p: &Parts,
    errors: &BTreeMap<&'static str, String>,
    saved: bool,
) -> Result<Response, AppError> {
    let menus: Vec<_> = [Menu::Header, Menu::Footer]
        .into_iter()
        .map(|m| {
            let items = navigation::items(&p.settings, m, &p.sections);
            let last = items.len().saturating_sub(1);
            context! {
                name => m.name(),
                title => match m { Menu::Header => "Header menu", Menu::Footer => "Footer menu" },
                custom => navigation::saved(&p.settings, m).is_some(),
                full => items.len() >= MAX_ITEMS,
                error => errors.get(m.name()),
                items => items.iter().enumerate().map(|(i, item)| context! {
                    index => i, label => item.label, leads => describe(&item.target, p),
                    first => i == 0, last => i == last,
                }).collect::<Vec<_>>(),
            }
        })
        .collect();
    let ctx = context! {
        tabs => super::tabs(URL),
        menus => menus,
        tags => p.tags.iter().map(|t| context! { id => t.id, name => t.name }).collect::<Vec<_>>(),
        pages => p.pages.iter().map(|pg| context! { id => pg.id, title => pg.title }).collect::<Vec<_>>(),
        saved => saved,
        max => MAX_ITEMS,
    };
    Ok(render(
        app,
        status,
        "admin/settings_navigation.html",
        Some(me(signed)),
        ctx,
    )
    .await)
}

#[derive(Deserialize, Default)]
pub struct Saved {
    #[serde(default)]
    saved: Option<String>,
}

/// `GET /admin/settings/navigation`
pub async fn show(
    State(app): State<AppState>,
    signed: Signed,
    Query(q): Query<Saved>,
) -> Result<Response, AppError> {
    signed.require(Action::ManageSettings)?;
    let p = parts(&app).await?;
    page(
        &app,
        &signed,
        StatusCode::OK,
        &p,
        &BTreeMap::new(),
        q.saved.is_some(),
    )
    .await
}

/// What one button or the add form sends.
#[derive(Deserialize, Default)]
pub struct Change {
    #[serde(default)]
    menu: String,
    #[serde(default)]
    action: String,
    #[serde(default)]
    index: Option<usize>,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    tag: Option<i64>,
    #[serde(default)]
    page: Option<i64>,
    #[serde(default)]
    url: String,
    #[serde(default)]
    label: String,
}

/// A new item from the add form, or why it cannot be added.
fn new_item(c: &Change, p: &Parts) -> Result<Item, String> {
    let label = c.label.trim();
    if label.chars().count() > MAX_LABEL || label.chars().any(char::is_control) {
        return Err(format!(
            "A label is one line of at most {MAX_LABEL} characters."
        ));
    }
    let (target, name) = match c.kind.as_str() {
        "tag" => {
            let tag = c
                .tag
                .and_then(|id| p.tags.iter().find(|t| t.id == id))
                .ok_or("Choose a tag.")?;
            (Target::Tag(tag.id), tag.name.clone())
        }
        "page" => {
            let pg = c
                .page
                .and_then(|id| p.pages.iter().find(|pg| pg.id == id))
                .ok_or("Choose a published page.")?;
            (Target::Page(pg.id), pg.title.clone())
        }
        "url" => {
            let url = c.url.trim();
            let ok = crate::web::is_local_path(url)
                || url::Url::parse(url)
                    .is_ok_and(|u| u.scheme() == "https" && u.host_str().is_some());
            if !ok {
                return Err(format!(
                    "`{url}` is neither a path on this site (/about/) nor an https:// address."
                ));
            }
            if label.is_empty() {
                return Err("An address needs a label.".into());
            }
            (Target::Url(url.to_string()), String::new())
        }
        _ => return Err("Choose what the item leads to: a tag, a page or an address.".into()),
    };
    Ok(Item {
        label: if label.is_empty() {
            name
        } else {
            label.to_string()
        },
        target,
    })
}

/// `POST /admin/settings/navigation`
pub async fn save(
    State(app): State<AppState>,
    signed: Signed,
    Form(c): Form<Change>,
) -> Result<Response, AppError> {
    signed.require(Action::ManageSettings)?;
    let menu = Menu::parse(&c.menu).ok_or(AppError::BadRequest("unknown menu"))?;
    let p = parts(&app).await?;
    let mut items = navigation::items(&p.settings, menu, &p.sections);
    let at = c.index.filter(|i| *i < items.len());
    // Where focus goes back to: the item moved, or the list.
    let mut focus = format!("menu-{}", menu.name());
    let problem = match (c.action.as_str(), at) {
        ("up", Some(i)) if i > 0 => {
            items.swap(i, i - 1);
            focus = format!("menu-{}-{}", menu.name(), i - 1);
            None
        }
        ("down", Some(i)) if i + 1 < items.len() => {
            items.swap(i, i + 1);
            focus = format!("menu-{}-{}", menu.name(), i + 1);
            None
        }
        ("remove", Some(i)) => {
            items.remove(i);
            None
        }
        ("add", _) if items.len() >= MAX_ITEMS => Some(format!(
            "A menu holds at most {MAX_ITEMS} items; remove one first."
        )),
        ("add", _) => match new_item(&c, &p) {
            Ok(item) => {
                items.push(item);
                None
            }
            Err(message) => Some(message),
        },
        ("reset", _) => {
            items.clear();
            None
        }
        _ => Some(
            "That item has changed since the page was shown; here is the menu as it is now.".into(),
        ),
    };
    if let Some(message) = problem {
        let errors = BTreeMap::from([(menu.name(), message)]);
        return page(
            &app,
            &signed,
            StatusCode::UNPROCESSABLE_ENTITY,
            &p,
            &errors,
            false,
        )
        .await;
    }
    // Restoring the built-in menu forgets the saved one; anything else saves the whole list.
    let value = if c.action == "reset" {
        String::new()
    } else {
        serde_json::to_string(&items).map_err(|e| AppError::Internal(e.to_string()))?
    };
    app.store().set_settings(&[(menu.key(), &value)]).await?;
    let _ = app.refresh_generation().await;
    signed
        .audit(
            &app,
            "settings.navigation",
            &format!("{} {}", menu.name(), c.action),
        )
        .await;
    Ok(see_other(&format!("{URL}?saved=1#{focus}")))
}
