//! Donor emails: receipts (every gift and every monthly charge), a failed monthly charge, portal
//! links and the yearly summary. Links use `site.url`.

use chrono::Datelike;
use tidings_mail::Email;
use tidings_store::{Donation, Frequency, PlanStatus, RecurringPlan, Settings};
use tidings_theme::email_texts::{self, Rendered};
use tidings_theme::views::display_date;

use crate::format_stored as money;
use crate::service::{DonationError, Donations};

fn organisation(settings: &Settings, title: &str) -> String {
    let name = settings.get("organisation_name");
    let mut lines = vec![if name.is_empty() {
        title.to_string()
    } else {
        name.to_string()
    }];
    for key in ["organisation_address", "registration_number"] {
        let v = settings.get(key);
        if !v.is_empty() {
            lines.push(v.to_string());
        }
    }
    lines.join("\n")
}

fn first_name(given: &str) -> String {
    match given.trim() {
        "" => "reader".to_string(),
        name => name.to_string(),
    }
}

/// The outlet's words for email `slug` with `values` filled in.
fn compose(slug: &str, settings: &Settings, values: &[(&'static str, String)]) -> Rendered {
    let spec = email_texts::spec(slug).expect("a known email");
    spec.compose(settings, &values.iter().cloned().collect())
}

/// The email to `to`: the outlet's words, then `details` (fixed text), then the organisation.
fn with_words(to: &str, words: Rendered, details: &str, organisation: &str) -> Email {
    let details = details.trim();
    let mut text = words.text;
    let mut html = words.html;
    if !details.is_empty() {
        text.push_str(&format!("\n\n{details}"));
        html.push_str(&email_texts::paragraphs(details));
    }
    text.push_str(&format!("\n\n-- \n{organisation}\n"));
    Email {
        to: to.to_string(),
        subject: words.subject,
        text,
        html: Some(email_texts::html_email(&html, organisation)),
        ..Email::default()
    }
}

impl Donations {
    /// Mails gift `id`'s receipt (from the job runner). The Message-ID is fixed per gift, so a
    /// repeat after a crash is recognisably the same message.
    pub async fn send_receipt(&self, id: i64) -> Result<(), DonationError> {
        let d = self
            .store()
            .donation(id)
            .await?
            .ok_or(DonationError::NotFound("gift"))?;
        let mut email = self.receipt(&d).await?;
        email.message_id = Some(format!(
            "receipt.{id}@{}",
            self.mailer().from().email.domain()
        ));
        self.mailer().send(&email).await?;
        self.store().mark_receipt_sent(id).await?;
        Ok(())
    }

    /// Tells the donor that renewal `id` of their monthly gift failed, if the plan still runs.
    pub async fn send_charge_failed(&self, id: i64, reason: &str) -> Result<(), DonationError> {
        let store = self.store();
        let d = store
            .donation(id)
            .await?
            .ok_or(DonationError::NotFound("gift"))?;
        let plan = match d.plan_id {
            Some(p) => store.plan(p).await?,
            None => None,
        };
        let Some(plan) = plan else {
            return Ok(());
        };
        if !matches!(plan.status, PlanStatus::Active | PlanStatus::PastDue) {
            return Ok(());
        }
        let mut email = self.charge_failed(&plan, &d.first_name, reason).await?;
        email.message_id = Some(format!(
            "charge-failed.{id}@{}",
            self.mailer().from().email.domain()
        ));
        self.mailer().send(&email).await?;
        Ok(())
    }

    /// The receipt for one successful charge.
    pub async fn receipt(&self, d: &Donation) -> Result<Email, DonationError> {
        let settings = self.store().settings().await?;
        let site = self.site_view().await?;
        let when = display_date(
            d.completed_at.unwrap_or(d.created_at),
            self.site().timezone(),
        );
        let kind = if d.frequency == Frequency::Monthly {
            "Monthly gift"
        } else {
            "Gift"
        };
        let receipt_number = format!("{}-{}", d.created_at.year(), d.id);
        let amount = money(&d.currency, d.amount);
        let words = compose(
            "receipt",
            &settings,
            &[
                ("site_name", site.title.clone()),
                ("first_name", first_name(&d.first_name)),
                ("amount", amount.clone()),
                (
                    "frequency",
                    if d.frequency == Frequency::Monthly {
                        "monthly"
                    } else {
                        "one-time"
                    }
                    .into(),
                ),
                ("date", when.clone()),
                ("receipt_number", receipt_number.clone()),
            ],
        );
        let mut text =
            format!("Receipt number: {receipt_number}\nDate: {when}\n{kind}: {amount}\n");
        if d.fee > 0 {
            text.push_str(&format!(
                "Processing fee you covered: {}\nTotal charged: {}\n",
                money(&d.currency, d.fee),
                money(&d.currency, d.total)
            ));
        }
        if !d.dedication.is_empty() {
            text.push_str(&format!("Dedication: {}\n", d.dedication));
        }
        if d.frequency == Frequency::Monthly {
            text.push_str(&format!(
                "\nYour gift repeats every month. To change or stop it: {}/donate/portal\n",
                self.site().url
            ));
        }
        let tax = settings.get("receipt_tax_text");
        if !tax.is_empty() {
            text.push_str(&format!("\n{tax}\n"));
        }
        if self.payments().gateway.test_mode() {
            text.push_str("\nTEST MODE: no money was charged for this gift.\n");
        }
        Ok(with_words(
            &d.email,
            words,
            &text,
            &organisation(&settings, &site.title),
        ))
    }

    /// A monthly charge did not go through.
    pub async fn charge_failed(
        &self,
        plan: &RecurringPlan,
        first: &str,
        reason: &str,
    ) -> Result<Email, DonationError> {
        let settings = self.store().settings().await?;
        let site = self.site_view().await?;
        let words = compose(
            "failed-payment",
            &settings,
            &[
                ("site_name", site.title.clone()),
                ("first_name", first_name(first)),
                ("amount", money(&plan.currency, plan.amount + plan.fee)),
                ("reason", reason.to_string()),
                ("portal_url", format!("{}/donate/portal", self.site().url)),
            ],
        );
        Ok(with_words(
            &plan.email,
            words,
            "",
            &organisation(&settings, &site.title),
        ))
    }

    /// A link into the donor portal.
    pub async fn portal_link(&self, to: &str, token: &str) -> Result<Email, DonationError> {
        let settings = self.store().settings().await?;
        let site = self.site_view().await?;
        let words = compose(
            "portal-link",
            &settings,
            &[
                ("site_name", site.title.clone()),
                (
                    "portal_url",
                    format!("{}/donate/portal/{token}", self.site().url),
                ),
            ],
        );
        Ok(with_words(
            to,
            words,
            "",
            &organisation(&settings, &site.title),
        ))
    }

    /// The summary of one calendar year's gifts, for tax returns.
    pub async fn yearly_summary(
        &self,
        to: &str,
        year: i32,
        gifts: &[Donation],
    ) -> Result<Email, DonationError> {
        let settings = self.store().settings().await?;
        let site = self.site_view().await?;
        let mut text = format!("Your gifts to {} in {year}:\n\n", site.title);
        let mut totals: std::collections::BTreeMap<&str, i64> = Default::default();
        for d in gifts {
            let net = d.amount - d.refunded_amount.min(d.amount);
            text.push_str(&format!(
                "{}  {}  receipt {}-{}\n",
                d.completed_at.unwrap_or(d.created_at).format("%Y-%m-%d"),
                money(&d.currency, net),
                d.created_at.year(),
                d.id
            ));
            *totals.entry(d.currency.as_str()).or_default() += net;
        }
        for (currency, total) in totals {
            text.push_str(&format!("\nTotal: {}\n", money(currency, total)));
        }
        let tax = settings.get("receipt_tax_text");
        if !tax.is_empty() {
            text.push_str(&format!("\n{tax}\n"));
        }
        text.push_str(&format!(
            "\n-- \n{}\n",
            organisation(&settings, &site.title)
        ));
        Ok(Email {
            to: to.to_string(),
            subject: format!("Your {year} giving summary from {}", site.title),
            text,
            ..Email::default()
        })
    }
}
