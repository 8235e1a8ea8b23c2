//! Threads, by Jamie Zawinski's algorithm (the one Netscape, notmuch and
//! mu use), made safe against forged Message-IDs.
//!
//! JWZ trusts Message-IDs; a leak cannot. A forger who reuses the ID of a
//! genuine message could take over its place (replies would hang under
//! the fake) or, with crafted References, merge two genuine threads. So:
//! - messages are placed best-evidence first (authentic, transformed,
//!   unverifiable, not yet judged, tampered, forged; then by date): the
//!   first message with an ID owns it; a later one with the same ID gets a
//!   place of its own, keyed by its hash, and replies never find it (it
//!   sits where its own References say, or, with none, under the owner:
//!   a copy whose bytes an archive changed stays in its thread);
//! - only messages that own their ID and are not tampered or forged link
//!   their References chain (the step that can join threads); the others
//!   only name their own parent, and only where no better message did;
//! - JWZ's last step, gathering roots by subject, is left out: it joins
//!   unrelated messages that share a subject ("Re: budget"), which is
//!   exactly what a forger would exploit, and notmuch leaves it out too.
//!
//! Parents the dump lacks are placeholders, named by their Message-ID.

use std::collections::HashMap;

use sha2::{Digest, Sha256};
use tamis_case::{ThreadHeader, Verdict};

/// One message's place: `(message, thread, parent)`; the parent is a
/// message hash, or `<message-id>` of a placeholder.
pub type Placement = (String, String, Option<String>);

/// Proof before doubt before accusation; a message not verified yet
/// stands after doubt and before any accusation.
fn rank(verdict: Option<Verdict>) -> u8 {
    match verdict {
        Some(v) => 2 * v.rank(),
        None => 2 * Verdict::Unverifiable.rank() + 1,
    }
}

/// The rank at or under which a message is trusted to link References
/// chains: anything not accused.
fn trusted(rank: u8) -> bool {
    rank < 2 * Verdict::Tampered.rank()
}

/// Message-IDs compare without case (the domain part is a host name, and
/// clients disagree on the rest) and without angle brackets.
pub fn normalise_id(id: &str) -> String {
    id.trim()
        .trim_start_matches('<')
        .trim_end_matches('>')
        .to_lowercase()
}

#[derive(Default)]
struct Container {
    message: Option<usize>,
    parent: Option<usize>,
}

struct Forest {
    containers: Vec<Container>,
    keys: Vec<String>,
    by_key: HashMap<String, usize>,
}

impl Forest {
    fn get(&mut self, key: &str) -> usize {
        if let Some(&i) = self.by_key.get(key) {
            return i;
        }
        let i = self.containers.len();
        self.containers.push(Container::default());
        self.keys.push(key.to_string());
        self.by_key.insert(key.to_string(), i);
        i
    }

    /// Would making `parent` the parent of `child` close a loop?
    fn reaches(&self, from: usize, target: usize) -> bool {
        let mut at = Some(from);
        let mut steps = 0;
        while let Some(i) = at {
            if i == target {
                return true;
            }
            steps += 1;
            if steps > self.containers.len() {
                return true;
            }
            at = self.containers[i].parent;
        }
        false
    }

    fn link(&mut self, parent: usize, child: usize, overwrite: bool) {
        if parent == child
            || (!overwrite && self.containers[child].parent.is_some())
            || self.reaches(parent, child)
        {
            return;
        }
        self.containers[child].parent = Some(parent);
    }
}

/// Thread every message.
pub fn thread(messages: &[ThreadHeader]) -> Vec<Placement> {
    let mut order: Vec<usize> = (0..messages.len()).collect();
    order.sort_by(|&a, &b| {
        let (a, b) = (&messages[a], &messages[b]);
        (rank(a.verdict), a.date_ts.unwrap_or(i64::MAX), &a.sha256).cmp(&(
            rank(b.verdict),
            b.date_ts.unwrap_or(i64::MAX),
            &b.sha256,
        ))
    });
    let mut f = Forest {
        containers: Vec::with_capacity(messages.len() * 2),
        keys: Vec::with_capacity(messages.len() * 2),
        by_key: HashMap::with_capacity(messages.len() * 2),
    };
    let mut place = vec![0usize; messages.len()];
    for &m in &order {
        let h = &messages[m];
        let id = h
            .message_id
            .as_deref()
            .map(normalise_id)
            .filter(|s| !s.is_empty());
        let own = id.as_ref().map(|id| f.get(id));
        let (at, owns) = match own {
            Some(c) if f.containers[c].message.is_none() => (c, true),
            _ => (f.get(&format!("sha:{}", h.sha256)), false),
        };
        f.containers[at].message = Some(m);
        place[m] = at;
        let mut refs: Vec<String> = h
            .references
            .iter()
            .map(|r| normalise_id(r))
            .filter(|r| !r.is_empty())
            .collect();
        if let Some(irt) = h.in_reply_to.first().map(|r| normalise_id(r))
            && !irt.is_empty()
            && refs.last() != Some(&irt)
        {
            refs.push(irt);
        }
        let trusted = owns && trusted(rank(h.verdict));
        let chain: Vec<usize> = refs.iter().map(|r| f.get(r)).collect();
        if trusted {
            for w in chain.windows(2) {
                f.link(w[0], w[1], false);
            }
        }
        match (chain.last(), own) {
            (Some(&parent), _) => f.link(parent, at, trusted),
            // Another copy of a message that owns this ID (archives change
            // bytes: CRLF and LF copies are two messages) hangs under it,
            // in its thread, rather than alone.
            (None, Some(owner)) if owner != at => f.link(owner, at, false),
            _ => {}
        }
    }
    // Thread of each container: its root's key, hashed to a short name.
    let mut root_of: Vec<Option<usize>> = vec![None; f.containers.len()];
    let mut out = Vec::with_capacity(messages.len());
    for (m, h) in messages.iter().enumerate() {
        let at = place[m];
        let root = {
            let mut path = Vec::new();
            let mut i = at;
            let root = loop {
                if let Some(r) = root_of[i] {
                    break r;
                }
                path.push(i);
                match f.containers[i].parent {
                    Some(p) => i = p,
                    None => break i,
                }
            };
            for p in path {
                root_of[p] = Some(root);
            }
            root
        };
        let parent = f.containers[at]
            .parent
            .map(|p| match f.containers[p].message {
                Some(pm) => messages[pm].sha256.clone(),
                None => format!("<{}>", f.keys[p]),
            });
        out.push((h.sha256.clone(), thread_name(&f.keys[root]), parent));
    }
    out
}

