//! For tests: the normaliser with the city's own tables, as committed in the repository.

use aduan_core::Secret;

use crate::{Normaliser, Tables};

/// The city's tables and SP4N-LAPOR!'s mappings (`config/mappings/sp4n_lapor.toml`), with a
/// test reporter key.
pub fn sp4n_normaliser() -> Normaliser {
    let mut n = Normaliser::new(
        Tables {
            wilayah_csv: include_str!("../../../reference/wilayah-kota-pekalongan.csv"),
            categories_csv: include_str!("../../../reference/sp4n-lapor-categories.csv"),
            places_toml: include_str!("../../../config/places.toml"),
            agencies_toml: include_str!("../../../config/agencies.toml"),
            classifier_toml: include_str!("../../../config/classifier.toml"),
        },
        Secret::new("test-key"),
    )
    .expect("the city's tables load");
    n.add_channel(
        "sp4n_lapor",
        include_str!("../../../config/mappings/sp4n_lapor.toml"),
    )
    .expect("SP4N-LAPOR!'s mappings load");
    n
}
