//! Donor emails: receipts (every gift and every monthly charge), a failed monthly charge, portal
//! links and the yearly summary. Links use `site.url`.

use chrono::Datelike;
use tidings_mail::Email;
use tidings_store::{Donation, Frequency, PlanStatus, RecurringPlan, Settings};
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
        let mut email = self.charge_failed(&plan, reason).await?;
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
        // The outlet's own thanks when it wrote some; ours otherwise.
        let thanks = match site.receipt_message.trim() {
            "" => format!(
                "Thank you for supporting {}. This is your receipt.",
                site.title
            ),
            own => format!("{own}\n\nThis is your receipt."),
        };
        let mut text = format!(
            "Dear {first},\n\n{thanks}\n\n\
             Receipt number: {year}-{id}\nDate: {when}\n{kind}: {amount}\n",
            first = if d.first_name.is_empty() {
                "reader"
            } else {
                &d.first_name
            },
            year = d.created_at.year(),
            id = d.id,
            amount = money(&d.currency, d.amount),
        );
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
        text.push_str(&format!(
            "\n-- \n{}\n",
            organisation(&settings, &site.title)
        ));
        Ok(Email {
            to: d.email.clone(),
            subject: format!("Your receipt from {}", site.title),
            text,
            ..Email::default()
        })
    }

    /// A monthly charge did not go through.
    pub async fn charge_failed(
        &self,
        plan: &RecurringPlan,
        reason: &str,
    ) -> Result<Email, DonationError> {
        let settings = self.store().settings().await?;
        let site = self.site_view().await?;
        let text = format!(
            "Hello,\n\nYour monthly gift of {amount} to {title} could not be charged ({reason}).\n\n\
             We'll try again in a few days. To update or stop your gift: {url}/donate/portal\n\n-- \n{org}\n",
            amount = money(&plan.currency, plan.amount + plan.fee),
            title = site.title,
            url = self.site().url,
            org = organisation(&settings, &site.title),
        );
        Ok(Email {
            to: plan.email.clone(),
            subject: format!("Your monthly gift to {} did not go through", site.title),
            text,
            ..Email::default()
        })
    }

    /// A link into the donor portal.
    pub async fn portal_link(&self, to: &str, token: &str) -> Result<Email, DonationError> {
        let site = self.site_view().await?;
        Ok(Email {
            to: to.to_string(),
            subject: format!("Your gifts to {}", site.title),
            text: format!(
                "Here is your link to see your gifts and receipts, and to change or stop a monthly gift \
                 (it works for one hour):\n{}/donate/portal/{token}\n\nIf you didn't ask for it, ignore this email.\n",
                self.site().url
            ),
            ..Email::default()
        })
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
