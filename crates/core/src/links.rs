//! Web addresses in free text, without what grants access: a complaint's text may hold a link
//! copied from a browser or an app (`https://x.example/a?token=abc123&id=5`, a signed photo's
//! address, `https://user:pass@host/…`), and whoever reads the analysts' table would hold the
//! key it carries. The rest of the address stays, so that the link still says where it led.
//! Errors and logs hide them too in what they quote of what a channel sent (an answer's first
//! bytes, a reason quoting a value read: see [`crate::contacts::shown`]), and in the URLs
//! transport asked (see [`in_address`]): one list of what is a credential.
//!
//! An address is a run of characters up to white space (or `<`, `>`, `"`, `` ` ``, a control
//! character) that begins with a scheme and `://` (`https://`, `http://`, `ftp://`, any other)
//! or with `www.`, without the punctuation that ends the sentence around it (`.`, `,`, `;`,
//! `:`, `!`, `?`, quotes, closing brackets, `*` and `~` of a chat's formatting, and any
//! character beyond ASCII that is no letter or digit: `”`, `…`, an emoji; a comma glued to
//! what follows is the address's own, `?ids=1,2`, and a value holding one is hidden whole,
//! `?token=abc,dan` too, while `?token=abc, dan` ends at the comma). In it:
//! - the user name and password before the host, `https://[kredensial]@host/…` (the user name alone
//!   may be the token itself, `https://TOKEN@host`): what stands before the last `@` before the
//!   host ends (at `/`, `\`, `?` or `#`); or, where what is left as the host cannot be one (a
//!   port that is no number, `user:pa/ss@host`, a password's `/` written as is) or is one
//!   without a dot followed by an `@` and a host in the path (`AKIA/EXAMPLE@bucket.example.org/`,
//!   a user name's `/`), what stands before that `@`;
//! - the value of each parameter named as a credential, in the query, the fragment (an OAuth
//!   implicit grant's `#access_token=…`, also after a route, `#/cb?token=…`) or the path
//!   (`;jsessionid=…`): a parameter's name follows a `?`, `&`, `#` or `;`; its value ends, in
//!   the path, at the next of them, and in the query or the fragment at the next `&` or `#`
//!   (RFC 3986 leaves `?`, `/` and `;` to a value, and forms part parameters with `&`:
//!   `?token=ab;cd?ef&id=5` hides `ab;cd?ef`), or at a `;` where that query or fragment parts
//!   its parameters with `;` alone (no `&`, and a `;` followed by a name and `=`:
//!   `?id=5;token=abc;page=2`); a parameter within another's value is read too
//!   (`?next=/login?token=…`). A name is compared in lower case, its `%XX` escapes read, and
//!   only its ASCII letters and digits kept (`API_KEY`, `api-key`, `apiKey` alike), and is a
//!   credential when it is one of [`CREDENTIALS`], holds one of [`HOLDING`] (`access_token`,
//!   `client_secret`, `X-Amz-Signature`, `X-Goog-Credential`, `PHPSESSID`), or is `code` in an
//!   address that also has a `state` (an OAuth 2.0 authorization response, RFC 6749 4.1.2:
//!   elsewhere a `code` is a postcode, a region's, a voucher's).
//!
//! Everything else stays as written: `?id=5`, `?page=2`, `?q=banjir`, `?ticket=…` (a helpdesk's
//! ticket number), `?keyword=…`. An address written inside another's query
//! (`?next=https://u:p@h/…`) is read too.
//!
//! ```
//! # use aduan_core::links::credentials;
//! assert_eq!(
//!     credentials("lihat https://x.example/a?token=abc123&id=5."),
//!     "lihat https://x.example/a?token=[kredensial]&id=5."
//! );
//! assert_eq!(
//!     credentials("https://user:pass@host.example/p"),
//!     "https://[kredensial]@host.example/p"
//! );
//! ```

use std::borrow::Cow;
use std::ops::Range;

/// What stands where a credential of a web address was (its user and password, or the value
/// of a parameter named as one).
pub const SECRET: &str = "[kredensial]";

/// Parameter names (as compared: lower case, ASCII letters and digits) that are credentials
/// whole: short ones that would name other things inside a longer name (`key` of `keyword`,
/// `sig` of `design`, `pass` of `passenger`, `sid` of `side`).
pub const CREDENTIALS: &[&str] = &[
    "key",
    "sig",
    "pwd",
    "pass",
    "pw",
    "auth",
    "authorization",
    "session",
    "sid",
    "otp",
    "jwt",
];

