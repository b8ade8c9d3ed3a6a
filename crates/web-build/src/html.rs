//! `index.html` as the browser gets it: the source's trunk directives (`<link data-trunk
//! …>`) replaced by links to the content-hashed files, the preloads of the wasm and its
//! JavaScript in `<head>`, and the module script that starts the app at the end of
//! `<body>` — what `trunk build --release` writes, so `trunk serve` keeps working on
//! the same source.
//!
//! The source is ours (`frontend/index.html`): a small scanner reads its `<link>` tags,
//! and anything it does not understand is an error rather than a guess.

use anyhow::{Context, Result, bail};

/// A `<link data-trunk …>` directive of the source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Directive {
    /// The byte range of the whole tag in the source.
    pub range: std::ops::Range<usize>,
    /// `rel`: `rust`, `css` or `icon`.
    pub rel: String,
    /// `href`, relative to the source's directory.
    pub href: String,
    /// Every other attribute, in order (`data-*` settings of the `rust` link).
    pub attributes: Vec<(String, String)>,
}

impl Directive {
    pub fn attribute(&self, name: &str) -> Option<&str> {
        self.attributes
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }
}

/// Every `<link … data-trunk …>` tag of `html`, in order.
pub fn directives(html: &str) -> Result<Vec<Directive>> {
    let mut found = Vec::new();
    let mut from = 0;
    while let Some(start) = html[from..].find("<link").map(|at| from + at) {
        let end = html[start..]
            .find('>')
            .map(|at| start + at + 1)
            .context("a <link> tag of index.html is not closed")?;
        from = end;
        let attributes = attributes(&html[start + "<link".len()..end - 1])?;
        if !attributes.iter().any(|(key, _)| key == "data-trunk") {
            continue;
        }
        let mut rel = None;
        let mut href = None;
        let mut rest = Vec::new();
        for (key, value) in attributes {
            match key.as_str() {
                "rel" => rel = Some(value),
                "href" => href = Some(value),
                "data-trunk" => {}
                _ => rest.push((key, value)),
            }
        }
        found.push(Directive {
            range: start..end,
            rel: rel.context("a data-trunk link has no rel")?,
            href: href.context("a data-trunk link has no href")?,
            attributes: rest,
        });
    }
    Ok(found)
}

/// The attributes of a tag's inside: `name`, `name="value"` or `name='value'`,
/// separated by white space; a trailing `/` is allowed.
fn attributes(inside: &str) -> Result<Vec<(String, String)>> {
    let mut out = Vec::new();
    let mut rest = inside.trim_start();
    while !rest.is_empty() && rest != "/" {
        let name_end = rest
            .find(|c: char| c.is_whitespace() || c == '=' || c == '/')
            .unwrap_or(rest.len());
        let name = &rest[..name_end];
        if name.is_empty() {
            bail!("unexpected {:?} in a <link> tag of index.html", rest);
        }
        rest = &rest[name_end..];
        let value = if let Some(after) = rest.strip_prefix('=') {
            let quote = after
                .chars()
                .next()
                .filter(|c| *c == '"' || *c == '\'')
                .with_context(|| format!("the value of {name} is not quoted in index.html"))?;
            let close = after[1..]
                .find(quote)
                .with_context(|| format!("the value of {name} is not closed in index.html"))?;
            rest = &after[1 + close + 1..];
            after[1..1 + close].to_owned()
        } else {
            String::new()
        };
        out.push((name.to_ascii_lowercase(), value));
        rest = rest.trim_start();
    }
    Ok(out)
}

/// What replaces each directive, and what joins `<head>` and `<body>`.
#[derive(Debug, Default)]
pub struct Rewrite {
    /// One replacement per directive, in the same order (empty removes it).
    pub replacements: Vec<String>,
    /// Inserted just after the `<head>` tag, before anything the head asks for.
    pub head_start: String,
    /// Appended just before `</body>`.
    pub body: String,
}

