//! What ingest and examine compute in-process from a message: its profile
//! (mail-parser, link and form scans, text digests), its Received hops and
//! the quotation check against itself. None may panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let p = tamis_forensics::profile::profile(data);
    let hops = tamis_forensics::message::hops(data);
    let _ = tamis_forensics::message::header_findings(&hops, p.date, &[p.date.unwrap_or(0)]);
    let text = tamis_forensics::text::body_text(data);
    let _ = tamis_forensics::text::quote_check(&text, &text);
    let _ = tamis_forensics::document::identify(data);
});
