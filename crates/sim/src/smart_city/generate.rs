//! Deterministic generation of Pantau Pekalongan reports and their version histories.
//!
//! Report `index` has its own RNG, seeded from the simulator seed and the index; it draws
//! the report (id, type, area, texts, place, photos, user) and then its history: version 1
//! `submitted` at `created_at`, sometimes an edit by the resident, then the steps of the
//! city (`accepted`, `in_progress`, `done`, or `rejected`) as far as they got by
//! [`NOW`], and for about 5% a withdrawal (`report.deleted`). A last pass
//! ([`bulk_actions`]) gives some reports the same `updated_at`, as an officer's bulk action
//! does, so that keyset paging meets ties.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Serialize;

use super::topics::{Topic, TOPICS};
use crate::reference::reference;
use crate::text::{mix64, phone, pick, pick_str, weighted, Fill, FIRST_NAMES, LAST_NAMES, STREETS};

/// 2024-01-01T00:00:00Z: the first reports.
pub(crate) const START: i64 = 1_704_067_200;
/// 2025-12-31T00:00:00Z: "now" for deciding how far a report got.
pub(crate) const NOW: i64 = 1_767_139_200;
const WIB: i64 = 7 * 3600;
const MINUTE: i64 = 60;
const HOUR: i64 = 3600;
const DAY: i64 = 86_400;

/// A report's status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Status {
    Submitted,
    Accepted,
    InProgress,
    Done,
    Rejected,
}

impl Status {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Status::Submitted => "submitted",
            Status::Accepted => "accepted",
            Status::InProgress => "in_progress",
            Status::Done => "done",
            Status::Rejected => "rejected",
        }
    }
}

/// A report object exactly in the contract's shape.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Report {
    pub(crate) id: String,
    pub(crate) version: u32,
    #[serde(rename = "type")]
    pub(crate) kind: &'static str,
    pub(crate) area: &'static str,
    pub(crate) title: String,
    pub(crate) description: String,
    pub(crate) status: Status,
    /// Missing (no key at all) when the phone's GPS was off.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) location: Option<Location>,
    pub(crate) photos: Vec<String>,
    pub(crate) user: User,
    pub(crate) created_at: String,
    pub(crate) updated_at: String,
}

/// `location`.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Location {
    pub(crate) lat: f64,
    pub(crate) lng: f64,
    pub(crate) address: String,
}

/// `user`.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct User {
    pub(crate) id: String,
    pub(crate) name: String,
    pub(crate) phone: String,
}

/// One version of a report.
#[derive(Debug, Clone)]
pub(crate) enum Body {
    /// The full report.
    Live(Box<Report>),
    /// Withdrawn: the webhook carries `{"id","version","deleted_at"}` only.
    Deleted,
}

/// A version and its time (`updated_at`, or `deleted_at` of a deletion).
#[derive(Debug, Clone)]
pub(crate) struct Version {
    pub(crate) at: i64,
    pub(crate) body: Body,
}

/// All versions of one report; version `k` is `versions[k - 1]`.
#[derive(Debug, Clone)]
pub(crate) struct History {
    pub(crate) id: String,
    pub(crate) kind: &'static str,
    pub(crate) versions: Vec<Version>,
}

impl History {
    /// The latest version (a history is never empty).
    pub(crate) fn latest(&self) -> Option<&Version> {
        self.versions.last()
    }

    /// The number of the latest version.
    pub(crate) fn version(&self) -> u32 {
        u32::try_from(self.versions.len()).unwrap_or(u32::MAX)
    }

    /// `updated_at` of the latest version.
    pub(crate) fn updated_at(&self) -> i64 {
        self.latest().map_or(i64::MIN, |v| v.at)
    }

    /// The latest report that is not deleted.
    pub(crate) fn live(&self) -> Option<&Report> {
        match &self.latest()?.body {
            Body::Live(r) => Some(r),
            Body::Deleted => None,
        }
    }

