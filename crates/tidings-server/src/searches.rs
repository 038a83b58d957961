//! Each node's bookkeeping for readers' searches: a per-address limit (searches are cheap to ask
//! and dear to answer, and counting them in the database would make every search a write), and the
//! weekly query counts, gathered in memory and added to the database's totals every few seconds.
//! Both are per node by design: with N nodes an address may make N times the limit, and a node
//! that stops loses at most its last few seconds of counts.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use tidings_store::Store;

/// How often gathered counts go to the database.
const FLUSH_EVERY: Duration = Duration::from_secs(10);
/// Addresses remembered before the old minutes are dropped.
const MAX_TRACKED: usize = 50_000;

/// A query and its counts waiting to be written: (week, query) → (searches, last results).
type Pending = HashMap<(String, String), (i64, i64)>;

/// The node's search limiter and query log.
pub struct Searches {
    per_minute: u32,
    seen: Mutex<HashMap<IpAddr, (i64, u32)>>,
    pending: Mutex<(Pending, Instant)>,
}

impl Searches {
    /// Allows `per_minute` searches per address per minute.
    pub fn new(per_minute: u32) -> Searches {
        Searches {
            per_minute: per_minute.max(1),
            seen: Mutex::new(HashMap::new()),
            pending: Mutex::new((HashMap::new(), Instant::now())),
        }
    }

    /// Counts a search from `ip` at `now` (Unix seconds); `Err(seconds)` to wait when over.
    pub fn allow(&self, ip: Option<IpAddr>, now: i64) -> Result<(), i64> {
        let Some(ip) = ip else { return Ok(()) };
        let minute = now.div_euclid(60);
        let mut seen = self.seen.lock().expect("lock");
        if seen.len() > MAX_TRACKED {
            seen.retain(|_, (m, _)| *m == minute);
        }
        let entry = seen.entry(ip).or_insert((minute, 0));
        if entry.0 != minute {
            *entry = (minute, 0);
        }
        if entry.1 >= self.per_minute {
            return Err(60 - now.rem_euclid(60));
        }
        entry.1 += 1;
        Ok(())
    }

    /// Notes that `query` found `results` in ISO week `week`; returns the gathered counts when
    /// they are due to be written.
    pub fn record(&self, week: String, query: String, results: i64) -> Option<Pending> {
        let mut pending = self.pending.lock().expect("lock");
        let entry = pending.0.entry((week, query)).or_insert((0, results));
        entry.0 += 1;
        entry.1 = results;
        if pending.1.elapsed() < FLUSH_EVERY {
            return None;
        }
        pending.1 = Instant::now();
        Some(std::mem::take(&mut pending.0))
    }

    /// Hands over whatever is gathered now (for a page that must show current counts).
    pub fn take(&self) -> Pending {
        let mut pending = self.pending.lock().expect("lock");
        pending.1 = Instant::now();
        std::mem::take(&mut pending.0)
    }
}

/// Adds gathered counts to the database's.
pub async fn flush(store: &Store, counts: Pending) {
    for ((week, query), (searches, results)) in counts {
        if let Err(e) = store.count_search(&week, &query, searches, results).await {
            tracing::warn!(error = %e, "search counts not recorded");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_gets_its_minute_then_waits_for_the_next() {
        let s = Searches::new(2);
        let ip: IpAddr = "192.0.2.1".parse().unwrap();
        let other: IpAddr = "192.0.2.2".parse().unwrap();
        assert!(s.allow(Some(ip), 120).is_ok());
        assert!(s.allow(Some(ip), 130).is_ok());
        assert_eq!(s.allow(Some(ip), 135), Err(45));
        assert!(
            s.allow(Some(other), 135).is_ok(),
            "each address has its own"
        );
        assert!(s.allow(Some(ip), 180).is_ok(), "a new minute");
    }
}
