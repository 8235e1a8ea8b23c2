//! The pages. Each handler gathers what it shows on a blocking thread
//! (index and catalog) and renders it with maud, which escapes every
//! value: nothing from the dump reaches the page as markup, except a
//! message's HTML body, sanitised and served apart (`/m/{sha}/body`).

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Form;
use axum::Router;
use axum::extract::{Path, Query};
use axum::http::HeaderMap;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use mail_parser::{MessageParser, MimeHeaders};
use maud::{DOCTYPE, Markup, html};
use serde::Deserialize;
use tamis_case::{MessageView, Verdict};
use tamis_search::{Hit, Request, Sort};

use crate::{Result, State, render};

type Shared = axum::extract::State<Arc<State>>;

pub(crate) fn routes(state: Arc<State>) -> Router {
    Router::new()
        .route("/", get(dashboard))
        .route("/search", get(search))
        .route("/m/{sha}", get(message))
        .route("/m/{sha}/body", get(body))
        .route("/m/{sha}/raw", get(raw))
        .route("/m/{sha}/download", get(download))
        .route("/m/{sha}/att/{idx}", get(attachment))
        .route("/m/{sha}/cid/{cid}", get(cid))
        .route("/m/{sha}/tags", post(add_tag))
        .route("/m/{sha}/tags/remove", post(remove_tag))
        .route("/m/{sha}/notes", post(add_note))
        .route("/tags", get(tags))
        .route("/t/{thread}", get(thread))
        .route("/keys", get(keys))
        .route("/correspondents", get(correspondents))
        .route("/report.html", get(report))
        .route("/static/app.css", get(css))
        .fallback(not_found)
        .with_state(state)
}

const CSS: &str = include_str!("../assets/app.css");

async fn css() -> Response {
    ([(header::CONTENT_TYPE, "text/css; charset=utf-8")], CSS).into_response()
}

async fn not_found() -> Response {
    (
        StatusCode::NOT_FOUND,
        page("Not found", html! { h1 { "Not found" } }),
    )
        .into_response()
}

fn page(title: &str, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="referrer" content="no-referrer";
                title { (title) " — tamis" }
                link rel="stylesheet" href="/static/app.css";
            }
            body {
                header.top {
                    a.brand href="/" { "tamis" }
                    form.searchbox action="/search" method="get" {
                        input type="search" name="q" placeholder="search: words, \"phrases\", from:, date:2017-03..2017-05, verdict:, …" aria-label="search";
                        button type="submit" { "Search" }
                    }
                    nav {
                        a href="/tags" { "Your tags" }
                        a href="/keys" { "Keys" }
                        a href="/correspondents" { "Correspondents" }
                        a href="/report.html" { "Report" }
                    }
                }
                main { (body) }
            }
        }
    }
}

fn badge(verdict: &str) -> Markup {
    html! { span class={ "verdict v-" (verdict) } { (verdict) } }
}

fn when(ts: Option<i64>) -> String {
    match ts {
        Some(t) => {
            let s = mail_parser::DateTime::from_timestamp(t).to_rfc3339();
            match (s.get(..10), s.get(11..16)) {
                (Some(d), Some(h)) => format!("{d} {h}"),
                _ => s,
            }
        }
        None => "(no date)".into(),
    }
}

fn search_link(q: &str) -> String {
    format!("/search?q={}", url_encode(q))
}

fn url_encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A hash as it appears in a path: 64 hex digits, nothing else.
fn sha_ok(sha: &str) -> bool {
    sha.len() == 64 && sha.bytes().all(|b| b.is_ascii_hexdigit())
}

// ---------------------------------------------------------------- dashboard

