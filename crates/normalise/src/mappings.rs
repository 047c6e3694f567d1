//! A channel's mapping tables (`config/mappings/<channel>.toml`).

use std::collections::HashMap;

use aduan_core::{Kind, Status, Urgency};
use serde::Deserialize;

use crate::categories::Taxonomy;
use crate::error::{table_err, Result};
/// The key a channel's label is matched by (see [`aduan_core::label::label_key`]): so that
/// `Sampah / Kebersihan` is the table's `Sampah/Kebersihan` (the labels are matched "ignoring
/// letter case and white space", and registers typed by hand space their slashes as they
/// please). No two labels of a table may share a key.
pub(crate) use aduan_core::label::label_key;

/// A section's labels by their keys; two labels of one key are an error of the table.
fn keyed<T>(
    table: &str,
    section: &str,
    entries: impl IntoIterator<Item = Result<(String, T)>>,
) -> Result<HashMap<String, T>> {
    let mut out = HashMap::new();
    let mut labels: HashMap<String, String> = HashMap::new();
    for entry in entries {
        let (label, value) = entry?;
        let key = label_key(&label);
        if let Some(other) = labels.insert(key.clone(), label.clone()) {
            return Err(table_err(
                table,
                format!(
                    "[{section}] {other:?} and {label:?} are one label (case and white space ignored)"
                ),
            ));
        }
        out.insert(key, value);
    }
    Ok(out)
}

/// One channel's tables, keys as `label_key` gives them (case and white space ignored).
#[derive(Debug, Clone)]
pub struct ChannelMappings {
    pub(crate) default_kind: Option<Kind>,
    pub(crate) status: HashMap<String, Status>,
    pub(crate) kind: HashMap<String, Kind>,
    pub(crate) kind_by_status: HashMap<String, Kind>,
    pub(crate) urgency: HashMap<String, Urgency>,
    /// Label key -> canonical pair, or `None` for "no national category".
    pub(crate) categories: HashMap<String, Option<(String, String)>>,
    /// Label key -> the other main categories a broad label covers (`[main, sub, other
    /// main, …]`: Pantau Pekalongan's `sosial_lingkungan`, social welfare and the
    /// environment), whose specific pairs the classifier may find as the first's.
    pub(crate) also_mains: HashMap<String, Vec<String>>,
    /// The channel's labels are broad sectors: one mapped to a catch-all (`LAINNYA TERKAIT
    /// …`) is made specific by the text classifier when it finds a specific pair.
    pub(crate) broad_categories: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct MappingsToml {
    default_kind: Option<String>,
    #[serde(default)]
    broad_categories: bool,
    #[serde(default)]
    status: HashMap<String, String>,
    #[serde(default)]
    kind: HashMap<String, String>,
    #[serde(default)]
    kind_by_status: HashMap<String, String>,
    #[serde(default)]
    urgency: HashMap<String, String>,
    #[serde(default)]
    categories: HashMap<String, Vec<String>>,
}

fn values<T>(
    table: &str,
    section: &str,
    map: HashMap<String, String>,
    parse: fn(&str) -> Option<T>,
) -> Result<HashMap<String, T>> {
    let entries = map.into_iter().map(|(label, value)| {
        let v = parse(&value).ok_or_else(|| {
            table_err(
                table,
                format!("[{section}] {label:?} = {value:?}: not a value of the unified model"),
            )
        })?;
        Ok((label, v))
    });
    keyed(table, section, entries)
}

impl ChannelMappings {
    /// Reads a channel's table; category pairs are checked against the taxonomy.
    pub fn from_toml(channel: &str, text: &str, taxonomy: &Taxonomy) -> Result<Self> {
        let table = format!("mappings/{channel}.toml");
        let t: MappingsToml = toml::from_str(text).map_err(|e| table_err(&table, e))?;
        let default_kind = t
            .default_kind
            .map(|k| {
                Kind::parse(&k).ok_or_else(|| table_err(&table, format!("default_kind {k:?}")))
            })
            .transpose()?;
        let mut also = Vec::new();
        let categories = t
            .categories
            .into_iter()
            .map(|(label, pair)| {
                let mapped = match pair.as_slice() {
                    [] => None,
                    [main, sub, others @ ..] => {
                        let mapped = taxonomy.canonical(main, sub).ok_or_else(|| {
                            table_err(
                                &table,
                                format!(
                                    "[categories] {label:?}: ({main:?}, {sub:?}) is not in the national taxonomy"
                                ),
                            )
                        })?;
                        let others = others
                            .iter()
                            .map(|o| {
                                taxonomy.main(o).ok_or_else(|| {
                                    table_err(
                                        &table,
                                        format!(
                                            "[categories] {label:?}: {o:?} is not a main category of the national taxonomy"
                                        ),
                                    )
                                })
                            })
                            .collect::<Result<Vec<_>>>()?;
                        if !others.is_empty() {
                            also.push((label.clone(), others));
                        }
                        Some(mapped)
                    }
                    _ => {
                        return Err(table_err(
                            &table,
                            format!(
                                "[categories] {label:?}: give [main, sub], [main, sub, other main, …] or []"
                            ),
                        ))
                    }
                };
                Ok((label, mapped))
            });
        let categories = keyed(&table, "categories", categories)?;
        let also_mains = keyed(&table, "categories", also.into_iter().map(Ok))?;
        Ok(Self {
            default_kind,
            status: values(&table, "status", t.status, Status::parse)?,
            kind: values(&table, "kind", t.kind, Kind::parse)?,
            kind_by_status: values(&table, "kind_by_status", t.kind_by_status, Kind::parse)?,
            urgency: values(&table, "urgency", t.urgency, Urgency::parse)?,
            categories,
            also_mains,
            broad_categories: t.broad_categories,
        })
    }
}