    /// Adds a version at `at`: the next status, or a withdrawal.
    pub(crate) fn push_status(&mut self, at: i64, status: Option<Status>) {
        let Some(prev) = self.live().cloned() else {
            return;
        };
        let body = match status {
            Some(s) => {
                let mut r = prev;
                r.version += 1;
                r.status = s;
                r.updated_at = format_time(at);
                Body::Live(Box::new(r))
            }
            None => Body::Deleted,
        };
        self.versions.push(Version { at, body });
    }

    fn set_time(&mut self, k: usize, at: i64) {
        if let Some(v) = self.versions.get_mut(k) {
            v.at = at;
            if let Body::Live(r) = &mut v.body {
                r.updated_at = format_time(at);
            }
        }
    }
}

/// Unix seconds as `YYYY-MM-DDTHH:MM:SSZ`.
pub(crate) fn format_time(t: i64) -> String {
    chrono::DateTime::from_timestamp(t, 0)
        .map(|d| d.format("%Y-%m-%dT%H:%M:%SZ").to_string())
        .unwrap_or_default()
}

/// A version 4 UUID from `rng` (deterministic for a seeded RNG).
pub(crate) fn uuid_v4<R: Rng>(rng: &mut R) -> String {
    let mut b: [u8; 16] = rng.gen();
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h = hex::encode(b);
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

/// The RNG of report `index`.
fn report_rng(seed: u64, index: u32) -> ChaCha8Rng {
    ChaCha8Rng::seed_from_u64(mix64(seed ^ mix64(u64::from(index) ^ 0x5041_4E54_4155)))
}

/// Approximate centres of the four kecamatan (lat, lng).
const CENTRES: &[(&str, f64, f64)] = &[
    ("Pekalongan Barat", -6.895, 109.655),
    ("Pekalongan Timur", -6.893, 109.690),
    ("Pekalongan Utara", -6.868, 109.682),
    ("Pekalongan Selatan", -6.920, 109.680),
];

/// The city's bounding box: lat -6.93..-6.86, lng 109.64..109.71.
const LAT: (f64, f64) = (-6.929, -6.861);
const LNG: (f64, f64) = (109.641, 109.709);

/// Places just outside the city: (kabupaten, kecamatan, desa/kelurahan, lat range,
/// lng range), all outside the city's box.
type Outside = (
    &'static str,
    &'static str,
    &'static [&'static str],
    (f64, f64),
    (f64, f64),
);
const OUTSIDE: &[Outside] = &[
    (
        "Kab. Batang",
        "Batang",
        &["Kasepuhan", "Proyonanggan Selatan", "Karangasem Utara"],
        (-6.925, -6.905),
        (109.718, 109.745),
    ),
    (
        "Kab. Pekalongan",
        "Wiradesa",
        &["Kauman", "Bener", "Petukangan"],
        (-6.900, -6.885),
        (109.610, 109.628),
    ),
    (
        "Kab. Pekalongan",
        "Kedungwuni",
        &["Kedungwuni Timur", "Kedungwuni Barat", "Rengas"],
        (-6.975, -6.955),
        (109.640, 109.660),
    ),
    (
        "Kab. Pekalongan",
        "Tirto",
        &["Pacar", "Tegaldowo", "Karangjompo"],
        (-6.890, -6.875),
        (109.618, 109.635),
    ),
    (
        "Kab. Pekalongan",
        "Buaran",
        &["Simbang Kulon", "Coprayan"],
        (-6.950, -6.936),
        (109.665, 109.690),
    ),
];

fn round5(x: f64) -> f64 {
    (x * 1e5).round() / 1e5
}

