//! One message: headers, verdict and evidence, findings, attachments,
//! the sanitised body, where it was found; raw source and downloads.

use axum::extract::Path;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use mail_parser::{MessageParser, MimeHeaders};
use maud::{Markup, html};
use tamis_case::{MessageView, Verdict};

use super::*;
use crate::{Result, render};

pub(super) async fn message(st: Shared, Path(sha): Path<String>) -> Result<Response> {
    if !sha_ok(&sha) {
        return Ok(not_found().await);
    }
    st.with_case(move |st, case| {
        let Some(view) = case.message_view(&sha)? else {
            return Ok(not_found_page());
        };
        let first = view.first();
        let copies = &view.copies;
        let (is_html, text, thread) = (view.html, &view.text, &view.thread);
        let verdict = view.verdict.map_or("pending", Verdict::name);
        let (tags, notes) = match st.notes.lock() {
            Ok(a) => (a.tags_of(&sha)?, a.notes_of(&sha)?),
            Err(_) => (Vec::new(), Vec::new()),
        };
        let csrf = st.csrf.clone();
        Ok(page(first.subject.as_deref().unwrap_or("(no subject)"), html! {
            h1 { (first.subject.as_deref().unwrap_or("(no subject)")) }
            table.headers {
                @for (k, v) in [
                    ("From", first.from.clone()),
                    ("To", Some(first.to.join(", ")).filter(|s| !s.is_empty())),
                    ("Cc", Some(first.cc.join(", ")).filter(|s| !s.is_empty())),
                    ("Date", first.date_raw.clone()),
                    ("Message-ID", first.message_id.clone()),
                ] {
                    @if let Some(v) = v { tr { th { (k) } td { (v) } } }
                }
            }
            section.verdict-box {
                h2 { "Verdict: " (badge(verdict)) }
                ul { @for r in &view.reasons { li { (r.to_string()) } } }
                (evidence(&view))
            }
            @if !first.findings.is_empty() {
                section {
                    h2 { "Findings" }
                    ul.findings { @for f in &first.findings {
                        li { span class={ "severity " (f.severity) } { (f.severity) } " " code { (f.kind) }
                            @if let Some(a) = &f.attachment { " (" (a) ")" }
                            br; (f.explanation)
                            @if let Some(p) = f.data.get("proven").and_then(|p| p.as_str()) {
                                br; "Compared with the proven copy: " a href={ "/m/" (p) } { (p.get(..12).unwrap_or(p)) }
                            }
                            @if let Some(d) = f.data.get("diff") { (copy_diff(d)) }
                        }
                    } }
                }
            }
            @if !first.attachments.is_empty() {
                section {
                    h2 { "Attachments" }
                    ul { @for (i, a) in first.attachments.iter().enumerate() {
                        li { a href={ "/m/" (sha) "/att/" (i) } { (a.name.as_deref().unwrap_or("(unnamed)")) }
                            " (" (a.content_type) ", " (a.size) " bytes)" }
                    } }
                }
            }
            section {
                h2 { "Body" }
                @if is_html {
                    iframe.body src={ "/m/" (sha) "/body" } sandbox="allow-popups allow-popups-to-escape-sandbox" referrerpolicy="no-referrer" title="message body (sanitised)" {}
                    details { summary { "as plain text" } pre.text { (text) } }
                } @else {
                    pre.text { (text) }
                }
            }
            section.yours {
                h2 { "Your tags and notes" }
                p.hint { "Added by you in this workbench; not part of the dump, never part of the evidence." }
                ul.tags { @for t in &tags {
                    li { span.tag { (t) } " "
                        form.inline method="post" action={ "/m/" (sha) "/tags/remove" } {
                            input type="hidden" name="csrf" value=(csrf);
                            input type="hidden" name="tag" value=(t);
                            button type="submit" title="remove this tag" { "×" }
                        }
                    }
                } }
                form method="post" action={ "/m/" (sha) "/tags" } {
                    input type="hidden" name="csrf" value=(csrf);
                    input type="text" name="tag" maxlength="64" placeholder="tag, e.g. to-check" aria-label="tag";
                    button type="submit" { "Add tag" }
                }
                @for n in &notes {
                    blockquote.note { p { (n.text) } footer { "your note, " (when(Some(n.created))) } }
                }
                form method="post" action={ "/m/" (sha) "/notes" } {
                    input type="hidden" name="csrf" value=(csrf);
                    textarea name="text" rows="3" maxlength="20000" placeholder="a note" aria-label="note" {}
                    button type="submit" { "Add note" }
                }
            }
            section {
                h2 { "Where it was found (" (copies.len()) ")" }
                ul { @for c in copies {
                    li { code { (c.root) "/" (c.source) } " " (c.format)
                        @if let Some(v) = c.verdict { @if v.name() != verdict { " " (badge(v.name())) } } }
                } }
                p {
                    a href={ "/m/" (sha) "/raw" } { "Raw source" } " · "
                    a href={ "/m/" (sha) "/download" } { "Download .eml" } " · "
                    @if let Some(t) = &thread { a href={ "/t/" (t) } { "Thread" } " · " }
                    "SHA-256 " code { (sha) }
                }
            }
        }).into_response())
    })
    .await
}