async fn dashboard(st: Shared) -> Result<Markup> {
    st.with_case(|st, case| {
        let all = st.index.search(&Request { query: "", limit: 1, facets: true, ..Request::default() }, None)?;
        let facets = all.facets.unwrap_or_default();
        // Weeks (from Monday) stacked by verdict: one facet pass per verdict.
        let mut weeks: BTreeMap<String, BTreeMap<&str, u64>> = BTreeMap::new();
        for v in Verdict::ALL.map(Verdict::name) {
            let r = st.index.search(
                &Request { query: &format!("verdict:{v}"), limit: 1, facets: true, ..Request::default() },
                None,
            )?;
            for (d, n) in r.facets.unwrap_or_default().day {
                let Ok((Some(start), _)) = tamis_search::query::date_span(&d) else { continue };
                let day = start.div_euclid(86_400);
                // 1970-01-01 was a Thursday: (day + 3) mod 7 counts from Monday.
                let monday = day - (day + 3).rem_euclid(7);
                let label = mail_parser::DateTime::from_timestamp(monday * 86_400).to_rfc3339();
                let label = label.get(..10).unwrap_or(&label).to_string();
                *weeks.entry(label).or_default().entry(v).or_default() += n;
            }
        }
        let missing = case.missing_keys()?;
        let findings = case.findings(None)?;
        let mut per_kind: BTreeMap<(String, String), u64> = BTreeMap::new();
        for f in &findings {
            *per_kind.entry((f.severity.clone(), f.kind.clone())).or_default() += 1;
        }
        let strong: Vec<_> = findings.iter().filter(|f| f.severity == "strong").take(20).collect();
        let clusters: Vec<_> = findings.iter().filter(|f| f.kind == "document_cluster").take(20).collect();
        Ok(page("Dashboard", html! {
            h1 { (all.total) " messages" }
            section.cards {
                @for (v, n) in &facets.verdict {
                    a.card href=(search_link(&format!("verdict:{v}"))) { (badge(v)) " " strong { (n) } }
                }
            }
            h2 { "Messages per week, by verdict" }
            (timeline(&weeks))
            div.columns {
                section {
                    h2 { "Top sender domains" }
                    table { @for (d, n) in facets.sender_domain.iter().take(15) {
                        tr { td { a href=(search_link(&format!("from:{d}"))) { (d) } } td.num { (n) } }
                    } }
                }
                section {
                    h2 { "Signing domains" }
                    table { @for (d, n) in facets.signer.iter().take(15) {
                        tr { td { a href=(search_link(&format!("signer:{d}"))) { (d) } } td.num { (n) } }
                    } }
                }
                section {
                    h2 { "Keys to find" }
                    @if missing.is_empty() { p { "None: every selector used has a key." } }
                    table { @for (d, s, n) in missing.iter().take(15) {
                        tr { td { (s) "._domainkey." (d) } td.num { (n) " messages" } }
                    } }
                    p { a href="/keys" { "All keys" } }
                }
            }
            h2 { "Review first" }
            @if strong.is_empty() { p { "No strong finding." } }
            ul.findings { @for f in &strong {
                li { span.severity.strong { (f.severity) } " " code { (f.kind) } " "
                    @if let Some(m) = &f.message { a href={ "/m/" (m.sha256) } { (m.source.as_deref().unwrap_or(&m.sha256)) @if let Some(a) = &f.attachment { "!" (a) } } }
                    br; (f.explanation) }
            } }
            h2 { "Findings" }
            table { @for ((sev, kind), n) in &per_kind {
                tr { td { span class={ "severity " (sev) } { (sev) } } td { a href=(search_link(&format!("finding:{kind}"))) { code { (kind) } } } td.num { (n) } }
            } }
            @if !clusters.is_empty() {
                h2 { "Document clusters" }
                ul { @for c in &clusters { li { (c.explanation) } } }
            }
        }))
    })
    .await
}

/// Stacked bars as inline SVG (one per period, labelled by its first
/// day): drawn on the server, no script needed.
fn timeline(months: &BTreeMap<String, BTreeMap<&str, u64>>) -> Markup {
    let max = months
        .values()
        .map(|m| m.values().sum::<u64>())
        .max()
        .unwrap_or(1)
        .max(1);
    let (w, h, gap) = (7u64, 120u64, 1u64);
    let width = (months.len() as u64 * (w + gap)).max(1);
    // (x, top, height, verdict, label) of each bar segment.
    let mut bars = Vec::new();
    for (i, (month, counts)) in months.iter().enumerate() {
        let x = i as u64 * (w + gap);
        let mut y = h;
        for v in Verdict::ALL.map(Verdict::name) {
            let n = counts.get(v).copied().unwrap_or(0);
            if n > 0 {
                let bar = (n * h).div_ceil(max);
                let top = y.saturating_sub(bar);
                bars.push((x, top, bar, v, format!("{month} {v}: {n}")));
                y = top;
            }
        }
    }
    html! {
        figure.timeline {
            svg width=(width + 60) height=(h + 40) role="img" aria-label="messages per week" {
                @for (x, top, bar, v, label) in &bars {
                    rect class={ "b-" (v) } x=(x) y=(top) width=(w) height=(bar) { title { (label) } }
                }
                @for (i, month) in months.keys().enumerate() {
                    @if i % 8 == 0 { text x=(i as u64 * (w + gap)) y=(h + 14) { (month) } }
                }
            }
            figcaption { @for v in Verdict::ALL.map(Verdict::name) { span class={ "key b-" (v) } { (v) } " " } }
        }
    }
}