/// A position and address; returns the kelurahan (or desa) to use in texts too.
fn location<R: Rng>(rng: &mut R, outside: bool) -> (Location, String) {
    let kecamatan = &reference().kecamatan;
    if outside || kecamatan.is_empty() {
        let (kab, kec, desas, lat, lng) = pick(rng, OUTSIDE);
        let desa = pick_str(rng, desas);
        let street = if rng.gen_bool(0.5) {
            format!("Jl. Raya {kec}")
        } else {
            "Jl. Raya Pantura".to_string()
        };
        let address = if rng.gen_bool(0.5) {
            format!("{street}, {desa}, {kec}, {kab}")
        } else {
            format!("{street}, {desa}, Kec. {kec}, {kab}, Jawa Tengah")
        };
        let loc = Location {
            lat: round5(rng.gen_range(lat.0..lat.1)),
            lng: round5(rng.gen_range(lng.0..lng.1)),
            address,
        };
        return (loc, desa.to_string());
    }
    let k = &kecamatan[rng.gen_range(0..kecamatan.len())];
    let kel = if k.kelurahan.is_empty() {
        k.name.clone()
    } else {
        k.kelurahan[rng.gen_range(0..k.kelurahan.len())].clone()
    };
    let (clat, clng) = CENTRES
        .iter()
        .find(|(name, _, _)| *name == k.name)
        .map_or((-6.89, 109.675), |(_, lat, lng)| (*lat, *lng));
    let lat = (clat + rng.gen_range(-0.009..0.009)).clamp(LAT.0, LAT.1);
    let lng = (clng + rng.gen_range(-0.012..0.012)).clamp(LNG.0, LNG.1);
    let street = pick_str(rng, STREETS);
    let kec = &k.name;
    // The app fills the address by reverse geocoding, in one of a few styles.
    let address = match rng.gen_range(0..10) {
        0..=5 => format!("{street}, {kel}, {kec}"),
        6..=7 => format!(
            "{street} No.{}, {kel}, Kec. {kec}, Kota Pekalongan, Jawa Tengah 511{:02}",
            rng.gen_range(1..=200),
            rng.gen_range(11..=49)
        ),
        8 => format!("Gg. {}, {street}, {kel}, {kec}", rng.gen_range(1..=15)),
        _ => format!("{street}, Kel. {kel}, Kec. {kec}, Kota Pekalongan"),
    };
    (
        Location {
            lat: round5(lat),
            lng: round5(lng),
            address,
        },
        kel,
    )
}

/// Any kelurahan of the city (for texts of reports without a position).
fn any_kelurahan<R: Rng>(rng: &mut R) -> String {
    let all: Vec<&String> = reference()
        .kecamatan
        .iter()
        .flat_map(|k| k.kelurahan.iter())
        .collect();
    if all.is_empty() {
        "kelurahan kami".to_string()
    } else {
        all[rng.gen_range(0..all.len())].clone()
    }
}

/// Descriptions as typed in the app: mostly plain, some pasted with HTML, some with stray
/// white space.
fn description<R: Rng>(rng: &mut R, text: String) -> String {
    match rng.gen_range(0..20) {
        0 | 1 => {
            let body = text.replacen(". ", ".</p><p>", 1);
            format!("<p>{body}</p><p>Terima kasih &amp; mohon segera ditindaklanjuti.</p>")
        }
        2 => format!("<p>{text}<br>Warga RT &amp; RW sekitar</p>"),
        3 => format!("  {text}  "),
        4 => format!("{}\n\n", text.replace(". ", ".  ")),
        5 => format!("{text}\r\nTerima kasih."),
        _ => text,
    }
}

fn photos<R: Rng>(rng: &mut R, id: &str, created: i64, laporan: bool) -> Vec<String> {
    let table: &[(usize, u32)] = if laporan {
        &[(0, 25), (1, 40), (2, 25), (3, 10)]
    } else {
        &[(0, 60), (1, 25), (2, 10), (3, 5)]
    };
    let count = weighted(rng, table);
    let month = format_time(created);
    let (y, m) = (
        month.get(0..4).unwrap_or("2024"),
        month.get(5..7).unwrap_or("01"),
    );
    (1..=count)
        .map(|i| format!("https://pantau.example/uploads/{y}/{m}/{id}/p{i}.jpg"))
        .collect()
}

fn user<R: Rng>(rng: &mut R) -> User {
    let first = pick_str(rng, FIRST_NAMES);
    let name = if rng.gen_bool(0.6) {
        format!("{first} {}", pick_str(rng, LAST_NAMES))
    } else {
        first.to_string()
    };
    User {
        id: format!("u_{}", rng.gen_range(10_000..100_000)),
        name,
        phone: phone(rng),
    }
}

