//! The Wadul Aladin simulator over real HTTP on loopback: the case register it serves and
//! the WhatsApp Cloud API webhooks it delivers to a receiver started here.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Arc, Mutex};

use aduan_sim::{
    wadul_signature, RunningSim, SimConfig, Simulator, WadulConfig, WadulDeliveryPlan, WadulFaults,
    WadulTruth,
};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode as AxumStatus};
use axum::routing::post;
use axum::Router;
use chrono::{NaiveDate, NaiveDateTime};
use reqwest::{Client, StatusCode};
use serde_json::Value;
use sha2::{Digest, Sha256};

const SECRET: &str = "wadul-sim-app-secret";
const HEADER: &str = "No Aduan,Timestamp,ID Pesan Pertama,No WA,Nama,Ringkasan Aduan,Kategori,OPD Tujuan,Status,Tanggal Diteruskan,Tanggal Tindak Lanjut,Tindak Lanjut,Catatan";
const STATUSES: [&str; 8] = [
    "Baru",
    "Diverifikasi",
    "Dijawab Tim",
    "Diteruskan ke OPD",
    "Dikembalikan",
    "Ditindaklanjuti",
    "Selesai",
    "Diarsipkan",
];
const CLOSING: [&str; 3] = ["Selesai", "Dijawab Tim", "Diarsipkan"];
const KATEGORI: [&str; 10] = [
    "Jalan",
    "PJU",
    "Drainase",
    "Sampah/Kebersihan",
    "Pendidikan",
    "Kesehatan",
    "Adminduk",
    "Bansos",
    "Air Bersih",
    "Lainnya",
];
const OPD: [&str; 8] = [
    "DPUPR",
    "DLH",
    "Dinkes",
    "Disdukcapil",
    "Dinsos P2KB",
    "Dindik",
    "Perumda Air Minum",
    "",
];
const DAY: i64 = 86_400;

async fn start_with(seed: u64, config: WadulConfig) -> RunningSim {
    let config = SimConfig {
        seed,
        wadul_aladin: Some(config),
        ..SimConfig::no_channels()
    };
    Simulator::start(config, "127.0.0.1:0".parse().expect("addr"))
        .await
        .expect("simulator starts")
}

async fn start() -> RunningSim {
    start_with(42, WadulConfig::default()).await
}

/// A plan that delivers every body once, in time order.
fn clean_plan() -> WadulDeliveryPlan {
    WadulDeliveryPlan {
        duplicate_every: 0,
        bad_signature_every: 0,
        shuffle: false,
        lose_threads_every: 0,
        seed: 1,
    }
}

// ----- the register ---------------------------------------------------------------------

async fn get_register(c: &Client, sim: &RunningSim, auth: Option<&str>) -> reqwest::Response {
    let mut req = c.get(sim.wadul_register_url());
    if let Some(a) = auth {
        req = req.header("Authorization", a);
    }
    req.send().await.expect("register request")
}

async fn register_bytes(c: &Client, sim: &RunningSim) -> Vec<u8> {
    let resp = get_register(c, sim, None).await;
    assert_eq!(resp.status(), StatusCode::OK);
    resp.bytes().await.expect("register body").to_vec()
}

/// One row by column name.
type Row = BTreeMap<String, String>;

/// The rows (strict RFC 4180: 13 fields each) and each row's raw bytes.
fn parse_register(bytes: &[u8]) -> (Vec<Row>, Vec<Vec<u8>>) {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(bytes);
    let mut record = csv::StringRecord::new();
    let mut header: Option<csv::StringRecord> = None;
    let mut rows = Vec::new();
    let mut raws = Vec::new();
    loop {
        let start = reader.position().byte() as usize;
        if !reader.read_record(&mut record).expect("a CSV record") {
            break;
        }
        // The reader stops a record between its `\r` and `\n`.
        let end = reader.position().byte() as usize;
        let raw = bytes[start..end]
            .strip_prefix(b"\n")
            .unwrap_or(&bytes[start..end]);
        assert!(
            raw.ends_with(b"\r") && bytes.get(end) == Some(&b'\n'),
            "records end with CRLF: {:?}",
            String::from_utf8_lossy(raw)
        );
        match &header {
            None => {
                assert_eq!(raw, format!("{HEADER}\r").as_bytes());
                header = Some(record.clone());
            }
            Some(h) => {
                assert_eq!(record.len(), 13, "{record:?}");
                rows.push(
                    h.iter()
                        .zip(record.iter())
                        .map(|(k, v)| (k.to_string(), v.to_string()))
                        .collect(),
                );
                raws.push(raw.to_vec());
            }
        }
    }
    assert!(
        bytes.ends_with(b"\r\n"),
        "the last record ends with CRLF too"
    );
    (rows, raws)
}

/// A register time read as the connector reads it (WIB), in unix seconds.
fn register_time(s: &str) -> Option<i64> {
    let wib = NaiveDateTime::parse_from_str(s, "%d/%m/%Y %H:%M:%S")
        .ok()
        .or_else(|| {
            NaiveDate::parse_from_str(s, "%d/%m/%Y")
                .ok()
                .and_then(|d| d.and_hms_opt(0, 0, 0))
        })?;
    Some(wib.and_utc().timestamp() - 7 * 3600)
}

