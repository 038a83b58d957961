//! Refunds asked for in the admin: checked against what is left of the gift, reserved in the
//! store under a per-form key (so a double click refunds once), made at the gateway, then kept or
//! given back.

use tidings_store::{DonationStatus, RefundStart};

use crate::service::{DonationError, Donations};
use crate::{parse_amount, Currency};

/// What a refund request did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refunded {
    /// Refunded this much (minor units) to this address.
    Made {
        /// Minor units refunded.
        amount: i64,
        /// Currency of the gift.
        currency: String,
        /// The donor's address.
        email: String,
    },
    /// This form's refund was made before; nothing more was refunded.
    AlreadyMade,
    /// The form's key is missing or malformed (a stale or hand-made form).
    Incomplete,
    /// The amount cannot be refunded; the message says why.
    BadAmount(String),
    /// Another refund changed the gift since the form was shown.
    Changed,
    /// The gateway refused; nothing changed.
    Refused,
}

impl Donations {
    /// Refunds `amount` (as typed; empty means all that is left) of gift `id`, once per form `key`;
    /// `seen` is what had been refunded when the form was shown.
    pub async fn refund(
        &self,
        id: i64,
        amount: &str,
        key: &str,
        seen: i64,
    ) -> Result<Refunded, DonationError> {
        let store = self.store();
        let d = store
            .donation(id)
            .await?
            .ok_or(DonationError::NotFound("gift"))?;
        if key.len() < 16 || key.len() > 64 || !key.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Ok(Refunded::Incomplete);
        }
        if d.gateway == tidings_store::GatewayKind::Imported {
            return Ok(Refunded::BadAmount(
                "This gift was moved in from another platform and was paid there: refund it there."
                    .into(),
            ));
        }
        let key = format!("refund-{}-{key}", d.id);
        if store.refund_status(&key).await?.is_some() {
            return Ok(Refunded::AlreadyMade);
        }
        let currency = Currency::parse(&d.currency).ok_or(DonationError::NotFound("currency"))?;
        let amount = if amount.trim().is_empty() {
            Ok(d.total - d.refunded_amount)
        } else {
            parse_amount(currency, amount)
        };
        let amount =
            match amount {
                Ok(a)
                    if a > 0
                        && a + d.refunded_amount <= d.total
                        && d.status == DonationStatus::Succeeded =>
                {
                    a
                }
                Ok(_) => return Ok(Refunded::BadAmount(
                    "A refund must be more than zero and no more than what is left of the gift."
                        .into(),
                )),
                Err(e) => return Ok(Refunded::BadAmount(format!("Refund amount: {e}."))),
            };
        match store.begin_refund(id, amount, &key, seen).await? {
            RefundStart::Reserved => {}
            RefundStart::Repeated(_) => return Ok(Refunded::AlreadyMade),
            RefundStart::Changed => return Ok(Refunded::Changed),
        }
        if let Err(e) = self.payments().gateway.refund(&d, amount, &key).await {
            tracing::warn!(error = %e, donation = id, "refund refused");
            store.finish_refund(&key, false).await?;
            return Ok(Refunded::Refused);
        }
        store.finish_refund(&key, true).await?;
        Ok(Refunded::Made {
            amount,
            currency: d.currency,
            email: d.email,
        })
    }
}
