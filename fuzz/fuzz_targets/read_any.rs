//! Any bytes, as a file of a dump: every container reader is reached
//! through content detection (zip, tar, 7z, gzip, bzip2, xz, zstd, mbox,
//! MMDF, emlx, msg). Small limits keep bombs cheap.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tamis_read::{Event, Limits, Reader};

fuzz_target!(
    init: {
        // The reader catches panics inside third-party parsers and reports
        // them as problems; libFuzzer's hook would abort on those. A panic
        // that escapes the reader still aborts the run (libfuzzer-sys
        // catches the unwind and aborts).
        std::panic::set_hook(Box::new(|_| {}));
    },
    |data: &[u8]| {
    let reader = Reader::new(Limits {
        max_depth: 4,
        max_message: 1 << 20,
        max_expansion_ratio: 20,
        min_expansion_budget: 4 << 20,
        spool_in_memory: 1 << 20,
    });
    let mut n = 0u64;
    reader.read_bytes("fuzz.bin", data, &mut |e| {
        if let Event::Message(m) = e {
            n += m.bytes.len() as u64;
        }
    });
    std::hint::black_box(n);
    }
);
