//! Assembling the daily digest and breaking-news alerts, and the schedule that sends the digest.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use tidings_store::{ArticleSummary, Audience, NewNewsletter};
use tidings_theme::views::{display_date, variant_url};

use crate::service::{NewsletterError, Newsletters};
use crate::{arrange, due_edition, rank, send_instant, upcoming_edition, Candidate};

/// A late server still sends the day's digest, but not once this long has passed.
const SCHEDULE_GRACE: Duration = Duration::hours(3);
/// The first digest looks back this far.
const FIRST_WINDOW: Duration = Duration::hours(24);

/// A story as a newsletter carries it: frozen at send time, every URL absolute.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StoryItem {
    /// Article id.
    pub id: i64,
    /// Headline.
    pub title: String,
    /// Standfirst.
    pub dek: String,
    /// Absolute URL of the story.
    pub url: String,
    /// Section name.
    pub section: String,
    /// Byline ("A and B").
    pub byline: String,
    /// Absolute URL of a 800-pixel image, or empty.
    pub image: String,
    /// Image text alternative.
    pub image_alt: String,
    /// Publication time as readers see it.
    pub published: String,
    /// Marked featured.
    #[serde(default)]
    pub featured: bool,
    /// Editor's priority.
    #[serde(default)]
    pub priority: i64,
    /// Reads in the last 24 hours when assembled.
    #[serde(default)]
    pub reads: i64,
}

/// The next digest as the editor sees it before it goes out.
#[derive(Debug, Clone, Serialize)]
pub struct DigestDraft {
    /// The edition's local date (`YYYY-MM-DD`).
    pub edition: String,
    /// When it goes out on schedule.
    pub send_at: DateTime<Utc>,
    /// Whether scheduled sending is on at all.
    pub scheduled: bool,
    /// Stories published after this instant are in the window.
    pub window_start: DateTime<Utc>,
    /// The editor's intro for this edition.
    pub intro: String,
    /// The standing intro (Settings → Emails), filled in for this edition; used when the editor
    /// wrote none.
    pub standing_intro: String,
    /// Stories that will go out, in order.
    pub items: Vec<StoryItem>,
    /// Stories in the window that will not (dropped, or beyond the cap).
    pub left_out: Vec<StoryItem>,
}

impl DigestDraft {
    /// The intro the edition goes out with: the editor's, or else the standing one.
    pub fn effective_intro(&self) -> &str {
        match self.intro.trim() {
            "" => self.standing_intro.trim(),
            own => own,
        }
    }
}

/// What queueing a newsletter did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QueueOutcome {
    /// Queued as this newsletter.
    Queued(i64),
    /// Nothing to send: no stories in the window.
    NoStories,
    /// This edition (or this article's alert) went out already.
    AlreadySent(i64),
}