/// `html` with `directives` replaced and `rewrite`'s head and body parts inserted.
pub fn apply(html: &str, directives: &[Directive], rewrite: &Rewrite) -> Result<String> {
    if directives.len() != rewrite.replacements.len() {
        bail!("one replacement per directive");
    }
    let mut out = String::with_capacity(html.len() + rewrite.head_start.len() + rewrite.body.len());
    let mut copied = 0;
    for (directive, replacement) in directives.iter().zip(&rewrite.replacements) {
        out.push_str(&html[copied..directive.range.start]);
        out.push_str(replacement);
        copied = directive.range.end;
    }
    out.push_str(&html[copied..]);
    let out = insert_after(&out, "<head>", &rewrite.head_start)?;
    insert_before(&out, "</body>", &rewrite.body)
}

fn insert_after(html: &str, tag: &str, insert: &str) -> Result<String> {
    let at = html
        .find(tag)
        .with_context(|| format!("index.html has no {tag}"))?
        + tag.len();
    Ok(format!("{}{insert}{}", &html[..at], &html[at..]))
}

fn insert_before(html: &str, tag: &str, insert: &str) -> Result<String> {
    let at = html
        .rfind(tag)
        .with_context(|| format!("index.html has no {tag}"))?;
    Ok(format!("{}{insert}{}", &html[..at], &html[at..]))
}

/// `text` safe inside a double-quoted attribute.
pub fn escape_attribute(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('"', "&quot;")
        .replace('<', "&lt;")
}

#[cfg(test)]
mod tests {
    use super::*;

    const SOURCE: &str = r#"<!doctype html>
<html>
  <head>
    <link data-trunk rel="icon" href="favicon.svg" />
    <link rel="preconnect" href="https://example.org">
    <link
      data-trunk
      rel="rust"
      href="Cargo.toml"
      data-bin='frontend'
      data-wasm-opt="z"
    />
  </head>
  <body><p>shell</p></body>
</html>"#;

    #[test]
    fn reads_only_the_trunk_links_with_their_attributes() {
        let found = directives(SOURCE).unwrap();
        assert_eq!(found.len(), 2);
        assert_eq!(found[0].rel, "icon");
        assert_eq!(found[0].href, "favicon.svg");
        assert_eq!(found[1].rel, "rust");
        assert_eq!(found[1].attribute("data-bin"), Some("frontend"));
        assert_eq!(found[1].attribute("data-wasm-opt"), Some("z"));
        assert!(SOURCE[found[1].range.clone()].starts_with("<link"));
        assert!(SOURCE[found[1].range.clone()].ends_with("/>"));
    }

    #[test]
    fn replaces_the_directives_and_inserts_the_loader() {
        let found = directives(SOURCE).unwrap();
        let html = apply(
            SOURCE,
            &found,
            &Rewrite {
                replacements: vec![
                    r#"<link rel="icon" href="/favicon-1.svg">"#.into(),
                    String::new(),
                ],
                head_start: "<link rel=\"modulepreload\" href=\"/app.js\">".into(),
                body: "<script type=\"module\">start()</script>".into(),
            },
        )
        .unwrap();
        assert!(!html.contains("data-trunk"));
        assert!(html.contains(r#"<link rel="icon" href="/favicon-1.svg">"#));
        assert!(html.contains("<link rel=\"preconnect\" href=\"https://example.org\">"));
        assert!(html.contains("<head><link rel=\"modulepreload\" href=\"/app.js\">\n"));
        assert!(html.contains("<p>shell</p><script type=\"module\">start()</script></body>"));
    }

    #[test]
    fn refuses_what_it_does_not_understand() {
        assert!(directives("<link data-trunk rel=rust href=\"x\">").is_err());
        assert!(directives("<link data-trunk rel=\"css\">").is_err());
        assert!(directives("<link data-trunk rel=\"css\" href=\"a.css\"").is_err());
    }

    #[test]
    fn escapes_attribute_values() {
        assert_eq!(escape_attribute(r#"a"b<c&"#), "a&quot;b&lt;c&amp;");
    }
}