/// Words a parameter's name (as compared) that holds one is a credential: tokens of any kind
/// (`token`, `access_token`, `refresh_token`, `id_token`, `oauth_token`, `hub.verify_token`),
/// secrets (`secret`, `client_secret`), passwords, signatures (`signature`, `X-Amz-Signature`,
/// `oauth_signature`), a cloud's credentials (`X-Amz-Credential`, `X-Goog-Credential`), API
/// and access keys (`api_key`, `apikey`, `x-api-key`, `subscription-key`, `access_key`,
/// `private_key`, `auth_key`), and sessions (`sessionid`, `JSESSIONID`, `PHPSESSID`).
pub const HOLDING: &[&str] = &[
    "token",
    "secret",
    "password",
    "passwd",
    "signature",
    "credential",
    "apikey",
    "accesskey",
    "privatekey",
    "authkey",
    "subscriptionkey",
    "signingkey",
    "sessionkey",
    "sessionid",
    "sessid",
];

/// Words a parameter's name (as compared) holds whose value [`in_address`] hides besides
/// those [`CREDENTIALS`] and [`HOLDING`] name: transport's own list before it shared this one
/// (`app_key`, `client_key`, `passphrase`, `passcode`, `oauth_verifier`, `hmac_sig`). In a URL
/// an error or a log line shows, a value hidden too many (a `keyword`'s) costs nothing, and
/// one shown may be the key the channel was configured with (review, session 50: sharing the
/// list showed them); complaint texts keep such values.
pub const HELD_IN_AN_ADDRESS_ASKED: &[&str] = &["key", "pass", "auth", "sig"];

/// Whether the value of a URL's parameter named `name` (as written) is hidden where the URL
/// is shown in an error or a log line, as [`in_address`] hides it: `name`, compared in lower
/// case with its `%XX` escapes read and only its ASCII letters and digits, is one of
/// [`CREDENTIALS`] or holds one of [`HOLDING`] or [`HELD_IN_AN_ADDRESS_ASKED`] (`code`, a
/// credential only beside a `state`, aside). The one list for every URL Aduan shows: the
/// store's database URL too.
pub fn names_a_credential(name: &str) -> bool {
    credential(name) || {
        let name = compared(name);
        HELD_IN_AN_ADDRESS_ASKED.iter().any(|w| name.contains(w))
    }
}

/// Whether a parameter named `name` (as written) is a credential, but `code` (see the
/// module's notes).
fn credential(name: &str) -> bool {
    let name = compared(name);
    CREDENTIALS.contains(&name.as_str()) || HOLDING.iter().any(|w| name.contains(w))
}

/// A parameter's name as compared: its `%XX` escapes read, in lower case, its ASCII letters
/// and digits alone.
fn compared(name: &str) -> String {
    let bytes = name.as_bytes();
    let mut out = String::with_capacity(name.len());
    let mut i = 0;
    while i < bytes.len() {
        let mut b = bytes[i];
        if b == b'%' {
            let hex = bytes
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok())
                .and_then(|h| u8::from_str_radix(h, 16).ok());
            if let Some(decoded) = hex {
                b = decoded;
                i += 2;
            }
        }
        if b.is_ascii_alphanumeric() {
            out.push(char::from(b.to_ascii_lowercase()));
        }
        i += 1;
    }
    out
}

/// `text` with the credentials of the web addresses in it replaced by [`SECRET`] (see the
/// module's notes).
pub fn credentials(text: &str) -> Cow<'_, str> {
    let bytes = text.as_bytes();
    let www = |i: usize| {
        bytes
            .get(i..i + 4)
            .is_some_and(|w| w.eq_ignore_ascii_case(b"www."))
    };
    if !text.contains("://") && !(0..bytes.len()).any(www) {
        return Cow::Borrowed(text);
    }
    let mut hidden: Vec<Range<usize>> = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let start = if bytes[i..].starts_with(b"://") {
            // The scheme before it: ASCII letters, digits, `+`, `-`, `.`, from a letter.
            let mut s = i;
            while s > 0
                && matches!(bytes[s - 1], b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'+' | b'-' | b'.')
            {
                s -= 1;
            }
            while s < i && !bytes[s].is_ascii_alphabetic() {
                s += 1;
            }
            (s < i).then_some((s, Some(i + 3)))
        } else if www(i)
            && (i == 0
                || !matches!(bytes[i - 1], b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'.' | b'-' | b'_' | b'/' | b'@'))
        {
            Some((i, None))
        } else {
            None
        };
        let Some((start, authority)) = start else {
            i += 1;
            continue;
        };
        let end = address_end(text, start);
        let after = authority.unwrap_or(start);
        if end <= after {
            i = after.max(i + 1);
            continue;
        }
        address(bytes, start, authority, end, &mut hidden);
        i = end.max(i + 1);
    }
    replaced(text, hidden, SECRET)
}