fn story_item(n: &Newsletters, a: &ArticleSummary, reads: i64) -> StoryItem {
    let base = &n.site().url;
    let image = if a.feature_image.path.is_empty() {
        String::new()
    } else if a.feature_image.widths.contains(&800) {
        format!("{base}{}", variant_url(&a.feature_image.path, 800))
    } else {
        format!("{base}/media/{}", a.feature_image.path)
    };
    let names: Vec<&str> = a.authors.iter().map(|x| x.name.as_str()).collect();
    let byline = match names.as_slice() {
        [] => String::new(),
        [one] => one.to_string(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    };
    StoryItem {
        id: a.id,
        title: a.title.clone(),
        dek: a.dek.clone(),
        url: format!("{base}/{}/", a.slug),
        section: a
            .primary_tag
            .as_ref()
            .map(|t| t.name.clone())
            .unwrap_or_default(),
        byline,
        image,
        image_alt: a.feature_image.alt.clone(),
        published: display_date(a.published_at, n.site().timezone()),
        featured: a.featured,
        priority: a.digest_priority,
        reads,
    }
}

fn edition_date(edition: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(edition, "%Y-%m-%d").ok()
}

impl Newsletters {
    /// The digest for `edition` with the window ending at `until`, ranked and arranged by the plan.
    pub async fn draft(
        &self,
        edition: &str,
        until: DateTime<Utc>,
    ) -> Result<DigestDraft, NewsletterError> {
        let date = edition_date(edition).ok_or(NewsletterError::NotFound("edition"))?;
        let store = self.store();
        let identity = self.site().refresh(store).await?;
        let window_start = match store.last_digest_cutoff().await? {
            Some(t) if t < until => t,
            _ => until - FIRST_WINDOW,
        };
        let stories = store.published_between(window_start, until).await?;
        let ids: Vec<i64> = stories.iter().map(|a| a.id).collect();
        let reads = store.reads_since(&ids, until - Duration::hours(24)).await?;
        let mut candidates: Vec<Candidate> = stories
            .iter()
            .map(|a| Candidate {
                id: a.id,
                featured: a.featured,
                priority: a.digest_priority,
                reads: reads.get(&a.id).copied().unwrap_or(0),
                published_at: a.published_at.timestamp(),
            })
            .collect();
        rank(&mut candidates);
        let ranked: Vec<i64> = candidates.iter().map(|c| c.id).collect();
        let plan = store.digest_plan(edition).await?;
        let chosen = arrange(&ranked, &plan.ordered, &plan.dropped, identity.max_stories);
        let item = |id: &i64| {
            stories
                .iter()
                .find(|a| a.id == *id)
                .map(|a| story_item(self, a, reads.get(&a.id).copied().unwrap_or(0)))
        };
        let items: Vec<StoryItem> = chosen.iter().filter_map(item).collect();
        let left_out: Vec<StoryItem> = ranked
            .iter()
            .filter(|id| !chosen.contains(id))
            .filter_map(item)
            .collect();
        let standing_intro = self
            .standing_intro(date, items.len(), items.first().map(|i| i.title.as_str()))
            .await?;
        Ok(DigestDraft {
            edition: edition.to_string(),
            standing_intro,
            send_at: send_instant(
                identity.timezone,
                date,
                identity.digest_time.unwrap_or_default(),
            ),
            scheduled: identity.digest_time.is_some(),
            window_start,
            intro: plan.intro,
            items,
            left_out,
        })
    }

    /// The standing digest intro filled in for an edition; empty when the outlet has none (or
    /// its text cannot be filled in, which the settings page prevents).
    async fn standing_intro(
        &self,
        date: NaiveDate,
        count: usize,
        lead: Option<&str>,
    ) -> Result<String, NewsletterError> {
        let spec = tidings_theme::email_texts::spec("digest-intro").expect("a known email");
        let settings = self.store().settings().await?;
        let text = spec.current(&settings);
        if text.body.trim().is_empty() {
            return Ok(String::new());
        }
        let site = self.site_view().await?;
        let values = std::collections::BTreeMap::from([
            ("site_name", site.title.clone()),
            ("newsletter_name", site.newsletter_name.clone()),
            ("date", date.format("%A, %-d %B %Y").to_string()),
            ("story_count", count.to_string()),
            ("lead_title", lead.unwrap_or_default().to_string()),
        ]);
        Ok(match spec.render(&text, &values) {
            Ok(r) => r.text,
            Err(e) => {
                tracing::warn!(error = %e, "the standing digest intro cannot be filled in");
                String::new()
            }
        })
    }

    /// The edition an editor prepares now: the next one still to go out.
    pub async fn upcoming(&self, now: DateTime<Utc>) -> Result<String, NewsletterError> {
        let identity = self.site().refresh(self.store()).await?;
        let date = match identity.digest_time {
            Some(time) => upcoming_edition(identity.timezone, time, now),
            // Without a schedule, each day's digest is whatever is sent that day.
            None => now.with_timezone(&identity.timezone).date_naive(),
        };
        Ok(date.format("%Y-%m-%d").to_string())
    }

    /// Queues the digest for `edition` with its window ending at `until`.
    pub async fn queue_digest(
        &self,
        edition: &str,
        until: DateTime<Utc>,
        created_by: Option<i64>,
    ) -> Result<QueueOutcome, NewsletterError> {
        if let Some(n) = self
            .store()
            .newsletter_for_edition(Audience::Digest, edition)
            .await?
        {
            return Ok(QueueOutcome::AlreadySent(n.id));
        }
        let d = self.draft(edition, until).await?;
        let Some(lead) = d.items.first() else {
            return Ok(QueueOutcome::NoStories);
        };
        let site = self.site_view().await?;
        let new = NewNewsletter {
            audience: Audience::Digest,
            edition: edition.to_string(),
            subject: format!("{}: {}", site.newsletter_name, lead.title),
            intro: d.effective_intro().to_string(),
            items: serde_json::to_string(&d.items)?,
            cutoff_at: until,
            created_by,
        };
        Ok(match self.store().queue_newsletter(&new).await? {
            Some(id) => QueueOutcome::Queued(id),
            None => match self
                .store()
                .newsletter_for_edition(Audience::Digest, edition)
                .await?
            {
                Some(n) => QueueOutcome::AlreadySent(n.id),
                None => QueueOutcome::NoStories,
            },
        })
    }

    /// Sends the edition that is due at `now`, once, if it is not too late and has stories. The window
    /// ends at the scheduled instant, so what is published later waits for the next edition. Answers
    /// `None` when there is nothing to do, and `NoStories` when the due edition would be empty.
    pub async fn run_schedule(
        &self,
        now: DateTime<Utc>,
    ) -> Result<Option<QueueOutcome>, NewsletterError> {
        let identity = self.site().refresh(self.store()).await?;
        let Some(time) = identity.digest_time else {
            return Ok(None);
        };
        let date = due_edition(identity.timezone, time, now);
        let at = send_instant(identity.timezone, date, time);
        if now - at > SCHEDULE_GRACE {
            return Ok(None);
        }
        let edition = date.format("%Y-%m-%d").to_string();
        Ok(match self.queue_digest(&edition, at, None).await? {
            QueueOutcome::AlreadySent(_) => None,
            other => Some(other),
        })
    }

    /// Queues a breaking-news alert for one published article to those who opted in; once per article.
    pub async fn queue_breaking(
        &self,
        article_id: i64,
        created_by: Option<i64>,
    ) -> Result<QueueOutcome, NewsletterError> {
        let article = self
            .store()
            .article_by_id(article_id)
            .await?
            .filter(|a| a.status == tidings_content::Status::Published)
            .ok_or(NewsletterError::NotFound("published article"))?;
        let summary = self
            .store()
            .published_between(
                article.published_at.unwrap_or_default() - Duration::seconds(1),
                article.published_at.unwrap_or_default(),
            )
            .await?
            .into_iter()
            .find(|a| a.id == article_id)
            .ok_or(NewsletterError::NotFound("published article"))?;
        let item = story_item(self, &summary, 0);
        let edition = article_id.to_string();
        let new = NewNewsletter {
            audience: Audience::Breaking,
            edition: edition.clone(),
            subject: format!("Breaking: {}", item.title),
            intro: String::new(),
            items: serde_json::to_string(&[item])?,
            cutoff_at: Utc::now(),
            created_by,
        };
        Ok(match self.store().queue_newsletter(&new).await? {
            Some(id) => QueueOutcome::Queued(id),
            None => {
                let n = self
                    .store()
                    .newsletter_for_edition(Audience::Breaking, &edition)
                    .await?
                    .ok_or(NewsletterError::NotFound("newsletter"))?;
                QueueOutcome::AlreadySent(n.id)
            }
        })
    }
}

/// The stories a stored newsletter carried.
pub fn items_of(items_json: &str) -> Vec<StoryItem> {
    serde_json::from_str(items_json).unwrap_or_default()
}
