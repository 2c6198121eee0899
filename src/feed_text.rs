//! A feed post's plain text cut into what the page shows: text, and the links, hashtags and mentions found in it.
//! Only `http(s)://` addresses become links, so a post can never make a `javascript:` link; everything else stays
//! text (Leptos writes text as text nodes, so `<script>` in a post is just characters).

use crate::{api::FeedSource, routes::path_segment};

/// A piece of a post's text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Segment<'a> {
    Text(&'a str),
    /// An `http(s)` address, as written.
    Link(&'a str),
    /// `#tag` as written, and where the tag leads at the post's source (none for the show's own posts).
    Hashtag(&'a str, Option<String>),
    /// `@name` or `@name@instance` as written, and the profile it names at the post's source.
    Mention(&'a str, Option<String>),
}

/// Characters that end an address when they close it (punctuation after a link is not part of it).
const TRAILING: &[char] = &[
    '.', ',', ';', ':', '!', '?', ')', ']', '}', '\'', '"', '」', '。', '、', '）',
];

fn is_word(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// The segments of `text`, for a post from `source` (whose own address, `post_url`, tells Mastodon's instance).
pub fn segments<'a>(text: &'a str, source: FeedSource, post_url: Option<&str>) -> Vec<Segment<'a>> {
    let mut segments = Vec::new();
    let mut plain_from = 0;
    let mut at = 0;
    while at < text.len() {
        let before = text[..at].chars().next_back();
        let starts_word = before.is_none_or(|c| !is_word(c));
        let rest = &text[at..];
        let found = if starts_word {
            token(rest, source, post_url)
        } else {
            None
        };
        match found {
            Some((len, segment)) => {
                if plain_from < at {
                    segments.push(Segment::Text(&text[plain_from..at]));
                }
                segments.push(segment);
                at += len;
                plain_from = at;
            }
            None => at += rest.chars().next().map_or(1, char::len_utf8),
        }
    }
    if plain_from < text.len() {
        segments.push(Segment::Text(&text[plain_from..]));
    }
    segments
}

/// The token `rest` starts with, and its length.
fn token<'a>(rest: &'a str, source: FeedSource, post_url: Option<&str>) -> Option<(usize, Segment<'a>)> {
    let lower: String = rest.chars().take(8).collect::<String>().to_ascii_lowercase();
    if lower.starts_with("https://") || lower.starts_with("http://") {
        let end = rest
            .find(|c: char| c.is_whitespace() || "<>\"`".contains(c))
            .unwrap_or(rest.len());
        let link = rest[..end].trim_end_matches(TRAILING);
        let host = link.split_once("://").map_or("", |(_, r)| r);
        return (!host.is_empty()).then_some((link.len(), Segment::Link(link)));
    }
    let first = rest.chars().next()?;
    if first == '#' || first == '＃' {
        let name_len: usize = rest[first.len_utf8()..]
            .chars()
            .take_while(|c| is_word(*c))
            .map(char::len_utf8)
            .sum();
        // "#1" alone is a number, not a tag.
        let name = &rest[first.len_utf8()..first.len_utf8() + name_len];
        if name.is_empty() || name.chars().all(|c| c.is_ascii_digit()) {
            return None;
        }
        let len = first.len_utf8() + name_len;
        return Some((len, Segment::Hashtag(&rest[..len], hashtag_url(name, source, post_url))));
    }
    if first == '@' {
        let name_len = rest[1..]
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(rest.len() - 1);
        if name_len == 0 {
            return None;
        }
        let name = &rest[1..1 + name_len];
        // Mastodon's @name@instance.example.
        let domain = rest[1 + name_len..]
            .strip_prefix('@')
            .map(|after| {
                let len = after
                    .find(|c: char| !(c.is_ascii_alphanumeric() || c == '.' || c == '-'))
                    .unwrap_or(after.len());
                after[..len].trim_end_matches('.')
            })
            .filter(|domain| domain.contains('.'));
        let len = 1 + name_len + domain.map_or(0, |d| 1 + d.len());
        return Some((
            len,
            Segment::Mention(&rest[..len], mention_url(name, domain, source, post_url)),
        ));
    }
    None
}

/// `https://host` of a post's address.
fn origin(url: &str) -> Option<&str> {
    let (scheme, rest) = url.split_once("://")?;
    let host = rest.split(['/', '?', '#']).next()?;
    (!host.is_empty() && matches!(scheme, "https" | "http")).then(|| &url[..scheme.len() + 3 + host.len()])
}

fn hashtag_url(name: &str, source: FeedSource, post_url: Option<&str>) -> Option<String> {
    match source {
        FeedSource::X => Some(format!("https://x.com/hashtag/{}", path_segment(name))),
        FeedSource::Mastodon => Some(format!("{}/tags/{}", origin(post_url?)?, path_segment(name))),
        FeedSource::Local | FeedSource::Unknown => None,
    }
}

fn mention_url(name: &str, domain: Option<&str>, source: FeedSource, post_url: Option<&str>) -> Option<String> {
    match source {
        FeedSource::X => Some(format!("https://x.com/{name}")),
        FeedSource::Mastodon => match domain {
            Some(domain) => Some(format!("https://{domain}/@{name}")),
            None => Some(format!("{}/@{name}", origin(post_url?)?)),
        },
        FeedSource::Local | FeedSource::Unknown => None,
    }
}

#[cfg(test)]
mod tests {
    use super::{Segment::*, *};

    #[test]
    fn links_hashtags_and_mentions_are_found() {
        let text = "Live now! #caravan #1 see https://shop.example/a?b=1, cc @aiko_live. 配信中＃ライブコマース";
        assert_eq!(
            segments(text, FeedSource::X, None),
            [
                Text("Live now! "),
                Hashtag("#caravan", Some("https://x.com/hashtag/caravan".into())),
                Text(" #1 see "),
                Link("https://shop.example/a?b=1"),
                Text(", cc "),
                Mention("@aiko_live", Some("https://x.com/aiko_live".into())),
                Text(". 配信中＃ライブコマース"),
            ]
        );
        // A tag after a space, in Japanese: encoded in its address.
        assert_eq!(
            segments("見て ＃ライブ", FeedSource::X, None)[1],
            Hashtag(
                "＃ライブ",
                Some("https://x.com/hashtag/%E3%83%A9%E3%82%A4%E3%83%96".into())
            )
        );
    }

    #[test]
    fn mastodon_links_lead_to_the_post_instance() {
        let url = Some("https://m.example/@aiko/1");
        assert_eq!(
            segments("@bob@other.example: hi @carol #Caravan", FeedSource::Mastodon, url),
            [
                Mention("@bob@other.example", Some("https://other.example/@bob".into())),
                Text(": hi "),
                Mention("@carol", Some("https://m.example/@carol".into())),
                Text(" "),
                Hashtag("#Caravan", Some("https://m.example/tags/Caravan".into())),
            ]
        );
        // The show's own posts link addresses only.
        assert_eq!(
            segments("#caravan @aiko", FeedSource::Local, None),
            [Hashtag("#caravan", None), Text(" "), Mention("@aiko", None)]
        );
    }

    #[test]
    fn only_http_addresses_become_links() {
        let hostile = "javascript:alert(1) <a href=\"javascript:x\">x</a> mail@example.com https:// \
                       http://ok.example\"onclick=\"x";
        let links: Vec<_> = segments(hostile, FeedSource::X, None)
            .into_iter()
            .filter_map(|s| match s {
                Link(link) => Some(link),
                _ => None,
            })
            .collect();
        assert_eq!(links, ["http://ok.example"]);
        // The e-mail address is not a mention.
        assert!(
            !segments("mail@example.com", FeedSource::X, None)
                .iter()
                .any(|s| matches!(s, Mention(..)))
        );
    }
}
