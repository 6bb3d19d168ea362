//! GFM's extended autolinks: web addresses (`www.example.org`, `https://...`) and e-mail
//! addresses written as plain text become links, with GitHub's rules for where an address
//! ends (trailing punctuation, unbalanced parentheses, entity-like endings), since volunteers
//! paste addresses and expect them to work as they do on GitHub.

/// An address found in text: its byte range and the link it becomes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Autolink {
    pub start: usize,
    pub end: usize,
    pub href: String,
}

/// Every address in `text`, in order, none overlapping.
pub fn find(text: &str) -> Vec<Autolink> {
    // An address starts with one of these or has an `@`. Most text has neither: a search for
    // them is far quicker than looking at every byte below.
    if !(text.contains('@') || text.contains("www.") || text.contains("http")) {
        return Vec::new();
    }
    let bytes = text.as_bytes();
    let mut found: Vec<Autolink> = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if !text.is_char_boundary(i) {
            i += 1;
            continue;
        }
        let boundary = i == 0
            || matches!(bytes[i - 1], b'*' | b'_' | b'~' | b'(')
            || text[..i].ends_with(char::is_whitespace);
        let after_last = found.last().map_or(0, |l| l.end);
        let link = if boundary { web_address(text, i) } else { None }.or_else(|| {
            (bytes[i] == b'@')
                .then(|| email(text, i, after_last))
                .flatten()
        });
        match link {
            Some(link) => {
                i = link.end;
                found.push(link);
            }
            None => i += 1,
        }
    }
    found
}

fn is_domain_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'-' || b == b'_'
}

/// `www.` or `http(s)://`, a domain, and a path up to a space or `<`, with GitHub's trailing
/// punctuation left out.
fn web_address(text: &str, start: usize) -> Option<Autolink> {
    let rest = &text[start..];
    let (domain_start, prefix) = if rest.starts_with("www.") {
        (start, "http://")
    } else if rest.starts_with("https://") {
        (start + 8, "")
    } else if rest.starts_with("http://") {
        (start + 7, "")
    } else {
        return None;
    };
    let domain_len = text[domain_start..]
        .bytes()
        .take_while(|&b| is_domain_char(b) || b == b'.')
        .count();
    let domain = text[domain_start..domain_start + domain_len].trim_end_matches('.');
    let segments: Vec<&str> = domain.split('.').collect();
    let valid = !domain.is_empty()
        && segments.iter().all(|s| !s.is_empty())
        && segments.iter().rev().take(2).all(|s| !s.contains('_'))
        && (prefix.is_empty() || segments.len() > 1);
    if !valid {
        return None;
    }
    let path_len = text[domain_start..]
        .find(|c: char| c.is_whitespace() || c == '<')
        .unwrap_or(text.len() - domain_start);
    let end = trim_trailing(text, start, domain_start + path_len);
    (end > domain_start).then(|| Autolink {
        start,
        end,
        href: format!("{prefix}{}", &text[start..end]),
    })
}

/// Where an address ends once its trailing punctuation, unbalanced closing parentheses and
/// an entity-like `&name;` ending are left out. Parentheses are counted once, so that a long
/// run of them is trimmed in linear time.
fn trim_trailing(text: &str, start: usize, mut end: usize) -> usize {
    let open = text[start..end].matches('(').count();
    let mut close = text[start..end].matches(')').count();
    loop {
        let link = &text[start..end];
        let unbalanced = link.ends_with(')') && close > open;
        if link.ends_with(['?', '!', '.', ',', ':', '*', '_', '~']) || unbalanced {
            close -= usize::from(unbalanced);
            end -= 1;
        } else if let Some(before) = link.strip_suffix(';') {
            let name_len = before
                .bytes()
                .rev()
                .take_while(u8::is_ascii_alphanumeric)
                .count();
            if name_len > 0 && before[..before.len() - name_len].ends_with('&') {
                end -= name_len + 2;
            } else {
                return end;
            }
        } else {
            return end;
        }
    }
}