/// `url`, one web address written whole (as a client asks it: no sentence around it, its
/// last character its own), with its credentials replaced by `marker`: the same user,
/// password and parameters as [`credentials`] hides in a text, and the values of parameters
/// named as [`HELD_IN_AN_ADDRESS_ASKED`] says. Transport shows the URLs it asked so in its
/// errors and logs (as `***`): one rule for what is a credential, there and in complaint
/// texts, and a stricter one for what else a key may be named where hiding it costs nothing.
pub fn in_address<'a>(url: &'a str, marker: &str) -> Cow<'a, str> {
    let bytes = url.as_bytes();
    let mut hidden = Vec::new();
    // Its user and password: before the last `@` of its authority. (Not read as in a text,
    // where a password's `/` cuts the host short: a URL as a client asks it escapes an `@`
    // or a `/` of theirs, and a host without a dot, `localhost`, is one.)
    let from = find(bytes, b"://").map_or(0, |p| p + 3);
    let authority_end = bytes[from..]
        .iter()
        .position(|b| matches!(b, b'/' | b'\\' | b'?' | b'#'))
        .map_or(bytes.len(), |p| from + p);
    if let Some(at) = bytes[from..authority_end].iter().rposition(|b| *b == b'@') {
        if at > 0 {
            hidden.push(from..from + at);
        }
    }
    after_authority(bytes, authority_end, url.len(), true, &mut hidden);
    replaced(url, hidden, marker)
}

/// Finds the credentials of the address in bytes `start..end` (its authority, after the
/// scheme's `://`, beginning at `authority`; none for a `www.` one) and adds their spans to
/// `hidden`.
fn address(
    bytes: &[u8],
    start: usize,
    authority: Option<usize>,
    end: usize,
    hidden: &mut Vec<Range<usize>>,
) {
    let authority_end = match authority {
        Some(a) => userinfo(bytes, a, end, false, hidden),
        None => bytes[start..end]
            .iter()
            .position(|b| matches!(b, b'/' | b'\\' | b'?' | b'#'))
            .map_or(end, |p| start + p),
    };
    after_authority(bytes, authority_end, end, false, hidden);
}

/// Finds the credentials in bytes `authority_end..end` of an address, after its authority:
/// those of the addresses written inside it, and its parameters' (of a URL transport asked,
/// `asked`, also those [`HELD_IN_AN_ADDRESS_ASKED`] names).
fn after_authority(
    bytes: &[u8],
    authority_end: usize,
    end: usize,
    asked: bool,
    hidden: &mut Vec<Range<usize>>,
) {
    // Addresses written inside this one (in a parameter's value): their users too.
    // Each read up to the next one's `://` (review, session 49: each read to the end of
    // the outer address, thousands of them took seconds).
    let mut next = find(&bytes[authority_end..end], b"://").map(|p| authority_end + p);
    while let Some(at) = next {
        let a = at + 3;
        next = find(&bytes[a..end], b"://").map(|p| a + p);
        userinfo(bytes, a, next.unwrap_or(end), true, hidden);
    }
    parameters(bytes, authority_end, end, asked, hidden);
}

/// `text` with each of the spans `hidden` (which may overlap) replaced by `marker`.
fn replaced<'a>(text: &'a str, mut hidden: Vec<Range<usize>>, marker: &str) -> Cow<'a, str> {
    if hidden.is_empty() {
        return Cow::Borrowed(text);
    }
    hidden.sort_by_key(|r| r.start);
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    let mut open: Option<Range<usize>> = None;
    for r in hidden {
        match &mut open {
            Some(o) if r.start <= o.end => o.end = o.end.max(r.end),
            _ => {
                if let Some(o) = open.replace(r) {
                    out.push_str(&text[copied..o.start]);
                    out.push_str(marker);
                    copied = o.end;
                }
            }
        }
    }
    if let Some(o) = open {
        out.push_str(&text[copied..o.start]);
        out.push_str(marker);
        copied = o.end;
    }
    out.push_str(&text[copied..]);
    Cow::Owned(out)
}

