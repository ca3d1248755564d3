//! The `/fortunes` page a target must render, built from the `Fortune` table as the harness read
//! it, and the comparison TechEmpower's verifier makes: whitespace between tags is free, and so
//! is how a character is written (raw, or as a character reference: html/template writes `+` as
//! `&#43;`); `&`, `<` and `>` must be escaped, as whichever reference.

use postgres::Client;

use super::DatabaseError;

/// The row every answer adds at request time (TechEmpower's rule).
pub const ADDED_FORTUNE: &str = "Additional fortune added at request time.";

/// The expected page, normalised.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FortunesPage {
    normalised: Vec<u8>,
}

impl FortunesPage {
    /// Reads `Fortune` and renders the page its rows make.
    pub fn read(client: &mut Client) -> Result<Self, DatabaseError> {
        let rows = client
            .query("SELECT id, message FROM fortune", &[])
            .map_err(|source| DatabaseError::query("reading the Fortune table", source))?;
        Ok(Self::from_rows(rows.iter().map(|row| {
            (row.get::<_, i32>(0), row.get::<_, String>(1))
        })))
    }

    /// The page of these rows plus the added one, sorted by message.
    pub fn from_rows(rows: impl IntoIterator<Item = (i32, String)>) -> Self {
        let mut rows: Vec<(i32, String)> = rows.into_iter().collect();
        rows.push((0, ADDED_FORTUNE.to_owned()));
        rows.sort_by(|a, b| a.1.cmp(&b.1));
        let mut page = String::from(
            "<!DOCTYPE html><html><head><title>Fortunes</title></head><body><table><tr><th>id</th><th>message</th></tr>",
        );
        for (id, message) in &rows {
            page.push_str(&format!(
                "<tr><td>{id}</td><td>{}</td></tr>",
                escape(message)
            ));
        }
        page.push_str("</table></body></html>");
        Self {
            normalised: normalise(page.as_bytes()),
        }
    }

    /// The normalised page.
    pub fn bytes(&self) -> &[u8] {
        &self.normalised
    }

    /// Compares an answer, normalised, with the page.
    pub fn check(&self, body: &[u8]) -> Result<(), String> {
        let got = normalise(body);
        if got == self.normalised {
            return Ok(());
        }
        let at = got
            .iter()
            .zip(&self.normalised)
            .position(|(a, b)| a != b)
            .unwrap_or_else(|| got.len().min(self.normalised.len()));
        let from = at.saturating_sub(40);
        let excerpt = |bytes: &[u8]| {
            String::from_utf8_lossy(&bytes[from.min(bytes.len())..(at + 40).min(bytes.len())])
                .into_owned()
        };
        Err(format!(
            "the fortunes page differs at byte {at} (after normalising whitespace and quote escapes): expected …{:?}…, got …{:?}…",
            excerpt(&self.normalised),
            excerpt(&got)
        ))
    }
}

/// Character references decoded, but those of the three characters that must stay escaped.
fn decode_references(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        let decoded = after.find(';').filter(|&end| end <= 10).and_then(|end| {
            let name = &after[..end];
            let character = match name {
                "quot" => Some('"'),
                "apos" => Some('\''),
                "amp" => Some('&'),
                "lt" => Some('<'),
                "gt" => Some('>'),
                _ => name
                    .strip_prefix("#x")
                    .or_else(|| name.strip_prefix("#X"))
                    .map(|hex| u32::from_str_radix(hex, 16))
                    .or_else(|| name.strip_prefix('#').map(str::parse::<u32>))
                    .and_then(Result::ok)
                    .and_then(char::from_u32),
            }?;
            Some((character, end))
        });
        match decoded {
            Some((character, end)) => {
                match character {
                    '&' => out.push_str("&amp;"),
                    '<' => out.push_str("&lt;"),
                    '>' => out.push_str("&gt;"),
                    other => out.push(other),
                }
                rest = &after[end + 1..];
            }
            None => {
                out.push('&');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// Whitespace between tags and at the ends removed; every character reference written as its
/// character, except those of `&`, `<` and `>`, written as `&amp;`, `&lt;` and `&gt;`.
pub fn normalise(body: &[u8]) -> Vec<u8> {
    let text = decode_references(String::from_utf8_lossy(body).trim());
    let mut out = Vec::with_capacity(text.len());
    let mut pending_space = Vec::new();
    let mut after_tag = true;
    for &byte in text.as_bytes() {
        if byte.is_ascii_whitespace() {
            pending_space.push(byte);
            continue;
        }
        // Whitespace between a tag's end and the next tag's start is dropped; inside text it
        // stays as it was.
        if !(after_tag && byte == b'<') {
            out.append(&mut pending_space);
        }
        pending_space.clear();
        out.push(byte);
        after_tag = byte == b'>';
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page() -> FortunesPage {
        FortunesPage::from_rows([
            (11, "<script>alert(\"x\");</script>".to_owned()),
            (2, "A computer scientist isn't +1".to_owned()),
        ])
    }

    #[test]
    fn the_added_fortune_is_sorted_in_and_markup_is_escaped() {
        let text = String::from_utf8(page().bytes().to_vec()).unwrap();
        let script = text
            .find("&lt;script&gt;alert(\"x\");&lt;/script&gt;")
            .unwrap();
        let added = text.find(ADDED_FORTUNE).unwrap();
        let scientist = text.find("A computer scientist isn't +1").unwrap();
        assert!(script < scientist && scientist < added, "{text}");
        assert!(text.contains("<tr><td>0</td><td>Additional"), "{text}");
    }

    #[test]
    fn whitespace_between_tags_and_either_quote_reference_are_accepted() {
        let page = page();
        let rendered = "<!DOCTYPE html>\n<html>\n<head><title>Fortunes</title></head>\n<body>\n<table>\n<tr><th>id</th><th>message</th></tr>\n\
            <tr><td>11</td><td>&lt;script&gt;alert(&#34;x&#34;);&lt;/script&gt;</td></tr>\n\
            <tr><td>2</td><td>A computer scientist isn&#x27;t &#43;1</td></tr>\n\
            <tr><td>0</td><td>Additional fortune added at request time.</td></tr>\n</table>\n</body>\n</html>\n";
        assert_eq!(page.check(rendered.as_bytes()), Ok(()));
    }

    #[test]
    fn an_unescaped_script_or_a_missing_row_is_caught() {
        let page = page();
        let raw = String::from_utf8(page.bytes().to_vec())
            .unwrap()
            .replace("&lt;script&gt;", "<script>");
        let why = page.check(raw.as_bytes()).unwrap_err();
        assert!(why.contains("differs at byte"), "{why}");
        let as_reference = String::from_utf8(page.bytes().to_vec())
            .unwrap()
            .replace("&lt;script&gt;", "&#60;script&#x3e;");
        assert_eq!(
            page.check(as_reference.as_bytes()),
            Ok(()),
            "any reference of <"
        );
        let short = String::from_utf8(page.bytes().to_vec()).unwrap().replace(
            "<tr><td>0</td><td>Additional fortune added at request time.</td></tr>",
            "",
        );
        assert!(page.check(short.as_bytes()).is_err());
    }
}