/// The connector's sender key: digits `62…` of an Indonesian mobile number.
fn sender_key(phone: &str) -> Option<String> {
    let digits: String = phone.chars().filter(char::is_ascii_digit).collect();
    let national = match digits.strip_prefix("62") {
        Some(rest) => rest,
        None => digits.strip_prefix('0')?,
    };
    (national.len() >= 8 && national.starts_with('8')).then(|| format!("62{national}"))
}

/// When a case closes its thread, as the connector reads it.
fn closed_at(row: &Row) -> Option<i64> {
    if !CLOSING.contains(&row["Status"].as_str()) {
        return None;
    }
    let at = ["Tanggal Tindak Lanjut", "Tanggal Diteruskan", "Timestamp"]
        .iter()
        .find(|c| !row[**c].is_empty())
        .expect("a Timestamp");
    Some(register_time(&row[*at]).expect("a register time"))
}

#[tokio::test]
async fn the_register_is_rfc_4180_csv_with_one_row_per_case() {
    let c = Client::new();
    let sim = start().await;
    let truth = sim.wadul_truth(&WadulDeliveryPlan::default());

    let resp = get_register(&c, &sim, None).await;

    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.headers()["content-type"], "text/csv; charset=utf-8");
    let bytes = resp.bytes().await.expect("body");
    let (rows, _) = parse_register(&bytes);
    let cases: Vec<&WadulTruth> = truth.iter().filter(|t| t.case_no.is_some()).collect();
    assert_eq!(rows.len(), cases.len());
    let by_no: HashMap<&str, &WadulTruth> = cases
        .iter()
        .map(|t| (t.case_no.as_deref().expect("case"), *t))
        .collect();

    let mut numbers = HashSet::new();
    let mut forms = HashSet::new();
    let (mut walk_ins, mut no_number, mut newlines, mut quotes, mut commas) = (0, 0, 0, 0, 0);
    let senders: HashSet<&str> = truth
        .iter()
        .filter(|t| !t.external_id.starts_with("WA-"))
        .filter_map(|t| t.sender.as_deref())
        .collect();
    for row in &rows {
        let no = row["No Aduan"].as_str();
        assert!(numbers.insert(no), "{no} twice");
        let (y, n) = no
            .strip_prefix("WA-")
            .and_then(|r| r.split_once('-'))
            .expect("WA-YYYY-NNNN");
        assert!(["2024", "2025"].contains(&y) && n.len() == 4, "{no}");
        assert!(n.parse::<u32>().expect("digits") >= 1);
        let made = register_time(&row["Timestamp"]).expect("Timestamp d/m/yyyy H:mm:ss");
        assert!(row["Timestamp"].contains(':'), "Timestamp has a time");
        assert!((1_704_042_000..=1_767_200_399).contains(&made), "{no}");
        assert!(y == made_year(made).to_string(), "{no} is of its year");
        for col in ["Tanggal Diteruskan", "Tanggal Tindak Lanjut"] {
            if !row[col].is_empty() {
                let t = register_time(&row[col]).expect("a register date");
                assert!((1_704_042_000..=1_767_200_399).contains(&t), "{no} {col}");
            }
        }
        let status = row["Status"].as_str();
        assert!(STATUSES.contains(&status), "{status}");
        assert!(KATEGORI.contains(&row["Kategori"].as_str()));
        assert!(OPD.contains(&row["OPD Tujuan"].as_str()));
        check_status_and_dates(row);

        let t = by_no.get(no).expect("every case is in the truth");
        assert_eq!(t.status, status);
        match row["ID Pesan Pertama"].as_str() {
            "" => {
                walk_ins += 1;
                assert_eq!(t.external_id, no);
                assert_eq!(t.messages, 0);
                match sender_key(&row["No WA"]) {
                    None => {
                        assert_eq!(row["No WA"], "");
                        assert_eq!(t.sender, None);
                        no_number += 1;
                    }
                    Some(k) => {
                        assert!(!senders.contains(k.as_str()), "a number that never wrote");
                        assert_eq!(t.sender.as_deref(), Some(k.as_str()));
                    }
                }
            }
            wamid => {
                assert!(wamid.starts_with("wamid."), "{wamid}");
                assert_eq!(t.external_id, wamid);
                let key = sender_key(&row["No WA"]).expect("a WhatsApp number");
                assert_eq!(t.sender.as_deref(), Some(key.as_str()));
            }
        }
        let wa = row["No WA"].as_str();
        forms.insert(if wa.starts_with("+62 8") && wa.contains('-') {
            "+62 8xx-"
        } else if wa.starts_with("08") {
            "08"
        } else if wa.starts_with("628") {
            "628"
        } else {
            assert_eq!(wa, "");
            "empty"
        });
        for v in row.values() {
            newlines += usize::from(v.contains('\n'));
            quotes += usize::from(v.contains('"'));
            commas += usize::from(v.contains(','));
        }
    }
    assert_eq!(walk_ins, 15);
    assert!((2..=13).contains(&no_number), "{no_number}");
    assert_eq!(forms.len(), 4, "{forms:?}");
    assert!(
        newlines >= 5 && quotes >= 5 && commas >= 20,
        "{newlines} {quotes} {commas}"
    );
    sim.shutdown().await;
}

