//! The editor's say over a story's "Related" list: stories pinned first in a chosen order, and
//! stories never to be listed; the rest is computed around them.

use super::*;

/// The "Related stories" form.
#[derive(Deserialize)]
pub struct RelatedForm {
    #[serde(default)]
    pinned: String,
    #[serde(default)]
    removed: String,
}

/// What the editor shows of a story's related list.
pub(super) async fn related_context(app: &AppState, id: i64) -> Result<Value, AppError> {
    let store = app.store();
    let (pinned, removed) = store.related_choices(id).await?;
    let list = store.related_coverage(id).await?;
    let mut slugs = Vec::new();
    for ids in [&pinned, &removed] {
        let mut lines = Vec::new();
        for other in ids {
            if let Some(a) = store.article_by_id(*other).await? {
                lines.push(a.slug);
            }
        }
        slugs.push(lines.join("\n"));
    }
    let rows: Vec<Value> = list
        .iter()
        .map(|s| {
            context! {
                slug => s.slug.clone(), title => s.title.clone(), pinned => pinned.contains(&s.id)
            }
        })
        .collect();
    Ok(context! { list => rows, pinned => slugs[0].clone(), removed => slugs[1].clone() })
}

/// The story ids named one a line (by slug or by address), or which line names none.
async fn resolve(app: &AppState, text: &str) -> Result<Result<Vec<i64>, String>, AppError> {
    let mut ids = Vec::new();
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let path = crate::admin::redirects::path_of(line);
        let slug = path.trim_matches('/');
        match app.store().article_id_by_slug(slug).await? {
            Some(id) => ids.push(id),
            None => {
                return Ok(Err(format!(
                    "Related stories: there is no story at {line}."
                )))
            }
        }
    }
    Ok(Ok(ids))
}

/// `POST /admin/articles/{id}/related`
pub async fn save_related(
    State(app): State<AppState>,
    signed: Signed,
    Path(id): Path<i64>,
    axum::Form(form): axum::Form<RelatedForm>,
) -> Result<Response, AppError> {
    let article = editable(&app, &signed, id).await?;
    let problem = match (
        resolve(&app, &form.pinned).await?,
        resolve(&app, &form.removed).await?,
    ) {
        (Ok(pinned), Ok(_)) if pinned.len() > tidings_store::RELATED_MAX => Some(format!(
            "Related stories: at most {} can be pinned.",
            tidings_store::RELATED_MAX
        )),
        (Ok(pinned), Ok(_)) if pinned.contains(&id) => {
            Some("Related stories: a story cannot be related to itself.".to_string())
        }
        (Ok(pinned), Ok(removed)) => {
            app.store()
                .set_related_choices(id, &pinned, &removed)
                .await?;
            None
        }
        (Err(e), _) | (_, Err(e)) => Some(e),
    };
    if let Some(message) = problem {
        let mut st = state_for(&app, &signed, &article);
        st.error = Some(message);
        st.notes = app.store().notes(id).await?;
        let f = ArticleForm::from_article(&article, app.tz());
        return editor(&app, &signed, StatusCode::UNPROCESSABLE_ENTITY, &f, st).await;
    }
    signed.audit(&app, "article.related", &article.slug).await;
    let _ = app.refresh_generation().await;
    Ok(see_other(&format!(
        "/admin/articles/{id}?saved=1#related-title"
    )))
}
