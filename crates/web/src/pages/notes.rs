//! The user's tags and notes: forms guarded by the CSRF token and the
//! browser's own word on where a request came from.

use std::collections::BTreeMap;

use axum::Form;
use axum::extract::Path;
use axum::http::HeaderMap;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use maud::{Markup, html};
use serde::Deserialize;

use super::*;
use crate::{Result, State};

#[derive(Deserialize)]
pub(super) struct TagForm {
    csrf: String,
    tag: String,
}

#[derive(Deserialize)]
pub(super) struct NoteForm {
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

pub(super) async fn add_tag(
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

pub(super) async fn remove_tag(
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

pub(super) async fn add_note(
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

pub(super) async fn tags(st: Shared) -> Result<Markup> {
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