/// Where `needle` first is in `hay`.
fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// The byte after the web address beginning at byte `start` of `text`: up to white space, a
/// control character, `<`, `>`, `"` or `` ` ``, without the punctuation after it that ends a
/// sentence.
fn address_end(text: &str, start: usize) -> usize {
    let end = text[start..]
        .char_indices()
        .find(|(_, c)| c.is_whitespace() || c.is_control() || matches!(c, '<' | '>' | '"' | '`'))
        .map_or(text.len(), |(at, _)| start + at);
    let mut address = &text[start..end];
    // (A closing bracket the address opened is its own: `[::1]`, a `[kredensial]` of its, a
    // wiki's `(kota)`.) Each bracket's opening and closing ones in the address, counted once
    // and kept as its end moves back (review, session 49: counted again at each, a link
    // followed by thousands of `)` took minutes).
    const BRACKETS: [(u8, u8); 3] = [(b'(', b')'), (b'[', b']'), (b'{', b'}')];
    let mut counts = [(0usize, 0usize); 3];
    for b in address.bytes() {
        for (k, (open, close)) in BRACKETS.iter().enumerate() {
            counts[k].0 += usize::from(b == *open);
            counts[k].1 += usize::from(b == *close);
        }
    }
    while let Some(last) = address.chars().next_back() {
        let before = &address[..address.len() - last.len_utf8()];
        let bracket = BRACKETS
            .iter()
            .position(|(_, close)| char::from(*close) == last);
        let ends_sentence = match last {
            '.' | ',' | ';' | ':' | '!' | '?' | '\'' | '*' | '~' => true,
            // A quote, an ellipsis, an emoji, a full stop of another script: no part of an
            // address as a user writes it (an IDN's letters and digits are).
            c if !c.is_ascii() && !c.is_alphanumeric() => true,
            // Not opened before it: no more opening ones than closing ones before it.
            _ => bracket.is_some_and(|k| counts[k].0 < counts[k].1),
        };
        if !ends_sentence {
            break;
        }
        if let Some(k) = bracket {
            counts[k].1 -= 1;
        }
        address = before;
    }
    start + address.len()
}

/// Hides the user and password of the authority beginning at byte `a` of an address ending
/// at `end` (see the module's notes); an address inside a parameter's value (`nested`) ends
/// its authority at a `&` too. The byte where the authority ends.
fn userinfo(
    bytes: &[u8],
    a: usize,
    end: usize,
    nested: bool,
    hidden: &mut Vec<Range<usize>>,
) -> usize {
    let ends = |b: &u8| matches!(b, b'/' | b'\\' | b'?' | b'#') || (nested && *b == b'&');
    let authority_end = bytes[a..end].iter().position(ends).map_or(end, |p| a + p);
    let authority = &bytes[a..authority_end];
    if let Some(at) = authority.iter().rposition(|b| *b == b'@') {
        if at > 0 {
            hidden.push(a..a + at);
        }
        return authority_end;
    }
    // What is left before the query: where a user name or password cut the host short, its
    // `@` is there.
    let rest_end = bytes[authority_end..end]
        .iter()
        .position(|b| matches!(b, b'?' | b'#') || (nested && *b == b'&'))
        .map_or(end, |p| authority_end + p);
    let path = &bytes[authority_end..rest_end];
    let port_from = authority
        .iter()
        .rposition(|b| *b == b']')
        .map_or(0, |p| p + 1);
    let bad_port = authority[port_from..]
        .iter()
        .rposition(|b| *b == b':')
        .is_some_and(|c| {
            !authority[port_from + c + 1..]
                .iter()
                .all(u8::is_ascii_digit)
        });
    let cut_at = if bad_port {
        path.iter().rposition(|b| *b == b'@')
    } else if !authority.starts_with(b"[") && !authority.contains(&b'.') {
        // A host without a dot, and an `@` followed by what reads as a host (a dot, a port,
        // a bracket) up to the path's next `/`, `\` or its end.
        // (Read from the end once, what follows each `@` up to that `/` known as it is
        // passed: review, session 49, read again at each `@`, a path of thousands took
        // seconds.)
        let mut hostlike = false;
        (0..path.len()).rev().find(|&p| {
            let b = path[p];
            if b == b'@' && (hostlike || path.get(p + 1) == Some(&b'[')) {
                return true;
            }
            match b {
                b'/' | b'\\' => hostlike = false,
                b'.' | b':' => hostlike = true,
                _ => {}
            }
            false
        })
    } else {
        None
    };
    // (The host is then what follows the `@` up to the path: the last `@` before it ends
    // the user and password, as in an authority read whole.)
    let cut_at = cut_at.map(|p| {
        let host = &path[p + 1..];
        let host = &host[..host
            .iter()
            .position(|b| matches!(b, b'/' | b'\\'))
            .unwrap_or(host.len())];
        host.iter()
            .rposition(|b| *b == b'@')
            .map_or(p, |q| p + 1 + q)
    });
    match cut_at {
        Some(p) => {
            hidden.push(a..authority_end + p);
            authority_end + p + 1
        }
        None => authority_end,
    }
}

