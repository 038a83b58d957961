//! Moving in from GiveWP: its "Export Donation History" and "Export Donors" CSV files read whole
//! and checked first (a missing column, an unknown status, a bad amount or date, a file that is not
//! UTF-8 stops with the file and line), then written in one transaction. Every row becomes one
//! gift with its status, mode, form and date; donors are matched by address; subscriptions become
//! monthly plans marked as moved in. Nothing is charged, and no receipt or email is sent.

mod cells;
mod table;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;

use chrono_tz::Tz;
use tidings_store::{
    DonationStatus, Frequency, GatewayKind, MoveIn, MovedIn, MovedInDonor, MovedInGift,
    MovedInPlan, Store, StoreError,
};

use table::{Row, Table};

/// Why a GiveWP import stopped (nothing was written).
#[derive(Debug, thiserror::Error)]
pub enum GiveError {
    /// A file is unreadable or a row is wrong.
    #[error("{file} line {line}: {message}")]
    At {
        /// The file.
        file: String,
        /// Its line (1 is the header).
        line: u64,
        /// What is wrong.
        message: String,
    },
    /// The database refused the import.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl GiveError {
    fn at(file: &str, line: u64, message: impl Into<String>) -> GiveError {
        GiveError::At {
            file: file.to_string(),
            line,
            message: message.into(),
        }
    }
}

/// The columns every donations export has (GiveWP's defaults).
const DONATION_COLUMNS: &[&str] = &[
    "Donation ID",
    "Donation Total",
    "Currency Code",
    "Donation Status",
    "Donation Date",
    "Payment Mode",
    "Form ID",
    "Form Title",
    "Email Address",
];

/// The columns of a donors export that the import uses.
const DONOR_COLUMNS: &[&str] = &["Name", "Email"];

/// Money per currency, in minor units, and how many gifts.
pub type Totals = BTreeMap<String, (u64, i64)>;

/// What a file holds and what would be written.
#[derive(Debug, Default)]
pub struct Plan {
    /// Gifts by GiveWP status label.
    pub by_status: BTreeMap<String, u64>,
    /// Completed gifts per form ("id: title") and currency.
    pub by_form: BTreeMap<String, Totals>,
    /// Test-mode gifts (kept, under the test gateway: no money moved).
    pub test_mode: u64,
    /// Monthly plans, with what the outlet must do to keep them charging.
    pub plans: Vec<String>,
    /// Addresses that may have lost a `+` to GiveWP's export.
    pub plus_suspects: Vec<String>,
    /// Notes for the report (comments kept only there, addresses restored, …).
    pub notes: Vec<String>,
    /// What the import writes.
    pub move_in: MoveIn,
}

impl Plan {
    /// Gifts in the file.
    pub fn gifts(&self) -> usize {
        self.move_in.gifts.len()
    }
}

