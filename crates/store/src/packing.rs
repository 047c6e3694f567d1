//! The archive's compact form: a channel's payloads compressed (zstd) with a dictionary
//! trained on that channel's own payloads.
//!
//! A payload of a few hundred bytes to a few kilobytes compresses poorly alone (its field
//! names and common values are never seen twice within it); with a dictionary of what the
//! channel's payloads have in common it shrinks to a fifth to a quarter. Fewer bytes a record
//! are fewer pages for the archive's B-tree, fewer WAL frames and fewer checkpointed pages:
//! the archive was half of what a sync wrote.
//!
//! Each packed payload names its dictionary (`raw_records.dictionary_id`, also in the zstd
//! frame); dictionaries live in `raw_dictionaries` and are written in the same transaction as
//! the first payloads packed with them (every batch of packed payloads carries its
//! dictionary, inserted if missing), so a stored payload can always be read. Payloads stored
//! before a channel had a dictionary, or received one at a time (webhooks), stay plain
//! (`dictionary_id` NULL). The content hash is always the plain payload's.
//!
//! A dictionary is trained on a batch of at least [`MIN_SAMPLES`] payloads new to the
//! archive. A channel whose batches are smaller (a source paced to its rate limit, a loaded
//! machine: the engine hands joined pages over after two seconds) gets one trained on its
//! latest payloads stored plain with the batch that makes them [`MIN_SAMPLES`] (at most
//! [`MAX_SAMPLES`], see [`crate::Store::samples`]); the store counts them as they are
//! archived (see [`crate::Store::plain_payloads_due`]), so no batch reads the archive before.
//! The payloads stored plain before stay plain: repacking them would rewrite rows of the
//! archive, the one copy of what a channel sent, for space gained once, and every reader reads
//! both forms.
//!
//! A channel's payloads can change shape over the years (a new API version, new fields): a
//! later batch of at least [`MIN_SAMPLES`] payloads, or smaller batches added up until they are
//! as many, that keeps more than [`REFIT_FACTOR`] times the share of its bytes the dictionary
//! kept of its first such batch trains a new one (on the batch, or on the channel's latest
//! [`MIN_SAMPLES`] payloads), used from then on if it packs them smaller. Older payloads keep
//! theirs.

use std::fmt;

use zstd::bulk::{Compressor, Decompressor};
use zstd::dict::{DecoderDictionary, EncoderDictionary};

use crate::{Error, Result};

/// Payloads a batch needs before a dictionary is trained on them: fewer train a dictionary
/// that knows too little, and a channel that sends so few records needs no compaction.
pub const MIN_SAMPLES: usize = 1_000;

/// A batch of at least [`MIN_SAMPLES`] payloads whose packed bytes are more than this many
/// times the share its dictionary kept of the first such batch it packed has outgrown the
/// dictionary (the channel's payloads changed shape): a new one is trained on it.
pub const REFIT_FACTOR: f64 = 2.0;

/// Samples a dictionary is trained on, at most (the first of the batch, or of the payloads
/// read from the archive).
pub const MAX_SAMPLES: usize = 2_000;

/// Of a channel's payloads archived as received, the largest read as a sample for its
/// dictionary (see [`crate::Store::samples`]): a payload of photos pasted inline teaches
/// the dictionary nothing of the channel's form, and would hold the sampling's memory.
pub const SAMPLE_PAYLOAD_BYTES: usize = 64 << 10;

/// The bytes of payloads read from the archive as samples for a dictionary, at most: the
/// memory a joined batch may hold.
pub const SAMPLE_BYTES: usize = 64 << 20;

/// A dictionary's largest size: beyond this a few hundred bytes a payload gain little more.
const DICTIONARY_BYTES: usize = 16 * 1024;

/// zstd's level: the fastest that keeps the dictionary's gain (the sync's cores are busy).
const LEVEL: i32 = 1;