// ------------------------------------------------------------------- search

#[derive(Deserialize, Default)]
struct SearchQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    sort: Option<String>,
    #[serde(default)]
    page: Option<usize>,
}

const PAGE: usize = 20;

async fn search(st: Shared, Query(sq): Query<SearchQuery>) -> Result<Response> {
    st.with_case(move |st, case| {
        let sort = match sq.sort.as_deref() {
            Some("relevance") => Sort::Relevance,
            _ => Sort::Date,
        };
        let page_no = sq.page.unwrap_or(0).min(10_000);
        let req = Request { query: &sq.q, limit: PAGE, offset: page_no * PAGE, sort, facets: true };
        let results = match st.index.search(&req, Some(case)) {
            Ok(r) => r,
            Err(tamis_search::SearchError::Query(e)) => {
                return Ok((StatusCode::BAD_REQUEST, page("Search", html! {
                    h1 { "Search" }
                    p.error { "This query cannot be read: " (e.to_string()) }
                    p { "See the query language in the README." }
                })).into_response());
            }
            Err(e) => return Err(e.into()),
        };
        let facets = results.facets.clone().unwrap_or_default();
        let with = |extra: &str| search_link(format!("{} {extra}", sq.q).trim());
        let sort_name = if sort == Sort::Relevance { "relevance" } else { "date" };
        let page_link = |p: usize| format!("/search?q={}&sort={sort_name}&page={p}", url_encode(&sq.q));
        Ok(page(&format!("Search: {}", sq.q), html! {
            h1 { (results.total) " messages" @if !sq.q.is_empty() { " for " code { (sq.q) } } }
            p.sort {
                "Sort: "
                a href={ "/search?q=" (url_encode(&sq.q)) "&sort=date" } { "newest first" } " · "
                a href={ "/search?q=" (url_encode(&sq.q)) "&sort=relevance" } { "relevance" }
            }
            div.results-layout {
                aside.facets {
                    (facet("Verdict", &facets.verdict, "verdict", &with))
                    (facet("Sender domain", &facets.sender_domain, "from", &with))
                    (facet("Signer", &facets.signer, "signer", &with))
                    h3 { "Month" }
                    ul { @for (m, n) in facets.month.iter().rev().take(24) {
                        li { a href=(with(&format!("date:{m}"))) { (m) } " " span.num { (n) } }
                    } }
                }
                ol.results start=(page_no * PAGE + 1) {
                    @for h in &results.hits { (hit(h)) }
                }
            }
            nav.pages {
                @if page_no > 0 { a href=(page_link(page_no - 1)) { "← previous" } " " }
                @if (page_no + 1) * PAGE < results.total as usize { a href=(page_link(page_no + 1)) { "next →" } }
            }
        }).into_response())
    })
    .await
}

fn facet(title: &str, values: &[(String, u64)], op: &str, with: &dyn Fn(&str) -> String) -> Markup {
    html! {
        h3 { (title) }
        ul { @for (v, n) in values.iter().take(12) {
            li { a href=(with(&format!("{op}:{v}"))) { (v) } " " span.num { (n) } }
        } }
    }
}

