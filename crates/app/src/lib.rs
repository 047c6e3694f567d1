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
pub mod tables;

pub use error::{Error, Result};