/// A thread's name: stable for as long as its root is the same.
fn thread_name(root_key: &str) -> String {
    let d = Sha256::digest(root_key.as_bytes());
    d[..8].iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(sha: &str, id: &str, refs: &[&str], verdict: &str, date: i64) -> ThreadHeader {
        ThreadHeader {
            sha256: sha.to_string(),
            message_id: Some(format!("<{id}>")),
            in_reply_to: refs
                .last()
                .map(|r| vec![format!("<{r}>")])
                .unwrap_or_default(),
            references: refs.iter().map(|r| format!("<{r}>")).collect(),
            subject: None,
            date_ts: Some(date),
            verdict: Verdict::parse(verdict),
        }
    }

    fn threads(msgs: &[ThreadHeader]) -> HashMap<String, (String, Option<String>)> {
        thread(msgs)
            .into_iter()
            .map(|(m, t, p)| (m, (t, p)))
            .collect()
    }

    #[test]
    fn replies_join_their_thread_and_missing_parents_are_placeholders() {
        let t = threads(&[
            msg("a", "a@x", &["gone@x"], "authentic", 1),
            msg("b", "b@x", &["gone@x", "a@x"], "unverifiable", 2),
            msg("c", "c@x", &[], "unverifiable", 3),
        ]);
        assert_eq!(t["a"].0, t["b"].0);
        assert_eq!(t["a"].1.as_deref(), Some("<gone@x>"));
        assert_eq!(t["b"].1.as_deref(), Some("a"));
        assert_ne!(t["c"].0, t["a"].0);
    }

    #[test]
    fn a_forged_message_id_reuse_neither_hijacks_nor_merges() {
        // Thread A: a1 <- a2. Thread B: b1. A forgery reuses a1's ID and
        // claims to answer b1, dated first so naive JWZ would let it win.
        let t = threads(&[
            msg("a1", "a1@x", &[], "authentic", 10),
            msg("a2", "a2@x", &["a1@x"], "unverifiable", 11),
            msg("b1", "b1@x", &[], "authentic", 12),
            msg("fake", "a1@x", &["b1@x"], "forged", 1),
        ]);
        // The reply still hangs under the genuine message.
        assert_eq!(t["a2"].1.as_deref(), Some("a1"));
        // The two genuine threads stay apart.
        assert_ne!(t["a1"].0, t["b1"].0);
        assert_eq!(t["a1"].0, t["a2"].0);
        // The forgery shows where it claims to be, under b1, alone.
        assert_eq!(t["fake"].1.as_deref(), Some("b1"));
    }

    #[test]
    fn an_unjudged_reuse_of_a_signed_id_loses_it() {
        let t = threads(&[
            msg("copy", "a@x", &[], "unverifiable", 1),
            msg("real", "a@x", &[], "authentic", 5),
            msg("reply", "r@x", &["a@x"], "unverifiable", 6),
        ]);
        assert_eq!(t["reply"].1.as_deref(), Some("real"));
    }

    #[test]
    fn another_copy_of_a_first_message_stays_in_its_thread() {
        let t = threads(&[
            msg("crlf", "a@x", &[], "authentic", 1),
            msg("lf", "a@x", &[], "unverifiable", 1),
            msg("reply", "r@x", &["a@x"], "unverifiable", 2),
        ]);
        assert_eq!(t["lf"].1.as_deref(), Some("crlf"));
        assert_eq!(t["lf"].0, t["crlf"].0);
        assert_eq!(t["reply"].1.as_deref(), Some("crlf"));
    }

    #[test]
    fn reference_loops_are_broken() {
        let t = threads(&[
            msg("a", "a@x", &["b@x"], "unverifiable", 1),
            msg("b", "b@x", &["a@x"], "unverifiable", 2),
        ]);
        assert_eq!(t["a"].0, t["b"].0);
        assert!(t["a"].1.is_none() || t["b"].1.is_none());
    }
}
