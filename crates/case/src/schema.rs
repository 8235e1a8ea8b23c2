//! The catalog schema and its migrations.
//!
//! Tables are keyed by what identifies a row in the evidence (a provenance
//! path, a content hash), never by an insertion counter (where a rowid
//! exists for storage, a unique column is the key): two runs that read
//! the same dump, one of them killed and resumed half-way, must end with
//! the same rows. The schema version is SQLite's `user_version`; each
//! migration moves it one step.

use rusqlite::Connection;

use crate::CaseError;

const MIGRATIONS: &[&str] = &[
    // 1: the case as ingest builds it.
    r#"
    CREATE TABLE roots (
        id    INTEGER PRIMARY KEY,
        path  TEXT NOT NULL UNIQUE
    );
    -- Resume bookkeeping: a unit (file or split-archive set) is done once
    -- everything read from it is committed.
    CREATE TABLE units (
        root   INTEGER NOT NULL,
        path   TEXT NOT NULL,
        size   INTEGER NOT NULL,
        mtime  INTEGER NOT NULL,
        PRIMARY KEY (root, path)
    ) WITHOUT ROWID;
    -- Chain of custody: every file and archive member opened.
    CREATE TABLE custody (
        root    INTEGER NOT NULL,
        path    TEXT NOT NULL,
        layer   INTEGER NOT NULL,
        kind    TEXT NOT NULL,
        size    INTEGER NOT NULL,
        mtime   TEXT,
        sha256  TEXT NOT NULL,
        PRIMARY KEY (root, path, layer)
    ) WITHOUT ROWID;
    -- One row per distinct message (by SHA-256 of its bytes).
    CREATE TABLE messages (
        sha256       TEXT PRIMARY KEY,
        size         INTEGER NOT NULL,
        pack         INTEGER NOT NULL,
        pack_offset  INTEGER NOT NULL,
        stored_len   INTEGER NOT NULL,
        message_id   TEXT,
        date_raw     TEXT,
        date         TEXT,
        date_ts      INTEGER,
        from_addr    TEXT,
        to_addrs     TEXT,
        cc_addrs     TEXT,
        subject      TEXT,
        in_reply_to  TEXT,
        refs         TEXT,
        parse_error  TEXT
    );
    -- No index on Message-ID or date here: each costs ingest time on every
    -- insert, and the capabilities that query by them add their own.
    CREATE TABLE attachments (
        message       TEXT NOT NULL,
        idx           INTEGER NOT NULL,
        name          TEXT,
        content_type  TEXT NOT NULL,
        size          INTEGER NOT NULL,
        PRIMARY KEY (message, idx)
    ) WITHOUT ROWID;
    -- Where each message was found: one row per copy.
    CREATE TABLE occurrences (
        root          INTEGER NOT NULL,
        path          TEXT NOT NULL,
        message       TEXT NOT NULL,
        format        TEXT NOT NULL,
        converted     INTEGER NOT NULL,
        range_offset  INTEGER,
        range_len     INTEGER,
        mtime         TEXT,
        folder        TEXT,
        flags         TEXT,
        reader_note   TEXT,
        PRIMARY KEY (root, path)
    );
    CREATE INDEX occurrences_message ON occurrences(message);
    CREATE TABLE problems (
        root      INTEGER NOT NULL,
        path      TEXT NOT NULL,
        kind      TEXT NOT NULL,
        severity  TEXT NOT NULL,
        detail    TEXT NOT NULL,
        PRIMARY KEY (root, path, kind)
    ) WITHOUT ROWID;
    -- Committed length of each blob pack; anything past it is an
    -- interrupted write and is cut off when the case is opened.
    CREATE TABLE packs (
        id             INTEGER PRIMARY KEY,
        committed_len  INTEGER NOT NULL
    );
    -- Who ran what when: the case's own log. Not part of the evidence.
    CREATE TABLE runs (
        id        INTEGER PRIMARY KEY,
        started   TEXT NOT NULL,
        finished  TEXT,
        command   TEXT NOT NULL,
        version   TEXT NOT NULL
    );
    "#,
    // 2: verification — the key archive and a verdict per message.
    r#"
    CREATE TABLE keys (
        domain       TEXT NOT NULL,
        selector     TEXT NOT NULL,
        record       TEXT NOT NULL,
        first_seen   INTEGER,
        last_seen    INTEGER,
        revealed_at  INTEGER,
        source       TEXT,
        PRIMARY KEY (domain, selector, record)
    ) WITHOUT ROWID;
    -- A verdict is a pure function of the message bytes and the key
    -- archive: `tamis verify` recomputes them all and gets the same rows.
    CREATE TABLE verdicts (
        message     TEXT PRIMARY KEY,
        verdict     TEXT NOT NULL,
        reasons     TEXT NOT NULL,
        evidence    TEXT NOT NULL,
        signers     TEXT
    ) WITHOUT ROWID;
    CREATE TABLE meta (
        key    TEXT PRIMARY KEY,
        value  TEXT NOT NULL
    ) WITHOUT ROWID;
    "#,
    // 3: forensics — attachments stored as documents, findings, and the
    // verdict split into what the signatures say and what is shown.
    r#"
    -- One row per distinct attachment (by SHA-256 of its decoded bytes),
    -- stored in the packs like messages by ingest; `meta` (JSON) or
    -- `error` once examined (`examined` = 1).
    CREATE TABLE documents (
        sha256       TEXT PRIMARY KEY,
        size         INTEGER NOT NULL,
        kind         TEXT NOT NULL,
        pack         INTEGER NOT NULL,
        pack_offset  INTEGER NOT NULL,
        stored_len   INTEGER NOT NULL,
        examined     INTEGER NOT NULL DEFAULT 0,
        meta         TEXT,
        error        TEXT
    );
    ALTER TABLE attachments ADD COLUMN document TEXT;
    -- Per message, the traits the dump-wide checks compare
    -- (tamis_forensics::profile, JSON), from ingest's parse.
    CREATE TABLE profiles (
        message  TEXT PRIMARY KEY,
        profile  TEXT NOT NULL
    ) WITHOUT ROWID;
    -- Messages whose own findings are written.
    CREATE TABLE examined (
        message  TEXT PRIMARY KEY
    ) WITHOUT ROWID;
    -- Findings. `scope` 'message': a function of one message and its
    -- documents, written once with its `examined` row; 'case': rests on
    -- the whole dump, deleted and recomputed by every examination (so ids
    -- are reassigned in a fixed order, never relied on across runs).
    CREATE TABLE findings (
        id           INTEGER PRIMARY KEY,
        scope        TEXT NOT NULL,
        message      TEXT,
        attachment   TEXT,
        kind         TEXT NOT NULL,
        severity     TEXT NOT NULL,
        explanation  TEXT NOT NULL,
        data         TEXT NOT NULL
    );
    CREATE INDEX findings_message ON findings(message);
    -- What the signatures alone say; `verdict` is what is shown, the same
    -- unless findings made an unprovable message `forged`.
    ALTER TABLE verdicts ADD COLUMN signature_verdict TEXT;
    UPDATE verdicts SET signature_verdict = verdict;
    "#,
    // 4: search — document text, threads, and what the index holds.
    r#"
    -- Text of each document for the search index; read with the metadata,
    -- so documents examined before this version are examined again.
    ALTER TABLE documents ADD COLUMN text TEXT;
    UPDATE documents SET examined = 0;
    -- JWZ threads: `parent` is a message hash, or `<message-id>` of a
    -- message the dump lacks (a placeholder). Derived from the whole dump,
    -- recomputed with the index.
    CREATE TABLE threads (
        message  TEXT PRIMARY KEY,
        thread   TEXT NOT NULL,
        parent   TEXT
    ) WITHOUT ROWID;
    CREATE INDEX threads_thread ON threads(thread);
    -- What the search index holds for each message: the catalog facts it
    -- was built from; a message whose facts changed is indexed again.
    CREATE TABLE indexed (
        message  TEXT PRIMARY KEY,
        state    TEXT NOT NULL
    ) WITHOUT ROWID;
    "#,
    // 5: search text stored by ingest; verdict facts without the evidence.
    r#"
    -- The verdict facts without the evidence: read for every message by
    -- threading and indexing, which would otherwise walk each row's
    -- kilobytes of evidence.
    CREATE INDEX verdicts_facts ON verdicts(message, verdict, signers);
    -- The text of each message for the search index (selected headers and
    -- the body as a reader sees it, JSON), written by ingest from its one
    -- parse into the packs; the index is built from it without parsing
    -- MIME again. Messages ingested before this version have none: the
    -- index parses their bytes.
    CREATE TABLE texts (
        message      TEXT PRIMARY KEY,
        pack         INTEGER NOT NULL,
        pack_offset  INTEGER NOT NULL,
        stored_len   INTEGER NOT NULL
    ) WITHOUT ROWID;
    "#,
    // 6: verdicts as a rowid table. A verdict row carries a kilobyte of
    // evidence; in a WITHOUT ROWID b-tree such rows spill to overflow pages
    // and every insert moves them. Here the rows sit in the rowid tree
    // (the rowid is storage only: `message` identifies a verdict) and
    // `verify` updates a row in place, or not at all when its digest says
    // it is unchanged.
    r#"
    CREATE TABLE verdicts_v6 (
        id                 INTEGER PRIMARY KEY,
        message            TEXT NOT NULL UNIQUE,
        verdict            TEXT NOT NULL,
        reasons            TEXT NOT NULL,
        evidence           TEXT NOT NULL,
        signers            TEXT,
        signature_verdict  TEXT,
        -- What verify wrote, hashed: it judges a message again, compares,
        -- and writes only what changed. NULL: not known, write.
        digest             TEXT
    );
    INSERT INTO verdicts_v6 (message, verdict, reasons, evidence, signers, signature_verdict)
        SELECT message, verdict, reasons, evidence, signers, signature_verdict FROM verdicts ORDER BY message;
    DROP TABLE verdicts;
    ALTER TABLE verdicts_v6 RENAME TO verdicts;
    CREATE INDEX verdicts_facts ON verdicts(message, verdict, signers, digest);
    "#,
    // 7: where each message is stored, in pack order. Passes over every
    // message (verify) read them in the order the packs hold them; from
    // the table, that was a scan of every row's headers and a sort.
    r#"
    CREATE INDEX messages_packed ON messages(pack, pack_offset, stored_len, sha256);
    "#,
    // 8: packs may hold stored (uncompressed) frames beside LZ4 ones (see
    // blobs.rs). Nothing to change in the catalog: the version is the mark
    // that makes an older tamis, which cannot read them, refuse the case.
    r#"
    SELECT 1;
    "#,
    // 9: reasons are typed values (JSON objects tagged by `reason`), no
    // longer sentences. Verdicts are derived from the stored messages and
    // the keys: `Case::open` judges every one again after this step
    // ([`REJUDGE_BEFORE`]), so no sentence-form reason outlives it.
    r#"
    UPDATE verdicts SET digest = NULL;
    "#,
];