fn made_year(t: i64) -> i32 {
    use chrono::Datelike;
    chrono::DateTime::from_timestamp(t + 7 * 3600, 0)
        .expect("time")
        .year()
}

/// The status agrees with the dates and texts of the row.
fn check_status_and_dates(row: &Row) {
    let has = |c: &str| !row[c].is_empty();
    let no = &row["No Aduan"];
    match row["Status"].as_str() {
        "Baru" | "Diverifikasi" => {
            assert!(
                !has("Tanggal Diteruskan") && !has("Tanggal Tindak Lanjut"),
                "{no}"
            );
        }
        "Dijawab Tim" => assert!(has("Tanggal Tindak Lanjut") && has("Tindak Lanjut"), "{no}"),
        "Diteruskan ke OPD" | "Dikembalikan" => {
            assert!(
                has("Tanggal Diteruskan") && !has("Tanggal Tindak Lanjut"),
                "{no}"
            );
        }
        "Ditindaklanjuti" | "Selesai" => {
            assert!(
                has("Tanggal Diteruskan") && has("Tanggal Tindak Lanjut"),
                "{no}"
            );
            assert!(has("Tindak Lanjut"), "{no}");
        }
        "Diarsipkan" => assert!(!has("Tanggal Tindak Lanjut") && has("Catatan"), "{no}"),
        other => panic!("status {other}"),
    }
    if has("Tanggal Diteruskan") && row["Kategori"] != "Lainnya" {
        assert!(has("OPD Tujuan"), "{no}: forwarded to an OPD");
    }
    if let (Some(f), Some(t)) = (
        register_time(&row["Tanggal Diteruskan"]),
        register_time(&row["Tanggal Tindak Lanjut"]),
    ) {
        assert!(f <= t, "{no}: forwarded before the follow-up");
    }
}

