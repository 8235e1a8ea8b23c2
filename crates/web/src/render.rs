//! Hostile HTML made safe to look at.
//!
//! Leaked mail is written by whoever wants to hurt the reader: scripts,
//! event handlers, `javascript:` links, SVG and MathML tricks, CSS that
//! loads remote URLs, meta refreshes, forms, tracking pixels. Three layers,
//! each enough on its own for scripts:
//! 1. ammonia (html5ever's parser, an allow-list of tags, attributes and
//!    URL schemes) keeps only inert markup: no script, style, form, iframe,
//!    svg, math, meta or base element, no event handler or style attribute;
//! 2. lol_html then rewrites what remains: remote images become a
//!    placeholder that reveals their URL on request (never fetched: a
//!    tracking pixel tells the sender the leak is being read), `cid:`
//!    images point at the message's own parts on this server, links open
//!    in a new tab without referrer and show their real target;
//! 3. the result is served on its own URL, shown in an `<iframe sandbox>`
//!    without `allow-scripts` or `allow-same-origin`, under a CSP that
//!    forbids scripts and every load but this server's images.

use std::collections::HashSet;

use lol_html::html_content::ContentType;
use lol_html::{RewriteStrSettings, element, rewrite_str};
use tamis_case::report::escape;

/// `html` as safe markup for the body of the message `sha`.
pub fn safe_html(html: &str, sha: &str) -> String {
    let clean = ammonia::Builder::default()
        .url_schemes(HashSet::from(["http", "https", "mailto", "cid"]))
        .link_rel(Some("noopener noreferrer"))
        .clean(html)
        .to_string();
    let cid_base = format!("/m/{sha}/cid/");
    let settings = RewriteStrSettings::new()
        .append_element_content_handler(element!("img", |el| {
            let src = el.get_attribute("src").unwrap_or_default();
            if let Some(cid) = src.strip_prefix("cid:") {
                el.set_attribute("src", &format!("{cid_base}{}", percent(cid)))?;
            } else {
                let alt = el.get_attribute("alt").unwrap_or_default();
                el.replace(
                    &format!(
                        "<details class=\"remote\"><summary>remote image not loaded{}</summary>{}</details>",
                        if alt.is_empty() { String::new() } else { format!(": {}", escape(&alt)) },
                        escape(&src)
                    ),
                    ContentType::Html,
                );
            }
            Ok(())
        }))
        .append_element_content_handler(element!("a[href]", |el| {
            let href = el.get_attribute("href").unwrap_or_default();
            el.set_attribute("target", "_blank")?;
            el.set_attribute("rel", "noopener noreferrer")?;
            el.after(&format!(" [{href}]"), ContentType::Text);
            Ok(())
        }));
    // The input is ammonia's own serialisation: the rewriter does not fail
    // on it, and if it did, nothing of it would be shown.
    rewrite_str(&clean, settings).unwrap_or_default()
}

/// A Content-ID as one URL path segment.
pub fn percent(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~@".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each hostile input, and what must not survive it.
    #[test]
    fn nothing_active_or_remote_survives() {
        let cases: &[(&str, &[&str])] = &[
            ("<script>alert(1)</script>hi", &["<script", "alert"]),
            ("<img src=x onerror=alert(1)>", &["onerror", "<img"]),
            ("<a href=\"javascript:alert(1)\">x</a>", &["javascript:"]),
            (
                "<a href=\"data:text/html,<script>alert(1)</script>\">x</a>",
                &["href=\"data:"],
            ),
            ("<svg><script>alert(1)</script></svg>", &["<svg", "<script"]),
            (
                "<math><mi xlink:href=\"javascript:alert(1)\">x</mi></math>",
                &["<math", "javascript:"],
            ),
            (
                "<div style=\"background:url(http://evil.example/t.png)\">x</div>",
                &["style=", "url("],
            ),
            (
                "<style>@import 'http://evil.example/x.css';</style>x",
                &["<style", "@import"],
            ),
            (
                "<meta http-equiv=refresh content=\"0;url=http://evil.example\">",
                &["<meta", "refresh"],
            ),
            ("<base href=\"http://evil.example/\">", &["<base"]),
            (
                "<form action=http://evil.example><input name=p></form>",
                &["<form", "<input"],
            ),
            ("<iframe src=http://evil.example></iframe>", &["<iframe"]),
            (
                "<object data=x.swf></object><embed src=x>",
                &["<object", "<embed"],
            ),
            ("<img src=\"http://evil.example/pixel.gif\">", &["<img"]),
            (
                "<link rel=stylesheet href=http://evil.example/x.css>",
                &["<link"],
            ),
            ("<body onload=alert(1)>x</body>", &["onload"]),
            (
                "<a href=\"&#106;avascript:alert(1)\">x</a>",
                &["avascript:"],
            ),
            ("<a href=\"jav&#x09;ascript:alert(1)\">x</a>", &["ascript:"]),
            ("<IMG SRC=JaVaScRiPt:alert(1)>", &["alert", "<img"]),
        ];
        for (input, banned) in cases {
            let out = safe_html(input, "abc").to_lowercase();
            for b in *banned {
                assert!(!out.contains(&b.to_lowercase()), "{input} gave {out}");
            }
        }
    }

    #[test]
    fn remote_images_are_placeholders_and_cid_images_local() {
        let out = safe_html(
            "<img src=\"http://evil.example/p.gif\" alt=\"logo\"><img src=\"cid:part1@x\">",
            "abc",
        );
        assert!(out.contains("remote image not loaded: logo"), "{out}");
        assert!(out.contains("http://evil.example/p.gif</details>"), "{out}");
        assert!(out.contains("src=\"/m/abc/cid/part1@x\""), "{out}");
    }

    #[test]
    fn links_show_their_real_target() {
        let out = safe_html(
            "<a href=\"https://evil.example/login\">https://bank.example</a>",
            "abc",
        );
        assert!(out.contains("rel=\"noopener noreferrer\""), "{out}");
        assert!(out.contains("target=\"_blank\""), "{out}");
        assert!(out.contains("</a> [https://evil.example/login]"), "{out}");
    }
}
