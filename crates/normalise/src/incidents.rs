//! The same real-world incident reported through several channels (`incident_id`): the city's
//! rule, applied to one reporter's complaints at a time.
//!
//! Two complaints are of one incident when the same reporter (the same `reporter_key`: the
//! same telephone number or e-mail address, keyed) made them through different channels about
//! the same main category within [`INCIDENT_WINDOW`] of each other (a citizen who writes to
//! Wadul Aladin, then to SP4N-LAPOR! about the same flood). Linked in a chain, they are one
//! incident, whose id is that of its earliest complaint, hashed. Nothing else links
//! complaints: different reporters about one place and time may or may not have seen the same
//! thing, and the channels name no other channel's reports.

use aduan_core::IncidentCandidate;
use chrono::Duration;
use sha2::{Digest, Sha256};

/// How far apart in time two complaints of one incident may have been reported.
pub const INCIDENT_WINDOW: Duration = Duration::days(7);

/// The `incident_id` of each of one reporter's `complaints` (in their order): `None` for one
/// linked to no other (see the module's notes).
pub fn incidents(complaints: &[IncidentCandidate]) -> Vec<Option<String>> {
    let n = complaints.len();
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| {
        let (a, b) = (&complaints[a], &complaints[b]);
        (&a.category_main, a.reported_at, &a.complaint_id).cmp(&(
            &b.category_main,
            b.reported_at,
            &b.complaint_id,
        ))
    });
    let mut rank = vec![0usize; n];
    for (k, &i) in order.iter().enumerate() {
        rank[i] = k;
    }
    let mut parent: Vec<usize> = (0..n).collect();
    fn root(parent: &mut [usize], mut i: usize) -> usize {
        while parent[i] != i {
            parent[i] = parent[parent[i]];
            i = parent[i];
        }
        i
    }
    for (k, &i) in order.iter().enumerate() {
        let a = &complaints[i];
        for &j in &order[k + 1..] {
            let b = &complaints[j];
            if b.category_main != a.category_main || b.reported_at - a.reported_at > INCIDENT_WINDOW
            {
                break;
            }
            if b.channel != a.channel {
                let (ri, rj) = (root(&mut parent, i), root(&mut parent, j));
                // The earlier (in `order`) stays the root: a component's root is its earliest.
                let (keep, join) = if rank[ri] < rank[rj] {
                    (ri, rj)
                } else {
                    (rj, ri)
                };
                parent[join] = keep;
            }
        }
    }
    let mut size = vec![0usize; n];
    for i in 0..n {
        let r = root(&mut parent, i);
        size[r] += 1;
    }
    (0..n)
        .map(|i| {
            let r = root(&mut parent, i);
            (size[r] > 1).then(|| incident_id(&complaints[r].complaint_id))
        })
        .collect()
}

/// The id of the incident whose earliest complaint is `complaint_id`: `inc-` and 16 hex digits
/// of its SHA-256 (stable while that complaint stays the earliest).
fn incident_id(complaint_id: &str) -> String {
    let digest = Sha256::digest(complaint_id.as_bytes());
    format!("inc-{}", hex::encode(&digest[..8]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};

    fn c(id: &str, channel: &str, category: &str, day: u32) -> IncidentCandidate {
        IncidentCandidate {
            complaint_id: id.into(),
            channel: channel.into(),
            category_main: category.into(),
            reported_at: Utc.with_ymd_and_hms(2026, 11, day, 8, 0, 0).unwrap(),
        }
    }

    #[test]
    fn one_reporters_complaints_through_two_channels_about_one_thing_within_a_week_are_one() {
        let got = incidents(&[
            c("sp4n_lapor:2", "sp4n_lapor", "BENCANA", 5),
            c("wadul_aladin:wa-1", "wadul_aladin", "BENCANA", 1),
            // Another category, the same days: its own.
            c("cc112:3", "cc112", "KESEHATAN", 2),
            // The same channel twice, nothing else: not linked.
            c("lapor_gub:4", "lapor_gub", "JALAN", 10),
            c("lapor_gub:5", "lapor_gub", "JALAN", 11),
            // More than a week after the last: its own.
            c("cc112:6", "cc112", "BENCANA", 13),
        ]);
        let id = Some(incident_id("wadul_aladin:wa-1"));
        assert_eq!(got, vec![id.clone(), id, None, None, None, None]);
    }

    #[test]
    fn a_chain_is_one_incident_named_by_its_earliest_complaint() {
        let got = incidents(&[
            c("cc112:9", "cc112", "BENCANA", 20),
            c("sp4n_lapor:8", "sp4n_lapor", "BENCANA", 14),
            c("wadul_aladin:wa-7", "wadul_aladin", "BENCANA", 8),
            // The same channel as one of the chain, inside it: one of it.
            c("sp4n_lapor:10", "sp4n_lapor", "BENCANA", 15),
        ]);
        let id = incident_id("wadul_aladin:wa-7");
        assert!(
            got.iter().all(|g| g.as_deref() == Some(id.as_str())),
            "{got:?}"
        );
        assert!(id.starts_with("inc-") && id.len() == 20);
        // In any order, the same.
        let mut reversed = vec![
            c("sp4n_lapor:10", "sp4n_lapor", "BENCANA", 15),
            c("wadul_aladin:wa-7", "wadul_aladin", "BENCANA", 8),
            c("sp4n_lapor:8", "sp4n_lapor", "BENCANA", 14),
            c("cc112:9", "cc112", "BENCANA", 20),
        ];
        assert!(incidents(&reversed)
            .iter()
            .all(|g| g.as_deref() == Some(id.as_str())));
        reversed.truncate(1);
        assert_eq!(incidents(&reversed), vec![None]);
    }
}