/// Hides the values of the parameters named as credentials in bytes `from..end` of an
/// address (its path, query and fragment). A parameter's name follows a `?`, `&`, `#` or
/// `;` (also within another's value: an address in it, `?next=/login?token=…`). Its value
/// ends, in the path (`;jsessionid=…`), at the next `;`, `&`, `?` or `#`; in the query or
/// the fragment at the next `&` or `#` (RFC 3986 leaves `?`, `/` and `;` to a value, and
/// `&` is what forms and `URLSearchParams` part parameters with), and at a `;` where that
/// query or fragment parts its parameters with `;` (see `parted_by_semicolons`).
fn parameters(bytes: &[u8], from: usize, end: usize, asked: bool, hidden: &mut Vec<Range<usize>>) {
    let parts = |b: &u8| matches!(b, b'?' | b'&' | b'#' | b';');
    // Where the query and the fragment begin (at their `?` and `#`; `end` without one).
    let query = bytes[from..end]
        .iter()
        .position(|b| matches!(b, b'?' | b'#'))
        .map_or(end, |p| from + p);
    let fragment = bytes[query..end]
        .iter()
        .position(|b| *b == b'#')
        .map_or(end, |p| query + p);
    let query_semicolons = parted_by_semicolons(&bytes[query..fragment]);
    let fragment_semicolons = parted_by_semicolons(&bytes[fragment..end]);
    // What ends a value beginning at byte `v`, and where its part of the address ends.
    let ends = |v: usize| -> (fn(&u8) -> bool, usize) {
        if v <= query {
            (|b| matches!(b, b'?' | b'&' | b'#' | b';'), query)
        } else if v <= fragment {
            if query_semicolons {
                (|b| matches!(b, b'&' | b'#' | b';'), fragment)
            } else {
                (|b| matches!(b, b'&' | b'#'), fragment)
            }
        } else if fragment_semicolons {
            (|b| matches!(b, b'&' | b'#' | b';'), end)
        } else {
            (|b| matches!(b, b'&' | b'#'), end)
        }
    };
    // Each parameter: its name and its value. (Values begin in the order of the address,
    // and the end of the last one found is kept until a value begins after it: each byte
    // is read once, however many parameters a value holds.)
    let mut found: Vec<(&[u8], Range<usize>)> = Vec::new();
    let mut stop = from;
    let mut k = from;
    while k < end {
        if !parts(&bytes[k]) {
            k += 1;
            continue;
        }
        let name_from = k + 1;
        let next = bytes[name_from..end]
            .iter()
            .position(|b| parts(b) || *b == b'=')
            .map_or(end, |p| name_from + p);
        if next < end && bytes[next] == b'=' {
            let v = next + 1;
            let (stops, part_end) = ends(v);
            if stop < v || stop > part_end {
                stop = bytes[v..part_end]
                    .iter()
                    .position(stops)
                    .map_or(part_end, |p| v + p);
            }
            found.push((&bytes[name_from..next], v..stop));
        }
        k = next;
    }
    let name = |n: &[u8]| compared(&String::from_utf8_lossy(n));
    let oauth = found.iter().any(|(n, _)| name(n) == "state");
    for (n, value) in found {
        let written = String::from_utf8_lossy(n);
        let secret = if asked {
            names_a_credential(&written)
        } else {
            credential(&written)
        } || (oauth && name(n) == "code");
        if secret && !value.is_empty() {
            hidden.push(value);
        }
    }
}

