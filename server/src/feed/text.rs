//! What a post may hold once stored: plain text without markup, without the Unicode controls that reorder or hide
//! text, of bounded length; and addresses that are `http(s)` or nothing. Mastodon's HTML is reduced to its text here;
//! X escapes `&`, `<` and `>` as entities, which are decoded. The page turns links, hashtags and mentions found in
//! the text into links itself (`caravan::feed_text`), so nothing a post holds is ever markup.

/// The longest text kept (X allows 280 characters, Mastodon 500 by default; long posts are cut).
pub const MAX_TEXT_CHARS: usize = 1000;
/// The longest author name kept.
pub const MAX_NAME_CHARS: usize = 80;
/// The longest address kept.
const MAX_URL_BYTES: usize = 2048;

/// The text of a Mastodon status's HTML: line breaks for `<br>` and paragraphs, the rest of the markup dropped
/// (with the content of `<script>` and `<style>`), entities decoded; then [`clean_text`].
pub fn html_to_text(html: &str) -> String {
    let mut text = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(open) = rest.find('<') {
        text.push_str(&html_escape::decode_html_entities(&rest[..open]));
        let Some(close) = rest[open..].find('>') else {
            // A '<' that opens no tag is text.
            text.push_str(&html_escape::decode_html_entities(&rest[open..]));
            rest = "";
            break;
        };
        let tag = &rest[open + 1..open + close];
        rest = &rest[open + close + 1..];
        let name: String = tag
            .trim_start_matches('/')
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect::<String>()
            .to_ascii_lowercase();
        let closing = tag.starts_with('/');
        match name.as_str() {
            "br" => text.push('\n'),
            "p" | "div" | "li" | "blockquote" if closing => text.push_str("\n\n"),
            "script" | "style" if !closing => {
                let end = format!("</{name}");
                let at = rest.to_ascii_lowercase().find(&end);
                rest = match at.and_then(|at| rest[at..].find('>').map(|gt| at + gt + 1)) {
                    Some(after) => &rest[after..],
                    None => "",
                };
            }
            _ => {}
        }
    }
    text.push_str(&html_escape::decode_html_entities(rest));
    clean_text(&text)
}

/// Plain text as stored: controls removed (those that reorder or hide text too), at most two line breaks in a
/// row, no spaces at either end, at most [`MAX_TEXT_CHARS`].
pub fn clean_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut breaks = 0;
    for c in text.chars() {
        if c == '\n' {
            breaks += 1;
            if breaks <= 2 {
                // Spaces before a line break are noise.
                while out.ends_with([' ', '\t']) {
                    out.pop();
                }
                out.push('\n');
            }
            continue;
        }
        let c = if c == '\t' || c == '\u{a0}' { ' ' } else { c };
        if hidden_control(c) || (c == ' ' && breaks > 0) {
            continue;
        }
        breaks = 0;
        out.push(c);
    }
    cut(out.trim(), MAX_TEXT_CHARS)
}

/// One line of text (an author's name): as [`clean_text`], on one line, at most `max` characters.
pub fn clean_line(text: &str, max: usize) -> String {
    let line: String = clean_text(text)
        .chars()
        .map(|c| if c == '\n' { ' ' } else { c })
        .collect();
    cut(&line, max)
}

/// `url` when it is an `http` or `https` address without spaces or controls; `None` otherwise (a `javascript:`
/// address, a relative path, garbage).
pub fn safe_url(url: &str) -> Option<String> {
    let url = url.trim();
    let lower = url.get(..8).unwrap_or(url).to_ascii_lowercase();
    let scheme_ok = lower.starts_with("https://") || lower.starts_with("http://");
    let host_ok = url.split_once("://").is_some_and(|(_, rest)| !rest.is_empty());
    let chars_ok = !url
        .chars()
        .any(|c| c.is_whitespace() || c.is_control() || hidden_control(c) || "<>\"'`".contains(c));
    (scheme_ok && host_ok && chars_ok && url.len() <= MAX_URL_BYTES).then(|| url.to_owned())
}

/// Controls, and the format characters that reorder (bidirectional overrides, embeddings and isolates) or hide
/// text (zero-width joiners and spaces are kept: emoji need them).
fn hidden_control(c: char) -> bool {
    (c.is_control() && c != '\n')
        || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}' | '\u{061c}')
}

fn cut(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((at, _)) => format!("{}…", text[..at].trim_end()),
        None => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mastodon_html_becomes_text_with_its_line_breaks() {
        let html = "<p>Live now! <a href=\"https://m.example/tags/caravan\" class=\"mention hashtag\" rel=\"tag\">\
                    #<span>caravan</span></a><br>see <a href=\"https://shop.example/x\"><span class=\"invisible\">\
                    https://</span><span class=\"\">shop.example/x</span></a></p><p>Tom &amp; Jerry &lt;3 &#x1F600;</p>";
        assert_eq!(
            html_to_text(html),
            "Live now! #caravan\nsee https://shop.example/x\n\nTom & Jerry <3 😀"
        );
    }

    #[test]
    fn markup_and_script_never_survive() {
        assert_eq!(html_to_text("<p>hi<script>alert(1)</script> there</p>"), "hi there");
        assert_eq!(html_to_text("a<STYLE>p{}</STYLE>b<img src=x onerror=alert(1)>c"), "abc");
        // Escaped markup is text, decoded once: the page shows it as the characters it is.
        assert_eq!(
            html_to_text("&lt;script&gt;alert(1)&lt;/script&gt;"),
            "<script>alert(1)</script>"
        );
        assert_eq!(html_to_text("1 < 2 and no tag"), "1 < 2 and no tag");
        assert_eq!(html_to_text("<script>unclosed"), "");
    }

    #[test]
    fn controls_that_reorder_or_hide_text_are_removed() {
        // U+202E (right-to-left override) would show "gpj.exe" as "exe.jpg".
        assert_eq!(clean_text("photo\u{202e}gpj.exe\u{2066}x\u{2069}"), "photogpj.exex");
        assert_eq!(clean_text("a\u{0}b\u{7}c"), "abc");
        assert_eq!(clean_text("  one  \n\n\n\n two \t"), "one\n\ntwo");
        // Emoji sequences keep their joiners; Japanese is untouched.
        assert_eq!(clean_text("👩\u{200d}💻 配信中"), "👩\u{200d}💻 配信中");
        assert_eq!(clean_line("Ai\nko\u{202e}", 80), "Ai ko");
    }

    #[test]
    fn long_text_is_cut() {
        let long = "あ".repeat(MAX_TEXT_CHARS + 10);
        let cut = clean_text(&long);
        assert_eq!(cut.chars().count(), MAX_TEXT_CHARS + 1);
        assert!(cut.ends_with('…'));
        assert_eq!(clean_line("abcdef", 3), "abc…");
    }

    #[test]
    fn only_http_addresses_are_kept() {
        assert_eq!(safe_url(" https://x.com/a ").as_deref(), Some("https://x.com/a"));
        assert_eq!(safe_url("HTTP://m.example/@a").as_deref(), Some("HTTP://m.example/@a"));
        for bad in [
            "javascript:alert(1)",
            "JaVaScRiPt:alert(1)",
            "data:text/html,<script>",
            "/relative",
            "https://",
            "https://a.example/\"onmouseover=\"x",
            "https://a.example/ b",
            "https://a\u{202e}.example",
        ] {
            assert_eq!(safe_url(bad), None, "{bad}");
        }
    }
}
