//! Document metadata on arbitrary bytes. In tamis these parsers run in
//! worker processes, so a panic costs one attachment; the fuzzer looks for
//! panics and hangs all the same (each is a document someone could not
//! read). Seed the corpus with crates/forensics/tests/data.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = tamis_forensics::document::metadata(data, Default::default());
});
