//! Threads as the case keeps them: every message's threading headers
//! (for tamis-search's JWZ threading), the `threads` table it writes back,
//! and a thread's rows in reading order for `tamis thread` and the
//! workbench.

use rusqlite::params;

use std::collections::HashMap;

use crate::{Case, MessageRef, Result, Verdict, json_list};

/// A message's place among the others, for threading.
#[derive(Clone, Debug)]
pub struct ThreadHeader {
    pub sha256: String,
    pub message_id: Option<String>,
    pub in_reply_to: Vec<String>,
    pub references: Vec<String>,
    pub subject: Option<String>,
    pub date_ts: Option<i64>,
    pub verdict: Option<Verdict>,
}

/// A message of one thread, as `tamis thread` lists it.
#[derive(Clone, Debug, serde::Serialize)]
pub struct ThreadRow {
    #[serde(flatten)]
    pub message: MessageRef,
    /// A message hash, or `<message-id>` of a message the dump lacks.
    pub parent: Option<String>,
    pub date_ts: Option<i64>,
    pub from: Option<String>,
    pub subject: Option<String>,
    pub verdict: Option<Verdict>,
}

/// One line of a thread in reading order.
#[derive(Clone, Copy, Debug)]
pub enum ThreadLine<'a> {
    Message(&'a ThreadRow),
    /// A parent the dump lacks (`<message-id>`).
    Missing(&'a str),
}

/// The rows of a thread in reading order, each with its depth: replies
/// under their parent, placeholders for parents the dump lacks. Iterative,
/// so a hostile chain of a million replies cannot overflow the stack.
pub fn thread_lines<'a>(rows: &'a [ThreadRow]) -> Vec<(usize, ThreadLine<'a>)> {
    let present: std::collections::HashSet<&str> =
        rows.iter().map(|r| r.message.sha256.as_str()).collect();
    let mut children: HashMap<Option<&str>, Vec<&ThreadRow>> = HashMap::new();
    let mut missing: Vec<&str> = Vec::new();
    for r in rows {
        let parent = r.parent.as_deref();
        if let Some(p) = parent
            && !present.contains(p)
            && !missing.contains(&p)
        {
            missing.push(p);
        }
        children.entry(parent).or_default().push(r);
    }
    let mut out = Vec::with_capacity(rows.len() + missing.len());
    let mut stack: Vec<(usize, ThreadLine<'a>)> = Vec::new();
    let push_children =
        |stack: &mut Vec<(usize, ThreadLine<'a>)>, parent: Option<&'a str>, depth| {
            for r in children.get(&parent).into_iter().flatten().rev() {
                stack.push((depth, ThreadLine::Message(r)));
            }
        };
    for m in missing.iter().rev() {
        stack.push((0, ThreadLine::Missing(m)));
    }
    push_children(&mut stack, None, 0);
    while let Some((depth, line)) = stack.pop() {
        out.push((depth, line));
        let key = match line {
            ThreadLine::Message(r) => r.message.sha256.as_str(),
            ThreadLine::Missing(m) => m,
        };
        push_children(&mut stack, Some(key), depth + 1);
    }
    out
}

impl Case {
    /// Every message's threading headers and verdict.
    pub fn thread_headers(&self) -> Result<Vec<ThreadHeader>> {
        let mut st = self.conn.prepare(
            "SELECT m.sha256, m.message_id, m.in_reply_to, m.refs, m.subject, m.date_ts, v.verdict
             FROM messages m LEFT JOIN verdicts v INDEXED BY verdicts_facts ON v.message = m.sha256",
        )?;
        let rows = st
            .query_map([], |r| {
                Ok(ThreadHeader {
                    sha256: r.get(0)?,
                    message_id: r.get(1)?,
                    in_reply_to: json_list(r.get(2)?),
                    references: json_list(r.get(3)?),
                    subject: r.get(4)?,
                    date_ts: r.get(5)?,
                    verdict: verdict_at(r, 6)?,
                })
            })?
            .collect::<Result<_, _>>()?;
        Ok(rows)
    }

    /// Replace the threads: `(message, thread, parent)`.
    pub fn write_threads(&mut self, rows: &[(String, String, Option<String>)]) -> Result<()> {
        let tx = self.conn.transaction()?;
        tx.execute("DELETE FROM threads", [])?;
        {
            let mut st =
                tx.prepare("INSERT INTO threads (message, thread, parent) VALUES (?1, ?2, ?3)")?;
            for (m, t, p) in rows {
                st.execute(params![m, t, p])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// The thread a message is in.
    pub fn thread_of(&self, message: &str) -> Result<Option<String>> {
        use rusqlite::OptionalExtension;
        Ok(self
            .conn
            .query_row(
                "SELECT thread FROM threads WHERE message = ?1",
                [message],
                |r| r.get(0),
            )
            .optional()?)
    }

    /// The messages of one thread, oldest first.
    pub fn thread_rows(&self, thread: &str) -> Result<Vec<ThreadRow>> {
        let mut st = self.conn.prepare(
            "WITH first AS (
                 SELECT o.message, r.path AS root, o.path AS source,
                        ROW_NUMBER() OVER (PARTITION BY o.message ORDER BY o.root, o.path) AS n
                 FROM threads t JOIN occurrences o ON o.message = t.message JOIN roots r ON r.id = o.root
                 WHERE t.thread = ?1)
             SELECT t.message, t.parent, m.message_id, m.date_ts, m.from_addr, m.subject, v.verdict,
                    f.root, f.source
             FROM threads t JOIN messages m ON m.sha256 = t.message
             LEFT JOIN verdicts v ON v.message = t.message
             LEFT JOIN first f ON f.message = t.message AND f.n = 1
             WHERE t.thread = ?1 ORDER BY m.date_ts, t.message",
        )?;
        let rows = st
            .query_map([thread], |r| {
                Ok(ThreadRow {
                    message: MessageRef {
                        sha256: r.get(0)?,
                        message_id: r.get(2)?,
                        root: r.get(7)?,
                        source: r.get(8)?,
                    },
                    parent: r.get(1)?,
                    date_ts: r.get(3)?,
                    from: r.get(4)?,
                    subject: r.get(5)?,
                    verdict: verdict_at(r, 6)?,
                })
            })?
            .collect::<Result<_, _>>()?;
        Ok(rows)
    }
}

/// The verdict in column `i`, if the message has one.
fn verdict_at(r: &rusqlite::Row<'_>, i: usize) -> rusqlite::Result<Option<Verdict>> {
    match r.get_ref(i)? {
        rusqlite::types::ValueRef::Null => Ok(None),
        _ => crate::examination::typed(r, i, Verdict::parse).map(Some),
    }
}