/// A case whose catalog was older than this has its verdicts judged again
/// when it is opened (their stored form changed).
pub const REJUDGE_BEFORE: i64 = 9;

pub const VERSION: i64 = MIGRATIONS.len() as i64;

/// Bring the catalog to [`VERSION`]; returns the version it had.
pub fn migrate(conn: &mut Connection) -> Result<i64, CaseError> {
    let current: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if current > VERSION {
        return Err(CaseError::NewerSchema {
            found: current,
            supported: VERSION,
        });
    }
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(current as usize) {
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", (i + 1) as i64)?;
        tx.commit()?;
    }
    Ok(current)
}

#[cfg(test)]
mod tests {
    use crate::testing::small_case;
    use crate::{Case, Reason};

    /// A case whose verdicts were written in an older form (schema 8:
    /// reasons as sentences) is upgraded when opened: the catalog is
    /// migrated, every verdict judged again from the stored messages, the
    /// same verdicts with typed reasons; opened again, nothing is left to do.
    #[test]
    fn an_older_case_is_upgraded_when_opened() {
        let t = small_case();
        let dir = t.case.dir().to_path_buf();
        let before: Vec<(String, String)> = t
            .case
            .conn
            .prepare("SELECT message, verdict FROM verdicts ORDER BY message")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        t.case
            .conn
            .execute_batch(
                r#"UPDATE verdicts SET reasons = '["words of an older tamis"]',
                       evidence = json_set(evidence, '$.reasons', json('["words of an older tamis"]')),
                       digest = 'older';
                   PRAGMA user_version = 8;"#,
            )
            .unwrap();
        drop(t.case);

        let case = Case::open(&dir).unwrap();
        let u = case.upgrade().expect("upgraded");
        assert_eq!((u.from, u.to, u.rejudged), (8, super::VERSION, 3));
        let after: Vec<(String, String, String)> = case
            .conn
            .prepare("SELECT message, verdict, reasons FROM verdicts ORDER BY message")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        for ((m, v), (m2, v2, reasons)) in before.iter().zip(&after) {
            assert_eq!((m, v), (m2, v2));
            let typed: Vec<Reason> = serde_json::from_str(reasons).unwrap();
            assert!(!typed.is_empty(), "{reasons}");
        }
        drop(case);
        assert!(Case::open(&dir).unwrap().upgrade().is_none());
    }

    /// A case from a newer tamis is refused, not misread.
    #[test]
    fn a_newer_case_is_refused() {
        let t = small_case();
        let dir = t.case.dir().to_path_buf();
        t.case
            .conn
            .pragma_update(None, "user_version", super::VERSION + 1)
            .unwrap();
        drop(t.case);
        assert!(matches!(
            Case::open(&dir),
            Err(crate::CaseError::NewerSchema { .. })
        ));
    }
}