/// Whether a query's (or a fragment's) parameters, bytes `part` after its `?` or `#`, are
/// parted by `;` (`?id=5;token=abc`, as HTML 4 allowed): it holds no `&`, and a `;` in it is
/// followed by a name and `=`. Elsewhere a `;` is a value's own (`?token=ab;cd&id=5`).
fn parted_by_semicolons(part: &[u8]) -> bool {
    if part.contains(&b'&') {
        return false;
    }
    // (Each `;` read up to the next one: the part is read once.)
    part.iter().enumerate().any(|(p, b)| {
        *b == b';'
            && part[p + 1..]
                .iter()
                .position(|b| matches!(b, b'?' | b'#' | b';' | b'='))
                .is_some_and(|n| n > 0 && part[p + 1 + n] == b'=')
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_in_a_query_are_hidden_and_the_rest_of_the_address_stays() {
        for (text, want) in [
            (
                "https://x.example/a?token=abc123&id=5",
                "https://x.example/a?token=[kredensial]&id=5",
            ),
            (
                "cek https://x.example/a?id=5&access_token=eyJhbGciOi.x_y-z&page=2 ya",
                "cek https://x.example/a?id=5&access_token=[kredensial]&page=2 ya",
            ),
            (
                "https://maps.example/api?API_KEY=AIzaSy123&q=Jl.+Merdeka",
                "https://maps.example/api?API_KEY=[kredensial]&q=Jl.+Merdeka",
            ),
            (
                "https://s3.example/b/p1.jpg?X-Amz-Credential=AKIA%2F20240101&X-Amz-Expires=900&X-Amz-Signature=f00d",
                "https://s3.example/b/p1.jpg?X-Amz-Credential=[kredensial]&X-Amz-Expires=900&X-Amz-Signature=[kredensial]",
            ),
            (
                "https://x.blob.example/c/f.pdf?sv=2020-08-04&se=2024-02-01&sig=Ab%2Bc%3D",
                "https://x.blob.example/c/f.pdf?sv=2020-08-04&se=2024-02-01&sig=[kredensial]",
            ),
            (
                "http://app.example/login?user=budi&password=rahasia123&pwd=x&pass=y",
                "http://app.example/login?user=budi&password=[kredensial]&pwd=[kredensial]&pass=[kredensial]",
            ),
            (
                "https://x.example/cb#access_token=abc&token_type=bearer&expires_in=3600",
                "https://x.example/cb#access_token=[kredensial]&token_type=[kredensial]&expires_in=3600",
            ),
            (
                "https://x.example/#/cb?id_token=abc.def",
                "https://x.example/#/cb?id_token=[kredensial]",
            ),
            (
                "https://x.example/app;jsessionid=0A1B2C?x=1&PHPSESSID=9f&session=s&sid=q",
                "https://x.example/app;jsessionid=[kredensial]?x=1&PHPSESSID=[kredensial]&session=[kredensial]&sid=[kredensial]",
            ),
            (
                "https://x.example/a?%74oken=abc&api%5Fkey=k&apiKey=k2&x-api-key=k3&key=k4",
                "https://x.example/a?%74oken=[kredensial]&api%5Fkey=[kredensial]&apiKey=[kredensial]&x-api-key=[kredensial]&key=[kredensial]",
            ),
            // An OAuth authorization response: its code, beside its state.
            (
                "https://x.example/cb?code=4/0AX&state=xyz",
                "https://x.example/cb?code=[kredensial]&state=xyz",
            ),
            // Without `www.`'s scheme too, and in any letter case.
            (
                "buka WWW.x.example/a?Token=abc!",
                "buka WWW.x.example/a?Token=[kredensial]!",
            ),
            // Ended by the sentence's punctuation, a bracket, a chat's bold.
            (
                "(https://x.example/a?token=abc). *https://x.example/?sig=s*",
                "(https://x.example/a?token=[kredensial]). *https://x.example/?sig=[kredensial]*",
            ),
            // Ended by a quote, an ellipsis, an emoji or a full stop of another script
            // written after it (review, session 49: they were hidden with the value).
            (
                "\u{201c}https://x.example/a?token=abc\u{201d} lalu https://x.example/b?sig=s\u{2026} \
                 https://x.example/c?key=k\u{1f64f}\u{1f64f} https://x.example/d?pwd=p\u{3002}",
                "\u{201c}https://x.example/a?token=[kredensial]\u{201d} lalu https://x.example/b?sig=[kredensial]\u{2026} \
                 https://x.example/c?key=[kredensial]\u{1f64f}\u{1f64f} https://x.example/d?pwd=[kredensial]\u{3002}",
            ),
            // An address inside another's query.
            (
                "https://x.example/go?next=https://x.example/b?token=t%26u&id=1",
                "https://x.example/go?next=https://x.example/b?token=[kredensial]&id=1",
            ),
        ] {
            assert_eq!(credentials(text), want, "{text}");
        }
    }

    #[test]
    fn a_user_and_password_before_the_host_are_hidden() {
        for (text, want) in [
            (
                "https://user:pass@host.example/a?id=5",
                "https://[kredensial]@host.example/a?id=5",
            ),
            (
                "https://TOKEN@host.example",
                "https://[kredensial]@host.example",
            ),
            (
                "ftp://budi:s3cr@t@ftp.example:21/x",
                "ftp://[kredensial]@ftp.example:21/x",
            ),
            (
                "http://u:p@[::1]:8080/x",
                "http://[kredensial]@[::1]:8080/x",
            ),
            // A password's `/` as written: the host cannot be `user` with the port `pa`.
            (
                "https://user:pa/ss@host.example/p1.jpg",
                "https://[kredensial]@host.example/p1.jpg",
            ),
            // A user name's `/`: the host would be `AKIA`, without a dot.
            (
                "https://AKIA/EXAMPLE@bucket.example.org/p1.jpg",
                "https://[kredensial]@bucket.example.org/p1.jpg",
            ),
            // An address inside another's query.
            (
                "https://x.example/go?to=https://u:p@h.example/x&id=1",
                "https://x.example/go?to=https://[kredensial]@h.example/x&id=1",
            ),
        ] {
            assert_eq!(credentials(text), want, "{text}");
        }
    }

    /// Item of session 50: where a value ends at a comma. A reporter's sentence goes on
    /// after a comma and a space (`…?token=abc, dan fotonya`, as chats are typed): the comma
    /// and what follows are no part of the address. A comma glued to what follows
    /// (`?token=abc,dan`) is in the address (a query value's own: `?ids=1,2,3`, a list of
    /// scopes), and the value is hidden with it: a word of the sentence hidden too many,
    /// rather than the part of a key after a comma shown.
    #[test]
    fn a_comma_and_a_space_end_a_value_and_a_glued_comma_does_not() {
        for (text, want) in [
            (
                "kirim https://x.example/a?token=abc, dan fotonya",
                "kirim https://x.example/a?token=[kredensial], dan fotonya",
            ),
            (
                "https://x.example/a?token=abc,\u{a0}dan",
                "https://x.example/a?token=[kredensial],\u{a0}dan",
            ),
            (
                "https://x.example/a?token=abc,dan fotonya",
                "https://x.example/a?token=[kredensial] fotonya",
            ),
            (
                "https://x.example/a?sig=a,b,c,",
                "https://x.example/a?sig=[kredensial],",
            ),
        ] {
            assert_eq!(credentials(text), want, "{text}");
        }
    }

    /// Session 51: a value was cut at a `;` or a `?` in it, and the rest of a credential
    /// holding one was shown. In a query (and a fragment) only `&` parts parameters, as a
    /// browser's form and `URLSearchParams` part them (RFC 3986 leaves `?`, `/` and `;` to
    /// the value), and `#` begins the fragment; `;` parts them only in a query that uses it so
    /// (no `&`, and a `;` followed by a name and `=`). In the path a parameter
    /// (`;jsessionid=…`) ends at `;`, `?` or `#`, as before.
    #[test]
    fn a_credential_holding_a_semicolon_or_a_question_mark_is_hidden_whole() {
        for (text, want) in [
            (
                "https://x.example/a?token=ab;cd&id=5",
                "https://x.example/a?token=[kredensial]&id=5",
            ),
            (
                "https://x.example/a?token=ab?cd&id=5",
                "https://x.example/a?token=[kredensial]&id=5",
            ),
            (
                "https://x.example/a?id=5&sig=a;b?c/d#top",
                "https://x.example/a?id=5&sig=[kredensial]#top",
            ),
            (
                "https://x.example/a?token=abc;def",
                "https://x.example/a?token=[kredensial]",
            ),
            (
                "https://x.example/cb#access_token=ab;c?d&token_type=bearer",
                "https://x.example/cb#access_token=[kredensial]&token_type=[kredensial]",
            ),
            // A query parted by `;` (an older form's way): its values end there.
            (
                "https://x.example/a?id=5;token=abc;page=2",
                "https://x.example/a?id=5;token=[kredensial];page=2",
            ),
            // A parameter of the path ends where the query begins.
            (
                "https://x.example/app;jsessionid=0A1B?x=1&y=2",
                "https://x.example/app;jsessionid=[kredensial]?x=1&y=2",
            ),
            // An address in a value: its own parameters are read too.
            (
                "https://x.example/go?next=/login?token=abc&id=1",
                "https://x.example/go?next=/login?token=[kredensial]&id=1",
            ),
        ] {
            assert_eq!(credentials(text), want, "{text}");
        }
        assert_eq!(
            in_address("http://h.example/x?key=a;b?c&id=1", "***"),
            "http://h.example/x?key=***&id=1"
        );
    }

    /// A query of many parameters, none parted by `&`, is read once (each value's end
    /// found once, not again for each parameter within it).
    #[test]
    fn a_query_of_many_parameters_is_read_once() {
        const N: usize = 50_000;
        let text = format!("https://x.example/a?{}token=t", "q=a?".repeat(N));
        let want = format!("https://x.example/a?{}token=[kredensial]", "q=a?".repeat(N));
        assert_eq!(credentials(&text), want);
    }

    /// Parameters and addresses that hold no credential stay as written (the module's
    /// notes: `?id=5`, `?page=2`).
    #[test]
    fn what_grants_no_access_stays() {
        for text in [
            "https://x.example/a?id=5",
            "https://x.example/a?page=2&q=banjir&sort=desc",
            "https://x.example/lapor?keyword=jalan&ticket=112-3375&design=1&side=a&passenger=2",
            "https://x.example/kode?code=51111",
            "https://x.example/token/abc?x=1",
            "https://x.example/uploads/warga@pekalongankota.go.id/p1.jpg",
            "https://x.example/@pemkot.pekalongan/",
            "https://x.example/p4@2x.jpg",
            "http://localhost:8080/a?b=c",
            "http://[::1]:8080/x",
            "https://x.example/a?token=",
            "https://x.example/a?token",
            "token=abc tanpa alamat",
            "surel siti@gmail.com dan www",
            "jam 10:30 di Jl. Merdeka: banjir",
            "https://",
            "://x@y",
            "https://@host.example/",
        ] {
            assert_eq!(credentials(text), text, "{text}");
        }
    }

    /// Review, session 49: the normaliser runs this on every text, at every rebuild. A link
    /// followed by many closing brackets, a path of many `@`, an address holding many
    /// addresses were each read again for every one of them (minutes for the texts below, at
    /// each rebuild); each is read once.
    #[test]
    fn long_texts_are_read_once() {
        const N: usize = 100_000;
        for (text, want) in [
            (
                format!("https://x.example/a?token=t{}", ")".repeat(N)),
                format!("https://x.example/a?token=[kredensial]{}", ")".repeat(N)),
            ),
            (
                format!("https://x.example/a?sig=s{}", "]".repeat(N)),
                format!("https://x.example/a?sig=[kredensial]{}", "]".repeat(N)),
            ),
            (
                format!("http://x/{}?token=t", "@".repeat(N)),
                format!("http://x/{}?token=[kredensial]", "@".repeat(N)),
            ),
            (
                format!("https://x.example/{}?key=k", "a://b/".repeat(N / 6)),
                format!(
                    "https://x.example/{}?key=[kredensial]",
                    "a://b/".repeat(N / 6)
                ),
            ),
        ] {
            assert_eq!(credentials(&text), want);
        }
    }

    /// Masking an address twice is masking it once; any text keeps its characters'
    /// boundaries, and is left as written but for what is hidden.
    #[test]
    fn hidden_credentials_stay_hidden_and_no_text_panics() {
        let once = credentials("https://u:p@h.example/a?token=t&id=1").into_owned();
        assert_eq!(credentials(&once), once);
        const PIECES: [&str; 16] = [
            "https://", "www.", "?", "&", "#", ";", "=", "@", "token", "/", ":", "é", "𝐚", " ",
            "[", "%7",
        ];
        let mut state = 0x5eed_u64;
        for _ in 0..3000 {
            let mut text = String::new();
            for _ in 0..12 {
                state = state
                    .wrapping_mul(6_364_136_223_846_793_005)
                    .wrapping_add(1);
                text.push_str(PIECES[(state >> 33) as usize % PIECES.len()]);
            }
            let masked = credentials(&text);
            let mut rest = text.as_str();
            for kept in masked.split(SECRET) {
                let at = rest.find(kept);
                assert!(at.is_some(), "{text:?}: {masked:?}");
                rest = &rest[at.unwrap_or_default() + kept.len()..];
            }
        }
    }
}
