//! GiveWP's donation and donor exports on both engines: every row one gift with its status, money
//! and donor; subscriptions as monthly plans; nothing charged or mailed; a second run changes
//! nothing; damaged files refused with their line, nothing written.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use tidings_import::givewp::{import, plan, GiveError};
use tidings_store::{
    each_backend, DonationFilter, DonationStatus, Frequency, GatewayKind, JobState, PlanStatus,
    Store,
};

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata/givewp")
        .join(name)
}

/// What the file says, read with a plain CSV reader: gifts per status label, and per currency
/// the money of the paid ones (Complete and Refunded) and of the refunded ones.
fn expected(name: &str) -> (BTreeMap<String, usize>, BTreeMap<String, (i64, i64)>) {
    let mut r = csv::Reader::from_path(data(name)).unwrap();
    let mut by_status = BTreeMap::new();
    let mut money: BTreeMap<String, (i64, i64)> = BTreeMap::new();
    for row in r.deserialize::<BTreeMap<String, String>>() {
        let row = row.unwrap();
        let status = row["Donation Status"].clone();
        *by_status.entry(status.clone()).or_default() += 1;
        let cents: i64 = row["Donation Total"]
            .replace([',', '.'], "")
            .parse()
            .unwrap();
        let m = money.entry(row["Currency Code"].clone()).or_default();
        if status == "Complete" || status == "Refunded" {
            m.0 += cents;
        }
        if status == "Refunded" {
            m.1 += cents;
        }
    }
    (by_status, money)
}

async fn run(store: &Store, donations: &str) -> tidings_store::MovedIn {
    let p = plan(
        &data(donations),
        Some(&data("givewp-donors.csv")),
        chrono_tz::UTC,
    )
    .unwrap();
    import(store, &p).await.unwrap()
}

each_backend!(givewp_gifts_and_donors_come_in_as_they_were, |store| {
    let done = run(&store, "givewp-donations.csv").await;
    assert_eq!((done.gifts_created, done.donors_created), (41, 16));
    let (by_status, money) = expected("givewp-donations.csv");
    let (all, totals) = store
        .list_donations(&DonationFilter::default())
        .await
        .unwrap();
    assert_eq!(all.len(), 41);
    let count = |s: DonationStatus| all.iter().filter(|d| d.status == s).count();
    assert_eq!(count(DonationStatus::Succeeded), by_status["Complete"]);
    assert_eq!(count(DonationStatus::Refunded), by_status["Refunded"]);
    assert_eq!(count(DonationStatus::Failed), by_status["Failed"]);
    assert_eq!(count(DonationStatus::Expired), by_status["Abandoned"]);
    assert_eq!(count(DonationStatus::Pending), by_status["Pending"]);
    // The admin's totals per currency are the file's.
    let admin: BTreeMap<String, (i64, i64)> = totals
        .into_iter()
        .map(|(c, gross, _, refunded, _)| (c, (gross, refunded)))
        .collect();
    let paid: BTreeMap<String, (i64, i64)> = money.into_iter().filter(|(_, m)| m.0 > 0).collect();
    assert_eq!(admin, paid);
    // Test mode stays test; live gifts are marked as moved in; nothing here charges them.
    assert_eq!(
        all.iter()
            .filter(|d| d.gateway == GatewayKind::Test)
            .count(),
        1
    );
    assert!(all
        .iter()
        .all(|d| matches!(d.gateway, GatewayKind::Test | GatewayKind::Imported)));
    // Donors by address, names with GiveWP's slashes undone, the `+` given back from the donors file.
    let liam = all
        .iter()
        .find(|d| d.email == "liam.oshaughnessy@example.net")
        .unwrap();
    assert_eq!(liam.last_name, "O'Shaughnessy");
    assert!(all
        .iter()
        .any(|d| d.email == "priya.raman+giving@example.org"));
    assert!(!all.iter().any(|d| d.email.contains("ramangiving")));
    let big = all.iter().find(|d| d.total == 250_000).unwrap();
    assert_eq!(big.currency, "USD");
    // No receipt, no email, no job.
    for state in [JobState::Queued, JobState::Running, JobState::Failed] {
        assert!(
            store.jobs_in(state, 10).await.unwrap().is_empty(),
            "{state:?}"
        );
    }

    // Again: nothing changes.
    let again = run(&store, "givewp-donations.csv").await;
    assert_eq!(
        (
            again.gifts_created,
            again.gifts_updated,
            again.donors_created
        ),
        (0, 0, 0)
    );
    assert_eq!(
        store
            .list_donations(&DonationFilter::default())
            .await
            .unwrap()
            .0
            .len(),
        41
    );

    // The single-form export of the same gifts adds what only it shows: subscriptions, anonymity,
    // tributes.
    let single = run(&store, "givewp-donations-single-form.csv").await;
    assert_eq!((single.gifts_created, single.plans_created), (0, 2));
    assert!(single.gifts_updated > 0);
    let (all, _) = store
        .list_donations(&DonationFilter::default())
        .await
        .unwrap();
    let maya: Vec<_> = all
        .iter()
        .filter(|d| d.email == "maya.okafor@example.org" && d.frequency == Frequency::Monthly)
        .collect();
    assert!(maya.len() >= 2);
    let plan = store.plan(maya[0].plan_id.unwrap()).await.unwrap().unwrap();
    assert_eq!(
        (plan.gateway, plan.status, plan.amount, plan.next_charge_at),
        (GatewayKind::Imported, PlanStatus::Active, 2_500, None)
    );
    assert!(all.iter().any(|d| d.dedication == "In memory of Shoshana"
        || d.dedication.starts_with("In memory of Shoshana")));
    assert!(all.iter().any(|d| d.anonymous));
    // Moved-in plans are never charged here.
    let due = store
        .plans_due(
            GatewayKind::Test,
            chrono::Utc::now() + chrono::Duration::days(400),
        )
        .await
        .unwrap();
    assert!(due.is_empty());
    let twice = run(&store, "givewp-donations-single-form.csv").await;
    assert_eq!((twice.gifts_updated, twice.plans_created), (0, 0));
});

