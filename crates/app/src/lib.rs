//! Aduan's wiring: the configuration file, the channel registry, the city's tables and the
//! progress display. The `aduan` binary is a thin command line over this crate.
//!
//! ```
//! let config = aduan_app::config::AppConfig::from_toml_str("[store]\nurl = \"sqlite:x.db\"\n").unwrap();
//! assert_eq!(config.store.url, "sqlite:x.db");
//! ```
#![deny(missing_docs)]

pub mod config;
mod error;
pub mod progress;
pub mod registry;

/// Malloc arenas a process may have (glibc): a job's threads (the runtime's workers, one per
/// SQLite connection, the writer) would otherwise each get one, and the memory freed in each
/// stays with it. Measured on a rebuild of a million records: glibc's default 33 s at a peak
/// of 179 MB, 4 arenas 35 s at 131 MB, 2 arenas 56 s at 98 MB (the threads then wait on
/// the arenas' locks).
const MALLOC_ARENAS: i32 = 4;

/// Tunes the allocator for a long job; call it first thing in `main`, before any thread
/// starts. Does nothing where the C library is not glibc.
pub fn tune_allocator() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: `mallopt` only sets a parameter of glibc's allocator; called before any other
    // thread exists, nothing allocates concurrently.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, MALLOC_ARENAS);
    }
}
pub mod tables;

pub use error::{Error, Result};