/// A payload unpacks to at most this many bytes (a corrupt frame cannot claim more): above
/// the largest a payload can be (the transport takes an answer of at most 256 MiB, a
/// webhook a body of `[service] max_body_bytes`).
const MAX_PAYLOAD: usize = 1 << 30;

/// The room made for a payload whose frame does not say its size (every frame the packer
/// writes says it).
const UNSIZED_ROOM: usize = 64 << 20;

/// A dictionary as stored: its id (zstd's dictionary id, also in each frame packed with
/// it), the channel it was trained for, its bytes.
#[derive(Clone, PartialEq, Eq)]
pub struct Dictionary {
    /// zstd's id of the dictionary.
    pub id: i64,
    /// The channel whose payloads it was trained on.
    pub channel: String,
    /// The dictionary.
    pub bytes: Vec<u8>,
}

impl fmt::Debug for Dictionary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Dictionary")
            .field("id", &self.id)
            .field("channel", &self.channel)
            .field("bytes", &self.bytes.len())
            .finish()
    }
}

fn failed(what: String, e: &impl fmt::Display) -> Error {
    Error::Packing {
        what,
        message: e.to_string(),
    }
}

impl Dictionary {
    /// Trains a dictionary for `channel` on `payloads` (the first `MAX_SAMPLES`); `None`
    /// when there are fewer than [`MIN_SAMPLES`] or zstd cannot train on them (too small or
    /// too alike: the payloads are then stored plain).
    pub fn train(channel: &str, payloads: &[&[u8]]) -> Option<Self> {
        if payloads.len() < MIN_SAMPLES {
            return None;
        }
        let samples = &payloads[..payloads.len().min(MAX_SAMPLES)];
        let bytes = match zstd::dict::from_samples(samples, DICTIONARY_BYTES) {
            Ok(bytes) => bytes,
            Err(e) => {
                tracing::info!(channel, error = %e, "payloads stored plain: no dictionary could be trained");
                return None;
            }
        };
        let id = zstd::zstd_safe::get_dict_id_from_dict(&bytes)?;
        Some(Self {
            id: i64::from(id.get()),
            channel: channel.to_string(),
            bytes,
        })
    }
}

/// Packs payloads with one dictionary.
pub struct Packer {
    dictionary: Dictionary,
    prepared: EncoderDictionary<'static>,
    /// The share of the plain bytes kept on the first batch of at least [`MIN_SAMPLES`]
    /// payloads packed with it (an `f64`'s bits; `u64::MAX` while there was none).
    fit: std::sync::atomic::AtomicU64,
    /// Batches of fewer than [`MIN_SAMPLES`] payloads packed with it, added up until they are
    /// as many (see [`Packer::outgrown_by`]): their payloads, plain bytes and packed bytes.
    window: std::sync::Mutex<(usize, usize, usize)>,
}

impl fmt::Debug for Packer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Packer").field(&self.dictionary).finish()
    }
}

impl Packer {
    /// A packer with `dictionary`.
    pub fn new(dictionary: Dictionary) -> Result<Self> {
        let prepared = EncoderDictionary::try_copy(&dictionary.bytes, LEVEL).map_err(|e| {
            failed(
                format!(
                    "preparing dictionary {} of {}",
                    dictionary.id, dictionary.channel
                ),
                &e,
            )
        })?;
        Ok(Self {
            dictionary,
            prepared,
            fit: std::sync::atomic::AtomicU64::new(u64::MAX),
            window: std::sync::Mutex::new((0, 0, 0)),
        })
    }

    /// Whether a batch of `payloads` payloads packed to `share` of their plain bytes has
    /// outgrown the dictionary (see [`REFIT_FACTOR`]). The first batch of at least
    /// [`MIN_SAMPLES`] it is told of sets what fits; smaller batches never count.
    pub fn outgrown(&self, payloads: usize, share: f64) -> bool {
        use std::sync::atomic::Ordering;
        if payloads < MIN_SAMPLES || !share.is_finite() {
            return false;
        }
        match self.fit.compare_exchange(
            u64::MAX,
            share.to_bits(),
            Ordering::AcqRel,
            Ordering::Acquire,
        ) {
            Ok(_) => false,
            Err(fit) => share > f64::from_bits(fit) * REFIT_FACTOR,
        }
    }

