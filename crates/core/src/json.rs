//! A page of a JSON API split into its items without reading them: one item that is not JSON
//! (a byte that is not UTF-8, a raw line break inside a text) is still an item, archived as
//! received and quarantined by its parser, while the rest of the page is read (review: one
//! such byte failed the whole page, run after run, and nothing after it was ever read).
//!
//! Only the page's frame is checked: its object, its members' names and the list's brackets,
//! commas and strings. An item's own bytes are looked at only to find where it ends.

use serde::Deserialize;
use serde_json::{Map, Value};

/// A page split leniently: the items of its list, each as its bytes, and its other members
/// read as JSON.
#[derive(Debug)]
pub struct LenientPage<'a> {
    /// The list's items, each as its bytes.
    pub items: Vec<&'a [u8]>,
    /// The page's other members, read.
    pub members: Map<String, Value>,
}

/// The object `body` with its member `list` split into items (see the module). `None` when
/// the frame itself is not JSON (a page cut short, an HTML page), or when a member other than
/// the list does not read.
pub fn lenient_page<'a>(body: &'a [u8], list: &str) -> Option<LenientPage<'a>> {
    let mut items = None;
    let mut members = Map::new();
    for (name, value) in object_members(body)? {
        if name == list {
            items = Some(array_elements(value)?);
        } else {
            members.insert(name, serde_json::from_slice(value).ok()?);
        }
    }
    Some(LenientPage {
        items: items?,
        members,
    })
}

/// An item's value of type `T` read from its bytes as they are, else from its bytes with
/// what keeps them from being JSON replaced (a byte that is not UTF-8 by U+FFFD, a control
/// character by a space): the fields paging needs of an item that does not read whole.
pub fn lenient_value<T: serde::de::DeserializeOwned>(item: &[u8]) -> Option<T> {
    serde_json::from_slice(item).ok().or_else(|| {
        let whole = lone_surrogates_replaced(item);
        let item = whole.as_deref().unwrap_or(item);
        if let Ok(v) = serde_json::from_slice(item) {
            return Some(v);
        }
        let text: String = String::from_utf8_lossy(item)
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect();
        serde_json::from_str(&text).ok()
    })
}

/// `payload` with each `\u` escape of half a UTF-16 surrogate pair without its other half
/// made `\ufffd`, the replacement character, as a byte that is not UTF-8 is; `None` when it
/// has none. A source that shortens its texts by UTF-16 units cuts an emoji in two
/// (`"Banjir \ud83c"`), and serde reads no such string: the whole record did not read, and
/// stayed in quarantine for one character (review).
pub fn lone_surrogates_replaced(payload: &[u8]) -> Option<Vec<u8>> {
    let unit = |at: usize| -> Option<u16> {
        let hex = payload.get(at..at + 6)?.strip_prefix(b"\\u")?;
        u16::from_str_radix(std::str::from_utf8(hex).ok()?, 16).ok()
    };
    let mut out: Option<Vec<u8>> = None;
    let mut copied = 0;
    let mut i = 0;
    while i < payload.len() {
        if payload[i] != b'\\' {
            i += 1;
            continue;
        }
        // (Outside a string a backslash is no JSON: it is looked at as if within one.)
        let Some(u) = unit(i) else {
            // Another escape, `\\` among them: its two bytes.
            i += 2;
            continue;
        };
        let lone = match u {
            0xD800..=0xDBFF => match unit(i + 6) {
                Some(0xDC00..=0xDFFF) => {
                    i += 12;
                    continue;
                }
                _ => true,
            },
            0xDC00..=0xDFFF => true,
            _ => false,
        };
        if lone {
            let o = out.get_or_insert_with(|| Vec::with_capacity(payload.len()));
            o.extend_from_slice(&payload[copied..i]);
            o.extend_from_slice(b"\\ufffd");
            copied = i + 6;
        }
        i += 6;
    }
    out.map(|mut o| {
        o.extend_from_slice(&payload[copied..]);
        o
    })
}

/// A field's value, its default when the source writes `null` for it (an empty list as
/// `"tindak_lanjut": null`): `#[serde(default, deserialize_with = "…default_if_null")]`
/// (review: a `null` list quarantined the whole report).
pub fn default_if_null<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::Deserialize<'de> + Default,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