/// The e-mail address around the `@` at `at`, starting no earlier than `earliest`;
/// `mailto:` and `xmpp:` in front are part of the link.
fn email(text: &str, at: usize, earliest: usize) -> Option<Autolink> {
    let bytes = text.as_bytes();
    let local_len = bytes[earliest..at]
        .iter()
        .rev()
        .take_while(|&&b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_' | b'+'))
        .count();
    if local_len == 0 {
        return None;
    }
    let local_start = at - local_len;
    let mut end = at
        + 1
        + bytes[at + 1..]
            .iter()
            .take_while(|&&b| is_domain_char(b) || b == b'.')
            .count();
    if bytes[end - 1] == b'.' {
        end -= 1;
    }
    let domain = &text[at + 1..end];
    let valid = domain.contains('.')
        && !domain.ends_with(['-', '_'])
        && domain.split('.').all(|s| !s.is_empty());
    if !valid {
        return None;
    }
    let scheme = ["mailto:", "xmpp:"]
        .into_iter()
        .find(|s| local_start >= earliest + s.len() && text[..local_start].ends_with(s));
    let start = local_start - scheme.map_or(0, str::len);
    if scheme == Some("xmpp:") && bytes.get(end) == Some(&b'/') {
        let resource = bytes[end + 1..]
            .iter()
            .take_while(|&&b| b.is_ascii_alphanumeric() || b == b'@' || b == b'.')
            .count();
        if resource > 0 {
            end += 1 + resource;
            while text[..end].ends_with('.') {
                end -= 1;
            }
        }
    }
    let href = match scheme {
        Some(_) => text[start..end].to_string(),
        None => format!("mailto:{}", &text[start..end]),
    };
    Some(Autolink { start, end, href })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn links(text: &str) -> Vec<(&str, String)> {
        find(text)
            .into_iter()
            .map(|l| (&text[l.start..l.end], l.href))
            .collect()
    }

    #[test]
    fn web_addresses_end_before_trailing_punctuation_and_unbalanced_parentheses() {
        assert_eq!(
            links("Visit www.commonmark.org/help, (see https://example.org/a_(b)).")
                .into_iter()
                .map(|(t, _)| t)
                .collect::<Vec<_>>(),
            ["www.commonmark.org/help", "https://example.org/a_(b)"]
        );
        assert_eq!(
            links("www.google.com/search?q=(business))+ok")[0].0,
            "www.google.com/search?q=(business))+ok"
        );
        assert_eq!(
            links("www.google.com/search?q=commonmark&hl;")[0].0,
            "www.google.com/search?q=commonmark"
        );
        assert_eq!(links("www.example.org")[0].1, "http://www.example.org");
    }

    #[test]
    fn addresses_need_a_valid_domain_and_a_boundary_before_them() {
        assert!(links("www.xxx_yyy.zzz").is_empty());
        assert!(links("xwww.example.org").is_empty());
        assert!(links("http://").is_empty());
        assert_eq!(links("*www.example.org*")[0].0, "www.example.org");
        assert_eq!(
            links("χρῆν\u{a0}www.example.org ῆ@ῆ")[0].0,
            "www.example.org"
        );
    }

    #[test]
    fn mail_addresses_with_and_without_a_scheme() {
        assert_eq!(
            links("write to foo@bar.baz."),
            [("foo@bar.baz", "mailto:foo@bar.baz".to_string())]
        );
        assert!(links("a.b-c_d@a.b-").is_empty());
        assert_eq!(
            links("mailto:a.b-c_d@a.b/"),
            [("mailto:a.b-c_d@a.b", "mailto:a.b-c_d@a.b".to_string())]
        );
        assert_eq!(
            links("xmpp:foo@bar.baz/txt/bin")[0].0,
            "xmpp:foo@bar.baz/txt"
        );
        assert_eq!(
            links("xmpp:foo@bar.baz/txt@bin.com")[0].0,
            "xmpp:foo@bar.baz/txt@bin.com"
        );
    }
}
