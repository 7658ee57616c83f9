//! Turns a schema description into doc-comment text that rustdoc renders without warnings and
//! without doctests.
//!
//! The descriptions come from the AWS API references: markdown with code fences, indented
//! blocks, `[text](url)` links, bare URLs and HTML tags. Rustdoc would run fenced or indented
//! code as doctests, read `[x]` as an intra-doc link and warn on bare URLs and unknown tags.

use std::sync::LazyLock;

use regex::Regex;

static TAG: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(concat!(
        r"(?i)^</?(p|a|b|i|u|em|strong|code|pre|ul|ol|li|br|dl|dt|dd|div|span|note|important|para|",
        r"emphasis|literal|h[1-6]|table|tr|td|th|tbody|thead|sup|sub|title|fullname|note|caution)(\s[^<>]*)?/?>"
    ))
    .expect("tag regex")
});
static LIST: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^\d+[.)]").expect("list regex"));
static LIST_MARK: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^(\d*)([-+=.)])").expect("list mark regex"));
static URL: LazyLock<Regex> = LazyLock::new(|| Regex::new(r#"https?://[^\s<>()\[\]"'`]+"#).expect("url regex"));

/// Placeholders some schemas put where a description starts, left over from the registry's
/// resource template: not documentation, dropped (`Version: None.` opens the description of
/// `AWS::DynamoDB::GlobalTable`).
const NOISE_PREFIXES: &[&str] = &["Version: None."];

/// `text` without the [`NOISE_PREFIXES`] it starts with.
fn drop_noise(text: &str) -> &str {
    let mut text = text.trim_start();
    while let Some(rest) = NOISE_PREFIXES.iter().find_map(|p| text.strip_prefix(p)) {
        text = rest.trim_start();
    }
    text
}

/// Sanitized doc lines (without the `///`), at most one blank line in a row, none at the ends.
pub fn doc_lines(text: &str) -> Vec<String> {
    let text = drop_noise(text);
    let text = text.replace("\r\n", "\n").replace('\r', "\n").replace("\\n", "\n");
    // Fences and double backticks become plain text or single code spans.
    let mut text = text.replace("```", "").replace("``", "`").replace("~~~", "");
    text.retain(|c| c == '\n' || !c.is_control());
    // Unbalanced backticks: drop them all, so that code spans below pair up.
    if text.matches('`').count() % 2 == 1 {
        text = text.replace('`', "'");
    }
    let mut out = String::new();
    for (i, part) in text.split('`').enumerate() {
        if i % 2 == 1 {
            // Inside a code span: markdown leaves it alone; keep it on one line.
            out.push('`');
            out.push_str(&part.replace('\n', " "));
            out.push('`');
        } else {
            out.push_str(&escape_text(part));
        }
    }
    let mut lines: Vec<String> = Vec::new();
    for line in out.lines() {
        // No indented code blocks: every line starts at the margin.
        let mut line = line.trim().to_owned();
        // No lists or headings either (they make lazy-continuation lint noise): escape the
        // markers that would start one.
        if line.starts_with(['-', '+', '=']) || LIST.is_match(&line) {
            line = LIST_MARK.replace(&line, "$1\\$2").into_owned();
        }
        if line.is_empty() && lines.last().is_none_or(|l| l.is_empty()) {
            continue;
        }
        lines.push(line);
    }
    while lines.last().is_some_and(|l| l.is_empty()) {
        lines.pop();
    }
    lines
}

/// Outside code spans: drop known HTML tags, escape what rustdoc would read as links or tags,
/// wrap bare URLs in `<…>`.
fn escape_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 16);
    let mut rest = s;
    while let Some(c) = rest.chars().next() {
        if c == '<' {
            if let Some(m) = TAG.find(rest) {
                rest = &rest[m.end()..];
                continue;
            }
            out.push_str("\\<");
            rest = &rest[1..];
            continue;
        }
        if rest.starts_with("http")
            && let Some(m) = URL.find(rest).filter(|m| m.start() == 0)
        {
            let url = m.as_str().trim_end_matches(['.', ',', ';', ':', '!', '?']);
            out.push('<');
            out.push_str(url);
            out.push('>');
            rest = &rest[url.len()..];
            continue;
        }
        match c {
            '[' | ']' | '>' | '*' | '_' | '#' | '|' | '\\' | '&' => {
                out.push('\\');
                out.push(c);
            }
            _ => out.push(c),
        }
        rest = &rest[c.len_utf8()..];
    }
    out
}

#[cfg(test)]
mod tests {
    use super::doc_lines;

    #[test]
    fn fences_indents_links_and_tags_are_neutralized() {
        let d = "Intro [link](https://example.com/x).\n\n```\n    fn main() {}\n```\n<p>Use <code>x</code> a<b then https://a.b/c.</p>";
        let got = doc_lines(d);
        assert_eq!(
            got,
            vec![
                "Intro \\[link\\](<https://example.com/x>).",
                "",
                "fn main() {}",
                "",
                "Use x a\\<b then <https://a.b/c>.",
            ]
        );
    }

    #[test]
    fn placeholder_prefixes_are_dropped() {
        assert_eq!(doc_lines("Version: None. Resource Type definition for X"), vec!["Resource Type definition for X"]);
        assert!(doc_lines("Version: None.").is_empty());
        assert_eq!(doc_lines("The Version: None. field"), vec!["The Version: None. field"]);
    }

    #[test]
    fn code_spans_are_kept() {
        assert_eq!(doc_lines("Set `a[0] <b>` or `*`"), vec!["Set `a[0] <b>` or `*`"]);
        assert_eq!(doc_lines("odd ` tick [x]"), vec!["odd ' tick \\[x\\]"]);
    }
}
