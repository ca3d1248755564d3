//! The `/fortunes` page (spec/CONTRACT.md, "Database endpoints"): the rows of `Fortune` plus one
//! added at request time, sorted by message, rendered through askama's HTML template
//! (templates/fortunes.html), whose default escaper writes `&`, `<`, `>`, `"` and `'` as
//! `&#38;`, `&#60;`, `&#62;`, `&#34;` and `&#39;` — the numeric forms TechEmpower's verifier
//! accepts for each.

use askama::Template;

/// The message of the fortune each request adds before sorting.
pub const ADDED_FORTUNE: &str = "Additional fortune added at request time.";

/// One row of `Fortune`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fortune {
    /// `fortune.id`.
    pub id: i32,
    /// `fortune.message`, unescaped.
    pub message: String,
}

#[derive(Template)]
#[template(path = "fortunes.html")]
struct FortunesPage<'a> {
    fortunes: &'a [Fortune],
}

/// The page for the rows read by one request: adds [`ADDED_FORTUNE`] with id 0, sorts by
/// message (byte order of the UTF-8 text) and renders. An error only if the template cannot
/// write, which answers 500.
pub fn render_fortunes(mut fortunes: Vec<Fortune>) -> Result<String, askama::Error> {
    fortunes.push(Fortune {
        id: 0,
        message: ADDED_FORTUNE.to_owned(),
    });
    fortunes.sort_unstable_by(|a, b| a.message.cmp(&b.message));
    FortunesPage {
        fortunes: &fortunes,
    }
    .render()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fortune(id: i32, message: &str) -> Fortune {
        Fortune {
            id,
            message: message.to_owned(),
        }
    }

    #[test]
    fn the_page_lists_the_rows_and_the_added_fortune_sorted_by_message_in_byte_order() {
        let page = render_fortunes(vec![
            fortune(12, "フレームワークのベンチマーク"),
            fortune(7, "Any program that runs right is obsolete."),
            fortune(1, "fortune: No such file or directory"),
        ])
        .expect("the template renders");
        assert_eq!(
            page,
            "<!DOCTYPE html><html><head><title>Fortunes</title></head><body><table>\
             <tr><th>id</th><th>message</th></tr>\
             <tr><td>0</td><td>Additional fortune added at request time.</td></tr>\
             <tr><td>7</td><td>Any program that runs right is obsolete.</td></tr>\
             <tr><td>1</td><td>fortune: No such file or directory</td></tr>\
             <tr><td>12</td><td>フレームワークのベンチマーク</td></tr>\
             </table></body></html>"
        );
    }

    #[test]
    fn messages_are_escaped_but_ids_are_plain_numbers() {
        let page = render_fortunes(vec![fortune(
            11,
            r#"<script>alert("This should not be displayed in a browser alert box.");</script> & 'x'"#,
        )])
        .expect("the template renders");
        assert!(
            page.contains(
                "<tr><td>11</td><td>&#60;script&#62;alert(&#34;This should not be displayed \
                 in a browser alert box.&#34;);&#60;/script&#62; &#38; &#39;x&#39;</td></tr>"
            ),
            "{page}"
        );
    }
}
