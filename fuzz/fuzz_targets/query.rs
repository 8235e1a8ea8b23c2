//! The query language on arbitrary text: a tree or a typed error, never a
//! panic (queries come from users, and from shared URLs in the web UI).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(q) = std::str::from_utf8(data) {
        let _ = tamis_search::query::parse(q);
        let _ = tamis_search::query::date_span(q);
    }
});
