//! Webhook bodies in the WhatsApp Cloud API's standard shape
//! (`{"object":"whatsapp_business_account","entry":[{"id","changes":[{"value":{…},"field":"messages"}]}]}`)
//! and the order they are sent in.
//!
//! Most bodies carry one message. The platform batches sometimes: a message and the next
//! one of its thread sent within 10 minutes share a body, and now and then a body carries
//! messages of two senders (two `contacts`). Delivery receipts of the auto-reply come in
//! bodies of their own (`statuses[]` only). Whether a message is batched is decided from
//! its `wamid`, so leaving threads out changes only the bodies that held their messages.

use serde::Serialize;

use super::generate::{Content, Generated};
use crate::text::mix64;

/// `metadata.display_phone_number`: 0816-644-000.
const DISPLAY_NUMBER: &str = "62816644000";
/// `metadata.phone_number_id` of the line.
const PHONE_NUMBER_ID: &str = "108816644000123";
/// `entry[].id`: the WhatsApp Business Account.
const WABA_ID: &str = "102934857610293";
/// Batch a message with the next one of its thread when they are this close.
const BATCH_WINDOW: i64 = 600;

/// What one body holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Item {
    /// Messages as (thread, index in the thread), in time order.
    Messages(Vec<(usize, usize)>),
    /// The receipts of a thread's auto-reply.
    Receipts(usize),
}

#[derive(Serialize)]
struct Notification<'a> {
    object: &'static str,
    entry: [Entry<'a>; 1],
}

#[derive(Serialize)]
struct Entry<'a> {
    id: &'static str,
    changes: [Change<'a>; 1],
}

#[derive(Serialize)]
struct Change<'a> {
    value: Value<'a>,
    field: &'static str,
}

#[derive(Serialize)]
struct Value<'a> {
    messaging_product: &'static str,
    metadata: Metadata,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    contacts: Vec<Contact<'a>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    messages: Vec<MessageOut<'a>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    statuses: Vec<StatusOut<'a>>,
}

#[derive(Serialize)]
struct Metadata {
    display_phone_number: &'static str,
    phone_number_id: &'static str,
}

#[derive(Serialize)]
struct Contact<'a> {
    profile: Profile<'a>,
    wa_id: &'a str,
}

#[derive(Serialize)]
struct Profile<'a> {
    name: &'a str,
}

#[derive(Serialize)]
struct MessageOut<'a> {
    from: &'a str,
    id: &'a str,
    timestamp: String,
    #[serde(rename = "type")]
    kind: &'static str,
    #[serde(flatten)]
    content: &'a Content,
}

#[derive(Serialize)]
struct StatusOut<'a> {
    id: &'a str,
    status: &'static str,
    timestamp: String,
    recipient_id: &'a str,
}

/// FNV-1a of a string, mixed with the seed: a stable per-message decision.
fn roll(seed: u64, s: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in s.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    mix64(seed ^ h) % 100
}

/// The bodies of every thread not `lost`, as items with the time they are sent (the last
/// message's or receipt's) and a label, in time order.
pub(crate) fn items(g: &Generated, lost: &[bool], seed: u64) -> Vec<(i64, String, Item)> {
    let live = |t: usize| !lost.get(t).copied().unwrap_or(false);
    // Every delivered message: (time, wamid, thread, index).
    let mut all: Vec<(i64, &str, usize, usize)> = g
        .threads
        .iter()
        .enumerate()
        .filter(|(t, _)| live(*t))
        .flat_map(|(t, th)| {
            th.messages
                .iter()
                .enumerate()
                .map(move |(k, m)| (m.at, m.wamid.as_str(), t, k))
        })
        .collect();
    all.sort();
    let position: std::collections::HashMap<(usize, usize), usize> = all
        .iter()
        .enumerate()
        .map(|(i, &(_, _, t, k))| ((t, k), i))
        .collect();
    let mut taken = vec![false; all.len()];
    let mut out = Vec::new();
    for i in 0..all.len() {
        if taken[i] {
            continue;
        }
        taken[i] = true;
        let (at, wamid, t, k) = all[i];
        let mut group = vec![i];
        let r = roll(seed, wamid);
        if r < 25 {
            // The next message of the thread, if it came quickly.
            if let Some(&j) = position.get(&(t, k + 1)) {
                if !taken[j] && all[j].0 - at <= BATCH_WINDOW {
                    taken[j] = true;
                    group.push(j);
                }
            }
        } else if r < 30 {
            // The next message of another sender.
            let sender = g.threads[t].sender;
            if let Some(j) =
                (i + 1..all.len()).find(|&j| !taken[j] && g.threads[all[j].2].sender != sender)
            {
                taken[j] = true;
                group.push(j);
            }
        }
        let sent = group.iter().map(|&j| all[j].0).max().unwrap_or(at);
        let messages = group.iter().map(|&j| (all[j].2, all[j].3)).collect();
        out.push((sent, wamid.to_string(), Item::Messages(messages)));
    }
    for (t, th) in g.threads.iter().enumerate() {
        if !live(t) {
            continue;
        }
        if let Some(last) = th.receipts.last() {
            out.push((last.at, last.id.clone(), Item::Receipts(t)));
        }
    }
    out.sort_by(|a, b| (a.0, &a.1).cmp(&(b.0, &b.1)));
    out
}

