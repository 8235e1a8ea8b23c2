//! Who wrote to whom: address pairs counted over From, To and Cc.

use std::collections::HashMap;

use crate::{Case, Result, json_list};

/// How often one address wrote to another.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Correspondence {
    pub from: String,
    pub to: String,
    pub messages: u64,
}

/// The bare address of `Name <addr>` (or the whole string).
pub fn address_of(s: &str) -> &str {
    match (s.rfind('<'), s.rfind('>')) {
        (Some(a), Some(b)) if a < b => &s[a + 1..b],
        _ => s.trim(),
    }
}

impl Case {
    /// Who wrote to whom (To and Cc), most frequent first; addresses
    /// lowercased.
    pub fn correspondents(&self) -> Result<Vec<Correspondence>> {
        let mut st = self.conn.prepare(
            "SELECT from_addr, to_addrs, cc_addrs FROM messages WHERE from_addr IS NOT NULL",
        )?;
        let mut counts: HashMap<(String, String), u64> = HashMap::new();
        let mut rows = st.query([])?;
        while let Some(r) = rows.next()? {
            let from: String = r.get(0)?;
            let from = address_of(&from).to_lowercase();
            let mut to = json_list(r.get(1)?);
            to.extend(json_list(r.get(2)?));
            let mut seen = std::collections::HashSet::new();
            for t in to {
                let t = address_of(&t).to_lowercase();
                if seen.insert(t.clone()) {
                    *counts.entry((from.clone(), t)).or_default() += 1;
                }
            }
        }
        let mut out: Vec<Correspondence> = counts
            .into_iter()
            .map(|((from, to), messages)| Correspondence { from, to, messages })
            .collect();
        out.sort_by(|a, b| {
            b.messages
                .cmp(&a.messages)
                .then_with(|| (&a.from, &a.to).cmp(&(&b.from, &b.to)))
        });
        Ok(out)
    }
}