/// An integer given as a number or as a text of digits (`"kotaId":"3375"`, `"status":"4"`):
/// `#[serde(deserialize_with = "…int_or_text")]` (review: the text was quarantined, and an
/// item of another region so given was kept, not dropped).
pub fn int_or_text<'de, D>(d: D) -> Result<i64, D::Error>
where
    D: serde::Deserializer<'de>,
{
    let v = Value::deserialize(d)?;
    as_int(&v).ok_or_else(|| {
        serde::de::Error::custom(format!(
            "invalid type: {}, expected an integer",
            match v {
                Value::String(_) => "a text that is no integer",
                Value::Null => "null",
                Value::Bool(_) => "a boolean",
                Value::Number(_) => "a number that is no integer",
                Value::Array(_) => "a list",
                Value::Object(_) => "an object",
            }
        ))
    })
}

/// The integer `v` is, as a number or a text of digits (see [`int_or_text`]).
pub fn as_int(v: &Value) -> Option<i64> {
    v.as_i64()
        .or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()))
}

fn skip_space(b: &[u8], mut i: usize) -> usize {
    while b
        .get(i)
        .is_some_and(|c| matches!(c, b' ' | b'\t' | b'\n' | b'\r'))
    {
        i += 1;
    }
    i
}

/// The end (one past) of the JSON value starting at `i` (after white space), or `None` when
/// the bytes end first. A string's escapes are followed; whatever else its bytes are is not
/// looked at.
fn value_end(b: &[u8], i: usize) -> Option<usize> {
    let i = skip_space(b, i);
    match *b.get(i)? {
        b'"' => string_end(b, i),
        b'{' | b'[' => {
            let mut depth = 0usize;
            let mut j = i;
            loop {
                match *b.get(j)? {
                    b'"' => {
                        j = string_end(b, j)?;
                        continue;
                    }
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => {
                        depth -= 1;
                        if depth == 0 {
                            return Some(j + 1);
                        }
                    }
                    _ => {}
                }
                j += 1;
            }
        }
        _ => {
            let mut j = i;
            while b
                .get(j)
                .is_some_and(|c| !matches!(c, b',' | b'}' | b']' | b' ' | b'\t' | b'\n' | b'\r'))
            {
                j += 1;
            }
            (j > i).then_some(j)
        }
    }
}

/// The end (one past the closing quote) of the string starting at `i`.
fn string_end(b: &[u8], i: usize) -> Option<usize> {
    let mut j = i + 1;
    loop {
        match *b.get(j)? {
            b'\\' => j += 2,
            b'"' => return Some(j + 1),
            _ => j += 1,
        }
    }
}

/// The members of the object `b` (white space around it allowed), each name read and each
/// value as its bytes.
fn object_members(b: &[u8]) -> Option<Vec<(String, &[u8])>> {
    let mut i = skip_space(b, 0);
    if b.get(i) != Some(&b'{') {
        return None;
    }
    i = skip_space(b, i + 1);
    let mut out = Vec::new();
    if b.get(i) == Some(&b'}') {
        return (skip_space(b, i + 1) == b.len()).then_some(out);
    }
    loop {
        if b.get(i) != Some(&b'"') {
            return None;
        }
        let end = string_end(b, i)?;
        let name: String = serde_json::from_slice(&b[i..end]).ok()?;
        i = skip_space(b, end);
        if b.get(i) != Some(&b':') {
            return None;
        }
        let start = skip_space(b, i + 1);
        let end = value_end(b, start)?;
        out.push((name, &b[start..end]));
        i = skip_space(b, end);
        match b.get(i)? {
            b',' => i = skip_space(b, i + 1),
            b'}' => return (skip_space(b, i + 1) == b.len()).then_some(out),
            _ => return None,
        }
    }
}

