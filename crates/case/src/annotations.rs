//! The user's own work on a case: tags and notes on messages.
//!
//! Kept in a file of their own (`notes.sqlite` beside the catalog), never
//! in the catalog: the catalog is what the dump says and what tamis proved,
//! and nothing a user types may ever be mistaken for either. Deleting the
//! file loses the notes and changes no evidence.

use std::path::Path;

use rusqlite::{Connection, params};
use serde::Serialize;

use crate::Result;

const FILE: &str = "notes.sqlite";

pub struct Annotations {
    conn: Connection,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Note {
    pub id: i64,
    pub message: String,
    pub text: String,
    /// Unix seconds.
    pub created: i64,
}

/// Longest tag and note accepted (a tag is a word or two; a note a few
/// paragraphs).
pub const MAX_TAG: usize = 64;
pub const MAX_NOTE: usize = 20_000;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum AnnotationError {
    #[error("a tag is 1 to {MAX_TAG} characters of letters, digits, spaces, - _ . :")]
    BadTag,
    #[error("a note is 1 to {MAX_NOTE} characters")]
    BadNote,
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// A tag as stored: trimmed, lowercased, from a small alphabet.
pub fn normalise_tag(tag: &str) -> Result<String, AnnotationError> {
    let t = tag.trim().to_lowercase();
    if t.is_empty()
        || t.chars().count() > MAX_TAG
        || !t
            .chars()
            .all(|c| c.is_alphanumeric() || " -_.:".contains(c))
    {
        return Err(AnnotationError::BadTag);
    }
    Ok(t)
}

impl Annotations {
    /// Open (or create) the annotations of the case at `dir`.
    pub fn open(dir: &Path) -> Result<Annotations> {
        let conn = Connection::open(dir.join(FILE))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.busy_timeout(std::time::Duration::from_secs(10))?;
        conn.execute_batch(
            "CREATE TABLE IF NOT EXISTS tags (
                 message TEXT NOT NULL,
                 tag     TEXT NOT NULL,
                 created INTEGER NOT NULL,
                 PRIMARY KEY (message, tag)
             ) WITHOUT ROWID;
             CREATE INDEX IF NOT EXISTS tags_tag ON tags(tag);
             CREATE TABLE IF NOT EXISTS notes (
                 id      INTEGER PRIMARY KEY,
                 message TEXT NOT NULL,
                 text    TEXT NOT NULL,
                 created INTEGER NOT NULL
             );
             CREATE INDEX IF NOT EXISTS notes_message ON notes(message);",
        )?;
        Ok(Annotations { conn })
    }

    pub fn add_tag(&self, message: &str, tag: &str) -> Result<Result<String, AnnotationError>> {
        let tag = match normalise_tag(tag) {
            Ok(t) => t,
            Err(e) => return Ok(Err(e)),
        };
        self.conn.execute(
            "INSERT OR IGNORE INTO tags (message, tag, created) VALUES (?1, ?2, ?3)",
            params![message, tag, now()],
        )?;
        Ok(Ok(tag))
    }

    pub fn remove_tag(&self, message: &str, tag: &str) -> Result<()> {
        self.conn.execute(
            "DELETE FROM tags WHERE message = ?1 AND tag = ?2",
            params![message, tag.trim().to_lowercase()],
        )?;
        Ok(())
    }

    pub fn tags_of(&self, message: &str) -> Result<Vec<String>> {
        let mut st = self
            .conn
            .prepare_cached("SELECT tag FROM tags WHERE message = ?1 ORDER BY tag")?;
        let rows = st
            .query_map([message], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        Ok(rows)
    }

    /// Every tag with how many messages carry it.
    pub fn tags(&self) -> Result<Vec<(String, u64)>> {
        let mut st = self
            .conn
            .prepare("SELECT tag, COUNT(*) FROM tags GROUP BY tag ORDER BY tag")?;
        let rows = st
            .query_map([], |r| Ok((r.get(0)?, r.get::<_, i64>(1)? as u64)))?
            .collect::<Result<_, _>>()?;
        Ok(rows)
    }

    pub fn tagged(&self, tag: &str) -> Result<Vec<String>> {
        let mut st = self
            .conn
            .prepare_cached("SELECT message FROM tags WHERE tag = ?1 ORDER BY created, message")?;
        let rows = st
            .query_map([tag.trim().to_lowercase()], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        Ok(rows)
    }

    pub fn add_note(&self, message: &str, text: &str) -> Result<Result<i64, AnnotationError>> {
        let text = text.trim();
        if text.is_empty() || text.chars().count() > MAX_NOTE {
            return Ok(Err(AnnotationError::BadNote));
        }
        self.conn.execute(
            "INSERT INTO notes (message, text, created) VALUES (?1, ?2, ?3)",
            params![message, text, now()],
        )?;
        Ok(Ok(self.conn.last_insert_rowid()))
    }

    pub fn notes_of(&self, message: &str) -> Result<Vec<Note>> {
        let mut st = self.conn.prepare_cached(
            "SELECT id, message, text, created FROM notes WHERE message = ?1 ORDER BY created, id",
        )?;
        let rows = st
            .query_map([message], |r| {
                Ok(Note {
                    id: r.get(0)?,
                    message: r.get(1)?,
                    text: r.get(2)?,
                    created: r.get(3)?,
                })
            })?
            .collect::<Result<_, _>>()?;
        Ok(rows)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_and_notes_live_beside_the_catalog() {
        let dir = tempfile::tempdir().unwrap();
        let a = Annotations::open(dir.path()).unwrap();
        assert_eq!(
            a.add_tag("m1", "  À vérifier ").unwrap(),
            Ok("à vérifier".into())
        );
        assert_eq!(
            a.add_tag("m1", "<script>").unwrap(),
            Err(AnnotationError::BadTag)
        );
        assert_eq!(a.add_tag("m1", "").unwrap(), Err(AnnotationError::BadTag));
        a.add_tag("m2", "à vérifier").unwrap().unwrap();
        assert_eq!(a.tags().unwrap(), [("à vérifier".to_string(), 2)]);
        assert_eq!(a.tagged("À VÉRIFIER").unwrap(), ["m1", "m2"]);
        a.remove_tag("m1", "à vérifier").unwrap();
        assert!(a.tags_of("m1").unwrap().is_empty());
        a.add_note("m1", "Called the sender: denies it.")
            .unwrap()
            .unwrap();
        assert_eq!(
            a.add_note("m1", "   ").unwrap(),
            Err(AnnotationError::BadNote)
        );
        assert_eq!(
            a.notes_of("m1").unwrap()[0].text,
            "Called the sender: denies it."
        );
        assert!(dir.path().join("notes.sqlite").exists());
    }
}