fn refused(dir: &Path, name: &str, body: &[u8]) -> String {
    let path = dir.join(name);
    std::fs::write(&path, body).unwrap();
    match plan(&path, None, chrono_tz::UTC) {
        Err(e @ GiveError::At { .. }) => e.to_string(),
        other => panic!("{name} was not refused: {:?}", other.map(|p| p.gifts())),
    }
}

#[test]
fn damaged_exports_are_refused_with_their_line() {
    let dir = tempfile::tempdir().unwrap();
    let good = std::fs::read_to_string(data("givewp-donations.csv")).unwrap();
    let lines: Vec<&str> = good.split("\r\n").collect();

    let no_status = good.replacen("\"Donation Status\",", "\"State\",", 1);
    let msg = refused(dir.path(), "a.csv", no_status.as_bytes());
    assert!(
        msg.contains("line 1: missing column(s) Donation Status"),
        "{msg}"
    );

    let unknown = good.replacen("\"Abandoned\"", "\"Sent to gateway\"", 1);
    let at = lines
        .iter()
        .position(|l| l.contains("\"Abandoned\""))
        .unwrap()
        + 1;
    let msg = refused(dir.path(), "b.csv", unknown.as_bytes());
    assert!(
        msg.contains(&format!(
            "line {at}: unknown Donation Status `Sent to gateway`"
        )),
        "{msg}"
    );

    // The same with plain LF line ends (a file opened and saved elsewhere).
    let lf = unknown.replace("\r\n", "\n");
    let msg = refused(dir.path(), "b2.csv", lf.as_bytes());
    assert!(msg.contains(&format!("line {at}: unknown")), "{msg}");

    let bad_amount = good.replacen("\"2,500.00\"", "\"2,500.0.0\"", 1);
    let msg = refused(dir.path(), "c.csv", bad_amount.as_bytes());
    assert!(
        msg.contains("Donation Total `2,500.0.0` is not an amount"),
        "{msg}"
    );

    let mut latin1 = good.replacen("Zoë", "Zo\u{0}", 1).into_bytes();
    let at = latin1.iter().position(|b| *b == 0).unwrap();
    latin1[at] = 0xEB; // ë in Latin-1
    let msg = refused(dir.path(), "d.csv", &latin1);
    assert!(msg.contains("line 5: not UTF-8"), "{msg}");

    let short = good.replacen(",\"203.0.113.41\"", "", 1);
    let msg = refused(dir.path(), "e.csv", short.as_bytes());
    assert!(
        msg.contains("line 2: 29 cells where the header has 30"),
        "{msg}"
    );

    let twice = format!("{good}\r\n{}", lines[1]);
    let msg = refused(dir.path(), "f.csv", twice.as_bytes());
    assert!(msg.contains("donation 1190 appears twice"), "{msg}");
}

each_backend!(a_refused_file_writes_nothing, |store| {
    let dir = tempfile::tempdir().unwrap();
    let good = std::fs::read_to_string(data("givewp-donations.csv")).unwrap();
    let bad = good.replacen("\"Pending\"", "\"Pendin\"", 1);
    let path = dir.path().join("bad.csv");
    std::fs::write(&path, bad).unwrap();
    assert!(plan(&path, None, chrono_tz::UTC).is_err());
    assert!(store
        .list_donations(&DonationFilter::default())
        .await
        .unwrap()
        .0
        .is_empty());
});
