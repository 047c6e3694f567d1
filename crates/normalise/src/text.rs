//! Plain text: HTML removed, entities decoded, white space tidied.

use std::borrow::Cow;

/// Folds a label for lookups: case, non-breaking spaces and runs of white space.
pub fn fold(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut gap = false;
    for c in s.chars() {
        if is_space(c) {
            gap = !out.is_empty();
            continue;
        }
        if gap {
            out.push(' ');
            gap = false;
        }
        push_lowercase(&mut out, c);
    }
    out
}

/// White space as `fold` and `plain_text` see it (the non-breaking space included).
fn is_space(c: char) -> bool {
    c.is_whitespace() || c == '\u{a0}'
}

/// Pushes `c` in lower case; ASCII without the Unicode tables.
pub(crate) fn push_lowercase(out: &mut String, c: char) {
    if c.is_ascii() {
        out.push(c.to_ascii_lowercase());
    } else {
        out.extend(c.to_lowercase());
    }
}

/// White space folded to single spaces and upper case: the form of the national taxonomy.
pub fn upper_folded(s: &str) -> String {
    fold(s).to_uppercase()
}

/// Removes HTML tags (block ends become line breaks), decodes entities and tidies white space:
/// spaces folded within a line, lines trimmed, at most one blank line in a row.
pub fn plain_text(s: &str) -> String {
    let stripped = if s.contains('<') {
        Cow::Owned(strip_tags(s))
    } else {
        Cow::Borrowed(s)
    };
    let decoded = html_escape::decode_html_entities(&stripped);
    tidy(&decoded)
}