    /// Whether a batch of `payloads` payloads of `plain` bytes, packed to `packed`, has
    /// outgrown the dictionary, as [`outgrown`](Self::outgrown) says; batches of fewer than
    /// [`MIN_SAMPLES`] are added up and judged as one once they are as many (a channel whose
    /// batches are small: its payloads that changed shape would otherwise be packed badly for
    /// ever). A batch judged with those before it is then to be refitted on the channel's
    /// latest payloads, not on itself alone.
    pub fn outgrown_by(&self, payloads: usize, plain: usize, packed: usize) -> bool {
        let share = |plain: usize, packed: usize| packed as f64 / plain.max(1) as f64;
        if payloads >= MIN_SAMPLES {
            return self.outgrown(payloads, share(plain, packed));
        }
        let (n, before, after) = {
            let mut w = self
                .window
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            w.0 += payloads;
            w.1 += plain;
            w.2 += packed;
            if w.0 < MIN_SAMPLES {
                return false;
            }
            std::mem::take(&mut *w)
        };
        self.outgrown(n, share(before, after))
    }

    /// Takes `share` as what fits from now on: what a new dictionary kept of the batch it
    /// was trained on, or what this one kept of a batch a new one did no better on (the
    /// channel's payloads are what they are).
    pub fn settle(&self, share: f64) {
        self.fit
            .store(share.to_bits(), std::sync::atomic::Ordering::Release);
    }

    /// The dictionary it packs with.
    pub fn dictionary(&self) -> &Dictionary {
        &self.dictionary
    }

    /// A compressor for many payloads (one zstd context, reused).
    pub fn packing(&self) -> Result<Packing<'_>> {
        let what = || format!("compressing payloads of {}", self.dictionary.channel);
        let mut c =
            Compressor::with_prepared_dictionary(&self.prepared).map_err(|e| failed(what(), &e))?;
        // The frame's checksum would only repeat the content hash kept beside it.
        c.include_checksum(false).map_err(|e| failed(what(), &e))?;
        Ok(Packing {
            compressor: c,
            packer: self,
        })
    }
}

/// Compresses payloads with a [`Packer`]'s dictionary.
pub struct Packing<'a> {
    compressor: Compressor<'a>,
    packer: &'a Packer,
}

impl Packing<'_> {
    /// `payload` packed, and the id of the dictionary it needs.
    pub fn pack(&mut self, payload: &[u8]) -> Result<(Vec<u8>, i64)> {
        let packed = self.compressor.compress(payload).map_err(|e| {
            failed(
                format!(
                    "compressing a payload of {}",
                    self.packer.dictionary.channel
                ),
                &e,
            )
        })?;
        Ok((packed, self.packer.dictionary.id))
    }
}

/// Dictionaries prepared for reading, by id.
#[derive(Default)]
pub(crate) struct Unpackers {
    prepared: std::sync::Mutex<
        std::collections::HashMap<i64, std::sync::Arc<DecoderDictionary<'static>>>,
    >,
}

impl fmt::Debug for Unpackers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Unpackers")
    }
}

impl Unpackers {
    /// The prepared dictionary `id`, if read before.
    pub(crate) fn get(&self, id: i64) -> Option<std::sync::Arc<DecoderDictionary<'static>>> {
        self.prepared
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(&id)
            .cloned()
    }

    /// Prepares and keeps dictionary `id`.
    pub(crate) fn add(
        &self,
        id: i64,
        bytes: &[u8],
    ) -> Result<std::sync::Arc<DecoderDictionary<'static>>> {
        let prepared = std::sync::Arc::new(
            DecoderDictionary::try_copy(bytes)
                .map_err(|e| failed(format!("preparing dictionary {id} for reading"), &e))?,
        );
        self.prepared
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(id, prepared.clone());
        Ok(prepared)
    }
}