#[tokio::test]
async fn the_register_needs_exactly_the_configured_authorization() {
    let c = Client::new();
    let auth = "Bearer wadul-register-token";
    let sim = start_with(
        42,
        WadulConfig {
            register_auth: Some(auth.into()),
            ..WadulConfig::default()
        },
    )
    .await;

    let missing = get_register(&c, &sim, None).await;
    let wrong = get_register(&c, &sim, Some("Bearer another-token")).await;
    let case = get_register(&c, &sim, Some("bearer wadul-register-token")).await;
    let right = get_register(&c, &sim, Some(auth)).await;

    assert_eq!(missing.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(case.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(right.status(), StatusCode::OK);
    let body = right.bytes().await.expect("body");
    assert!(body.starts_with(HEADER.as_bytes()));
    assert!(!missing
        .bytes()
        .await
        .expect("body")
        .starts_with(b"No Aduan"));
    let stats = sim.wadul_stats();
    assert_eq!((stats.requests, stats.unauthorized), (4, 3));
    assert_eq!(stats.server_errors, 0);

    // Without register_auth any request is served.
    let open = start().await;
    assert_eq!(
        get_register(&c, &open, Some("Bearer x")).await.status(),
        StatusCode::OK
    );
    assert_eq!(open.wadul_stats().unauthorized, 0);
    open.shutdown().await;
    sim.shutdown().await;
}

#[tokio::test]
async fn the_register_answers_503_on_schedule_and_counts_it() {
    let c = Client::new();
    let sim = start_with(
        42,
        WadulConfig {
            faults: WadulFaults {
                server_error_every: 4,
            },
            ..WadulConfig::default()
        },
    )
    .await;
    let mut statuses = Vec::new();
    for _ in 0..9 {
        statuses.push(get_register(&c, &sim, None).await.status().as_u16());
    }
    assert_eq!(statuses, vec![200, 200, 200, 503, 200, 200, 200, 503, 200]);

    sim.wadul_set_faults(WadulFaults {
        server_error_every: 2,
    });
    let mut statuses = Vec::new();
    for _ in 0..4 {
        statuses.push(get_register(&c, &sim, None).await.status().as_u16());
    }
    assert_eq!(statuses, vec![200, 503, 200, 503], "the schedule restarts");
    let stats = sim.wadul_stats();
    assert_eq!((stats.requests, stats.server_errors), (13, 4));

    sim.wadul_set_faults(WadulFaults::default());
    for _ in 0..5 {
        assert_eq!(get_register(&c, &sim, None).await.status(), StatusCode::OK);
    }
    assert_eq!(sim.wadul_stats().server_errors, 4);
    sim.shutdown().await;
}

/// The status steps a case may take.
fn successor(from: &str, to: &str) -> bool {
    matches!(
        (from, to),
        ("Baru", "Diverifikasi")
            | ("Diverifikasi", "Diteruskan ke OPD" | "Dijawab Tim")
            | ("Diteruskan ke OPD", "Ditindaklanjuti" | "Dikembalikan")
            | ("Dikembalikan", "Diteruskan ke OPD" | "Diarsipkan")
            | ("Ditindaklanjuti", "Selesai")
    )
}

#[tokio::test]
async fn advancing_cases_edits_exactly_their_rows_in_place() {
    let c = Client::new();
    let sim = start().await;
    let before = register_bytes(&c, &sim).await;

    let moved = sim.wadul_advance(12);

    let after = register_bytes(&c, &sim).await;
    assert_eq!(moved.len(), 12);
    let moved_set: HashSet<&str> = moved.iter().map(String::as_str).collect();
    assert_eq!(moved_set.len(), 12, "distinct cases");
    let (old, old_raw) = parse_register(&before);
    let (new, new_raw) = parse_register(&after);
    assert_eq!(old.len(), new.len());
    let mut changed = HashSet::new();
    for (i, (a, b)) in old.iter().zip(&new).enumerate() {
        assert_eq!(a["No Aduan"], b["No Aduan"], "rows stay in place");
        if old_raw[i] == new_raw[i] {
            assert!(!moved_set.contains(a["No Aduan"].as_str()));
            continue;
        }
        changed.insert(a["No Aduan"].clone());
        assert!(
            successor(&a["Status"], &b["Status"]),
            "{} -> {}",
            a["Status"],
            b["Status"]
        );
        for same in [
            "Timestamp",
            "ID Pesan Pertama",
            "No WA",
            "Nama",
            "Ringkasan Aduan",
            "Kategori",
        ] {
            assert_eq!(a[same], b[same], "{same}");
        }
        for date in ["Tanggal Diteruskan", "Tanggal Tindak Lanjut"] {
            if a[date] != b[date] {
                let newest = [
                    &a["Timestamp"],
                    &a["Tanggal Diteruskan"],
                    &a["Tanggal Tindak Lanjut"],
                ]
                .iter()
                .filter_map(|s| register_time(s))
                .max()
                .expect("a Timestamp");
                let t = register_time(&b[date]).expect("a date");
                assert!(t >= newest - DAY, "{date} later than the row's dates");
            }
        }
        check_status_and_dates(b);
    }
    assert_eq!(
        changed,
        moved.iter().cloned().collect::<HashSet<_>>(),
        "exactly the moved rows changed"
    );
    let truth = sim.wadul_truth(&WadulDeliveryPlan::default());
    let status: HashMap<&str, &str> = new
        .iter()
        .map(|r| (r["No Aduan"].as_str(), r["Status"].as_str()))
        .collect();
    for t in truth.iter().filter(|t| t.case_no.is_some()) {
        assert_eq!(t.status, status[t.case_no.as_deref().expect("case")]);
    }

    // Cases move until every one is closed; then nothing moves.
    let mut rounds = 0;
    while !sim.wadul_advance(1000).is_empty() {
        rounds += 1;
        assert!(rounds < 100, "cases keep moving");
    }
    let (end, _) = parse_register(&register_bytes(&c, &sim).await);
    assert!(end.iter().all(|r| CLOSING.contains(&r["Status"].as_str())));
    assert!(sim.wadul_advance(5).is_empty());
    sim.shutdown().await;
}

// ----- webhooks -------------------------------------------------------------------------

#[derive(Default)]
struct Receiver {
    /// Requests answered 503 before any check (to make the sender retry).
    fail_first: Mutex<u32>,
    /// Bodies with a good signature, in arrival order.
    accepted: Mutex<Vec<Bytes>>,
    rejected: Mutex<u64>,
}

fn verify(headers: &HeaderMap, body: &[u8]) -> bool {
    let Some(sig) = headers
        .get("x-hub-signature-256")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("sha256="))
    else {
        return false;
    };
    sig == hex::encode(hmac_sha256(SECRET.as_bytes(), body))
}

async fn receive(State(st): State<Arc<Receiver>>, headers: HeaderMap, raw: Bytes) -> AxumStatus {
    {
        let mut fail = st.fail_first.lock().expect("lock");
        if *fail > 0 {
            *fail -= 1;
            return AxumStatus::SERVICE_UNAVAILABLE;
        }
    }
    if !verify(&headers, &raw) {
        *st.rejected.lock().expect("lock") += 1;
        return AxumStatus::UNAUTHORIZED;
    }
    st.accepted.lock().expect("lock").push(raw);
    AxumStatus::OK
}

async fn receiver(fail_first: u32) -> (String, Arc<Receiver>, tokio::task::JoinHandle<()>) {
    let st = Arc::new(Receiver {
        fail_first: Mutex::new(fail_first),
        ..Receiver::default()
    });
    let app = Router::new()
        .route("/webhooks/wadul-aladin", post(receive))
        .with_state(Arc::clone(&st));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!(
        "http://{}/webhooks/wadul-aladin",
        listener.local_addr().expect("addr")
    );
    let task = tokio::spawn(async move {
        axum::serve(listener, app).await.expect("receiver");
    });
    (url, st, task)
}

/// Delivers with `plan` to a fresh receiver; returns the stats and the accepted bodies.
async fn deliver(
    sim: &RunningSim,
    plan: &WadulDeliveryPlan,
) -> (aduan_sim::DeliveryStats, Vec<Bytes>) {
    let (url, rx, task) = receiver(0).await;
    let stats = sim.wadul_deliver(&url, plan).await;
    task.abort();
    let got = rx.accepted.lock().expect("lock").clone();
    (stats, got)
}

/// An incoming message as a webhook carries it.
#[derive(Clone, Debug)]
struct Msg {
    wamid: String,
    from: String,
    at: i64,
    kind: String,
}

/// The `value` of a body, after checking the envelope.
fn value_of(body: &[u8]) -> Value {
    let v: Value = serde_json::from_slice(body).expect("a JSON body");
    assert_eq!(v["object"], "whatsapp_business_account");
    let entry = v["entry"].as_array().expect("entry");
    assert_eq!(entry.len(), 1);
    assert!(entry[0]["id"].is_string());
    let change = &entry[0]["changes"][0];
    assert_eq!(change["field"], "messages");
    let value = change["value"].clone();
    assert_eq!(value["messaging_product"], "whatsapp");
    assert_eq!(value["metadata"]["display_phone_number"], "62816644000");
    assert!(value["metadata"]["phone_number_id"].is_string());
    value
}

fn messages_of(body: &[u8]) -> Vec<Msg> {
    let value = value_of(body);
    let Some(list) = value["messages"].as_array() else {
        return Vec::new();
    };
    let contacts: HashSet<&str> = value["contacts"]
        .as_array()
        .expect("contacts with messages")
        .iter()
        .map(|c| {
            assert!(c["profile"]["name"].is_string());
            c["wa_id"].as_str().expect("wa_id")
        })
        .collect();
    list.iter()
        .map(|m| {
            let from = m["from"].as_str().expect("from");
            assert!(contacts.contains(from), "a contact per sender");
            let ts = m["timestamp"].as_str().expect("timestamp as a string");
            let kind = m["type"].as_str().expect("type");
            let content = &m[kind];
            match kind {
                "text" => assert!(content["body"].is_string()),
                "image" | "video" | "document" => {
                    for k in ["id", "mime_type", "sha256"] {
                        assert!(content[k].is_string(), "{kind}.{k}");
                    }
                }
                "location" => {
                    assert!(content["latitude"].is_f64() && content["longitude"].is_f64());
                }
                other => panic!("type {other}"),
            }
            Msg {
                wamid: m["id"].as_str().expect("id").to_string(),
                from: from.to_string(),
                at: ts.parse().expect("unix seconds"),
                kind: kind.to_string(),
            }
        })
        .collect()
}

/// A body that carries only delivery receipts.
fn is_statuses_only(body: &[u8]) -> bool {
    let value = value_of(body);
    let Some(statuses) = value["statuses"].as_array() else {
        return false;
    };
    for s in statuses {
        for k in ["id", "status", "timestamp", "recipient_id"] {
            assert!(s[k].is_string(), "statuses[].{k}");
        }
    }
    value.get("messages").is_none() && !statuses.is_empty()
}

/// Every distinct message of the bodies, by `wamid`.
fn all_messages(bodies: &[Bytes]) -> HashMap<String, Msg> {
    bodies
        .iter()
        .flat_map(|b| messages_of(b))
        .map(|m| (m.wamid.clone(), m))
        .collect()
}

/// The truth's threads cut out of the delivered messages: each sender's messages in time
/// order, a thread starting at each `external_id` of the truth. Returns the threads (first
/// wamid -> messages).
fn threads(truth: &[WadulTruth], msgs: &HashMap<String, Msg>) -> BTreeMap<String, Vec<Msg>> {
    let firsts: HashSet<&str> = truth.iter().map(|t| t.external_id.as_str()).collect();
    let mut by_sender: HashMap<&str, Vec<&Msg>> = HashMap::new();
    for m in msgs.values() {
        by_sender.entry(m.from.as_str()).or_default().push(m);
    }
    let mut out: BTreeMap<String, Vec<Msg>> = BTreeMap::new();
    for list in by_sender.values_mut() {
        list.sort_by(|a, b| (a.at, &a.wamid).cmp(&(b.at, &b.wamid)));
        let mut current: Option<String> = None;
        for m in list.iter() {
            if firsts.contains(m.wamid.as_str()) {
                current = Some(m.wamid.clone());
            }
            let first = current
                .clone()
                .expect("a sender's first message starts a thread");
            out.entry(first).or_default().push((*m).clone());
        }
    }
    out
}

#[tokio::test]
async fn webhooks_are_signed_retried_duplicated_and_out_of_order_as_planned() {
    let sim = start().await;
    let plan = WadulDeliveryPlan::default();
    let truth = sim.wadul_truth(&plan);
    let (url, rx, task) = receiver(2).await;

    let stats = sim.wadul_deliver(&url, &plan).await;

    task.abort();
    let got = rx.accepted.lock().expect("lock").clone();
    let distinct: HashSet<&Bytes> = got.iter().collect();
    let bodies = distinct.len() as u64;
    assert!(bodies > 300, "{bodies}");
    assert_eq!(stats.unexpected, 0, "{stats:?}");
    assert_eq!(stats.retried, 2, "{stats:?}");
    assert_eq!(stats.accepted, bodies + bodies / 7, "{stats:?}");
    assert_eq!(stats.rejected, bodies / 11, "{stats:?}");
    assert_eq!(
        stats.sent,
        stats.accepted + stats.rejected + stats.unexpected + stats.retried
    );
    assert_eq!(*rx.rejected.lock().expect("lock"), stats.rejected);
    assert_eq!(got.len() as u64, stats.accepted);

    // Duplicates are the same bytes, sent twice at most.
    let mut copies: HashMap<&Bytes, usize> = HashMap::new();
    for b in &got {
        *copies.entry(b).or_default() += 1;
    }
    assert_eq!(
        copies.values().filter(|n| **n == 2).count() as u64,
        bodies / 7
    );
    assert!(copies.values().all(|n| *n <= 2));

    // Every message of the truth arrived.
    let msgs = all_messages(&got);
    let expected: usize = truth.iter().map(|t| t.messages).sum();
    assert_eq!(msgs.len(), expected);
    let threads = threads(&truth, &msgs);
    for t in truth.iter().filter(|t| t.messages > 0) {
        assert_eq!(
            threads[&t.external_id].len(),
            t.messages,
            "{}",
            t.external_id
        );
    }

    // The shapes of the platform.
    let kinds: HashSet<&str> = msgs.values().map(|m| m.kind.as_str()).collect();
    for k in ["text", "image", "video", "document", "location"] {
        assert!(kinds.contains(k), "{k}");
    }
    let shapes: Vec<(usize, usize)> = distinct
        .iter()
        .map(|b| {
            let v = value_of(b);
            let n = |k: &str| v[k].as_array().map_or(0, Vec::len);
            (n("messages"), n("contacts"))
        })
        .collect();
    assert!(
        shapes.contains(&(2, 1)),
        "two messages of one sender in a body"
    );
    assert!(
        shapes.contains(&(2, 2)),
        "messages of two senders in a body"
    );
    assert!(shapes.iter().filter(|s| **s == (1, 1)).count() as u64 > bodies / 2);
    assert!(distinct.iter().any(|b| is_statuses_only(b)));

    // Out of order: some message arrives before an earlier message of its thread.
    let thread_of: HashMap<&str, &str> = threads
        .iter()
        .flat_map(|(first, ms)| ms.iter().map(move |m| (m.wamid.as_str(), first.as_str())))
        .collect();
    let mut latest: HashMap<&str, i64> = HashMap::new();
    let mut disorder = 0;
    for b in &got {
        for m in messages_of(b) {
            let t = thread_of[m.wamid.as_str()];
            let seen = latest.entry(t).or_insert(i64::MIN);
            if m.at < *seen {
                disorder += 1;
            }
            *seen = (*seen).max(m.at);
        }
    }
    assert!(disorder > 10, "{disorder}");
    sim.shutdown().await;
}

#[tokio::test]
async fn without_shuffle_bodies_come_in_time_order() {
    let sim = start_with(
        3,
        WadulConfig {
            senders: 40,
            ..WadulConfig::default()
        },
    )
    .await;

    let (stats, got) = deliver(&sim, &clean_plan()).await;

    assert_eq!(stats.sent, got.len() as u64);
    assert_eq!(stats.accepted, got.len() as u64);
    let times: Vec<i64> = got
        .iter()
        .filter_map(|b| messages_of(b).iter().map(|m| m.at).max())
        .collect();
    // Four workers may swap neighbours, never more than a few places.
    let mut sorted = times.clone();
    sorted.sort_unstable();
    let off = times.iter().zip(&sorted).filter(|(a, b)| a != b).count();
    assert!(off < times.len() / 4, "{off} of {}", times.len());
    sim.shutdown().await;
}

#[tokio::test]
async fn losing_threads_drops_exactly_their_bodies() {
    let sim = start().await;
    let all = sim.wadul_truth(&clean_plan());
    let plan = WadulDeliveryPlan {
        lose_threads_every: 3,
        ..clean_plan()
    };
    let truth = sim.wadul_truth(&plan);
    let (_, full) = deliver(&sim, &clean_plan()).await;
    let everything = all_messages(&full);
    let threads = threads(&all, &everything);

    let (stats, got) = deliver(&sim, &plan).await;

    assert_eq!(stats.unexpected, 0);
    assert_eq!(stats.accepted, got.len() as u64);
    // The truth changes only in the lost threads' message counts.
    assert_eq!(truth.len(), all.len());
    let mut lost = HashSet::new();
    for (a, t) in all.iter().zip(&truth) {
        assert_eq!(
            (&a.external_id, &a.sender, &a.case_no, &a.status),
            (&t.external_id, &t.sender, &t.case_no, &t.status)
        );
        if a.messages != t.messages {
            assert_eq!(t.messages, 0);
            assert!(t.case_no.is_some(), "only threads with a case are lost");
            lost.insert(t.external_id.clone());
        }
    }
    let threads_with_case = all
        .iter()
        .filter(|t| t.case_no.is_some() && !t.external_id.starts_with("WA-"))
        .count();
    assert_eq!(lost.len(), threads_with_case / 3);
    // Exactly the lost threads' messages are missing.
    let received = all_messages(&got);
    let lost_wamids: HashSet<&str> = lost
        .iter()
        .flat_map(|f| threads[f].iter().map(|m| m.wamid.as_str()))
        .collect();
    assert!(
        lost_wamids.len() > lost.len(),
        "lost threads with several messages"
    );
    let mut expected: HashSet<&str> = everything.keys().map(String::as_str).collect();
    expected.retain(|w| !lost_wamids.contains(w));
    assert_eq!(
        received.keys().map(String::as_str).collect::<HashSet<_>>(),
        expected
    );
    // Bodies of other threads still arrive, receipts included.
    assert!(got.iter().any(|b| is_statuses_only(b)));
    let full_set: HashSet<&Bytes> = full.iter().collect();
    let unchanged = got.iter().filter(|b| full_set.contains(b)).count();
    assert!(
        unchanged * 10 >= got.len() * 9,
        "{unchanged} of {}",
        got.len()
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn threads_keep_the_connectors_rules_before_and_after_cases_move() {
    let c = Client::new();
    let sim = start().await;
    let truth = sim.wadul_truth(&clean_plan());
    let (_, got) = deliver(&sim, &clean_plan()).await;
    let msgs = all_messages(&got);
    let threads = threads(&truth, &msgs);
    assert_eq!(
        threads.len(),
        truth.iter().filter(|t| t.messages > 0).count()
    );

    let (rows, _) = parse_register(&register_bytes(&c, &sim).await);
    let quick = check_threads(&threads, &rows);
    assert!(
        quick >= 3,
        "follow-on threads within a day after a closed case: {quick}"
    );

    let mut rounds = 0;
    while !sim.wadul_advance(40).is_empty() {
        rounds += 1;
        if rounds % 5 == 0 {
            let (rows, _) = parse_register(&register_bytes(&c, &sim).await);
            check_threads(&threads, &rows);
        }
        assert!(rounds < 500);
    }
    let (rows, _) = parse_register(&register_bytes(&c, &sim).await);
    assert_eq!(check_threads(&threads, &rows), quick);
    sim.shutdown().await;
}

/// Checks the timing rules against the register; returns the number of follow-on threads
/// that start within 24 hours of the previous one.
fn check_threads(threads: &BTreeMap<String, Vec<Msg>>, rows: &[Row]) -> usize {
    let case: HashMap<&str, &Row> = rows
        .iter()
        .filter(|r| !r["ID Pesan Pertama"].is_empty())
        .map(|r| (r["ID Pesan Pertama"].as_str(), r))
        .collect();
    for (w, r) in &case {
        let t = threads
            .get(*w)
            .expect("ID Pesan Pertama names a thread's first message");
        assert_eq!(sender_key(&r["No WA"]).as_deref(), Some(t[0].from.as_str()));
    }
    let mut by_sender: BTreeMap<&str, Vec<(&str, &Vec<Msg>)>> = BTreeMap::new();
    for (first, ms) in threads {
        // Within a thread: less than 24 h between messages, none after its case closed.
        for w in ms.windows(2) {
            assert!(
                w[1].at - w[0].at < DAY,
                "{first}: a gap of a day inside a thread"
            );
        }
        if let Some(closed) = case.get(first.as_str()).and_then(|r| closed_at(r)) {
            let last = ms.last().expect("messages").at;
            assert!(last <= closed, "{first}: a message after its case closed");
        }
        by_sender
            .entry(ms[0].from.as_str())
            .or_default()
            .push((first, ms));
    }
    let mut quick = 0;
    for list in by_sender.values_mut() {
        assert!(list.len() <= 3, "1–3 threads a sender");
        list.sort_by_key(|(_, ms)| ms[0].at);
        for w in list.windows(2) {
            let (prev, prev_ms) = w[0];
            let next_at = w[1].1[0].at;
            let gap = next_at - prev_ms.last().expect("messages").at;
            if gap <= DAY {
                quick += 1;
                let closed = case
                    .get(prev)
                    .and_then(|r| closed_at(r))
                    .expect("a thread within a day of the previous one: the previous case closed");
                assert!(closed < next_at, "{prev}: closed before the next thread");
            }
        }
    }
    quick
}

#[tokio::test]
async fn the_truth_counts_match_the_generated_data() {
    let c = Client::new();
    let sim = start().await;
    let truth = sim.wadul_truth(&WadulDeliveryPlan::default());
    let (rows, _) = parse_register(&register_bytes(&c, &sim).await);

    assert!(truth
        .windows(2)
        .all(|w| w[0].external_id < w[1].external_id));
    let walk_ins: Vec<&WadulTruth> = truth
        .iter()
        .filter(|t| t.external_id.starts_with("WA-"))
        .collect();
    assert_eq!(walk_ins.len(), 15);
    assert!(walk_ins
        .iter()
        .all(|t| t.messages == 0 && t.case_no.as_ref() == Some(&t.external_id)));
    let threads: Vec<&WadulTruth> = truth
        .iter()
        .filter(|t| !t.external_id.starts_with("WA-"))
        .collect();
    assert!(threads.iter().all(|t| t.external_id.starts_with("wamid.")
        && t.sender.is_some()
        && (1..=5).contains(&t.messages)));
    let senders: HashSet<&str> = threads.iter().filter_map(|t| t.sender.as_deref()).collect();
    assert_eq!(senders.len(), 120);
    assert!((150..=230).contains(&threads.len()), "{}", threads.len());
    let with_case = threads.iter().filter(|t| t.case_no.is_some()).count();
    let share = with_case as f64 / threads.len() as f64;
    assert!((0.6..0.8).contains(&share), "{share}");
    assert_eq!(with_case + walk_ins.len(), rows.len());
    for t in &threads {
        match &t.case_no {
            None => assert_eq!(t.status, "Belum Ada Kasus"),
            Some(_) => assert!(STATUSES.contains(&t.status.as_str())),
        }
    }
    let statuses: HashSet<&str> = truth.iter().map(|t| t.status.as_str()).collect();
    assert!(statuses.len() >= 8, "{statuses:?}");
    sim.shutdown().await;
}

// ----- signatures and determinism -------------------------------------------------------

/// HMAC-SHA256 from its definition (RFC 2104), independent of the `hmac` crate.
fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    let mut k = [0u8; 64];
    if key.len() > 64 {
        k[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        k[..key.len()].copy_from_slice(key);
    }
    let inner: Vec<u8> = k
        .iter()
        .map(|b| b ^ 0x36)
        .chain(message.iter().copied())
        .collect();
    let inner = Sha256::digest(&inner);
    let outer: Vec<u8> = k
        .iter()
        .map(|b| b ^ 0x5c)
        .chain(inner.iter().copied())
        .collect();
    Sha256::digest(&outer).into()
}

#[test]
fn the_signature_is_sha256_equals_hex_hmac_of_the_raw_body() {
    // RFC 4231, test cases 2 and 6 (a key longer than the block).
    assert_eq!(
        wadul_signature(b"Jefe", b"what do ya want for nothing?"),
        "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
    );
    assert_eq!(
        wadul_signature(
            &[0xaa; 131],
            b"Test Using Larger Than Block-Size Key - Hash Key First"
        ),
        "sha256=60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"
    );
    assert_eq!(
        hex::encode(hmac_sha256(b"Jefe", b"what do ya want for nothing?")),
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
    );
    let body = br#"{"object":"whatsapp_business_account","entry":[]}"#;
    for key in [SECRET.as_bytes(), b"", &[7u8; 100]] {
        assert_eq!(
            wadul_signature(key, body),
            format!("sha256={}", hex::encode(hmac_sha256(key, body)))
        );
    }
}

#[tokio::test]
async fn a_receiver_with_another_secret_answers_every_good_body_401() {
    let sim = start_with(
        42,
        WadulConfig {
            senders: 5,
            walk_ins: 0,
            app_secret: "another-secret".into(),
            ..WadulConfig::default()
        },
    )
    .await;

    let (stats, got) = deliver(&sim, &clean_plan()).await;

    assert!(got.is_empty());
    assert!(stats.unexpected > 0);
    assert_eq!(stats.sent, stats.unexpected);
    assert_eq!(stats.accepted + stats.rejected + stats.retried, 0);
    sim.shutdown().await;
}

#[tokio::test]
async fn the_same_seed_gives_the_same_data() {
    let c = Client::new();
    let config = WadulConfig {
        senders: 60,
        ..WadulConfig::default()
    };
    let a = start_with(7, config.clone()).await;
    let b = start_with(7, config.clone()).await;
    let other = start_with(8, config).await;
    let plan = WadulDeliveryPlan::default();

    assert_eq!(a.wadul_truth(&plan), b.wadul_truth(&plan));
    assert_ne!(a.wadul_truth(&plan), other.wadul_truth(&plan));
    assert_eq!(register_bytes(&c, &a).await, register_bytes(&c, &b).await);
    assert_ne!(
        register_bytes(&c, &a).await,
        register_bytes(&c, &other).await
    );
    let sorted = |mut v: Vec<Bytes>| {
        v.sort();
        v
    };
    let (_, from_a) = deliver(&a, &plan).await;
    let (_, from_b) = deliver(&b, &plan).await;
    assert_eq!(sorted(from_a.clone()), sorted(from_b));
    let (_, again) = deliver(&a, &plan).await;
    assert_eq!(sorted(from_a.clone()), sorted(again), "runs repeat");
    let (_, from_other) = deliver(&other, &plan).await;
    assert_ne!(sorted(from_a), sorted(from_other));

    // Advancing is deterministic too.
    assert_eq!(a.wadul_advance(10), b.wadul_advance(10));
    assert_eq!(register_bytes(&c, &a).await, register_bytes(&c, &b).await);
    a.shutdown().await;
    b.shutdown().await;
    other.shutdown().await;
}

#[tokio::test]
async fn the_root_lists_the_channel() {
    let sim = Simulator::start(SimConfig::default(), "127.0.0.1:0".parse().expect("addr"))
        .await
        .expect("starts");
    let body: Value = reqwest::get(sim.base_url())
        .await
        .expect("root")
        .json()
        .await
        .expect("json");
    assert_eq!(body["channels"]["wadul_aladin"], "/wadul-aladin");
    assert_eq!(
        sim.wadul_register_url(),
        format!("{}/wadul-aladin/register.csv", sim.base_url())
    );
    assert!(!sim.wadul_truth(&WadulDeliveryPlan::default()).is_empty());
    sim.shutdown().await;
}
