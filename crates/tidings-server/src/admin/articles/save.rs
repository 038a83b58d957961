//! Creating and saving an article: the form checked, turned into a store input, written with the
//! publish, schedule or unpublish it asks for, and the editor shown again on a problem.

use super::*;

/// Turns the form into a store input; tags named but missing are created for editors.
async fn to_new_article(
    app: &AppState,
    signed: &Signed,
    form: &ArticleForm,
    status: Status,
    published_at: Option<DateTime<Utc>>,
    existing: Option<&Article>,
) -> Result<Result<NewArticle, String>, AppError> {
    // Dimensions, variants and WebP copies come from the media library, never from the form.
    let path = form
        .image_path
        .trim()
        .trim_start_matches("/media/")
        .to_string();
    let image = if path.is_empty() {
        FeatureImage::default()
    } else if let Some(m) = app.store().media_by_path(&path).await? {
        m.feature_image()
    } else if let Some(a) = existing.filter(|a| a.feature_image.path == path) {
        a.feature_image.clone()
    } else {
        return Ok(Err(format!(
            "There is no image at {path} in the media library; upload it first."
        )));
    };
    let mut tag_ids = Vec::new();
    let known = app.store().list_tags().await?;
    for name in form
        .tags
        .split(',')
        .map(str::trim)
        .filter(|n| !n.is_empty())
    {
        // A tag is found by its name (any case) or its slug; renamed tags keep their old slugs.
        let slug = tidings_content::slugify(name);
        let found = known
            .iter()
            .find(|t| t.name.to_lowercase() == name.to_lowercase() || t.slug == slug);
        match found {
            Some(t) => tag_ids.push(t.id),
            None if signed.user.role.can(Action::ManageTaxonomy) => {
                let t = app
                    .store()
                    .create_tag(&NewTag {
                        name: name.into(),
                        ..NewTag::default()
                    })
                    .await;
                match t {
                    Ok(t) => tag_ids.push(t.id),
                    Err(e) => return Ok(Err(format!("Tag \"{name}\": {e}."))),
                }
            }
            None => {
                return Ok(Err(format!(
                    "There is no section or tag called \"{name}\"; ask an editor to add it."
                )))
            }
        }
    }
    let priority = match form.digest_priority.trim() {
        "" => 0,
        p => match p.parse::<i64>() {
            Ok(n) if (-100..=100).contains(&n) => n,
            _ => {
                return Ok(Err(
                    "Digest priority must be a whole number between -100 and 100.".into(),
                ))
            }
        },
    };
    Ok(Ok(NewArticle {
        kind: if form.kind == "page" {
            Kind::Page
        } else {
            Kind::Article
        },
        slug: form.slug.trim().to_string(),
        title: form.title.clone(),
        dek: form.dek.clone(),
        body_markdown: form.body.clone(),
        feature_image: FeatureImage {
            alt: form.image_alt.clone(),
            caption: form.image_caption.clone(),
            credit: form.image_credit.clone(),
            ..image
        },
        status,
        published_at,
        featured: form.featured,
        digest_priority: priority,
        tag_ids,
        author_ids: form.authors.clone(),
        seo_title: form.seo_title.clone(),
        seo_description: form.seo_description.clone(),
        canonical_url: form.canonical_url.clone(),
        created_by: Some(signed.user.id),
    }))
}

/// `POST /admin/articles/new`
pub async fn create(
    State(app): State<AppState>,
    signed: Signed,
    body: Bytes,
) -> Result<Response, AppError> {
    signed.require(Action::CreateArticle)?;
    let form = ArticleForm::parse(&body);
    let base = EditorState {
        can_publish: may_publish(&signed.user, None),
        ..EditorState::default()
    };
    persist(&app, &signed, form, None, base).await
}

/// `POST /admin/articles/{id}`
pub async fn save(
    State(app): State<AppState>,
    signed: Signed,
    Path(id): Path<i64>,
    body: Bytes,
) -> Result<Response, AppError> {
    let article = editable(&app, &signed, id).await?;
    let form = ArticleForm::parse(&body);
    let base = state_for(&app, &signed, &article);
    persist(&app, &signed, form, Some(article), base).await
}

/// What the editor's buttons ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum EditAction {
    /// Keep the words; the status stays as it is.
    Save,
    /// Show the rendered body, saving nothing.
    Preview,
    /// Save and ask an editor to review.
    Submit,
    /// Publish now (or keep the first publication time on a republish).
    Publish,
    /// Publish at a given local time.
    Schedule,
    /// Back to draft.
    Unpublish,
}

impl EditAction {
    fn parse(action: &str) -> Self {
        match action {
            "preview" => EditAction::Preview,
            "submit" => EditAction::Submit,
            "publish" => EditAction::Publish,
            "schedule" => EditAction::Schedule,
            "unpublish" => EditAction::Unpublish,
            _ => EditAction::Save,
        }
    }

    /// Whether it changes what readers see (and so needs the right to publish).
    fn publishing(self) -> bool {
        matches!(
            self,
            EditAction::Publish | EditAction::Schedule | EditAction::Unpublish
        )
    }

    /// The audit log's name for it.
    fn audit_verb(self, created: bool) -> &'static str {
        match self {
            EditAction::Publish => "article.publish",
            EditAction::Schedule => "article.schedule",
            EditAction::Unpublish => "article.unpublish",
            _ if created => "article.create",
            _ => "article.save",
        }
    }
}

