//! The DKIM key archive.
//!
//! The key that signed a 2016 message is usually gone from DNS by the time
//! the leak is read, so tamis verifies against an archive of key records,
//! each with what is known of when it was published. One selector may have
//! held several keys over time; a key whose private half was published
//! (`revealed_at`) proves nothing for mail that could have been signed after
//! that; a short RSA key proves little at all. This crate holds those facts
//! and parses the record formats; verification decides what they mean for a
//! given message.

pub mod dns;
mod import;
mod record;

pub use import::{ImportError, KeyFileFormat, parse_any, parse_dig, parse_jsonl, parse_zone};
pub use record::{
    DkimKey, KeyError, KeyType, parse_key_record, rsa_components, tag_list, tag_list_strict,
};

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

/// One archived key record: the TXT value published at
/// `<selector>._domainkey.<domain>`, and what is known of its life.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyRecord {
    /// Lower-cased (DNS names are case-insensitive).
    pub domain: String,
    /// Lower-cased.
    pub selector: String,
    /// The TXT value exactly as published (multi-string records joined).
    pub record: String,
    /// Unix seconds: first and last time the record was seen published.
    pub first_seen: Option<i64>,
    pub last_seen: Option<i64>,
    /// Unix seconds: when the private key became public.
    pub revealed_at: Option<i64>,
    /// Where the record came from (archive name, file, DNS lookup date).
    pub source: Option<String>,
}

impl KeyRecord {
    pub fn new(domain: &str, selector: &str, record: &str) -> Self {
        KeyRecord {
            domain: domain.trim_end_matches('.').to_ascii_lowercase(),
            selector: selector.to_ascii_lowercase(),
            record: record.to_string(),
            first_seen: None,
            last_seen: None,
            revealed_at: None,
            source: None,
        }
    }

    /// Was this record published at `t` (as far as its window says)?
    /// `None` when the record carries no window at all.
    pub fn published_at(&self, t: i64) -> Option<bool> {
        match (self.first_seen, self.last_seen) {
            (None, None) => None,
            (first, last) => Some(first.is_none_or(|f| f <= t) && last.is_none_or(|l| t <= l)),
        }
    }
}

/// An archive of key records in memory, by name, for lookups.
#[derive(Debug, Default)]
pub struct Archive {
    /// By domain, then selector, both lower-cased: looked up with the names
    /// as a signature gives them, without building a key per signature.
    by_name: HashMap<String, HashMap<String, Vec<KeyRecord>>>,
}

impl Archive {
    pub fn new(records: impl IntoIterator<Item = KeyRecord>) -> Self {
        let mut by_name: HashMap<String, HashMap<String, Vec<KeyRecord>>> = HashMap::new();
        for r in records {
            by_name
                .entry(r.domain.clone())
                .or_default()
                .entry(r.selector.clone())
                .or_default()
                .push(r);
        }
        Archive { by_name }
    }

    /// Every record published at `<selector>._domainkey.<domain>`
    /// (case-insensitive, as DNS is).
    pub fn find(&self, domain: &str, selector: &str) -> &[KeyRecord] {
        self.by_name
            .get(lower(domain).as_ref())
            .and_then(|selectors| selectors.get(lower(selector).as_ref()))
            .map_or(&[], Vec::as_slice)
    }
}

/// `name` lower-cased, borrowed when it already is (as signatures give it).
fn lower(name: &str) -> std::borrow::Cow<'_, str> {
    if name.bytes().any(|b| b.is_ascii_uppercase()) {
        name.to_ascii_lowercase().into()
    } else {
        name.into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// DNS names are case-insensitive: a signature's `d=` and `s=` find
    /// their records however either side spells them.
    #[test]
    fn the_archive_finds_records_whatever_the_case() {
        let archive = Archive::new([
            KeyRecord::new("Example.ORG", "S1", "p=one"),
            KeyRecord::new("example.org", "s1", "p=two"),
            KeyRecord::new("example.org", "s2", "p=three"),
        ]);
        let records = |d, s| -> Vec<&str> {
            archive
                .find(d, s)
                .iter()
                .map(|r| r.record.as_str())
                .collect()
        };
        assert_eq!(records("example.org", "s1"), ["p=one", "p=two"]);
        assert_eq!(records("EXAMPLE.org", "S1"), ["p=one", "p=two"]);
        assert_eq!(records("example.org", "S2"), ["p=three"]);
        assert!(records("example.org", "s3").is_empty());
        assert!(records("other.org", "s1").is_empty());
    }

    #[test]
    fn a_window_says_when_a_record_was_published() {
        let mut r = KeyRecord::new("Example.ORG.", "S1", "p=");
        assert_eq!(
            (r.domain.as_str(), r.selector.as_str()),
            ("example.org", "s1")
        );
        assert_eq!(r.published_at(5), None);
        r.first_seen = Some(10);
        r.last_seen = Some(20);
        assert_eq!(r.published_at(5), Some(false));
        assert_eq!(r.published_at(15), Some(true));
        assert_eq!(r.published_at(25), Some(false));
    }
}
