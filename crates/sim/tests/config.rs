//! What `SimConfig::no_channels` serves, alone and as the base of a configuration that
//! names some channels (as the tests and the benchmarks' configurations are written).

use aduan_sim::{Cc112Config, RunningSim, SimConfig, Simulator};
use reqwest::StatusCode;
use serde_json::{json, Value};

async fn start(config: SimConfig) -> RunningSim {
    Simulator::start(config, "127.0.0.1:0".parse().expect("addr"))
        .await
        .expect("simulator starts")
}

async fn index(sim: &RunningSim) -> Value {
    let res = reqwest::get(format!("{}/", sim.base_url()))
        .await
        .expect("index answers");
    assert_eq!(res.status(), StatusCode::OK);
    res.json().await.expect("index is JSON")
}

/// A path of each channel that its simulator answers (with or without credentials).
fn channel_paths(sim: &RunningSim) -> Vec<String> {
    vec![
        format!("{}/api/v1/laporan", sim.sp4n_base_url()),
        format!("{}/index.json", sim.cc112_url()),
        format!("{}/api/reports", sim.smart_city_base_url()),
        sim.wadul_register_url(),
        format!("{}/api/v2/aduan", sim.lapor_gub_base_url()),
    ]
}

#[tokio::test]
async fn no_channels_serves_the_index_and_no_channel() {
    let sim = start(SimConfig::no_channels()).await;
    let index = index(&sim).await;
    assert_eq!(index["seed"], json!(42));
    // The index lists every channel served, whichever there are.
    assert_eq!(index["channels"], json!({}));
    for url in channel_paths(&sim) {
        let status = reqwest::get(&url).await.expect("answers").status();
        assert_eq!(status, StatusCode::NOT_FOUND, "{url}");
    }
    sim.shutdown().await;
}

#[tokio::test]
async fn a_configuration_on_no_channels_serves_the_channels_it_names_alone() {
    let sim = start(SimConfig {
        seed: 7,
        cc112: Some(Cc112Config::default()),
        ..SimConfig::no_channels()
    })
    .await;
    let index = index(&sim).await;
    assert_eq!(index["seed"], json!(7));
    assert_eq!(index["channels"], json!({ "cc112": "/cc112" }));
    let cc112 = format!("{}/index.json", sim.cc112_url());
    for url in channel_paths(&sim) {
        let status = reqwest::get(&url).await.expect("answers").status();
        if url == cc112 {
            assert_eq!(status, StatusCode::OK, "{url}");
        } else {
            assert_eq!(status, StatusCode::NOT_FOUND, "{url}");
        }
    }
    sim.shutdown().await;
}
