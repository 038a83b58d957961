//! The states rows move through, as enums. Each is stored as the same text as before, through one
//! mapping per enum (`as_str` and `FromStr`, both a `match`), so code compares variants, never
//! strings, and a misspelt state cannot compile.

/// A stored state that is not one of its enum's values (a database edited by hand).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{value}` is not a known {kind}")]
pub struct UnknownState {
    /// Which enum.
    pub kind: &'static str,
    /// The text found.
    pub value: String,
}

macro_rules! stored_enum {
    (
        $(#[$meta:meta])*
        $name:ident { $($(#[$vmeta:meta])* $variant:ident => $text:literal),+ $(,)? }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name {
            $($(#[$vmeta])* $variant),+
        }

        impl $name {
            /// The text stored in the database (and shown in exports and templates).
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }
        }

        impl std::str::FromStr for $name {
            type Err = UnknownState;

            fn from_str(s: &str) -> Result<Self, UnknownState> {
                match s {
                    $($text => Ok($name::$variant),)+
                    other => Err(UnknownState {
                        kind: stringify!($name),
                        value: other.to_string(),
                    }),
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }
    };
}

stored_enum! {
    /// Where a gift stands.
    DonationStatus {
        /// Sent to the gateway, not yet paid.
        Pending => "pending",
        /// Paid.
        Succeeded => "succeeded",
        /// Declined.
        Failed => "failed",
        /// Paid, then refunded in full.
        Refunded => "refunded",
        /// The checkout was abandoned.
        Expired => "expired",
    }
}

stored_enum! {
    /// How often a gift is given.
    Frequency {
        /// A single gift.
        Once => "once",
        /// Charged every month until cancelled.
        Monthly => "monthly",
    }
}

stored_enum! {
    /// Where a monthly gift stands.
    PlanStatus {
        /// Its first payment has not gone through yet.
        Pending => "pending",
        /// Charging every month.
        Active => "active",
        /// The last charge failed; it is tried again.
        PastDue => "past_due",
        /// Stopped.
        Cancelled => "cancelled",
    }
}

stored_enum! {
    /// Which payment gateway took a gift.
    GatewayKind {
        /// The built-in test gateway (no money moves).
        Test => "test",
        /// Stripe.
        Stripe => "stripe",
        /// Moved in from another platform: paid (or not) there; nothing here charges or refunds it.
        Imported => "imported",
    }
}

stored_enum! {
    /// Where a newsletter subscriber stands.
    SubscriberStatus {
        /// Signed up, not yet confirmed.
        Pending => "pending",
        /// Confirmed: receives newsletters.
        Confirmed => "confirmed",
        /// Left; may sign up again.
        Unsubscribed => "unsubscribed",
        /// Never mailed again (bounces, complaints, by hand).
        Suppressed => "suppressed",
    }
}

stored_enum! {
    /// Which subscribers a newsletter goes to (stored as the newsletter's kind).
    Audience {
        /// Confirmed subscribers who want the daily digest.
        Digest => "digest",
        /// Confirmed subscribers who opted in to breaking-news alerts.
        Breaking => "breaking",
    }
}

stored_enum! {
    /// Where a newsletter's sending stands.
    NewsletterState {
        /// Deliveries are still queued or being sent.
        Sending => "sending",
        /// Every delivery was accepted or skipped.
        Sent => "sent",
        /// Every delivery is settled and some failed.
        Failed => "failed",
    }
}

stored_enum! {
    /// Where one recipient's copy of a newsletter stands.
    DeliveryState {
        /// Waiting to be sent (or to be retried).
        Queued => "queued",
        /// Claimed by a sender under a lease.
        Sending => "sending",
        /// Accepted by the mail server.
        Sent => "sent",
        /// Refused for good or out of attempts.
        Failed => "failed",
        /// Not sent: the subscriber no longer wanted it.
        Skipped => "skipped",
    }
}

stored_enum! {
    /// Why a revision was kept.
    RevisionKind {
        /// An explicit save (a new version).
        Save => "save",
        /// The editor's periodic safety copy (one per person and article).
        Autosave => "autosave",
    }
}

stored_enum! {
    /// A dated note shown on an article.
    NoteKind {
        /// Something was wrong and was put right.
        Correction => "correction",
        /// The story moved on.
        Update => "update",
    }
}

stored_enum! {
    /// Where a background job stands.
    JobState {
        /// Waiting for its time (or for a retry).
        Queued => "queued",
        /// Claimed by a runner under a lease.
        Running => "running",
        /// Finished (jobs that run once).
        Done => "done",
        /// Out of attempts; waits for someone to retry it.
        Failed => "failed",
    }
}

impl Default for Frequency {
    /// A gift is once unless said otherwise.
    fn default() -> Self {
        Frequency::Once
    }
}

impl Default for GatewayKind {
    /// The gateway that moves no money.
    fn default() -> Self {
        GatewayKind::Test
    }
}

/// Decodes a stored state from a row's column.
pub(crate) fn decode<T, I>(row: &sqlx::any::AnyRow, column: I) -> Result<T, sqlx::Error>
where
    T: std::str::FromStr<Err = UnknownState>,
    I: sqlx::ColumnIndex<sqlx::any::AnyRow> + std::fmt::Debug,
{
    use sqlx::Row;
    let index = format!("{column:?}");
    let text: String = row.try_get(column)?;
    text.parse()
        .map_err(|e: UnknownState| sqlx::Error::ColumnDecode {
            index,
            source: Box::new(e),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_state_round_trips_through_its_stored_text() {
        for s in [
            DonationStatus::Pending,
            DonationStatus::Succeeded,
            DonationStatus::Failed,
            DonationStatus::Refunded,
            DonationStatus::Expired,
        ] {
            assert_eq!(s.as_str().parse::<DonationStatus>(), Ok(s));
        }
        assert_eq!("past_due".parse::<PlanStatus>(), Ok(PlanStatus::PastDue));
        assert_eq!(Frequency::Monthly.to_string(), "monthly");
        let err = "weekly".parse::<Frequency>().unwrap_err();
        assert_eq!(err.to_string(), "`weekly` is not a known Frequency");
    }
}