/// The body of `item`, serialized.
pub(crate) fn body(g: &Generated, item: &Item) -> serde_json::Result<Vec<u8>> {
    let mut value = Value {
        messaging_product: "whatsapp",
        metadata: Metadata {
            display_phone_number: DISPLAY_NUMBER,
            phone_number_id: PHONE_NUMBER_ID,
        },
        contacts: Vec::new(),
        messages: Vec::new(),
        statuses: Vec::new(),
    };
    match item {
        Item::Messages(list) => {
            for &(t, k) in list {
                let Some(th) = g.threads.get(t) else {
                    continue;
                };
                let (Some(sender), Some(m)) = (g.senders.get(th.sender), th.messages.get(k)) else {
                    continue;
                };
                if !value.contacts.iter().any(|c| c.wa_id == sender.wa_id) {
                    value.contacts.push(Contact {
                        profile: Profile {
                            name: &sender.profile,
                        },
                        wa_id: &sender.wa_id,
                    });
                }
                value.messages.push(MessageOut {
                    from: &sender.wa_id,
                    id: &m.wamid,
                    timestamp: m.at.to_string(),
                    kind: m.content.kind(),
                    content: &m.content,
                });
            }
        }
        Item::Receipts(t) => {
            if let Some(th) = g.threads.get(*t) {
                let recipient = g.senders.get(th.sender).map_or("", |s| s.wa_id.as_str());
                value.statuses = th
                    .receipts
                    .iter()
                    .map(|r| StatusOut {
                        id: &r.id,
                        status: r.status,
                        timestamp: r.at.to_string(),
                        recipient_id: recipient,
                    })
                    .collect();
            }
        }
    }
    serde_json::to_vec(&Notification {
        object: "whatsapp_business_account",
        entry: [Entry {
            id: WABA_ID,
            changes: [Change {
                value,
                field: "messages",
            }],
        }],
    })
}

/// Puts one thread out of order whatever the shuffle did: the body with its last message
/// first, the body with its first message last (a thread whose first and last messages are
/// in different bodies; the one with the smallest first `wamid`).
pub(crate) fn force_disorder(g: &Generated, list: &mut Vec<(i64, String, Item)>) {
    let holds = |item: &Item, t: usize, k: usize| match item {
        Item::Messages(m) => m.contains(&(t, k)),
        Item::Receipts(_) => false,
    };
    let delivered = |t: usize| list.iter().any(|(_, _, item)| holds(item, t, 0));
    let Some(t) = (0..g.threads.len())
        .filter(|&t| g.threads[t].messages.len() >= 2 && delivered(t))
        .filter(|&t| {
            let last = g.threads[t].messages.len() - 1;
            !list
                .iter()
                .any(|(_, _, item)| holds(item, t, 0) && holds(item, t, last))
        })
        .min_by(|a, b| g.threads[*a].first_wamid().cmp(g.threads[*b].first_wamid()))
    else {
        return;
    };
    let last = g.threads[t].messages.len() - 1;
    if let Some(pos) = list.iter().position(|(_, _, item)| holds(item, t, last)) {
        let item = list.remove(pos);
        list.insert(0, item);
    }
    if let Some(pos) = list.iter().position(|(_, _, item)| holds(item, t, 0)) {
        let item = list.remove(pos);
        list.push(item);
    }
}
