//! The key archive and the keys still missing.

use maud::{Markup, html};

use super::*;
use crate::Result;

pub(super) async fn keys(st: Shared) -> Result<Markup> {
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