/// Reads and checks the donations export (and the donors export, when given), building
/// everything the import writes; nothing is written.
pub fn plan(donations: &Path, donors: Option<&Path>, tz: Tz) -> Result<Plan, GiveError> {
    let gifts = Table::read(donations, DONATION_COLUMNS)?;
    let people = match donors {
        Some(path) => Some(Table::read(path, DONOR_COLUMNS)?),
        None => None,
    };
    let mut plan = Plan::default();
    // The donors file keeps `+` in addresses; the donations file has lost them.
    let mut known: HashMap<String, usize> = HashMap::new();
    let mut restore: HashMap<String, String> = HashMap::new();
    if let Some(people) = &people {
        for row in &people.rows {
            let email = normalise(&cells::unslash(people.get(row, "Email")));
            if !email.contains('@') {
                return Err(people.error(row, format!("`{email}` is not an email address")));
            }
            let name = cells::unslash(people.get(row, "Name"));
            let (first, last) = name.trim().split_once(' ').unwrap_or((name.trim(), ""));
            let created = match people.get(row, "Donor Created") {
                "" => 0,
                text => cells::created(text, tz).ok_or_else(|| {
                    people.error(
                        row,
                        format!("Donor Created `{text}` is not a date and time"),
                    )
                })?,
            };
            let address = join_address(&[
                cells::unslash(people.get(row, "Address")),
                cells::unslash(people.get(row, "Address 2")),
                cells::unslash(people.get(row, "City")),
                cells::unslash(people.get(row, "State")),
                cells::unslash(people.get(row, "Zip")),
                cells::unslash(people.get(row, "Country")),
            ]);
            if email.contains('+') {
                restore.insert(cells::without_plus(&email), email.clone());
            }
            known.insert(email.clone(), plan.move_in.donors.len());
            plan.move_in.donors.push(MovedInDonor {
                email,
                first_name: first.to_string(),
                last_name: last.trim().to_string(),
                address,
                created_at: created,
            });
        }
    }

    let mut seen_ids = HashSet::new();
    let mut subscriptions: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    let mut suspects = BTreeMap::new();
    for row in &gifts.rows {
        let gift = read_gift(&gifts, row, tz)?;
        if !seen_ids.insert(gift.id.clone()) {
            return Err(gifts.error(row, format!("donation {} appears twice", gift.id)));
        }
        let mut email = gift.email.clone();
        if let Some(full) = restore.get(&email) {
            plan.notes.push(format!(
                "donation {}: address {email} restored to {full} from the donors file",
                gift.id
            ));
            email = full.clone();
        } else if people.is_some() && !known.contains_key(&email) {
            suspects.insert(email.clone(), ());
        }
        *plan.by_status.entry(gift.label.clone()).or_default() += 1;
        if gift.test_mode {
            plan.test_mode += 1;
        }
        if gift.status == DonationStatus::Succeeded && !gift.test_mode {
            let form = format!("{}: {}", gift.form_id, gift.form_title);
            let t = plan
                .by_form
                .entry(form)
                .or_default()
                .entry(gift.currency.clone())
                .or_default();
            t.0 += 1;
            t.1 += gift.amount;
        }
        if !gift.comment.is_empty() {
            plan.notes.push(format!(
                "donation {}: the donor's comment (kept only here): {}",
                gift.id, gift.comment
            ));
        }
        // A donor first met in this file (no donors file, or not in it).
        if !known.contains_key(&email) {
            known.insert(email.clone(), plan.move_in.donors.len());
            plan.move_in.donors.push(MovedInDonor {
                email: email.clone(),
                first_name: gift.first_name.clone(),
                last_name: gift.last_name.clone(),
                address: gift.address.clone(),
                created_at: gift.created_at,
            });
        }
        let plan_key = gift.subscription.clone().or_else(|| {
            gift.renewal.then(|| {
                format!(
                    "givewp:renewals:{email}:{}:{}{}",
                    gift.form_id, gift.amount, gift.currency
                )
            })
        });
        if let Some(key) = &plan_key {
            subscriptions
                .entry(key.clone())
                .or_default()
                .push(plan.move_in.gifts.len());
        }
        plan.move_in.gifts.push(MovedInGift {
            key: format!("givewp:{}", gift.id),
            email,
            first_name: gift.first_name,
            last_name: gift.last_name,
            address: gift.address,
            amount: gift.amount,
            currency: gift.currency,
            frequency: if plan_key.is_some() {
                Frequency::Monthly
            } else {
                Frequency::Once
            },
            status: gift.status,
            gateway: if gift.test_mode {
                GatewayKind::Test
            } else {
                GatewayKind::Imported
            },
            anonymous: gift.anonymous,
            dedication: gift.dedication,
            source: format!(
                "GiveWP #{} ({}, form {}: {})",
                gift.id,
                if gift.gateway.is_empty() {
                    "no gateway"
                } else {
                    &gift.gateway
                },
                gift.form_id,
                gift.form_title
            ),
            campaign: Some((
                format!("givewp-form-{}", gift.form_id),
                gift.form_title.clone(),
            )),
            plan: plan_key,
            created_at: gift.created_at,
        });
    }
    for (key, members) in subscriptions {
        let rows: Vec<&MovedInGift> = members.iter().map(|i| &plan.move_in.gifts[*i]).collect();
        let first = rows.iter().min_by_key(|g| g.created_at).copied();
        let latest = rows.iter().max_by_key(|g| g.created_at).copied();
        let (Some(first), Some(latest)) = (first, latest) else {
            continue;
        };
        let active = latest.status == DonationStatus::Succeeded;
        plan.plans.push(format!(
            "{key}: {} gives {} a month since {} ({} payment(s) here; {}). GiveWP's gateway still \
             charges it: keep it running there, or cancel it there and ask the donor to give monthly \
             again on this site.",
            first.email,
            tidings_donations::format_stored(&first.currency, first.amount),
            chrono::DateTime::from_timestamp(first.created_at, 0)
                .map(|t| t.format("%Y-%m-%d").to_string())
                .unwrap_or_default(),
            rows.len(),
            if active { "last payment went through" } else { "last payment did not go through" },
        ));
        plan.move_in.plans.push(MovedInPlan {
            key,
            email: first.email.clone(),
            amount: first.amount,
            currency: first.currency.clone(),
            created_at: first.created_at,
            active,
        });
    }
    plan.plus_suspects = suspects.into_keys().collect();
    for email in &plan.plus_suspects {
        plan.notes.push(format!(
            "{email}: not in the donors file; GiveWP's donations export deletes every `+`, so this \
             address may have lost one (check it against GiveWP's donor list)"
        ));
    }
    Ok(plan)
}

