//! The publishable report, served as the case renders it.

use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};

use super::*;
use crate::Result;

pub(super) async fn report(st: Shared) -> Result<Response> {
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
