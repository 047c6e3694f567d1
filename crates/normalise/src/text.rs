//! Plain text: HTML removed, entities decoded, white space tidied.

/// Folds a label for lookups: case, non-breaking spaces and runs of white space.
pub fn fold(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for word in s.split(|c: char| c.is_whitespace() || c == '\u{a0}') {
        if word.is_empty() {
            continue;
        }
        if !out.is_empty() {
            out.push(' ');
        }
        out.extend(word.chars().flat_map(char::to_lowercase));
    }
    out
}

/// White space folded to single spaces and upper case: the form of the national taxonomy.
pub fn upper_folded(s: &str) -> String {
    fold(s).to_uppercase()
}

/// Removes HTML tags (block ends become line breaks), decodes entities and tidies white space:
/// spaces folded within a line, lines trimmed, at most one blank line in a row.
pub fn plain_text(s: &str) -> String {
    let stripped = strip_tags(s);
    let decoded = html_escape::decode_html_entities(&stripped);
    tidy(&decoded)
}

fn strip_tags(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(start) = rest.find('<') {
        out.push_str(&rest[..start]);
        let after = &rest[start + 1..];
        let looks_like_tag = after
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '/' || c == '!');
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

fn tidy(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut blank_run = 0;
    for line in s.lines() {
        let folded: Vec<&str> = line
            .split(|c: char| c.is_whitespace() || c == '\u{a0}')
            .filter(|w| !w.is_empty())
            .collect();
        if folded.is_empty() {
            blank_run += 1;
            continue;
        }
        if !out.is_empty() {
            out.push_str(if blank_run > 0 { "\n\n" } else { "\n" });
        }
        blank_run = 0;
        out.push_str(&folded.join(" "));
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
}
