//! Monthly gifts through the test gateway renew here, so the whole recurring path runs without a
//! provider. (Stripe renews its own subscriptions and tells us through `invoice.*` webhooks.)

use chrono::{DateTime, Duration, Utc};
use tidings_store::{
    Donation, DonationStatus, Frequency, GatewayKind, NewDonation, PlanStatus, RecurringPlan,
    Started,
};

use crate::outcome::next_month;
use crate::service::{DonationError, Donations};

/// How long a declined renewal waits before the next try.
const RETRY_AFTER: Duration = Duration::days(3);

impl Donations {
    /// Charges every test-gateway plan due at `now`; returns how many charges were attempted. The test
    /// gateway declines renewals for addresses containing `+decline` (as Stripe's test cards can).
    pub async fn renew_due(&self, now: DateTime<Utc>) -> Result<usize, DonationError> {
        let store = self.store();
        let due = store.plans_due(GatewayKind::Test, now).await?;
        for plan in &due {
            let Some(at) = plan.next_charge_at else {
                continue;
            };
            // One renewal per plan and charge date, however often this runs.
            let key = format!("renewal-{}-{}", plan.id, at.timestamp());
            let d = self.renewal_gift(plan, GatewayKind::Test, key).await?;
            if d.status != DonationStatus::Pending {
                continue;
            }
            if plan.email.contains("+decline") {
                self.failed(d.id, DonationStatus::Failed, "card declined (test mode)")
                    .await?;
                store
                    .update_plan(plan.id, PlanStatus::PastDue, None, Some(at + RETRY_AFTER))
                    .await?;
            } else {
                self.succeeded(d.id, &format!("test_renewal_{}", d.id), None)
                    .await?;
                store
                    .update_plan(plan.id, PlanStatus::Active, None, Some(next_month(at)))
                    .await?;
            }
        }
        Ok(due.len())
    }

    /// The gift that renews `plan` through `gateway`: its amount and fee, recorded once per `key`
    /// (however often a renewal is attempted or an invoice event repeated).
    pub(crate) async fn renewal_gift(
        &self,
        plan: &RecurringPlan,
        gateway: GatewayKind,
        key: String,
    ) -> Result<Donation, DonationError> {
        let started = self
            .store()
            .start_donation(&NewDonation {
                email: plan.email.clone(),
                form_id: plan.form_id,
                amount: plan.amount,
                fee: plan.fee,
                currency: plan.currency.clone(),
                frequency: Frequency::Monthly,
                gateway,
                idempotency_key: key,
                plan_id: Some(plan.id),
                source: "renewal".into(),
                ..NewDonation::default()
            })
            .await?;
        Ok(match started {
            Started::New(d) | Started::Existing(d) => d,
        })
    }
}