fn strip_tags(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(start) = rest.find('<') {
        out.push_str(&rest[..start]);
        let after = &rest[start + 1..];
        let looks_like_tag = looks_like_tag(after);
        match (looks_like_tag, after.find('>')) {
            (true, Some(end)) => {
                let name: String = after[..end]
                    .trim_start_matches('/')
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric())
                    .collect::<String>()
                    .to_ascii_lowercase();
                if matches!(
                    name.as_str(),
                    "br" | "p" | "div" | "li" | "tr" | "h1" | "h2" | "h3"
                ) {
                    out.push('\n');
                }
                rest = &after[end + 1..];
            }
            _ => {
                out.push('<');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// The elements of HTML (the living standard's, with the obsolete ones web editors still
/// write): `<` and one of these is a tag, any other `<` is text (a WhatsApp message's
/// `<Gg. Mawar 3>` keeps its words).
const ELEMENTS: &[&str] = &[
    "a",
    "abbr",
    "acronym",
    "address",
    "applet",
    "area",
    "article",
    "aside",
    "audio",
    "b",
    "base",
    "basefont",
    "bdi",
    "bdo",
    "big",
    "blink",
    "blockquote",
    "body",
    "br",
    "button",
    "canvas",
    "caption",
    "center",
    "cite",
    "code",
    "col",
    "colgroup",
    "data",
    "datalist",
    "dd",
    "del",
    "details",
    "dfn",
    "dialog",
    "dir",
    "div",
    "dl",
    "dt",
    "em",
    "embed",
    "fieldset",
    "figcaption",
    "figure",
    "font",
    "footer",
    "form",
    "frame",
    "frameset",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "head",
    "header",
    "hgroup",
    "hr",
    "html",
    "i",
    "iframe",
    "img",
    "input",
    "ins",
    "kbd",
    "label",
    "legend",
    "li",
    "link",
    "main",
    "map",
    "mark",
    "marquee",
    "menu",
    "meta",
    "meter",
    "nav",
    "nobr",
    "noembed",
    "noframes",
    "noscript",
    "object",
    "ol",
    "optgroup",
    "option",
    "output",
    "p",
    "param",
    "picture",
    "pre",
    "progress",
    "q",
    "rp",
    "rt",
    "ruby",
    "s",
    "samp",
    "script",
    "search",
    "section",
    "select",
    "slot",
    "small",
    "source",
    "span",
    "strike",
    "strong",
    "style",
    "sub",
    "summary",
    "sup",
    "svg",
    "table",
    "tbody",
    "td",
    "template",
    "textarea",
    "tfoot",
    "th",
    "thead",
    "time",
    "title",
    "tr",
    "track",
    "tt",
    "u",
    "ul",
    "var",
    "video",
    "wbr",
];

/// Whether `after` (what follows a `<`) starts a tag: a comment or declaration (`!`), or a
/// known element's name, opening or closing, ended by `>`, `/` or white space; or an office
/// suite's namespaced one (`<o:p>`).
fn looks_like_tag(after: &str) -> bool {
    if after.starts_with('!') {
        return true;
    }
    let name_on = after.strip_prefix('/').unwrap_or(after);
    let len = name_on
        .bytes()
        .take_while(u8::is_ascii_alphanumeric)
        .count();
    let (name, next) = (&name_on[..len], name_on[len..].chars().next());
    let known = ELEMENTS.iter().any(|e| e.eq_ignore_ascii_case(name));
    match next {
        Some(c) if c == '>' || c == '/' || c.is_ascii_whitespace() => known,
        Some(':') => matches!(name, "o" | "v" | "w" | "m" | "st1"),
        _ => false,
    }
}

fn tidy(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut blank_run = 0;
    for line in s.lines() {
        let mut words = line.split(is_space).filter(|w| !w.is_empty());
        let Some(first) = words.next() else {
            blank_run += 1;
            continue;
        };
        if !out.is_empty() {
            out.push_str(if blank_run > 0 { "\n\n" } else { "\n" });
        }
        blank_run = 0;
        out.push_str(first);
        for word in words {
            out.push(' ');
            out.push_str(word);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_from_the_web_editor_becomes_plain_text() {
        let html = "<p>Lampu PJU di Jl. Hayam Wuruk mati sejak 3 hari.<br>Mohon segera diperbaiki &amp; dicek.</p>";
        assert_eq!(
            plain_text(html),
            "Lampu PJU di Jl. Hayam Wuruk mati sejak 3 hari.\nMohon segera diperbaiki & dicek."
        );
    }

    #[test]
    fn a_less_than_sign_that_is_no_tag_is_kept() {
        assert_eq!(plain_text("suhu < 30 &lt;b&gt;"), "suhu < 30 <b>");
    }

    /// Text typed in a chat holds `<…>` that are no HTML: its words stay.
    #[test]
    fn angle_brackets_around_words_are_no_tags() {
        assert_eq!(
            plain_text("Lampu mati di <Gg. Mawar 3> sejak kemarin"),
            "Lampu mati di <Gg. Mawar 3> sejak kemarin"
        );
        assert_eq!(plain_text("<catatan: penting>"), "<catatan: penting>");
        assert_eq!(plain_text("<Budi> bilang <pagi>"), "<Budi> bilang <pagi>");
        assert_eq!(
            plain_text("<figure><img src=x><figcaption>Foto</figcaption></figure><iframe src='u'></iframe><wbr>"),
            "Foto"
        );
        assert_eq!(
            plain_text("<P CLASS=x>Satu</P><o:p></o:p><!-- c --><br/>Dua<span\nstyle=''>!</span>"),
            "Satu\n\nDua!"
        );
    }

    #[test]
    fn white_space_is_tidied() {
        assert_eq!(plain_text("  a \u{a0} b \n\n\n\n c\t d  "), "a b\n\nc d");
    }

    #[test]
    fn labels_fold_case_and_non_breaking_spaces() {
        assert_eq!(
            fold("PEKERJAAN\u{a0}UMUM  DAN\tPENATAAN"),
            "pekerjaan umum dan penataan"
        );
        assert_eq!(upper_folded(" jalan  berlubang "), "JALAN BERLUBANG");
    }

    /// `fold` as it was first written (every character through the Unicode tables, the
    /// words collected and joined): the fast path must give the same labels.
    fn fold_by_the_tables(s: &str) -> String {
        s.split(|c: char| c.is_whitespace() || c == '\u{a0}')
            .filter(|w| !w.is_empty())
            .map(|w| w.chars().flat_map(char::to_lowercase).collect::<String>())
            .collect::<Vec<_>>()
            .join(" ")
    }

    #[test]
    fn folding_ascii_quickly_gives_what_the_unicode_tables_give() {
        for s in [
            "",
            "   ",
            "Kelurahan  PODOSUGIH",
            "\u{a0}Pekalongan\u{a0}Barat\u{a0}",
            "ÇAĞRI Merkezİ 112",
            "ΣΟΦΙΑ  Straße\tDİNAS",
            "a\r\nb\u{2003}c",
        ] {
            assert_eq!(fold(s), fold_by_the_tables(s), "{s:?}");
        }
    }
}