/// A change after version 1.
enum Change {
    /// The resident adds a photo or a sentence.
    Edit,
    Status(Status),
    Delete,
}

/// The whole history of report `index`.
pub(crate) fn history(seed: u64, index: u32) -> History {
    let mut rng = report_rng(seed, index);
    let id = uuid_v4(&mut rng);
    let laporan = rng.gen_bool(0.8);
    let kind = if laporan { "laporan" } else { "usulan" };
    let weights: Vec<(usize, u32)> = TOPICS
        .iter()
        .enumerate()
        .map(|(i, t)| (i, t.weight))
        .collect();
    let topic: &Topic = &TOPICS[weighted(&mut rng, &weights)];
    let texts = if laporan || topic.usulan.is_empty() {
        topic.laporan
    } else {
        topic.usulan
    };
    let (title_t, text_t) = *pick(&mut rng, texts);

    let days = (NOW - START) / DAY;
    let day = rng.gen_range(0..days);
    // Mostly between 05:00 and 22:00 WIB.
    let sec = if rng.gen_bool(0.9) {
        rng.gen_range(5 * HOUR..22 * HOUR)
    } else {
        rng.gen_range(0..DAY)
    };
    let created = (START + day * DAY - WIB + sec).max(START);

    let (location, kel) = match rng.gen_range(0..100) {
        0..=9 => (None, any_kelurahan(&mut rng)),
        10..=14 => {
            let (l, k) = location(&mut rng, true);
            (Some(l), k)
        }
        _ => {
            let (l, k) = location(&mut rng, false);
            (Some(l), k)
        }
    };
    let street = location
        .as_ref()
        .and_then(|l| STREETS.iter().find(|s| l.address.starts_with(**s)).copied())
        .unwrap_or_else(|| pick_str(&mut rng, STREETS));
    let fill = Fill::draw(&mut rng, street, kel);
    let mut title = fill.apply(title_t);
    if rng.gen_bool(0.05) {
        title = title.to_lowercase();
    }
    let text = fill.apply(text_t);
    let description = description(&mut rng, text);
    let mut photos = photos(&mut rng, &id, created, laporan);
    let user = user(&mut rng);

    // The history after version 1, as far as it got by NOW.
    let mut changes: Vec<(i64, Change)> = Vec::new();
    let mut last = created;
    let edited = rng.gen_bool(0.08);
    if edited {
        last += rng.gen_range(10 * MINUTE..6 * HOUR);
        changes.push((last, Change::Edit));
    }
    let reject = rng.gen_bool(if laporan { 0.12 } else { 0.3 });
    last += rng.gen_range(HOUR..3 * DAY);
    if reject {
        changes.push((last, Change::Status(Status::Rejected)));
    } else {
        changes.push((last, Change::Status(Status::Accepted)));
        last += rng.gen_range(DAY..10 * DAY);
        changes.push((last, Change::Status(Status::InProgress)));
        last += rng.gen_range(DAY..30 * DAY);
        changes.push((last, Change::Status(Status::Done)));
    }
    changes.retain(|(t, _)| *t <= NOW);
    if rng.gen_bool(0.055) {
        let from = changes.last().map_or(created, |(t, _)| *t);
        let at = (from + rng.gen_range(HOUR..20 * DAY)).min(NOW);
        if at > from {
            changes.push((at, Change::Delete));
        }
    }

    // An edit adds a photo to version 1's (so version 1 has one fewer) or a sentence.
    let added_photo = edited && !photos.is_empty();
    let photo = if added_photo { photos.pop() } else { None };
    let first = Report {
        id: id.clone(),
        version: 1,
        kind,
        area: topic.area.as_str(),
        title,
        description,
        status: Status::Submitted,
        location,
        photos,
        user,
        created_at: format_time(created),
        updated_at: format_time(created),
    };
    let mut h = History {
        id,
        kind,
        versions: vec![Version {
            at: created,
            body: Body::Live(Box::new(first)),
        }],
    };
    for (at, change) in changes {
        match change {
            Change::Status(s) => h.push_status(at, Some(s)),
            Change::Delete => h.push_status(at, None),
            Change::Edit => {
                let Some(mut r) = h.live().cloned() else {
                    continue;
                };
                r.version += 1;
                r.updated_at = format_time(at);
                match &photo {
                    Some(p) => r.photos.push(p.clone()),
                    None => r
                        .description
                        .push_str(" Tambahan: kondisinya makin parah setelah hujan semalam."),
                }
                h.versions.push(Version {
                    at,
                    body: Body::Live(Box::new(r)),
                });
            }
        }
    }
    h
}