fn hit(h: &Hit) -> Markup {
    html! {
        li.hit {
            div.line1 {
                (badge(&h.verdict)) " "
                span.date { (when(h.date)) } " "
                span.from { (h.from.as_deref().unwrap_or("(no sender)")) } " "
                a.subject href={ "/m/" (h.message.sha256) } { (h.subject.as_deref().unwrap_or("(no subject)")) }
            }
            div.line2 {
                span.source { (h.message.source.as_deref().unwrap_or("?")) }
                @if h.copies > 1 { " (+" (h.copies - 1) " more)" }
                @if let Some(t) = &h.thread { " · " a href={ "/t/" (t) } { "thread" } }
            }
            @if let Some(s) = &h.snippet {
                p.snippet { (highlighted(&s.text, &s.highlights)) }
            }
        }
    }
}

/// The snippet with matched words in `<mark>`, every piece escaped.
fn highlighted(text: &str, ranges: &[(usize, usize)]) -> Markup {
    let mut parts: Vec<(bool, &str)> = Vec::new();
    let mut at = 0;
    for &(s, e) in ranges {
        if s < at || e > text.len() || !text.is_char_boundary(s) || !text.is_char_boundary(e) {
            continue;
        }
        parts.push((false, &text[at..s]));
        parts.push((true, &text[s..e]));
        at = e;
    }
    parts.push((false, &text[at..]));
    html! { @for (m, t) in parts { @if m { mark { (t) } } @else { (t) } } }
}

// ------------------------------------------------------------------ message

