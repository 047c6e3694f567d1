//! The city's tables for the normaliser: built into the binary, or read from a folder.

use std::path::Path;
use std::sync::Arc;

use aduan_core::Secret;
use aduan_normalise::{Normaliser, Tables};

use crate::registry::Registered;
use crate::{Error, Result};

const WILAYAH: &str = include_str!("../../../reference/wilayah-kota-pekalongan.csv");
const CATEGORIES: &str = include_str!("../../../reference/sp4n-lapor-categories.csv");
const PLACES: &str = include_str!("../../../config/places.toml");
const AGENCIES: &str = include_str!("../../../config/agencies.toml");
const CLASSIFIER: &str = include_str!("../../../config/classifier.toml");

fn read_or(dir: Option<&Path>, name: &str, built_in: &str) -> Result<String> {
    match dir.map(|d| d.join(name)) {
        Some(p) if p.exists() => std::fs::read_to_string(&p).map_err(|e| Error::Config {
            path: p.display().to_string(),
            message: e.to_string(),
        }),
        _ => Ok(built_in.to_string()),
    }
}

/// Loads the normaliser: shared tables and every registered channel's mappings, from
/// `tables_dir` where a file is there, else from the built-in copies. A `tables_dir` that
/// is not a folder is an error: every table would otherwise be the built-in one, an
/// admin's edits silently not read.
pub fn normaliser(
    tables_dir: Option<&Path>,
    channels: &[Registered],
    reporter_key: Secret,
) -> Result<Arc<Normaliser>> {
    if let Some(dir) = tables_dir {
        if !dir.is_dir() {
            let what = if dir.exists() {
                "is not a folder"
            } else {
                "does not exist"
            };
            // Named in full: a relative one was resolved against a folder the admin may
            // not have meant.
            let shown = std::path::absolute(dir).unwrap_or_else(|_| dir.to_path_buf());
            return Err(Error::Config {
                path: shown.display().to_string(),
                message: format!(
                    "the folder [normaliser] tables_dir names {what} (a relative tables_dir \
                     is taken from the configuration file's folder, or the current one when \
                     no file was read); give the folder of the city's tables, or remove \
                     tables_dir to use the built-in ones"
                ),
            });
        }
    }
    let places = read_or(tables_dir, "places.toml", PLACES)?;
    let agencies = read_or(tables_dir, "agencies.toml", AGENCIES)?;
    let classifier = read_or(tables_dir, "classifier.toml", CLASSIFIER)?;
    let mut n = Normaliser::new(
        Tables {
            wilayah_csv: WILAYAH,
            categories_csv: CATEGORIES,
            places_toml: &places,
            agencies_toml: &agencies,
            classifier_toml: &classifier,
        },
        reporter_key,
    )?;
    for c in channels {
        let name = format!("mappings/{}.toml", c.spec.id);
        let text = read_or(tables_dir, &name, c.mappings)?;
        n.add_channel(c.spec.id, &text)?;
    }
    Ok(Arc::new(n))
}

/// The reporter-hash key from `var`, or an error naming the variable.
pub fn reporter_key(var: &str) -> Result<Secret> {
    if let Some(problem) = Secret::not_a_name(var) {
        return Err(Error::Config {
            path: "[normaliser] reporter_key_env".into(),
            message: format!(
                "the reporter-hash key is read from an environment variable: {problem}"
            ),
        });
    }
    if let Some(flaw) = Secret::unusable(var) {
        return Err(Error::Config {
            path: "environment".into(),
            message: format!("the reporter-hash key is read from {var}, which is {flaw}"),
        });
    }
    let key = Secret::from_env(var).ok_or_else(|| Error::Config {
        path: "environment".into(),
        message: format!(
            "the reporter-hash key is read from {var}, which is {}; set it to a long random secret (and keep it: changing it changes every reporter_key)",
            Secret::why_missing(var)
        ),
    })?;
    // A short key can be guessed, and with it every reporter_key reversed by hashing the
    // city's phone numbers (about 10^11) in turn.
    if key.expose().len() < MIN_REPORTER_KEY {
        return Err(Error::Config {
            path: "environment".into(),
            message: format!(
                "the reporter-hash key in {var} is shorter than {MIN_REPORTER_KEY} bytes: set it to a long random secret (`openssl rand -hex 32`)"
            ),
        });
    }
    Ok(key)
}

/// The shortest reporter-hash key taken, in bytes.
pub const MIN_REPORTER_KEY: usize = 16;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_short_reporter_key_is_refused_without_being_shown() {
        let var = "ADUAN_TEST_SHORT_REPORTER_KEY";
        std::env::set_var(var, "k3y-short");
        let e = reporter_key(var).unwrap_err().to_string();
        assert!(
            e.contains("shorter than 16") && !e.contains("k3y-short"),
            "{e}"
        );
        std::env::set_var(var, "0123456789abcdef");
        assert!(reporter_key(var).is_ok());
        std::env::remove_var(var);
    }

    #[test]
    fn a_reporter_key_with_a_line_end_is_refused_without_being_shown() {
        let var = "ADUAN_TEST_REPORTER_KEY_LINE_END";
        for value in [
            "0123456789abcdef0123\n",
            "0123456789abcdef0123\r",
            " 0123456789abcdef0123",
        ] {
            std::env::set_var(var, value);
            let e = reporter_key(var).unwrap_err().to_string();
            assert!(
                e.contains(var) && !e.contains("0123456789"),
                "{value:?}: {e}"
            );
        }
        std::env::remove_var(var);
    }

    #[test]
    fn the_built_in_tables_load_for_every_channel() {
        let n = normaliser(None, &crate::registry::registry(), Secret::new("k")).unwrap();
        assert!(format!("{n:?}").contains("sp4n_lapor"));
        assert!(!format!("{n:?}").contains("\"k\""));
    }

    /// Review: a `tables_dir` that was not there was ignored, every table the built-in one.
    #[test]
    fn a_tables_dir_that_is_not_a_folder_is_an_error_naming_it() {
        let here = Path::new(env!("CARGO_MANIFEST_DIR"));
        for dir in [here.join("no-such-tables"), here.join("Cargo.toml")] {
            let e = normaliser(Some(&dir), &crate::registry::registry(), Secret::new("k"))
                .expect_err("not a folder");
            let msg = e.to_string();
            assert!(matches!(e, Error::Config { .. }), "{msg}");
            assert!(
                msg.contains(&dir.display().to_string()) && msg.contains("tables_dir"),
                "{msg}"
            );
        }
    }

    #[test]
    fn the_repository_tables_folder_loads() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../config");
        normaliser(Some(&dir), &crate::registry::registry(), Secret::new("k")).unwrap();
    }
}
