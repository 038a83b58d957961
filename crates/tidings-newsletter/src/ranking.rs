//! Which stories a digest carries and in what order.

/// What ranking knows of a story.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Candidate {
    /// Article id.
    pub id: i64,
    /// Marked as featured by an editor.
    pub featured: bool,
    /// Editor's digest priority (higher first).
    pub priority: i64,
    /// Reads in the last 24 hours.
    pub reads: i64,
    /// Publication time, Unix seconds.
    pub published_at: i64,
}

/// Orders candidates: featured first, then editor priority, then reads, then the newest.
pub fn rank(candidates: &mut [Candidate]) {
    candidates.sort_by(|a, b| {
        b.featured
            .cmp(&a.featured)
            .then(b.priority.cmp(&a.priority))
            .then(b.reads.cmp(&a.reads))
            .then(b.published_at.cmp(&a.published_at))
            .then(b.id.cmp(&a.id))
    });
}

/// Applies the editor's plan to ranked ids: `ordered` ids come first in that order, the rest keep
/// their rank, `dropped` ids are left out, and at most `max` remain.
pub fn arrange(ranked: &[i64], ordered: &[i64], dropped: &[i64], max: usize) -> Vec<i64> {
    let keep = |id: &i64| ranked.contains(id) && !dropped.contains(id);
    let mut out: Vec<i64> = Vec::new();
    for id in ordered.iter().chain(ranked) {
        if keep(id) && !out.contains(id) {
            out.push(*id);
        }
    }
    out.truncate(max);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(id: i64, featured: bool, priority: i64, reads: i64, published_at: i64) -> Candidate {
        Candidate {
            id,
            featured,
            priority,
            reads,
            published_at,
        }
    }

    #[test]
    fn featured_then_priority_then_reads_then_recency() {
        let mut list = vec![
            c(1, false, 0, 10, 100),
            c(2, false, 0, 50, 50),
            c(3, true, 0, 0, 10),
            c(4, false, 5, 0, 10),
            c(5, false, 0, 10, 200),
        ];
        rank(&mut list);
        let ids: Vec<i64> = list.iter().map(|c| c.id).collect();
        assert_eq!(ids, vec![3, 4, 2, 5, 1]);
    }

    #[test]
    fn the_editor_reorders_drops_and_the_cap_holds() {
        let ranked = [1, 2, 3, 4, 5];
        assert_eq!(arrange(&ranked, &[4, 1], &[2], 10), vec![4, 1, 3, 5]);
        // Ids no longer in the window are ignored.
        assert_eq!(arrange(&ranked, &[9], &[], 3), vec![1, 2, 3]);
        assert!(arrange(&[], &[1], &[], 10).is_empty());
    }
}
