//! Naming a message the way a user has it in hand: a hash or a prefix of
//! one, a source path, or a Message-ID.

use crate::{Case, Result};

impl Case {
    /// The messages `id` names: a hash or a unique prefix of one (at least
    /// 6 hex digits), a source path (full, or within its root), or a
    /// Message-ID (with or without angle brackets).
    pub fn resolve(&self, id: &str) -> Result<Vec<String>> {
        let id = id.trim();
        let collect = |sql: &str, arg: &str| -> Result<Vec<String>> {
            let mut st = self.conn.prepare_cached(sql)?;
            let rows = st
                .query_map([arg], |r| r.get(0))?
                .collect::<Result<Vec<String>, _>>()?;
            Ok(rows)
        };
        if id.len() >= 6 && id.len() <= 64 && id.bytes().all(|b| b.is_ascii_hexdigit()) {
            let lo = id.to_ascii_lowercase();
            let found = collect(
                "SELECT sha256 FROM messages WHERE sha256 >= ?1 AND sha256 < ?1 || 'g' ORDER BY sha256",
                &lo,
            )?;
            if !found.is_empty() {
                return Ok(found);
            }
        }
        let found = collect(
            "SELECT DISTINCT o.message FROM occurrences o JOIN roots r ON r.id = o.root
             WHERE r.path || '/' || o.path = ?1 OR o.path = ?1 ORDER BY o.message",
            id,
        )?;
        if !found.is_empty() {
            return Ok(found);
        }
        let bare = id.trim_start_matches('<').trim_end_matches('>');
        collect(
            "SELECT sha256 FROM messages WHERE message_id = '<' || ?1 || '>' ORDER BY sha256",
            bare,
        )
    }
}

#[cfg(test)]
mod tests {
    use crate::testing::small_case;

    /// A message is found by whatever the user has in hand, and a name
    /// that fits several messages returns them all (the caller asks which).
    #[test]
    fn a_message_is_named_by_hash_prefix_path_or_message_id() {
        let t = small_case();
        let root = t.case.roots().unwrap()[0].clone();
        let one = |id: &str| t.case.resolve(id).unwrap();
        for id in [
            t.signed.clone(),
            t.signed[..6].to_string(),
            t.signed[..6].to_ascii_uppercase(),
            "inbox/signed.eml".to_string(),
            format!("{root}/inbox/signed.eml"),
        ] {
            assert_eq!(one(&id), std::slice::from_ref(&t.signed), "{id}");
        }
        // The signed and the tampered copy claim the same Message-ID.
        let mut both = vec![t.signed.clone(), t.tampered.clone()];
        both.sort();
        assert_eq!(one("<budget@horizon.example>"), both);
        assert_eq!(one("budget@horizon.example"), both);
        assert_eq!(one(&t.unsigned[..8]), std::slice::from_ref(&t.unsigned));
        // Five digits are too few to be taken as a hash prefix.
        assert!(one(&t.signed[..5]).is_empty());
        assert!(one("inbox/nothing.eml").is_empty());
    }
}
