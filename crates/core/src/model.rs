use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

macro_rules! value_set {
    ($(#[$m:meta])* $name:ident { $($(#[$vm:meta])* $variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($(#[$vm])* $variant),+ }

        impl $name {
            /// Every value, in the order of `unified-model.md`.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The value as stored in the `complaints` table.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }

            /// The value for its stored text, if it is one.
            pub fn parse(s: &str) -> Option<Self> {
                match s { $($text => Some($name::$variant),)+ _ => None }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

value_set!(
    /// What a contact is: `kind` in `complaints`.
    Kind {
        /// A complaint (pengaduan).
        Complaint => "complaint",
        /// An aspiration or proposal (aspirasi, usulan).
        Aspiration => "aspiration",
        /// A request for information.
        InformationRequest => "information_request",
        /// Prank, ghost, wrong number, dropped or spam.
        NonGenuine => "non_genuine",
        /// The source's value matched no mapping.
        Unknown => "unknown",
    }
);

value_set!(
    /// How urgent: `urgency` in `complaints`.
    Urgency {
        /// Gawat darurat.
        Emergency => "emergency",
        /// Gawat tidak darurat.
        Urgent => "urgent",
        /// Everything else.
        Normal => "normal",
    }
);

value_set!(
    /// Where a complaint stands: `status` in `complaints`.
    Status {
        /// Received, not yet verified.
        Received => "received",
        /// Verified by the operator.
        Verified => "verified",
        /// Forwarded to an agency.
        Dispatched => "dispatched",
        /// The agency is working on it.
        InProgress => "in_progress",
        /// Done.
        Resolved => "resolved",
        /// Closed without (further) action.
        Closed => "closed",
        /// Rejected (not eligible, not its authority, spam).
        Rejected => "rejected",
        /// Archived.
        Archived => "archived",
        /// Withdrawn or deleted by the reporter.
        Withdrawn => "withdrawn",
        /// The source's status matched no mapping.
        Unknown => "unknown",
    }
);

value_set!(
    /// What an event in a complaint's history is.
    EventKind {
        /// The report was made.
        Created => "created",
        /// The status changed.
        StatusChange => "status_change",
        /// Forwarded to an agency (disposisi).
        Disposition => "disposition",
        /// An agency's follow-up (tindak lanjut).
        FollowUp => "follow_up",
        /// The reporter replied.
        ReporterReply => "reporter_reply",
        /// A message in a thread.
        Message => "message",
        /// Any other note.
        Note => "note",
    }
);

impl EventKind {
    /// Whether this event is an answer of the city (counts for `first_response_at`).
    pub fn is_response(self) -> bool {
        matches!(self, EventKind::Disposition | EventKind::FollowUp)
    }
}

impl Status {
    /// Whether the complaint is finished (`resolved_at` is set).
    pub fn is_finished(self) -> bool {
        matches!(self, Status::Resolved | Status::Closed)
    }
}

/// Where the source says the complaint is, as written.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SourcePlace {
    /// The city or regency as written (`Kota Pekalongan`, `Kab. Batang`).
    pub city: Option<String>,
    /// The source's own statement that the place is (not) in Kota Pekalongan.
    pub in_city: Option<bool>,
    /// Kecamatan as written.
    pub kecamatan: Option<String>,
    /// Kelurahan as written.
    pub kelurahan: Option<String>,
    /// Free-text address.
    pub address: Option<String>,
    /// WGS84 latitude.
    pub latitude: Option<f64>,
    /// WGS84 longitude.
    pub longitude: Option<f64>,
}

/// One entry of a complaint's history, in the channel's words.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SourceEvent {
    /// When it happened.
    pub at: DateTime<Utc>,
    /// What it is.
    pub kind: EventKind,
    /// Who acted (an agency, `pelapor`, an operator role); never a reporter's name.
    pub actor: Option<String>,
    /// Its text, as received (may hold HTML).
    pub text: Option<String>,
}

/// How a record's identity stands to another's: a source that identifies a record by what
/// it says (a 112 call without a ticket: its call time and caller) until it gives the
/// record its own (the call's ticket, in a rewrite of its day).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Standing {
    /// The record's own identity (most sources: a ticket, a report's number).
    #[default]
    Own,
    /// An identity standing in for one the source may give later: a record that names it
    /// in [`Standing::Replaces`] takes its place (read before or after it, the record under
    /// it is not stored).
    StandIn,
    /// The record's own identity, given since it was known by a stand-in (`external_id`
    /// and `external_id_private` as the record would have without its own): the complaint
    /// stored under the stand-in is this one, and goes.
    Replaces {
        /// The stand-in's `external_id`.
        external_id: String,
        /// The stand-in's `external_id_private`.
        external_id_private: Option<String>,
    },
}

/// A complaint as one channel tells it: typed, but in the channel's own words.
///
/// Built by a connector's `parse`; turned into a [`UnifiedComplaint`] by the normaliser.
/// It carries the reporter's phone and e-mail only so that the normaliser can hash them,
/// and the reporter's names only so that the normaliser can keep them out of the texts it
/// stores; none of them is stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SourceComplaint {
    /// The channel id (`sp4n_lapor`, `cc112`, …).
    pub channel: String,
    /// The source's identity for the complaint.
    pub external_id: String,
    /// A part of the source's identity that must not be stored as written (the caller
    /// number of a 112 call without a ticket): the normaliser appends its keyed hash to
    /// `external_id`, so that the stored id stays stable without holding the number.
    #[serde(default)]
    pub external_id_private: Option<String>,
    /// Whether the identity is one another record may take the place of, or takes the
    /// place of another (see [`Standing`]).
    #[serde(default)]
    pub standing: Standing,
    /// The source's kind label (`PENGADUAN`, `Prank Call`, …).
    pub kind_label: Option<String>,
    /// The source's urgency label (`Gawat Darurat`, …).
    pub urgency_label: Option<String>,
    /// The source's category labels, most general first.
    pub category_labels: Vec<String>,
    /// Whether `category_labels` is a (main, sub) pair of the national taxonomy.
    pub category_national: bool,
    /// Title as received.
    pub title: Option<String>,
    /// Text as received (may hold HTML).
    pub body: Option<String>,
    /// The source's status label, as received.
    pub status_label: String,
    /// Responsible agencies, as written.
    pub agencies: Vec<String>,
    /// The place, as written.
    pub place: SourcePlace,
    /// The reporter's phone number, as written.
    pub reporter_phone: Option<String>,
    /// The reporter's e-mail, as written.
    pub reporter_email: Option<String>,
    /// The reporter's names as the source gives them (a caller's name, a WhatsApp profile
    /// name): never stored; the normaliser hides them where the texts repeat them.
    #[serde(default)]
    pub reporter_names: Vec<String>,
    /// The source's anonim flag.
    pub anonymous: bool,
    /// The source's rahasia / not-public flag.
    pub confidential: bool,
    /// When the citizen reported.
    pub reported_at: DateTime<Utc>,
    /// The source's last change.
    pub updated_at: DateTime<Utc>,
    /// When the source says it was finished, if it says.
    pub resolved_at: Option<DateTime<Utc>>,
    /// When the city first answered, where the source tells it by something other than an
    /// event of the history that [`EventKind::is_response`] (a status only the city's
    /// handling sets); the normaliser takes the earlier of this and the history's first
    /// answer.
    #[serde(default)]
    pub first_response_at: Option<DateTime<Utc>>,
    /// The history.
    pub events: Vec<SourceEvent>,
}

/// [`SourceComplaint::reporter_names`] from a name as a channel's JSON gives it: a string,
/// or none (missing, `null`, or any other value).
pub fn reporter_names(name: Option<&serde_json::Value>) -> Vec<String> {
    name.and_then(serde_json::Value::as_str)
        .map(str::to_string)
        .into_iter()
        .collect()
}

/// The most bytes a source's identity may have (an `external_id`, a fold's group key). The
/// stores index identities, and PostgreSQL's B-tree refuses an entry of more than about 2.7
/// KB with the whole batch it came in, run after run; real ones have a few dozen.
pub const MAX_ID_BYTES: usize = 500;

/// Checks a source's identity `id` (its `field`, of `channel`'s record) against
/// [`MAX_ID_BYTES`]: a longer one is an error naming the record by its first characters.
pub fn check_id(channel: &str, field: &str, id: &str) -> Result<(), crate::FieldError> {
    if id.len() <= MAX_ID_BYTES {
        return Ok(());
    }
    let mut end = 40;
    while !id.is_char_boundary(end) {
        end -= 1;
    }
    Err(crate::FieldError::new(
        channel,
        format!("{}…", &id[..end]),
        field,
        format!(
            "an identity of {} bytes, longer than the {MAX_ID_BYTES} the stores index",
            id.len()
        ),
    ))
}

/// The `complaint_id` of a channel's complaint: `{channel}:{external_id}`, stable forever.
pub fn complaint_id(channel: &str, external_id: &str) -> String {
    format!("{channel}:{external_id}")
}

/// A row of the `complaints` table, without `synced_at` (the store sets it).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[allow(missing_docs)] // the columns are documented in unified-model.md
pub struct UnifiedComplaint {
    pub complaint_id: String,
    pub channel: String,
    pub external_id: String,
    pub kind: Kind,
    pub urgency: Urgency,
    pub category_main: Option<String>,
    pub category_sub: Option<String>,
    pub category_source: String,
    pub category_method: Option<String>,
    pub title: String,
    pub body: String,
    pub status: Status,
    pub status_source: String,
    pub agency: Option<String>,
    pub kecamatan_code: Option<String>,
    pub kelurahan_code: Option<String>,
    pub kecamatan: Option<String>,
    pub kelurahan: Option<String>,
    pub address: Option<String>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub in_city: Option<bool>,
    pub reporter_key: Option<String>,
    pub anonymous: bool,
    pub confidential: bool,
    pub reported_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub first_response_at: Option<DateTime<Utc>>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub incident_id: Option<String>,
}

/// Makes `s` text both stores take alike: U+0000, which PostgreSQL's `text` refuses (its
/// whole batch would fail, and fail again every run), becomes U+FFFD.
pub fn storable(s: &mut String) {
    if s.contains('\0') {
        *s = s.replace('\0', "\u{FFFD}");
    }
}

impl UnifiedComplaint {
    /// Every text column [`storable`].
    pub fn make_storable(&mut self) {
        for s in [
            &mut self.complaint_id,
            &mut self.external_id,
            &mut self.category_source,
            &mut self.title,
            &mut self.body,
            &mut self.status_source,
        ] {
            storable(s);
        }
        for s in [
            &mut self.category_main,
            &mut self.category_sub,
            &mut self.agency,
            &mut self.kecamatan,
            &mut self.kelurahan,
            &mut self.address,
        ]
        .into_iter()
        .flatten()
        {
            storable(s);
        }
    }
}

impl UnifiedEvent {
    /// Every text column [`storable`].
    pub fn make_storable(&mut self) {
        storable(&mut self.complaint_id);
        for s in [&mut self.actor, &mut self.body].into_iter().flatten() {
            storable(s);
        }
    }
}

/// A row of `complaint_events`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UnifiedEvent {
    /// The complaint it belongs to.
    pub complaint_id: String,
    /// When it happened.
    pub occurred_at: DateTime<Utc>,
    /// What it is.
    pub kind: EventKind,
    /// Who acted.
    pub actor: Option<String>,
    /// Plain text.
    pub body: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_value_round_trips_through_its_text() {
        for s in Status::ALL {
            assert_eq!(Status::parse(s.as_str()), Some(*s));
        }
        for k in Kind::ALL {
            assert_eq!(Kind::parse(k.as_str()), Some(*k));
        }
        assert_eq!(Urgency::parse("urgent"), Some(Urgency::Urgent));
        assert_eq!(Status::parse("done"), None);
    }
}

/// What links a stored complaint to the same real-world incident reported through another
/// channel (`incident_id`): one of a reporter's complaints, as the store reads it back for the
/// normaliser's rule (`aduan_normalise::incidents`).
#[derive(Debug, Clone, PartialEq)]
pub struct IncidentCandidate {
    /// Its `complaint_id`.
    pub complaint_id: String,
    /// Its channel.
    pub channel: String,
    /// Its main category.
    pub category_main: String,
    /// When it was reported.
    pub reported_at: DateTime<Utc>,
}
