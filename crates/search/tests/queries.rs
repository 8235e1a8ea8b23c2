//! Every query operator and the threads, on the dump in tests/data/dump:
//! each query of tests/data/queries.txt finds exactly the messages listed.
//! The dump is built here as a user would receive it: some messages signed
//! with tamis-gen's test key, one altered after signing, one inside a zip.

use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Path, PathBuf};

use tamis_case::{Case, IngestOptions};
use tamis_search::{Request, SearchIndex, Sort};

fn data() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data")
}

/// Ingest, verify, examine and index the test dump.
fn case(dir: &Path) -> Case {
    let dump = dir.join("dump");
    std::fs::create_dir_all(dump.join("archives")).unwrap();
    let mut names: Vec<_> = std::fs::read_dir(data().join("dump"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    for name in names {
        let raw = std::fs::read(data().join("dump").join(&name)).unwrap();
        if name == "zipped.eml" {
            let file = std::fs::File::create(dump.join("archives/export.zip")).unwrap();
            let mut zip = zip::ZipWriter::new(file);
            zip.start_file("inner/x.eml", zip::write::SimpleFileOptions::default())
                .unwrap();
            zip.write_all(&raw).unwrap();
            zip.finish().unwrap();
            continue;
        }
        let bytes = if name.starts_with("signed-") {
            tamis_gen::sign_as_org(&raw).unwrap()
        } else if name.starts_with("tampered-") {
            let mut b = tamis_gen::sign_as_org(&raw).unwrap();
            b.extend_from_slice(b"Ajout : tout est annul\xc3\xa9.\r\n");
            b
        } else {
            raw
        };
        std::fs::write(dump.join(&name), bytes).unwrap();
    }
    tamis_gen::write_keys(dir).unwrap();
    let mut case = Case::create(&dir.join("t.case")).unwrap();
    case.ingest(&[dump], &IngestOptions::default(), &mut |_| {})
        .unwrap();
    let keys = std::fs::read_to_string(dir.join("keys/dkim-keys.jsonl")).unwrap();
    let keys: Vec<_> = tamis_keys::parse_jsonl(&keys)
        .into_iter()
        .map(Result::unwrap)
        .collect();
    case.import_keys(&keys).unwrap();
    case.verify(false, &mut |_, _| {}).unwrap();
    case.examine(
        &tamis_forensics::isolate::Pool::in_process(),
        &mut |_, _| {},
    )
    .unwrap();
    SearchIndex::open(case.dir())
        .unwrap()
        .refresh(&mut case, &mut |_, _| {})
        .unwrap();
    case
}

/// `dump/dir/name.eml` → `name`; `…!inner/x.eml` → `x`.
fn name(source: &str) -> String {
    let last = source.rsplit(['/', '!']).next().unwrap_or(source);
    last.trim_end_matches(".eml").to_string()
}

fn found(index: &SearchIndex, q: &str) -> BTreeSet<String> {
    let r = index
        .search(
            &Request {
                query: q,
                limit: 1000,
                ..Request::default()
            },
            None,
        )
        .unwrap_or_else(|e| panic!("{q}: {e}"));
    assert_eq!(r.total as usize, r.hits.len(), "{q}");
    r.hits
        .iter()
        .map(|h| name(h.message.source.as_deref().unwrap_or("?")))
        .collect()
}

#[test]
fn every_operator_finds_what_the_table_says() {
    let dir = tempfile::tempdir().unwrap();
    let case = case(dir.path());
    let index = SearchIndex::open(case.dir()).unwrap();
    assert_eq!(index.len(), 9);
    let table = std::fs::read_to_string(data().join("queries.txt")).unwrap();
    let mut failures = Vec::new();
    for line in table.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (q, want) = line.split_once("=>").expect("query => names");
        let want: BTreeSet<String> = want.split_whitespace().map(str::to_string).collect();
        let got = found(&index, q.trim());
        if got != want {
            failures.push(format!("{}\n   want {want:?}\n    got {got:?}", q.trim()));
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

#[test]
fn threads_hold_against_a_forged_message_id() {
    let dir = tempfile::tempdir().unwrap();
    let case = case(dir.path());
    let index = SearchIndex::open(case.dir()).unwrap();
    let sha = |n: &str| {
        let r = index
            .search(
                &Request {
                    query: "",
                    limit: 100,
                    ..Request::default()
                },
                None,
            )
            .unwrap();
        r.hits
            .into_iter()
            .find(|h| name(h.message.source.as_deref().unwrap_or("")) == n)
            .unwrap_or_else(|| panic!("{n} not indexed"))
    };
    let (memo, reply, reply2, fake, trip, orphan) = (
        sha("signed-memo"),
        sha("reply"),
        sha("signed-reply2"),
        sha("forged-reuse"),
        sha("other"),
        sha("orphan"),
    );
    // The genuine conversation is one thread, in order...
    let rows = case.thread_rows(memo.thread.as_deref().unwrap()).unwrap();
    let in_thread: Vec<&str> = rows.iter().map(|r| r.message.sha256.as_str()).collect();
    assert_eq!(
        in_thread,
        [
            &memo.message.sha256,
            &reply.message.sha256,
            &reply2.message.sha256
        ]
    );
    assert_eq!(
        rows[1].parent.as_deref(),
        Some(memo.message.sha256.as_str())
    );
    assert_eq!(
        rows[2].parent.as_deref(),
        Some(reply.message.sha256.as_str())
    );
    // ...the copy that reuses the memo's Message-ID took neither its place
    // nor its thread: it sits where it claims to, under the trip message.
    assert_eq!(fake.thread, trip.thread);
    assert_ne!(fake.thread, memo.thread);
    let trip_rows = case.thread_rows(trip.thread.as_deref().unwrap()).unwrap();
    let fake_row = trip_rows
        .iter()
        .find(|r| r.message.sha256 == fake.message.sha256)
        .unwrap();
    assert_eq!(
        fake_row.parent.as_deref(),
        Some(trip.message.sha256.as_str())
    );
    // A reply to a message the dump lacks hangs under a placeholder.
    let orphan_rows = case.thread_rows(orphan.thread.as_deref().unwrap()).unwrap();
    assert_eq!(orphan_rows.len(), 1);
    assert_eq!(
        orphan_rows[0].parent.as_deref(),
        Some("<gone@horizon.example>")
    );
    // `thread:` finds the conversation.
    let q = format!("thread:{}", memo.thread.as_deref().unwrap());
    let got = found(&index, &q);
    assert_eq!(
        got,
        ["reply", "signed-memo", "signed-reply2"]
            .map(String::from)
            .into()
    );
}

#[test]
fn results_sort_by_date_or_relevance_and_page() {
    let dir = tempfile::tempdir().unwrap();
    let case = case(dir.path());
    let index = SearchIndex::open(case.dir()).unwrap();
    let page = |offset, sort| {
        index
            .search(
                &Request {
                    query: "budget",
                    limit: 2,
                    offset,
                    sort,
                    facets: false,
                },
                Some(&case),
            )
            .unwrap()
    };
    let first = page(0, Sort::Date);
    let names: Vec<String> = first
        .hits
        .iter()
        .map(|h| name(h.message.source.as_deref().unwrap()))
        .collect();
    // Newest first: 2 Apr, then 28 Mar.
    assert_eq!(names, ["signed-reply2", "reply"]);
    assert_eq!(first.total, 5);
    let second = page(2, Sort::Date);
    assert_eq!(
        name(second.hits[0].message.source.as_deref().unwrap()),
        "signed-memo"
    );
    // By relevance, the message that says "budget" in its subject, body
    // and attachment outranks one that only has it in an attachment.
    let by_score = page(0, Sort::Relevance);
    assert!(by_score.hits[0].score.unwrap() >= by_score.hits[1].score.unwrap());
    // Snippets come from the body, with the word highlighted.
    let memo = first
        .hits
        .iter()
        .find(|h| name(h.message.source.as_deref().unwrap()) == "reply")
        .unwrap();
    let s = memo.snippet.as_ref().unwrap();
    let marked: Vec<&str> = s.highlights.iter().map(|&(a, b)| &s.text[a..b]).collect();
    assert_eq!(marked, ["budget"]);
}

#[test]
fn facets_count_every_match() {
    let dir = tempfile::tempdir().unwrap();
    let case = case(dir.path());
    let index = SearchIndex::open(case.dir()).unwrap();
    let r = index
        .search(
            &Request {
                query: "budget",
                limit: 1,
                facets: true,
                ..Request::default()
            },
            None,
        )
        .unwrap();
    let f = r.facets.unwrap();
    assert_eq!(
        f.verdict,
        [
            ("unverifiable".to_string(), 3),
            ("authentic".to_string(), 2)
        ]
    );
    assert_eq!(
        f.sender_domain,
        [
            ("horizon.example".to_string(), 4),
            ("agence-partenaire.example".to_string(), 1)
        ]
    );
    assert_eq!(f.signer, [("horizon.example".to_string(), 2)]);
    assert_eq!(
        f.month,
        [
            ("2016-11".to_string(), 1),
            ("2017-03".to_string(), 3),
            ("2017-04".to_string(), 1)
        ]
    );
    assert_eq!(f.day.iter().map(|(_, n)| n).sum::<u64>(), 5);
}

#[test]
fn a_second_refresh_indexes_only_what_changed() {
    let dir = tempfile::tempdir().unwrap();
    let mut case = case(dir.path());
    let index = SearchIndex::open(case.dir()).unwrap();
    let again = index.refresh(&mut case, &mut |_, _| {}).unwrap();
    assert_eq!(again.indexed, 0);
    // Without keys every signature is unverifiable: the verdicts change,
    // and so does what `verdict:` finds.
    let empty = tempfile::tempdir().unwrap();
    let mut bare = Case::create(&empty.path().join("b.case")).unwrap();
    let dump = dir.path().join("dump");
    bare.ingest(&[dump], &IngestOptions::default(), &mut |_| {})
        .unwrap();
    bare.verify(false, &mut |_, _| {}).unwrap();
    let bare_index = SearchIndex::open(bare.dir()).unwrap();
    bare_index.refresh(&mut bare, &mut |_, _| {}).unwrap();
    assert!(found(&bare_index, "verdict:authentic").is_empty());
    let keys = std::fs::read_to_string(dir.path().join("keys/dkim-keys.jsonl")).unwrap();
    let keys: Vec<_> = tamis_keys::parse_jsonl(&keys)
        .into_iter()
        .map(Result::unwrap)
        .collect();
    bare.import_keys(&keys).unwrap();
    bare.verify(true, &mut |_, _| {}).unwrap();
    let r = bare_index.refresh(&mut bare, &mut |_, _| {}).unwrap();
    // The three signed messages changed verdict, and with them the threads
    // the memo's Message-ID belongs to; the rest is left alone.
    assert!((3..9).contains(&r.indexed), "{r:?}");
    assert_eq!(
        found(&bare_index, "verdict:authentic"),
        ["signed-memo", "signed-reply2"].map(String::from).into()
    );
    assert_eq!(bare_index.len(), 9);
}

#[test]
fn duplicate_groups_and_correspondents() {
    let dir = tempfile::tempdir().unwrap();
    let case = case(dir.path());
    let index = SearchIndex::open(case.dir()).unwrap();
    // No two messages here share subject and text.
    assert!(index.duplicate_groups().unwrap().is_empty());
    let c = case.correspondents().unwrap();
    let claire_paul = c
        .iter()
        .find(|c| {
            c.from == "claire.martin@horizon.example"
                && c.to == "paul.durand@agence-partenaire.example"
        })
        .unwrap();
    assert_eq!(claire_paul.messages, 3);
}

/// The table exercises the whole query language: every operator the parser
/// knows appears in it at least once.
#[test]
fn the_table_uses_every_operator() {
    let table = std::fs::read_to_string(data().join("queries.txt")).unwrap();
    let queries: Vec<&str> = table
        .lines()
        .filter(|l| !l.trim_start().starts_with('#'))
        .filter_map(|l| l.split_once("=>").map(|(q, _)| q))
        .collect();
    let missing: Vec<&str> = tamis_search::query::FIELDS
        .iter()
        .map(|(name, _)| *name)
        .filter(|name| {
            let op = format!("{name}:");
            !queries
                .iter()
                .any(|q| q.split([' ', '(', '-']).any(|w| w.starts_with(&op)))
        })
        .collect();
    assert!(missing.is_empty(), "no query uses {missing:?}");
}
