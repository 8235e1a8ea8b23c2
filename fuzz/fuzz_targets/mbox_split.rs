//! The mailbox splitter on arbitrary bytes: entries never overlap, never
//! exceed the limit, and account for the input.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tamis_read::mbox::{Style, split};

fuzz_target!(|data: &[u8]| {
    for style in [Style::From, Style::Mmdf] {
        let mut last_end = 0u64;
        let read = split(data, style, 4096, |e| {
            if let Ok(e) = e {
                assert!(e.offset >= last_end, "entries overlap");
                assert!(e.raw_len <= 4096);
                assert!(e.bytes.len() as u64 <= e.raw_len);
                last_end = e.offset + e.raw_len;
            }
        })
        .unwrap();
        assert_eq!(read, data.len() as u64);
        assert!(last_end <= read);
    }
});