/// Writes a checked plan in one transaction.
pub async fn import(store: &Store, plan: &Plan) -> Result<MovedIn, GiveError> {
    Ok(store.move_in_gifts(&plan.move_in).await?)
}

/// One donations row, read.
struct Gift {
    id: String,
    label: String,
    status: DonationStatus,
    renewal: bool,
    subscription: Option<String>,
    test_mode: bool,
    amount: i64,
    currency: String,
    email: String,
    first_name: String,
    last_name: String,
    address: String,
    form_id: String,
    form_title: String,
    gateway: String,
    anonymous: bool,
    dedication: String,
    comment: String,
    created_at: i64,
}

fn read_gift(t: &Table, row: &Row, tz: Tz) -> Result<Gift, GiveError> {
    let id = t.get(row, "Donation ID").trim().to_string();
    if id.is_empty() || !id.bytes().all(|b| b.is_ascii_digit()) {
        return Err(t.error(row, format!("Donation ID `{id}` is not a number")));
    }
    let label = t.get(row, "Donation Status").trim().to_string();
    let (status, renewal) = cells::status(&label).ok_or_else(|| {
        t.error(
            row,
            format!(
                "unknown Donation Status `{label}` (expected Complete, Pending, Refunded, Failed, \
                 Cancelled, Abandoned, Processing, Preapproval, Revoked or Renewal)"
            ),
        )
    })?;
    let code = t.get(row, "Currency Code").trim().to_ascii_uppercase();
    let currency = tidings_donations::Currency::parse(&code)
        .ok_or_else(|| t.error(row, format!("unknown Currency Code `{code}`")))?;
    let total = t.get(row, "Donation Total");
    let amount = cells::amount(total, currency.exponent())
        .ok_or_else(|| t.error(row, format!("Donation Total `{total}` is not an amount")))?;
    let date = t.get(row, "Donation Date");
    let time = t.get(row, "Donation Time");
    let created_at = cells::when(date, time, tz).ok_or_else(|| {
        t.error(
            row,
            format!("Donation Date `{date}` {time} is not a date (like `September 2, 2024`)"),
        )
    })?;
    let mode = t.get(row, "Payment Mode").trim().to_ascii_lowercase();
    let test_mode = match mode.as_str() {
        "live" => false,
        "test" => true,
        other => {
            return Err(t.error(
                row,
                format!("Payment Mode `{other}` is neither live nor test"),
            ))
        }
    };
    let email = normalise(t.get(row, "Email Address"));
    if !email.contains('@') {
        return Err(t.error(row, format!("`{email}` is not an email address")));
    }
    let subscription = match t.get(row, "subscription_id").trim() {
        "" | "0" => None,
        id => Some(format!("givewp:{id}")),
    };
    let tribute = [
        t.get(row, "_give_tributes_type"),
        t.get(row, "_give_tributes_first_name"),
        t.get(row, "_give_tributes_last_name"),
    ]
    .iter()
    .map(|s| s.trim())
    .filter(|s| !s.is_empty())
    .collect::<Vec<_>>()
    .join(" ");
    Ok(Gift {
        id,
        label,
        status,
        renewal: renewal || t.get(row, "_give_subscription_payment").trim() == "1",
        subscription,
        test_mode,
        amount,
        currency: currency.code().to_string(),
        email,
        first_name: t.get(row, "First Name").trim().to_string(),
        last_name: t.get(row, "Last Name").trim().to_string(),
        address: join_address(&[
            t.get(row, "Address 1").to_string(),
            t.get(row, "Address 2").to_string(),
            t.get(row, "City").to_string(),
            t.get(row, "State").to_string(),
            t.get(row, "Zip").to_string(),
            t.get(row, "Country").to_string(),
        ]),
        form_id: t.get(row, "Form ID").trim().to_string(),
        form_title: t.get(row, "Form Title").trim().to_string(),
        gateway: t.get(row, "Payment Gateway").trim().to_string(),
        anonymous: t.get(row, "_give_anonymous_donation").trim() == "1",
        dedication: tribute,
        comment: t.get(row, "Donor Comment").trim().to_string(),
        created_at,
    })
}

fn normalise(email: &str) -> String {
    email.trim().to_lowercase()
}

fn join_address(parts: &[String]) -> String {
    parts
        .iter()
        .map(|p| p.trim())
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join(", ")
}