/// The next version [`RunningSim::smart_city_update_reports`](crate::RunningSim::smart_city_update_reports)
/// gives a live report: its next status, or (after `done`/`rejected`, and now and then
/// anyway) a withdrawal (`None`).
pub(crate) fn next_status<R: Rng>(rng: &mut R, current: Status) -> Option<Status> {
    if rng.gen_bool(0.05) {
        return None;
    }
    match current {
        Status::Submitted if rng.gen_bool(0.15) => Some(Status::Rejected),
        Status::Submitted => Some(Status::Accepted),
        Status::Accepted => Some(Status::InProgress),
        Status::InProgress => Some(Status::Done),
        Status::Done | Status::Rejected => None,
    }
}

/// An officer's bulk action: walking the reports in order of their latest `updated_at`,
/// about one in seven whose latest version is a status change gets the `updated_at` of the
/// report before it (when that stays after its previous version), so runs of reports share
/// one `updated_at`.
pub(crate) fn bulk_actions(seed: u64, reports: &mut [History]) {
    let mut rng = ChaCha8Rng::seed_from_u64(mix64(seed ^ 0x4255_4C4B));
    let mut order: Vec<usize> = (0..reports.len()).collect();
    order.sort_by(|a, b| {
        (reports[*a].updated_at(), &reports[*a].id)
            .cmp(&(reports[*b].updated_at(), &reports[*b].id))
    });
    let mut prev: Option<i64> = None;
    for i in order {
        let h = &mut reports[i];
        let n = h.versions.len();
        if let (Some(p), true) = (prev, n >= 2) {
            let is_status = h.live().is_some_and(|r| r.status != Status::Submitted);
            let before = h.versions[n - 2].at;
            if is_status && before < p && rng.gen_bool(0.15) {
                h.set_time(n - 1, p);
            }
        }
        prev = Some(h.updated_at());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::PUSKESMAS;

    fn all(seed: u64, n: u32) -> Vec<History> {
        let mut v: Vec<History> = (0..n).map(|i| history(seed, i)).collect();
        bulk_actions(seed, &mut v);
        v
    }

    #[test]
    fn times_are_utc_with_a_z() {
        assert_eq!(format_time(START), "2024-01-01T00:00:00Z");
        assert_eq!(format_time(NOW), "2025-12-31T00:00:00Z");
    }

    #[test]
    fn uuids_are_version_4() {
        let mut rng = report_rng(1, 1);
        for _ in 0..100 {
            let u = uuid_v4(&mut rng);
            assert_eq!(u.len(), 36);
            assert_eq!(&u[14..15], "4");
            assert!(matches!(&u[19..20], "8" | "9" | "a" | "b"), "{u}");
        }
    }

    #[test]
    fn histories_grow_one_version_at_a_time_in_time_order() {
        for h in all(3, 2000) {
            let mut prev_at = i64::MIN;
            let mut prev_status = None;
            for (k, v) in h.versions.iter().enumerate() {
                assert!(v.at > prev_at, "{}: {} !> {}", h.id, v.at, prev_at);
                assert!((START..=NOW).contains(&v.at));
                prev_at = v.at;
                match &v.body {
                    Body::Live(r) => {
                        assert_eq!(r.version as usize, k + 1);
                        assert_eq!(r.id, h.id);
                        assert_eq!(r.updated_at, format_time(v.at));
                        assert!(r.created_at <= r.updated_at);
                        if k == 0 {
                            assert_eq!(r.status, Status::Submitted);
                        }
                        if let Some(p) = prev_status {
                            let ok = matches!(
                                (p, r.status),
                                (Status::Submitted, Status::Submitted)
                                    | (Status::Submitted, Status::Accepted)
                                    | (Status::Submitted, Status::Rejected)
                                    | (Status::Accepted, Status::InProgress)
                                    | (Status::InProgress, Status::Done)
                            );
                            assert!(ok, "{p:?} -> {:?}", r.status);
                        }
                        prev_status = Some(r.status);
                    }
                    Body::Deleted => assert_eq!(k + 1, h.versions.len(), "deletion is last"),
                }
            }
        }
    }

    #[test]
    fn generated_reports_have_the_contract_proportions() {
        let n = 4000u32;
        let reports = all(42, n);
        let (mut laporan, mut no_gps, mut outside, mut deleted, mut html, mut ws) =
            (0, 0, 0, 0, 0, 0);
        let kelurahan: Vec<&String> = reference()
            .kecamatan
            .iter()
            .flat_map(|k| k.kelurahan.iter())
            .collect();
        for h in &reports {
            laporan += usize::from(h.kind == "laporan");
            deleted += usize::from(h.live().is_none());
            let Some(Body::Live(r)) = h.versions.first().map(|v| &v.body) else {
                panic!("version 1 is a report");
            };
            assert!(r.photos.len() <= 3);
            assert!(
                ["+628", "08", "628"]
                    .iter()
                    .any(|p| r.user.phone.starts_with(p)),
                "{}",
                r.user.phone
            );
            html += usize::from(r.description.contains("<p>"));
            ws += usize::from(r.description != r.description.trim());
            match &r.location {
                None => no_gps += 1,
                Some(l) => {
                    let inside =
                        (LAT.0..=LAT.1).contains(&l.lat) && (LNG.0..=LNG.1).contains(&l.lng);
                    if inside {
                        assert!(
                            kelurahan.iter().any(|k| l.address.contains(k.as_str())),
                            "{}",
                            l.address
                        );
                        assert!(l.address.contains("Pekalongan "), "{}", l.address);
                    } else {
                        outside += 1;
                        assert!(l.address.contains("Kab. "), "{}", l.address);
                    }
                }
            }
        }
        let pct = |x: usize| x as f64 * 100.0 / f64::from(n);
        assert!((77.0..83.0).contains(&pct(laporan)), "{}", pct(laporan));
        assert!((8.0..12.0).contains(&pct(no_gps)), "{}", pct(no_gps));
        assert!((3.5..6.5).contains(&pct(outside)), "{}", pct(outside));
        assert!((3.5..7.0).contains(&pct(deleted)), "{}", pct(deleted));
        assert!((5.0..20.0).contains(&pct(html)), "{}", pct(html));
        assert!((5.0..20.0).contains(&pct(ws)), "{}", pct(ws));
    }

    #[test]
    fn title_and_description_name_the_same_places() {
        let mut checked = 0;
        for h in all(5, 2000) {
            let Some(Body::Live(r)) = h.versions.first().map(|v| &v.body) else {
                panic!("version 1 is a report");
            };
            for p in PUSKESMAS.iter().chain(STREETS) {
                if r.title.contains(p) && r.description.contains("Puskesmas ") {
                    checked += 1;
                    assert!(r.description.contains(p), "{} / {}", r.title, r.description);
                }
            }
        }
        assert!(checked > 20, "{checked}");
    }

    #[test]
    fn bulk_actions_make_reports_share_an_updated_at() {
        let reports = all(42, 300);
        let mut times: Vec<i64> = reports.iter().map(History::updated_at).collect();
        times.sort_unstable();
        let ties = times.windows(2).filter(|w| w[0] == w[1]).count();
        assert!(ties >= 10, "{ties}");
    }
}