/// The status and publication time `action` gives the article, or what to tell the editor.
fn publication(
    action: EditAction,
    existing: Option<&Article>,
    publish_at: &str,
    tz: chrono_tz::Tz,
) -> Result<(Status, Option<DateTime<Utc>>), String> {
    let current = existing.map(|a| a.status).unwrap_or(Status::Draft);
    let published_at = existing.and_then(|a| a.published_at);
    Ok(match action {
        EditAction::Publish => {
            let keep = published_at.filter(|t| *t <= Utc::now() && current == Status::Published);
            (Status::Published, Some(keep.unwrap_or_else(Utc::now)))
        }
        EditAction::Schedule => match local_to_utc(publish_at, tz) {
            Some(t) if t > Utc::now() => (Status::Scheduled, Some(t)),
            Some(_) => {
                return Err("Choose a publication time in the future, or publish now.".into())
            }
            None => return Err("Give the date and time to publish, in the site's timezone.".into()),
        },
        EditAction::Unpublish => (Status::Draft, published_at),
        EditAction::Save | EditAction::Preview | EditAction::Submit => (current, published_at),
    })
}

/// Writes the article, keeps the revision, records the action and, for a submission, asks the
/// editors to review it.
async fn store_article(
    app: &AppState,
    signed: &Signed,
    new: &NewArticle,
    existing: Option<&Article>,
    version: i64,
    action: EditAction,
) -> Result<Article, StoreError> {
    let saved = match existing {
        Some(a) => app.store().update_article(a.id, new, Some(version)).await?,
        None => app.store().create_article(new).await?,
    };
    app.store()
        .add_revision(
            saved.id,
            Some(saved.version),
            &saved.title,
            &saved.dek,
            &saved.body_markdown,
            Some(signed.user.id),
        )
        .await?;
    signed
        .audit(app, action.audit_verb(existing.is_none()), &saved.slug)
        .await;
    if action == EditAction::Submit && signed.user.role.can(Action::SubmitForReview) {
        app.store().request_review(saved.id).await?;
        signed.audit(app, "article.submit", &saved.slug).await;
        let who = if signed.user.name.is_empty() {
            signed.user.email.clone()
        } else {
            signed.user.name.clone()
        };
        for editor in app
            .store()
            .list_users()
            .await?
            .iter()
            .filter(|u| u.role.can(Action::PublishAnyArticle) && !u.disabled)
        {
            emails::send(
                app,
                emails::review_request(app, &editor.email, &who, &saved.title, saved.id),
            )
            .await;
        }
    }
    if action.publishing() {
        let _ = app.refresh_generation().await;
    }
    Ok(saved)
}

/// The editor's form: checked, stored, then the editor again (on a problem) or a redirect.
async fn persist(
    app: &AppState,
    signed: &Signed,
    form: ArticleForm,
    existing: Option<Article>,
    base: EditorState,
) -> Result<Response, AppError> {
    let action = EditAction::parse(&form.action);
    let unprocessable = |msg: String, form: &ArticleForm, base: EditorState| {
        let st = EditorState {
            error: Some(msg),
            ..base
        };
        let form = form.clone();
        async move { editor(app, signed, StatusCode::UNPROCESSABLE_ENTITY, &form, st).await }
    };
    if action == EditAction::Preview {
        let preview = Some(render_markdown(&form.body));
        let st = EditorState { preview, ..base };
        return editor(app, signed, StatusCode::OK, &form, st).await;
    }
    if action.publishing() && !may_publish(&signed.user, existing.as_ref()) {
        return Ok(forbidden());
    }
    let (status, published_at) =
        match publication(action, existing.as_ref(), &form.publish_at, app.tz()) {
            Ok(p) => p,
            Err(msg) => return unprocessable(msg, &form, base).await,
        };
    let new =
        match to_new_article(app, signed, &form, status, published_at, existing.as_ref()).await? {
            Ok(n) => n,
            Err(msg) => return unprocessable(msg, &form, base).await,
        };
    let saved = match store_article(app, signed, &new, existing.as_ref(), form.version, action)
        .await
    {
        Ok(a) => a,
        Err(StoreError::Invalid { field, message }) => {
            let msg = format!("{}: {message}.", field_label(field));
            return unprocessable(msg, &form, base).await;
        }
        Err(StoreError::Conflict { value, .. }) => {
            let msg = format!(
                "The address /{value}/ is already used by another story; choose another slug."
            );
            return unprocessable(msg, &form, base).await;
        }
        Err(StoreError::Stale { .. }) => {
            // Show their version beside ours; saving again (with the new version) keeps ours.
            let theirs = app
                .store()
                .article_by_id(existing.as_ref().map(|a| a.id).unwrap_or_default())
                .await?
                .ok_or(AppError::NotFound)?;
            let form = ArticleForm {
                version: theirs.version,
                ..form
            };
            let st = EditorState {
                error: Some("Someone else saved this story while you were editing. Their version is shown below; merge what you need, then save again to keep yours.".into()),
                conflict: Some(theirs),
                ..base
            };
            return editor(app, signed, StatusCode::CONFLICT, &form, st).await;
        }
        Err(e) => return Err(e.into()),
    };
    Ok(see_other(&format!("/admin/articles/{}?saved=1", saved.id)))
}

fn field_label(field: &str) -> &str {
    match field {
        "title" => "Title",
        "slug" => "Slug",
        "published_at" => "Publication time",
        "feature_image_alt" => "Image description",
        "tags" => "Tags",
        "authors" => "Authors",
        other => other,
    }
}
