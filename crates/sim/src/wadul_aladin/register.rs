//! The complaint team's case register: its rows, their dates in WIB as the sheet shows
//! them, the CSV it is published as, and a case's next step.
//!
//! A case's dates keep one rule the connector relies on: the date that can close the case
//! (`Tanggal Tindak Lanjut`; a case closed without it closed at a time the register does not
//! say) is, as the connector reads it, never before the last message of the case's thread
//! ([`Case::floor`]). A closed case therefore never cuts its own thread in two.

use rand::Rng;

use super::topics::notes;
use crate::text::pick_str;

/// WIB is UTC+7.
pub(crate) const WIB: i64 = 7 * HOUR;
pub(crate) const MINUTE: i64 = 60;
pub(crate) const HOUR: i64 = 3600;
pub(crate) const DAY: i64 = 86_400;
/// 2025-12-31 23:59:59 WIB: no date of the register is later.
pub(crate) const END: i64 = 1_767_200_399;

/// The register's header, exactly.
pub(crate) const HEADER: [&str; 13] = [
    "No Aduan",
    "Timestamp",
    "ID Pesan Pertama",
    "No WA",
    "Nama",
    "Ringkasan Aduan",
    "Kategori",
    "OPD Tujuan",
    "Status",
    "Tanggal Diteruskan",
    "Tanggal Tindak Lanjut",
    "Tindak Lanjut",
    "Catatan",
];

/// A case's `Status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Status {
    Baru,
    Diverifikasi,
    DijawabTim,
    Diteruskan,
    Dikembalikan,
    Ditindaklanjuti,
    Selesai,
    Diarsipkan,
}

impl Status {
    /// The register's spelling.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Status::Baru => "Baru",
            Status::Diverifikasi => "Diverifikasi",
            Status::DijawabTim => "Dijawab Tim",
            Status::Diteruskan => "Diteruskan ke OPD",
            Status::Dikembalikan => "Dikembalikan",
            Status::Ditindaklanjuti => "Ditindaklanjuti",
            Status::Selesai => "Selesai",
            Status::Diarsipkan => "Diarsipkan",
        }
    }

    /// A closed case: the sender's next message starts a new complaint.
    pub(crate) fn closes(self) -> bool {
        matches!(
            self,
            Status::Selesai | Status::DijawabTim | Status::Diarsipkan
        )
    }
}

/// A date of the register: a time, written with or without the time of day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Stamp {
    pub(crate) at: i64,
    /// Written `d/m/yyyy`: read back as midnight WIB of that day.
    pub(crate) date_only: bool,
}

impl Stamp {
    pub(crate) fn full(at: i64) -> Self {
        Self {
            at,
            date_only: false,
        }
    }

    /// Sometimes written as a date only, when that still reads as no earlier than `floor`.
    pub(crate) fn draw<R: Rng>(rng: &mut R, at: i64, floor: i64) -> Self {
        let date_only = rng.gen_bool(0.25) && day_start(at) >= floor;
        Self { at, date_only }
    }

    /// The time as the sheet's reader gets it back.
    pub(crate) fn read(self) -> i64 {
        if self.date_only {
            day_start(self.at)
        } else {
            self.at
        }
    }

    fn format(self) -> String {
        if self.date_only {
            format_date(self.at)
        } else {
            format_time(self.at)
        }
    }
}

/// `at` when it falls in the team's working hours (07:00–21:00 WIB), else the next
/// morning between 07:30 and 08:30 WIB: never earlier than `at`.
pub(crate) fn working<R: Rng>(rng: &mut R, at: i64) -> i64 {
    let sec = (at + WIB).rem_euclid(DAY);
    if (7 * HOUR..21 * HOUR).contains(&sec) {
        return at;
    }
    let morning = if sec >= 21 * HOUR {
        day_start(at) + DAY
    } else {
        day_start(at)
    };
    morning + 7 * HOUR + rng.gen_range(30 * MINUTE..90 * MINUTE)
}

/// Midnight WIB of the day of `at`.
pub(crate) fn day_start(at: i64) -> i64 {
    at - (at + WIB).rem_euclid(DAY)
}

