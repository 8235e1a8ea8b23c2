//! `keys fetch` against a real DNS server on this machine: a small
//! authoritative responder on 127.0.0.1 serves one key (split over two
//! strings, as long keys are published) and answers NXDOMAIN otherwise.

use std::collections::HashMap;
use std::net::UdpSocket;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use tamis_keys::dns::{Fetched, fetch};

fn serve(socket: UdpSocket, zone: HashMap<String, Vec<&'static str>>, stop: Arc<AtomicBool>) {
    socket
        .set_read_timeout(Some(Duration::from_millis(50)))
        .unwrap();
    let mut buf = [0u8; 1500];
    while !stop.load(Ordering::SeqCst) {
        let Ok((n, peer)) = socket.recv_from(&mut buf) else {
            continue;
        };
        let q = &buf[..n];
        // The question name: labels from byte 12 to a zero byte.
        let mut labels = Vec::new();
        let mut i = 12;
        while i < n && q[i] != 0 {
            let len = q[i] as usize;
            labels.push(String::from_utf8_lossy(&q[i + 1..i + 1 + len]).to_ascii_lowercase());
            i += 1 + len;
        }
        let question_end = i + 5;
        let name = labels.join(".");
        let answers = zone.get(&name);
        let mut r = Vec::new();
        r.extend_from_slice(&q[..2]);
        r.extend_from_slice(if answers.is_some() {
            &[0x81, 0x80]
        } else {
            &[0x81, 0x83]
        });
        r.extend_from_slice(&[0, 1, 0, u8::from(answers.is_some()), 0, 0, 0, 0]);
        r.extend_from_slice(&q[12..question_end]);
        if let Some(strings) = answers {
            let rdata: Vec<u8> = strings
                .iter()
                .flat_map(|s| std::iter::once(s.len() as u8).chain(s.bytes()))
                .collect();
            r.extend_from_slice(&[0xc0, 0x0c, 0, 16, 0, 1, 0, 0, 0x0e, 0x10]);
            r.extend_from_slice(&(rdata.len() as u16).to_be_bytes());
            r.extend_from_slice(&rdata);
        }
        let _ = socket.send_to(&r, peer);
    }
}

#[test]
fn fetches_published_keys_and_says_which_are_not() {
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    let addr = socket.local_addr().unwrap();
    let zone = HashMap::from([(
        "s1._domainkey.example.org".to_string(),
        vec![
            "v=DKIM1; k=rsa; ",
            "p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQC848PMQXuR6V4Tbj3Wb2TN/4Qon0v8ch1WoS0v5wC4/2FXHaH5g7xNwtIwgfE7kxkSqv1LnS4tUrpHjWcXJhtCkT9wkI0FOVFzKHRc7Gy7vYSFMUCnojiVVQjxY6bnyPLIIP2l/D++0awe+XCWQsjFZ+CHW5Lo/lQ/bdrUcYEU/QIDAQAB",
        ],
    )]);
    let stop = Arc::new(AtomicBool::new(false));
    let server = {
        let stop = stop.clone();
        std::thread::spawn(move || serve(socket, zone, stop))
    };
    let pairs = vec![
        ("example.org".to_string(), "s1".to_string()),
        ("example.org".to_string(), "gone".to_string()),
    ];
    let got = fetch(
        &pairs,
        Some(addr),
        1_700_000_000,
        "DNS lookup on 2023-11-14",
    )
    .unwrap();
    stop.store(true, Ordering::SeqCst);
    server.join().unwrap();
    match &got[0] {
        Fetched::Found(records) => {
            assert_eq!(records.len(), 1);
            let r = &records[0];
            assert!(
                r.record.starts_with("v=DKIM1; k=rsa; p=MIGf"),
                "{}",
                r.record
            );
            assert_eq!(
                (r.first_seen, r.last_seen),
                (Some(1_700_000_000), Some(1_700_000_000))
            );
            assert!(
                r.source
                    .as_deref()
                    .unwrap()
                    .starts_with("DNS lookup on 2023-11-14")
            );
            tamis_keys::parse_key_record(&r.record).unwrap();
        }
        other => panic!("s1: {other:?}"),
    }
    assert!(matches!(got[1], Fetched::NotFound), "gone: {:?}", got[1]);
}
