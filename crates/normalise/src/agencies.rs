//! Agencies (OPD): canonical names with aliases.

use std::collections::HashMap;

use serde::Deserialize;

use crate::error::{table_err, Result};

/// Canonical agency names by folded alias.
#[derive(Debug, Clone, Default)]
pub struct Agencies {
    by_alias: HashMap<String, String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AgenciesToml {
    agency: Vec<AgencyToml>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AgencyToml {
    name: String,
    #[serde(default)]
    aliases: Vec<String>,
}

fn agency_key(s: &str) -> String {
    let mut key = String::with_capacity(s.len());
    for c in s.chars().filter(|c| c.is_alphanumeric()) {
        crate::text::push_lowercase(&mut key, c);
    }
    key
}

impl Agencies {
    /// Reads `config/agencies.toml`.
    pub fn from_toml(text: &str) -> Result<Self> {
        let parsed: AgenciesToml =
            toml::from_str(text).map_err(|e| table_err("agencies.toml", e))?;
        let mut by_alias = HashMap::new();
        for a in parsed.agency {
            for alias in a.aliases.iter().chain(std::iter::once(&a.name)) {
                if let Some(other) = by_alias.insert(agency_key(alias), a.name.clone()) {
                    if other != a.name {
                        return Err(table_err(
                            "agencies.toml",
                            format!(
                                "alias {alias:?} is given to both {other:?} and {:?}",
                                a.name
                            ),
                        ));
                    }
                }
            }
        }
        Ok(Self { by_alias })
    }

    /// The canonical name for `name`, if it is a known name or alias.
    pub fn canonical(&self, name: &str) -> Option<&str> {
        self.by_alias.get(&agency_key(name)).map(String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aliases_give_the_canonical_name() {
        let a = Agencies::from_toml(include_str!("../../../config/agencies.toml")).unwrap();
        assert_eq!(
            a.canonical("dpupr"),
            Some("Dinas Pekerjaan Umum dan Penataan Ruang Kota Pekalongan")
        );
        assert_eq!(
            a.canonical("DPUPR Kota Pekalongan"),
            a.canonical("Dinas Pekerjaan Umum dan Penataan Ruang Kota Pekalongan")
        );
        assert_eq!(a.canonical("Dinas Entah"), None);
    }

    #[test]
    fn one_alias_for_two_agencies_is_refused() {
        let err = Agencies::from_toml(
            "[[agency]]\nname = \"A\"\naliases = [\"X\"]\n[[agency]]\nname = \"B\"\naliases = [\"x\"]\n",
        )
        .unwrap_err();
        assert!(err.to_string().contains("\"x\""), "{err}");
    }
}