async fn message(st: Shared, Path(sha): Path<String>) -> Result<Response> {
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

fn not_found_page() -> Response {
    (
        StatusCode::NOT_FOUND,
        page("Not found", html! { h1 { "No such message in this case" } }),
    )
        .into_response()
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
async fn body(st: Shared, Path(sha): Path<String>) -> Result<Response> {
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

async fn raw(st: Shared, Path(sha): Path<String>) -> Result<Response> {
    bytes_response(st, sha, "text/plain; charset=utf-8", None).await
}

async fn download(st: Shared, Path(sha): Path<String>) -> Result<Response> {
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

async fn attachment(st: Shared, Path((sha, idx)): Path<(String, usize)>) -> Result<Response> {
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
async fn cid(st: Shared, Path((sha, cid)): Path<(String, String)>) -> Result<Response> {
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

// ------------------------------------------------------------ tags and notes

#[derive(Deserialize)]
struct TagForm {
    csrf: String,
    tag: String,
}

#[derive(Deserialize)]
struct NoteForm {
    csrf: String,
    text: String,
}

/// A state-changing request is ours if it carries this run's token and the
/// browser does not say it came from another site.
fn from_us(st: &State, headers: &HeaderMap, token: &str) -> bool {
    let cross = headers
        .get("sec-fetch-site")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v == "cross-site");
    let same_token = token.len() == st.csrf.len()
        && token
            .bytes()
            .zip(st.csrf.bytes())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0;
    !cross && same_token
}

fn refused() -> Response {
    (StatusCode::FORBIDDEN, page("Refused", html! {
        h1 { "Refused" }
        p { "This form did not come from this workbench (or the server was restarted since it was loaded). Reload the page and try again." }
    })).into_response()
}

fn back_to(sha: &str) -> Response {
    (
        StatusCode::SEE_OTHER,
        [(header::LOCATION, format!("/m/{sha}"))],
    )
        .into_response()
}

fn bad_input(what: &str) -> Response {
    (
        StatusCode::BAD_REQUEST,
        page("Not saved", html! { h1 { "Not saved" } p { (what) } }),
    )
        .into_response()
}

/// A change to the user's annotations of `sha`, if the request is ours.
async fn annotate(
    st: Shared,
    sha: String,
    headers: &HeaderMap,
    csrf: &str,
    change: impl FnOnce(&tamis_case::Annotations, &str) -> Result<Response> + Send + 'static,
) -> Result<Response> {
    if !sha_ok(&sha) {
        return Ok(not_found().await);
    }
    if !from_us(&st, headers, csrf) {
        return Ok(refused());
    }
    st.with_case(move |st, _| {
        let Ok(notes) = st.notes.lock() else {
            return Ok(bad_input("busy"));
        };
        change(&notes, &sha)
    })
    .await
}

async fn add_tag(
    st: Shared,
    Path(sha): Path<String>,
    headers: HeaderMap,
    Form(f): Form<TagForm>,
) -> Result<Response> {
    annotate(st, sha, &headers, &f.csrf, move |notes, sha| {
        Ok(match notes.add_tag(sha, &f.tag)? {
            Ok(_) => back_to(sha),
            Err(e) => bad_input(&e.to_string()),
        })
    })
    .await
}

async fn remove_tag(
    st: Shared,
    Path(sha): Path<String>,
    headers: HeaderMap,
    Form(f): Form<TagForm>,
) -> Result<Response> {
    annotate(st, sha, &headers, &f.csrf, move |notes, sha| {
        notes.remove_tag(sha, &f.tag)?;
        Ok(back_to(sha))
    })
    .await
}

async fn add_note(
    st: Shared,
    Path(sha): Path<String>,
    headers: HeaderMap,
    Form(f): Form<NoteForm>,
) -> Result<Response> {
    annotate(st, sha, &headers, &f.csrf, move |notes, sha| {
        Ok(match notes.add_note(sha, &f.text)? {
            Ok(_) => back_to(sha),
            Err(e) => bad_input(&e.to_string()),
        })
    })
    .await
}

async fn tags(st: Shared) -> Result<Markup> {
    st.with_case(|st, case| {
        let (all, mut tagged) = match st.notes.lock() {
            Ok(a) => {
                let all = a.tags()?;
                let mut tagged = Vec::new();
                for (t, _) in &all {
                    tagged.push((t.clone(), a.tagged(t)?));
                }
                (all, tagged)
            }
            Err(_) => (Vec::new(), Vec::new()),
        };
        let mut subjects = BTreeMap::new();
        for (_, ms) in &tagged {
            for m in ms {
                if !subjects.contains_key(m) {
                    let mut subject = None;
                    case.occurrences_of(Some(m), |r| {
                        subject = subject.take().or(r.subject);
                        Ok(())
                    })?;
                    subjects.insert(m.clone(), subject);
                }
            }
        }
        tagged.sort();
        Ok(page("Your tags", html! {
            h1 { "Your tags" }
            p.hint { "Added by you in this workbench; not part of the dump." }
            @if all.is_empty() { p { "No tag yet: add them from a message's page." } }
            @for (t, ms) in &tagged {
                h2 { span.tag { (t) } " (" (ms.len()) ")" }
                ul { @for m in ms {
                    li { a href={ "/m/" (m) } { (subjects.get(m).cloned().flatten().unwrap_or_else(|| "(no subject)".into())) } }
                } }
            }
        }))
    })
    .await
}

// ------------------------------------------------------------------- thread

async fn thread(st: Shared, Path(t): Path<String>) -> Result<Response> {
    st.with_case(move |_, case| {
        let rows = case.thread_rows(&t.to_ascii_lowercase())?;
        if rows.is_empty() {
            return Ok(not_found_page());
        }
        let lines = tamis_case::thread_lines(&rows);
        let missing = lines
            .iter()
            .filter(|(_, l)| matches!(l, tamis_case::ThreadLine::Missing(_)))
            .count();
        Ok(page(
            "Thread",
            html! {
                h1 { "Thread " code { (t) } }
                p { (rows.len()) " messages, " (missing) " missing from the dump" }
                ul.thread {
                    @for (depth, line) in &lines {
                        // Indentation stops deepening at 20: every message
                        // is still listed, however deep a chain goes.
                        li class={ "d" ((*depth).min(20)) } {
                            @match line {
                                tamis_case::ThreadLine::Missing(m) => {
                                    span.placeholder { "Not in the dump: " code { (m) } }
                                }
                                tamis_case::ThreadLine::Message(r) => {
                                    (badge(r.verdict.as_deref().unwrap_or("pending"))) " "
                                    span.date { (when(r.date_ts)) } " "
                                    span.from { (r.from.as_deref().unwrap_or("(no sender)")) } " "
                                    a href={ "/m/" (r.message.sha256) } { (r.subject.as_deref().unwrap_or("(no subject)")) }
                                }
                            }
                        }
                    }
                }
            },
        )
        .into_response())
    })
    .await
}

// -------------------------------------------------------- keys, people, report

async fn keys(st: Shared) -> Result<Markup> {
    st.with_case(|_, case| {
        let keys = case.keys()?;
        let missing = case.missing_keys()?;
        Ok(page("Keys", html! {
            h1 { "Keys" }
            h2 { "Missing (" (missing.len()) ")" }
            p { "Selectors used in the dump with no key in the archive: what to go and find." }
            table { tr { th { "selector" } th { "domain" } th { "messages" } }
                @for (d, s, n) in &missing { tr { td { (s) } td { (d) } td.num { (n) } } } }
            h2 { "In the archive (" (keys.len()) ")" }
            table { tr { th { "domain" } th { "selector" } th { "source" } th { "record" } }
                @for k in &keys { tr { td { (k.domain) } td { (k.selector) } td { (k.source.as_deref().unwrap_or("")) } td { code.record { (k.record) } } } } }
        }))
    })
    .await
}

async fn correspondents(st: Shared) -> Result<Markup> {
    st.with_case(|_, case| {
        let c = case.correspondents()?;
        Ok(page("Correspondents", html! {
            h1 { "Who wrote to whom" }
            (graph(&c))
            table {
                tr { th { "from" } th { "to" } th { "messages" } }
                @for x in c.iter().take(500) {
                    tr {
                        td { a href=(search_link(&format!("from:{}", x.from))) { (x.from) } }
                        td { a href=(search_link(&format!("from:{} to:{}", x.from, x.to))) { (x.to) } }
                        td.num { (x.messages) }
                    }
                }
            }
        }))
    })
    .await
}

/// The busiest correspondents on a circle, a line per pair that wrote,
/// thicker for more messages: drawn on the server as SVG.
fn graph(pairs: &[tamis_case::Correspondence]) -> Markup {
    const NODES: usize = 24;
    let mut volume: BTreeMap<&str, u64> = BTreeMap::new();
    for p in pairs {
        *volume.entry(&p.from).or_default() += p.messages;
        *volume.entry(&p.to).or_default() += p.messages;
    }
    let mut top: Vec<(&str, u64)> = volume.into_iter().collect();
    top.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    top.truncate(NODES);
    let (cx, cy, r) = (450.0f64, 330.0f64, 230.0f64);
    let at: BTreeMap<&str, (f64, f64)> = top
        .iter()
        .enumerate()
        .map(|(i, (a, _))| {
            let t = i as f64 / top.len().max(1) as f64 * std::f64::consts::TAU;
            (*a, (cx + r * t.cos(), cy + r * t.sin()))
        })
        .collect();
    let max = pairs.iter().map(|p| p.messages).max().unwrap_or(1).max(1) as f64;
    let edges: Vec<(f64, f64, f64, f64, f64, String)> = pairs
        .iter()
        .filter_map(|p| {
            let (a, b) = (at.get(p.from.as_str())?, at.get(p.to.as_str())?);
            let w = 0.5 + 5.0 * (p.messages as f64).ln_1p() / max.ln_1p();
            Some((
                a.0,
                a.1,
                b.0,
                b.1,
                w,
                format!("{} → {}: {}", p.from, p.to, p.messages),
            ))
        })
        .collect();
    html! {
        figure.graph {
            svg width="900" height="660" role="img" aria-label="correspondents graph" {
                @for (x1, y1, x2, y2, w, label) in &edges {
                    line x1=(format!("{x1:.1}")) y1=(format!("{y1:.1}")) x2=(format!("{x2:.1}")) y2=(format!("{y2:.1}")) stroke-width=(format!("{w:.2}")) { title { (label) } }
                }
                @for (name, (x, y)) in &at {
                    circle cx=(format!("{x:.1}")) cy=(format!("{y:.1}")) r="5" { title { (name) } }
                    text x=(format!("{:.1}", if *x >= cx { x + 8.0 } else { x - 8.0 })) y=(format!("{:.1}", y + 4.0)) text-anchor=(if *x >= cx { "start" } else { "end" }) { (name) }
                }
            }
            figcaption { "The " (top.len()) " busiest addresses; hover a line for the count." }
        }
    }
}

async fn report(st: Shared) -> Result<Response> {
    st.with_case(|_, case| {
        let html = tamis_case::report::html(&case.report()?);
        let mut r = ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], html).into_response();
        r.headers_mut().insert(
            header::CONTENT_DISPOSITION,
            HeaderValue::from_static("attachment; filename=\"tamis-report.html\""),
        );
        Ok(r)
    })
    .await
}
