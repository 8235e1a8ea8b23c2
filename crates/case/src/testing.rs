//! A small case for the crate's own tests: three messages, one signed by
//! the organisation with tamis-gen's test key (authentic), one unsigned
//! (unverifiable), one a signed copy edited after signing (tampered),
//! ingested, keyed and verified like any case.

use tamis_keys::KeyRecord;
use tempfile::TempDir;

use crate::{Case, IngestOptions};

pub struct Small {
    /// Holds the dump and the case until the test ends.
    _dir: TempDir,
    pub case: Case,
    /// The hashes of the signed, unsigned and tampered messages.
    pub signed: String,
    pub unsigned: String,
    pub tampered: String,
}

/// tamis-gen's test keys (the organisation's RSA key and its partner's
/// Ed25519 key), as the key archive holds them.
pub fn test_keys() -> Vec<KeyRecord> {
    let dir = tempfile::tempdir().unwrap();
    tamis_gen::write_keys(dir.path()).unwrap();
    let keys = std::fs::read_to_string(dir.path().join("keys/dkim-keys.jsonl")).unwrap();
    tamis_keys::parse_jsonl(&keys)
        .into_iter()
        .flatten()
        .collect()
}

pub fn small_case() -> Small {
    let dir = tempfile::tempdir().unwrap();
    let dump = dir.path().join("dump");
    std::fs::create_dir_all(dump.join("inbox")).unwrap();
    let signed = tamis_gen::sign_as_org(
        b"From: Ana <ana@horizon.example>\r\nTo: bo@horizon.example\r\n\
          Subject: budget\r\nDate: Tue, 16 Aug 2016 10:00:00 +0200\r\n\
          Message-ID: <budget@horizon.example>\r\n\r\nSee you.\r\n",
    )
    .unwrap();
    let tampered = String::from_utf8(signed.clone())
        .unwrap()
        .replace("See you.", "See you at nine.");
    let unsigned = b"From: Eve <eve@outside.example>\r\nTo: bo@horizon.example\r\n\
        Subject: hello\r\nDate: Wed, 17 Aug 2016 10:00:00 +0200\r\n\
        Message-ID: <hello@outside.example>\r\n\r\nHello.\r\n";
    std::fs::write(dump.join("inbox/signed.eml"), &signed).unwrap();
    std::fs::write(dump.join("inbox/tampered.eml"), &tampered).unwrap();
    std::fs::write(dump.join("unsigned.eml"), unsigned).unwrap();
    let keys = test_keys();
    let mut case = Case::create(&dir.path().join("t.case")).unwrap();
    case.ingest(&[dump], &IngestOptions::default(), &mut |_| {})
        .unwrap();
    case.import_keys(&keys).unwrap();
    case.verify(false, &mut |_, _| {}).unwrap();
    let sha = |bytes: &[u8]| {
        use sha2::Digest;
        hex::encode(sha2::Sha256::digest(bytes))
    };
    Small {
        signed: sha(&signed),
        unsigned: sha(unsigned),
        tampered: sha(tampered.as_bytes()),
        case,
        _dir: dir,
    }
}

impl Small {
    /// The verdict (as shown, findings applied) of `message`.
    pub fn verdict(&self, message: &str) -> String {
        self.case
            .conn
            .query_row(
                "SELECT verdict FROM verdicts WHERE message = ?1",
                [message],
                |r| r.get(0),
            )
            .unwrap()
    }
}