/// The size a packed payload says it unpacks to (every frame the packer writes says it), or
/// `None` when its frame does not say.
pub(crate) fn unpacked_size(packed: &[u8]) -> Option<u64> {
    zstd::zstd_safe::get_frame_content_size(packed)
        .ok()
        .flatten()
}

/// Unpacks payloads packed with one dictionary.
pub(crate) struct Unpacking<'a> {
    decompressor: Decompressor<'a>,
    /// The dictionary's id (named when a payload does not unpack).
    id: i64,
}

impl<'a> Unpacking<'a> {
    /// A decompressor for payloads packed with `dictionary`.
    pub(crate) fn new(dictionary: &'a DecoderDictionary<'static>, id: i64) -> Result<Self> {
        let mut decompressor =
            Decompressor::new().map_err(|e| failed(format!("reading with dictionary {id}"), &e))?;
        decompressor
            .set_prepared_dictionary(dictionary)
            .map_err(|e| failed(format!("reading with dictionary {id}"), &e))?;
        Ok(Self { decompressor, id })
    }

    /// Raw record `raw_id`'s payload, unpacked.
    pub(crate) fn unpack(&mut self, raw_id: i64, packed: &[u8]) -> Result<Vec<u8>> {
        // Room for the size the frame says, no more (a payload over 64 MiB was packed and
        // then could not be unpacked into a fixed 64 MiB).
        let room = match zstd::zstd_safe::get_frame_content_size(packed) {
            Ok(Some(size)) => usize::try_from(size).map_or(MAX_PAYLOAD, |s| s.min(MAX_PAYLOAD)),
            _ => UNSIZED_ROOM,
        };
        self.decompressor.decompress(packed, room).map_err(|e| {
            failed(
                format!(
                    "unpacking raw record {raw_id} (packed with dictionary {})",
                    self.id
                ),
                &e,
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn payloads(n: usize) -> Vec<Vec<u8>> {
        (0..n).map(crate::testing::report_payload).collect()
    }

    /// `n` payloads, a dictionary trained on them, and its packer.
    fn trained(n: usize) -> (Vec<Vec<u8>>, Dictionary, Packer) {
        let all = payloads(n);
        let refs: Vec<&[u8]> = all.iter().map(Vec::as_slice).collect();
        let dictionary = Dictionary::train("sp4n_lapor", &refs).expect("a dictionary");
        let packer = Packer::new(dictionary.clone()).expect("a packer");
        (all, dictionary, packer)
    }

    #[test]
    fn a_dictionary_is_outgrown_by_a_large_batch_keeping_twice_its_first_share() {
        let all = payloads(1_000);
        let refs: Vec<&[u8]> = all.iter().map(Vec::as_slice).collect();
        let packer = Packer::new(Dictionary::train("sp4n_lapor", &refs).unwrap()).unwrap();
        // Small batches neither set what fits nor outgrow it.
        assert!(!packer.outgrown(MIN_SAMPLES - 1, 0.9));
        // The first large batch sets it; then only more than twice that share outgrows.
        assert!(!packer.outgrown(MIN_SAMPLES, 0.2));
        assert!(!packer.outgrown(MIN_SAMPLES, 0.4));
        assert!(packer.outgrown(MIN_SAMPLES, 0.41));
        assert!(!packer.outgrown(MIN_SAMPLES - 1, 0.9));
        assert!(!packer.outgrown(MIN_SAMPLES, f64::NAN));
        // A share that a new dictionary could not better becomes what fits.
        packer.settle(0.6);
        assert!(!packer.outgrown(MIN_SAMPLES, 0.9));
        assert!(packer.outgrown(MIN_SAMPLES, 1.3));
    }

    #[test]
    fn small_batches_outgrow_a_dictionary_together_once_they_are_as_many_as_a_large_one() {
        // A large batch sets what fits (a fifth); batches of a hundred keeping half of their
        // bytes are judged once they are a thousand, then counted afresh.
        let (_, _, packer) = trained(1_000);
        assert!(!packer.outgrown_by(MIN_SAMPLES, 1_000, 200));
        for _ in 0..9 {
            assert!(!packer.outgrown_by(100, 1_000, 500));
        }
        assert!(packer.outgrown_by(100, 1_000, 500));
        // Counted afresh: small batches that still fit never outgrow it.
        for _ in 0..30 {
            assert!(!packer.outgrown_by(100, 1_000, 300));
        }
        // Where no large batch came, the first thousand of small ones set what fits.
        let (_, _, small) = trained(1_000);
        for _ in 0..10 {
            assert!(!small.outgrown_by(100, 1_000, 200));
        }
        for _ in 0..9 {
            assert!(!small.outgrown_by(100, 1_000, 500));
        }
        assert!(small.outgrown_by(100, 1_000, 500));
    }

    #[test]
    fn packed_payloads_unpack_to_the_same_bytes_and_are_smaller() {
        let all = payloads(1_500);
        let refs: Vec<&[u8]> = all.iter().map(Vec::as_slice).collect();
        let dictionary = Dictionary::train("sp4n_lapor", &refs).expect("a dictionary");
        assert!(dictionary.id > 0);
        assert!(!format!("{dictionary:?}").contains("Pekalongan"));
        let packer = Packer::new(dictionary.clone()).unwrap();
        let mut packing = packer.packing().unwrap();
        let unpackers = Unpackers::default();
        unpackers.add(dictionary.id, &dictionary.bytes).unwrap();
        let prepared = unpackers.get(dictionary.id).expect("kept");
        let mut unpacking = Unpacking::new(&prepared, dictionary.id).unwrap();
        let (mut plain, mut packed) = (0, 0);
        for (i, p) in all.iter().enumerate() {
            let (bytes, id) = packing.pack(p).unwrap();
            assert_eq!(id, dictionary.id);
            assert_eq!(unpacking.unpack(i as i64, &bytes).unwrap(), *p);
            plain += p.len();
            packed += bytes.len();
        }
        assert!(packed * 2 < plain, "{packed} packed bytes of {plain}");
    }

    /// A payload larger than 64 MiB (a report with its photos inline) unpacks as packed.
    #[test]
    fn a_payload_of_many_megabytes_unpacks() {
        let (all, dictionary, packer) = trained(1_200);
        let large: Vec<u8> = all
            .iter()
            .flatten()
            .copied()
            .cycle()
            .take(70 << 20)
            .collect();
        let (bytes, _) = packer.packing().unwrap().pack(&large).unwrap();
        let prepared = DecoderDictionary::copy(&dictionary.bytes);
        let unpacked = Unpacking::new(&prepared, dictionary.id)
            .unwrap()
            .unpack(7, &bytes)
            .unwrap();
        assert!(
            unpacked == large,
            "{} bytes back of {}",
            unpacked.len(),
            large.len()
        );
    }

    #[test]
    fn too_few_payloads_train_no_dictionary() {
        let all = payloads(MIN_SAMPLES - 1);
        let refs: Vec<&[u8]> = all.iter().map(Vec::as_slice).collect();
        assert!(Dictionary::train("sp4n_lapor", &refs).is_none());
    }

    #[test]
    fn a_corrupt_payload_is_an_error_naming_the_record() {
        let (all, dictionary, packer) = trained(1_200);
        let (mut bytes, _) = packer.packing().unwrap().pack(&all[0]).unwrap();
        let n = bytes.len();
        bytes.truncate(n - 3);
        let prepared = DecoderDictionary::copy(&dictionary.bytes);
        let err = Unpacking::new(&prepared, dictionary.id)
            .unwrap()
            .unpack(42, &bytes)
            .unwrap_err()
            .to_string();
        assert!(err.contains("raw record 42"), "{err}");
    }
}
