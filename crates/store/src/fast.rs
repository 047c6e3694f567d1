//! The sets and maps of the write path, keyed by content hashes and complaint ids.
//!
//! A batch looks each of its keys up several times (against the store's answer, the batches
//! not yet committed, the batch itself); with the standard library's SipHash that was about
//! a twentieth of a sync's CPU. These use foldhash, still seeded at random per process.

/// A hash map of the write path.
pub type HashMap<K, V> = std::collections::HashMap<K, V, foldhash::fast::RandomState>;

/// A hash set of the write path.
pub type HashSet<T> = std::collections::HashSet<T, foldhash::fast::RandomState>;
