//! The pages. Each handler gathers what it shows on a blocking thread
//! (index and catalog) and renders it with maud, which escapes every
//! value: nothing from the dump reaches the page as markup, except a
//! message's HTML body, sanitised and served apart (`/m/{sha}/body`).

use std::sync::Arc;

use axum::Router;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use maud::{DOCTYPE, Markup, html};

use crate::State;

mod correspondents;
mod dashboard;
mod keys;
mod message;
mod notes;
mod report;
mod search;
mod thread;

use correspondents::correspondents;
use dashboard::dashboard;
use keys::keys;
use message::{attachment, body, cid, download, message, raw};
use notes::{add_note, add_tag, remove_tag, tags};
use report::report;
use search::search;
use thread::thread;

pub(super) type Shared = axum::extract::State<Arc<State>>;

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

const CSS: &str = include_str!("../../assets/app.css");

async fn css() -> Response {
    ([(header::CONTENT_TYPE, "text/css; charset=utf-8")], CSS).into_response()
}

pub(super) async fn not_found() -> Response {
    (
        StatusCode::NOT_FOUND,
        page("Not found", html! { h1 { "Not found" } }),
    )
        .into_response()
}

pub(super) fn page(title: &str, body: Markup) -> Markup {
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

pub(super) fn badge(verdict: &str) -> Markup {
    html! { span class={ "verdict v-" (verdict) } { (verdict) } }
}

pub(super) fn when(ts: Option<i64>) -> String {
    ts.map_or_else(|| "(no date)".into(), tamis_time::minute)
}

pub(super) fn search_link(q: &str) -> String {
    format!("/search?q={}", url_encode(q))
}

pub(super) fn url_encode(s: &str) -> String {
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
pub(super) fn sha_ok(sha: &str) -> bool {
    sha.len() == 64 && sha.bytes().all(|b| b.is_ascii_hexdigit())
}

/// The page for a message the case does not hold.
pub(super) fn not_found_page() -> Response {
    (
        StatusCode::NOT_FOUND,
        page("Not found", html! { h1 { "No such message in this case" } }),
    )
        .into_response()
}