fn wib(at: i64) -> Option<chrono::NaiveDateTime> {
    chrono::DateTime::from_timestamp(at + WIB, 0).map(|d| d.naive_utc())
}

/// `d/m/yyyy H:mm:ss` in WIB.
pub(crate) fn format_time(at: i64) -> String {
    wib(at)
        .map(|d| d.format("%-d/%-m/%Y %-H:%M:%S").to_string())
        .unwrap_or_default()
}

/// `d/m/yyyy` in WIB.
pub(crate) fn format_date(at: i64) -> String {
    wib(at)
        .map(|d| d.format("%-d/%-m/%Y").to_string())
        .unwrap_or_default()
}

/// The year (WIB) of `at`.
pub(crate) fn year(at: i64) -> i32 {
    use chrono::Datelike;
    wib(at).map_or(2024, |d| d.year())
}

/// One row of the register.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Case {
    /// `No Aduan`, `WA-YYYY-NNNN` (given once all cases are made).
    pub(crate) no: String,
    /// `Timestamp`.
    pub(crate) made_at: i64,
    /// `ID Pesan Pertama`; `None` for a case typed in by hand.
    pub(crate) first_wamid: Option<String>,
    /// `No WA` as the team typed it; empty when unknown.
    pub(crate) no_wa: String,
    /// The number as digits `62…` (the truth's sender).
    pub(crate) wa_digits: Option<String>,
    pub(crate) nama: String,
    pub(crate) summary: String,
    pub(crate) kategori: &'static str,
    /// `OPD Tujuan` now (empty until forwarded).
    pub(crate) opd: &'static str,
    /// The OPD the case goes to when forwarded.
    pub(crate) topic_opd: &'static str,
    pub(crate) status: Status,
    pub(crate) forwarded: Option<Stamp>,
    pub(crate) followed_up: Option<Stamp>,
    /// `Tindak Lanjut`.
    pub(crate) follow_up: String,
    /// `Catatan`.
    pub(crate) note: String,
    /// The OPD's answer, used when the case gets one.
    pub(crate) reply: String,
    /// The team's own answer, used when the team answers.
    pub(crate) answer: String,
    /// Index of the thread, for a case with a `wamid`.
    pub(crate) thread: Option<usize>,
    /// No date that can close the case reads earlier than this: the thread's last
    /// message (the case's `Timestamp` for a case typed in by hand).
    pub(crate) floor: i64,
}

impl Case {
    /// When the case closed the thread, as the connector reads it: `Tanggal Tindak
    /// Lanjut`; `None` while open, and for a case closed without it (archived, or finished
    /// with only its forwarding dated: some time after it was forwarded that the register
    /// does not say, so the sender's silence ends the thread).
    pub(crate) fn closed_at(&self) -> Option<i64> {
        self.status
            .closes()
            .then(|| self.followed_up.map(Stamp::read))
            .flatten()
    }

    /// The latest time written on the row.
    fn newest(&self) -> i64 {
        [
            Some(self.made_at),
            self.forwarded.map(|s| s.at),
            self.followed_up.map(|s| s.at),
        ]
        .into_iter()
        .flatten()
        .max()
        .unwrap_or(self.made_at)
    }

    /// The row's 13 fields in [`HEADER`] order.
    pub(crate) fn record(&self) -> [String; 13] {
        [
            self.no.clone(),
            format_time(self.made_at),
            self.first_wamid.clone().unwrap_or_default(),
            self.no_wa.clone(),
            self.nama.clone(),
            self.summary.clone(),
            self.kategori.to_string(),
            self.opd.to_string(),
            self.status.as_str().to_string(),
            self.forwarded.map(Stamp::format).unwrap_or_default(),
            self.followed_up.map(Stamp::format).unwrap_or_default(),
            self.follow_up.clone(),
            self.note.clone(),
        ]
    }

    /// Forwarded to the OPD at `at`.
    pub(crate) fn forward<R: Rng>(&mut self, rng: &mut R, at: i64) {
        self.forwarded = Some(Stamp::draw(rng, at, self.floor));
        self.opd = self.topic_opd;
        self.status = Status::Diteruskan;
    }