/// What differs from the proven copy (forensics' `CopyDiff`), in a table
/// and a unified diff of the text.
fn copy_diff(d: &serde_json::Value) -> Markup {
    let list = |k: &str| -> Vec<String> {
        d[k].as_array()
            .into_iter()
            .flatten()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect()
    };
    let headers = d["headers"].as_array().cloned().unwrap_or_default();
    let (removed, added) = (list("attachments_removed"), list("attachments_added"));
    html! {
        @if !headers.is_empty() {
            table.diff {
                tr { th { "header" } th { "proven copy" } th { "this copy" } }
                @for h in &headers {
                    tr { td { (h[0].as_str().unwrap_or("")) } td { (h[1].as_str().unwrap_or("")) } td { (h[2].as_str().unwrap_or("")) } }
                }
            }
        }
        @for a in &removed { p { "Attachment only in the proven copy: " (a) } }
        @for a in &added { p { "Attachment only in this copy: " (a) } }
        @if let Some(body) = d["body"].as_str() { pre.diff { (body) } }
    }
}

/// Each signature's facts in words, from the view `tamis show` prints.
fn evidence(view: &MessageView) -> Markup {
    html! {
        @for s in view.signatures() {
            div.signature {
                h3 { "Signature " (s.number) ": "
                    @if let Some((d, sel, alg)) = &s.signer { code { "d=" (d) " s=" (sel) } " " (alg) }
                    @else { "unreadable" } }
                ul {
                    li { "Result: " strong { (s.result) } }
                    @if let Some(e) = &s.error { li { "Why: " (e) } }
                    li { "Header signature: " (s.header) }
                    li { "Body hash: " (s.body_hash) }
                    li { "Key: " (s.key)
                        @if let Some(k) = &s.key_source { " — from " (k) }
                        @if let Some(b) = s.key_bits { ", " (b) " bits" } }
                    @if !s.signed_headers.is_empty() {
                        li { "Signed headers: " (s.signed_headers.join(", ")) }
                    }
                }
            }
        }
        @if let Some(arc) = view.arc() { p { "ARC: " (arc) } }
    }
}

/// The HTML body, sanitised, as its own document for the sandboxed frame.
pub(super) async fn body(st: Shared, Path(sha): Path<String>) -> Result<Response> {
    if !sha_ok(&sha) {
        return Ok(not_found().await);
    }
    st.with_case(move |_, case| {
        let Some(bytes) = case.message_bytes(&sha)? else {
            return Ok(not_found_page());
        };
        let html = MessageParser::default()
            .parse(&bytes)
            .and_then(|m| m.body_html(0).map(|h| h.into_owned()))
            .unwrap_or_default();
        let safe = render::safe_html(&html, &sha);
        let doc = format!("<!doctype html><html><head><meta charset=\"utf-8\"></head><body>{safe}</body></html>");
        let mut r = ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], doc).into_response();
        let h = r.headers_mut();
        // Only images from the message's own parts; framed by our page only.
        h.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static("default-src 'none'; img-src 'self'; style-src 'none'; form-action 'none'; base-uri 'none'; frame-ancestors 'self'; sandbox allow-popups allow-popups-to-escape-sandbox"),
        );
        h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("SAMEORIGIN"));
        Ok(r)
    })
    .await
}

