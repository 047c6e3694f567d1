//! The shared vocabulary of Aduan.
//!
//! Everything the other crates agree on lives here and nowhere else: the value sets of the
//! unified model ([`Kind`], [`Urgency`], [`Status`]), the record a connector hands over
//! ([`SourceComplaint`]), the raw payload it archives ([`RawRecord`]), the connector traits
//! ([`PullConnector`], [`BatchSource`]) and [`Secret`]. This crate depends on no other crate
//! of the project.
//!
//! ```
//! use aduan_core::{Status, Secret};
//! assert_eq!(Status::InProgress.as_str(), "in_progress");
//! let key = Secret::new("hunter2");
//! assert_eq!(format!("{key:?}"), "Secret(***)");
//! ```
#![deny(missing_docs)]

pub mod address;
mod connector;
pub mod contacts;
mod error;
pub mod json;
pub mod label;
pub mod links;
pub mod lookback;
mod model;
pub mod phone;
pub mod schedule;
mod secret;
pub mod time;

pub use connector::{
    settings, Batch, BatchSource, BuildFn, ChannelSpec, DynPullConnector, FaultCounts, Fold,
    Folded, InFlight, ParseFn, PullConnector, PushSink, RawRecord, Span, StandIns, Window,
};
pub use error::{check_within, Error, FieldError, RecordIdentity, Result};
pub use model::{
    check_id, complaint_id, reporter_names, storable, EventKind, IncidentCandidate, Kind,
    SourceComplaint, SourceEvent, SourcePlace, Standing, Status, UnifiedComplaint, UnifiedEvent,
    Urgency, MAX_ID_BYTES,
};
pub use secret::Secret;
