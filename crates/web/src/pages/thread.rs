//! A thread, in reading order, with placeholders for missing parents.

use axum::extract::Path;
use axum::response::{IntoResponse, Response};
use maud::html;

use super::*;
use crate::Result;

pub(super) async fn thread(st: Shared, Path(t): Path<String>) -> Result<Response> {
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
                                    (badge(r.verdict.map_or("pending", tamis_case::Verdict::name))) " "
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