/// The elements of the array `b`, each as its bytes.
fn array_elements(b: &[u8]) -> Option<Vec<&[u8]>> {
    let mut i = skip_space(b, 0);
    if b.get(i) != Some(&b'[') {
        return None;
    }
    i = skip_space(b, i + 1);
    let mut out = Vec::new();
    if b.get(i) == Some(&b']') {
        return (skip_space(b, i + 1) == b.len()).then_some(out);
    }
    loop {
        let end = value_end(b, i)?;
        out.push(&b[i..end]);
        i = skip_space(b, end);
        match b.get(i)? {
            b',' => i = skip_space(b, i + 1),
            b']' => return (skip_space(b, i + 1) == b.len()).then_some(out),
            _ => return None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Review: a text with half an emoji (a source shortening it by UTF-16 units) made the
    /// whole record unreadable.
    #[test]
    fn half_a_surrogate_pair_is_the_replacement_character() {
        let item =
            br#"{"judul":"Banjir \ud83c","isi":"a\udc00b \ud83d\ude00 \\ud83d \u00e9\"","n":1}"#;
        assert!(serde_json::from_slice::<Value>(item).is_err());
        let fixed = lone_surrogates_replaced(item).expect("replaced");
        let v: Value = serde_json::from_slice(&fixed).expect("reads");
        assert_eq!(v["judul"], "Banjir \u{fffd}");
        assert_eq!(v["isi"], "a\u{fffd}b \u{1f600} \\ud83d \u{e9}\"");
        let v: Value = lenient_value(item).expect("reads");
        assert_eq!(v["n"], 1);
        // Nothing to replace: none, and the pair at the very end stays whole.
        assert_eq!(lone_surrogates_replaced(br#"{"a":"\ud83d\ude00"}"#), None);
        assert_eq!(
            lone_surrogates_replaced(br#"{"a":"\ud83d"}"#).as_deref(),
            Some(&br#"{"a":"\ufffd"}"#[..])
        );
        assert_eq!(lone_surrogates_replaced(br#"{"a":"x\"}"#), None);
        assert_eq!(lone_surrogates_replaced(b"\\u12"), None);
    }

    #[test]
    fn a_page_splits_into_its_items_though_one_is_not_json() {
        let body = b"{\"status\":\"success\", \"data\" : [ {\"id\":1,\"isi\":\"caf\xE9\"},\n\
            {\"id\":2,\"isi\":\"a\nb [x] {y}\"}, {\"id\":3,\"t\":[1,{\"a\":\"\\\"]\"}]} ],\"meta\":{\"page\":2}}";
        assert!(serde_json::from_slice::<Value>(body).is_err());
        let page = lenient_page(body, "data").expect("split");
        assert_eq!(page.items.len(), 3);
        assert_eq!(page.items[0], b"{\"id\":1,\"isi\":\"caf\xE9\"}");
        assert_eq!(page.items[1], b"{\"id\":2,\"isi\":\"a\nb [x] {y}\"}");
        assert_eq!(
            serde_json::from_slice::<Value>(page.items[2]).unwrap()["t"][1]["a"],
            "\"]"
        );
        assert_eq!(page.members["status"], "success");
        assert_eq!(page.members["meta"]["page"], 2);
        #[derive(Deserialize)]
        struct Key {
            id: i64,
        }
        let ids: Vec<i64> = page
            .items
            .iter()
            .map(|i| lenient_value::<Key>(i).unwrap().id)
            .collect();
        assert_eq!(ids, [1, 2, 3]);
        // An empty list, an empty page.
        assert_eq!(
            lenient_page(b" {\"data\":[]} ", "data")
                .unwrap()
                .items
                .len(),
            0
        );
    }

    #[test]
    fn a_null_list_is_an_empty_one() {
        #[derive(Deserialize)]
        struct R {
            #[serde(default, deserialize_with = "default_if_null")]
            list: Vec<i64>,
        }
        let read = |t: &str| serde_json::from_str::<R>(t).map(|r| r.list);
        assert_eq!(read(r#"{"list":null}"#).unwrap(), Vec::<i64>::new());
        assert_eq!(read("{}").unwrap(), Vec::<i64>::new());
        assert_eq!(read(r#"{"list":[1,2]}"#).unwrap(), [1, 2]);
        assert!(read(r#"{"list":"x"}"#).is_err());
    }

    #[test]
    fn a_frame_that_is_not_json_is_not_split() {
        for body in [
            &b"<html>503</html>"[..],
            b"{\"data\":[{\"id\":1}",
            b"{\"data\":[{\"id\":1}]",
            b"{\"data\":[{\"id\":1}]} trailing",
            b"{\"data\":[{\"id\":1} {\"id\":2}]}",
            b"{\"status\":succ\xE9ss,\"data\":[]}",
            b"{\"status\":\"success\"}",
            b"{data:[]}",
            b"[{\"id\":1}]",
            b"",
        ] {
            assert!(
                lenient_page(body, "data").is_none(),
                "{}",
                String::from_utf8_lossy(body)
            );
        }
    }
}