pub(super) async fn raw(st: Shared, Path(sha): Path<String>) -> Result<Response> {
    bytes_response(st, sha, "text/plain; charset=utf-8", None).await
}

pub(super) async fn download(st: Shared, Path(sha): Path<String>) -> Result<Response> {
    let name = format!("{}.eml", sha.get(..16).unwrap_or(&sha));
    bytes_response(st, sha, "message/rfc822", Some(name)).await
}

async fn bytes_response(
    st: Shared,
    sha: String,
    ctype: &'static str,
    attach: Option<String>,
) -> Result<Response> {
    if !sha_ok(&sha) {
        return Ok(not_found().await);
    }
    st.with_case(move |_, case| {
        let Some(bytes) = case.message_bytes(&sha)? else {
            return Ok(not_found_page());
        };
        Ok(file_response(bytes, ctype, attach.as_deref()))
    })
    .await
}

/// Bytes from the dump: never rendered by the browser as a page of ours.
fn file_response(bytes: Vec<u8>, ctype: &'static str, attach: Option<&str>) -> Response {
    let mut r = ([(header::CONTENT_TYPE, ctype)], bytes).into_response();
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; sandbox; frame-ancestors 'none'"),
    );
    if let Some(name) = attach {
        let safe: String = name
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || ".-_".contains(c) {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{safe}\"")) {
            h.insert(header::CONTENT_DISPOSITION, v);
        }
    }
    r
}

pub(super) async fn attachment(
    st: Shared,
    Path((sha, idx)): Path<(String, usize)>,
) -> Result<Response> {
    if !sha_ok(&sha) {
        return Ok(not_found().await);
    }
    st.with_case(move |_, case| {
        let Some(bytes) = case.message_bytes(&sha)? else {
            return Ok(not_found_page());
        };
        let Some(m) = MessageParser::default().parse(&bytes) else {
            return Ok(not_found_page());
        };
        let Some(part) = m.attachments().nth(idx) else {
            return Ok(not_found_page());
        };
        let name = part
            .attachment_name()
            .unwrap_or("attachment.bin")
            .to_string();
        Ok(file_response(
            part.contents().to_vec(),
            "application/octet-stream",
            Some(&name),
        ))
    })
    .await
}

/// An inline part named by Content-ID, for `cid:` images in the body.
pub(super) async fn cid(st: Shared, Path((sha, cid)): Path<(String, String)>) -> Result<Response> {
    if !sha_ok(&sha) {
        return Ok(not_found().await);
    }
    st.with_case(move |_, case| {
        let Some(bytes) = case.message_bytes(&sha)? else {
            return Ok(not_found_page());
        };
        let Some(m) = MessageParser::default().parse(&bytes) else {
            return Ok(not_found_page());
        };
        let want = cid.trim_start_matches('<').trim_end_matches('>');
        let part = m.parts.iter().find(|p| {
            p.content_id()
                .is_some_and(|c| c.trim_start_matches('<').trim_end_matches('>') == want)
        });
        let Some(part) = part else {
            return Ok(not_found_page());
        };
        // Images only, by their bytes: anything else is not shown inline.
        let ctype = match tamis_forensics::document::identify(part.contents()) {
            tamis_forensics::document::Kind::Png => "image/png",
            tamis_forensics::document::Kind::Jpeg => "image/jpeg",
            tamis_forensics::document::Kind::Gif => "image/gif",
            _ => return Ok(not_found_page()),
        };
        Ok(file_response(part.contents().to_vec(), ctype, None))
    })
    .await
}
