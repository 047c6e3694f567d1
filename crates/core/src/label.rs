//! A label (a status, a kind, a category) as the mapping tables read it: letter case and white
//! space aside, the characters that take no room left out. The normaliser keys its tables so,
//! and a connector that must tell a label itself (the Wadul Aladin register's closing
//! statuses) reads it the same way.

/// White space as labels and texts see it (the non-breaking space included, and the
/// zero-width space, `&#8203;`, which a web editor leaves between words and at the ends of
/// its paragraphs).
pub fn is_space(c: char) -> bool {
    c.is_whitespace() || matches!(c, '\u{a0}' | '\u{200b}')
}

/// Characters that take no room and part no words, left out of texts: a byte order mark (a
/// zero-width no-break space), a word joiner and a soft hyphen (`&shy;`). (A zero-width
/// joiner or non-joiner stays in a text, where it joins an emoji's parts, but is left out of
/// labels: see [`is_invisible`].)
pub fn is_unseen(c: char) -> bool {
    matches!(c, '\u{feff}' | '\u{2060}' | '\u{ad}')
}

/// Characters that take no room in a label: those of [`is_unseen`] and the zero-width joiner
/// and non-joiner. Review: a label holding one (a register's `Selesai` pasted with a
/// zero-width space, a category with a byte order mark) was unknown.
pub fn is_invisible(c: char) -> bool {
    is_unseen(c) || matches!(c, '\u{200c}' | '\u{200d}')
}

/// Characters that take no room and part no digits, left out where numbers, e-mail
/// addresses and names' keys are read: those a text leaves out ([`is_unseen`]: a byte order
/// mark, a word joiner, a soft hyphen), the marks and embeddings, overrides and isolates of
/// bidirectional text (U+200E, U+200F, U+061C, U+202A to U+202E, U+2066 to U+2069; an editor
/// of right-to-left text puts them around a number), the invisible operators (U+2061 to
/// U+2064), and the zero-width space, non-joiner and joiner (U+200B to U+200D; review,
/// session 45: pasted from a chat or a web page into a number, an address or a name, they
/// parted it, and the reporter had no key, or the name was kept). Nothing is removed from a
/// text by this (a joiner joins an emoji's parts there): a number, an address or a name is
/// read without them. Those but [`is_unseen`]'s may part two things as well as stand inside
/// one, and are read both ways where that matters.
pub fn takes_no_room(c: char) -> bool {
    is_unseen(c)
        || matches!(
            c,
            '\u{200b}'..='\u{200f}'
                | '\u{61c}'
                | '\u{202a}'..='\u{202e}'
                | '\u{2061}'..='\u{2064}'
                | '\u{2066}'..='\u{2069}'
        )
}

/// Pushes `c` in lower case; ASCII without the Unicode tables.
pub fn push_lowercase(out: &mut String, c: char) {
    if c.is_ascii() {
        out.push(c.to_ascii_lowercase());
    } else {
        out.extend(c.to_lowercase());
    }
}

/// The key a label is known by: lower case, without white space or the characters that take
/// no room, so that words glued or parted (`DijawabTim`, `Dijawab  Tim`) are one label.
pub fn label_key(label: &str) -> String {
    let mut key = String::with_capacity(label.len());
    for c in label.chars().filter(|&c| !is_space(c) && !is_invisible(c)) {
        push_lowercase(&mut key, c);
    }
    key
}
