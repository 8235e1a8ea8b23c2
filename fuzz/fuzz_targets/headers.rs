//! The catalog's header extraction (mail-parser underneath) on arbitrary
//! bytes: it returns fields or a reason, never panics past its guard.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = tamis_case::headers::parse(data);
});