    /// Answered at `at`, by the team itself or (after forwarding) by the OPD.
    pub(crate) fn follow<R: Rng>(&mut self, rng: &mut R, at: i64, by_team: bool) {
        let floor = self.floor.max(self.forwarded.map_or(i64::MIN, Stamp::read));
        self.followed_up = Some(Stamp::draw(rng, at, floor));
        if by_team {
            self.follow_up.clone_from(&self.answer);
            self.status = Status::DijawabTim;
        } else {
            self.follow_up.clone_from(&self.reply);
            self.status = Status::Ditindaklanjuti;
        }
    }

    /// Moves an open case one step on, as the team and the OPD work: its new dates after
    /// everything on the row and after the thread's last message. Returns `false` for a
    /// closed case (nothing changes).
    pub(crate) fn step<R: Rng>(&mut self, rng: &mut R) -> bool {
        let base = self.newest().max(self.floor);
        let after = base + rng.gen_range(2 * HOUR..3 * DAY);
        let at = working(rng, after).min(END).max(base + MINUTE);
        match self.status {
            Status::Baru => {
                self.status = Status::Diverifikasi;
                self.note = pick_str(rng, notes::VERIFIED).to_string();
            }
            Status::Diverifikasi => {
                if rng.gen_bool(0.6) {
                    self.forward(rng, at);
                } else {
                    self.follow(rng, at, true);
                }
            }
            Status::Diteruskan => {
                if rng.gen_bool(0.8) {
                    self.follow(rng, at, false);
                } else {
                    self.status = Status::Dikembalikan;
                    self.note = pick_str(rng, notes::RETURNED).to_string();
                }
            }
            Status::Dikembalikan => {
                if rng.gen_bool(0.6) {
                    self.forward(rng, at);
                    self.note = "Diteruskan ulang setelah dilengkapi pelapor".into();
                } else {
                    // Closed at a time the register does not say (after its forwarding).
                    self.status = Status::Diarsipkan;
                    self.note = notes::ARCHIVED[0].into();
                }
            }
            Status::Ditindaklanjuti => {
                self.status = Status::Selesai;
                self.note = pick_str(rng, notes::DONE).to_string();
            }
            Status::DijawabTim | Status::Selesai | Status::Diarsipkan => return false,
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_written_in_wib_without_leading_zeros() {
        // 2024-03-05T02:07:09Z = 5 March 2024, 09:07:09 WIB.
        let t = 1_709_604_429;
        assert_eq!(format_time(t), "5/3/2024 9:07:09");
        assert_eq!(format_date(t), "5/3/2024");
        assert_eq!(format_time(END), "31/12/2025 23:59:59");
        assert_eq!(format_time(day_start(t)), "5/3/2024 0:00:00");
        assert_eq!(year(1_704_041_999), 2023);
        assert_eq!(year(1_704_042_000), 2024);
    }

    #[test]
    fn working_hours_move_times_forward_to_the_morning() {
        let mut rng = <rand_chacha::ChaCha8Rng as rand::SeedableRng>::seed_from_u64(4);
        let noon = 1_709_604_429 + 3 * HOUR; // 12:07:09 WIB
        assert_eq!(working(&mut rng, noon), noon);
        for at in [noon + 10 * HOUR, noon + 15 * HOUR, noon - 6 * HOUR] {
            let w = working(&mut rng, at);
            assert!(w >= at);
            let sec = (w + WIB).rem_euclid(DAY);
            assert!((7 * HOUR + 30 * MINUTE..8 * HOUR + 30 * MINUTE).contains(&sec));
            assert!(w - at < DAY);
        }
    }

    #[test]
    fn a_date_only_stamp_is_never_read_before_its_floor() {
        let mut rng = <rand_chacha::ChaCha8Rng as rand::SeedableRng>::seed_from_u64(3);
        let mut date_only = 0;
        for i in 0..2000 {
            let floor = 1_709_604_429 + i * 977;
            let s = Stamp::draw(&mut rng, floor + i * 131, floor);
            assert!(s.read() >= floor);
            date_only += usize::from(s.date_only);
        }
        assert!(date_only > 100, "{date_only}");
    }
}
