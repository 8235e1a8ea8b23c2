//! Who the organisation is, learnt from the dump itself, and the findings
//! on documents that rest on it.
//!
//! There is no staff list in a leak; there are the names and addresses in
//! every From, To and Cc. A document last saved by someone who appears in
//! none of them, or whose name is written in a script none of them uses,
//! is worth a look (MacronLeaks: Cyrillic editors in a French campaign).
//! Clusters are the pattern no single file shows: many documents saved by
//! one editor with one application within minutes.

use std::collections::{HashMap, HashSet};

use serde_json::json;
use unicode_normalization::UnicodeNormalization;

use crate::document::Meta;
use crate::{Finding, FindingKind, Severity, span, when};

/// Writing systems worth telling apart in names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Script {
    Latin,
    Cyrillic,
    Greek,
    Arabic,
    Hebrew,
    Cjk,
    Other,
}

impl Script {
    pub fn name(self) -> &'static str {
        match self {
            Script::Latin => "Latin",
            Script::Cyrillic => "Cyrillic",
            Script::Greek => "Greek",
            Script::Arabic => "Arabic",
            Script::Hebrew => "Hebrew",
            Script::Cjk => "CJK",
            Script::Other => "other",
        }
    }
}

/// The script most letters of `s` are in; `None` without letters.
pub fn script(s: &str) -> Option<Script> {
    let mut counts: HashMap<Script, usize> = HashMap::new();
    for c in s.chars().filter(|c| c.is_alphabetic()) {
        let sc = match c as u32 {
            0x0041..=0x024F | 0x1E00..=0x1EFF => Script::Latin,
            0x0370..=0x03FF | 0x1F00..=0x1FFF => Script::Greek,
            0x0400..=0x052F | 0x2DE0..=0x2DFF | 0xA640..=0xA69F => Script::Cyrillic,
            0x0590..=0x05FF => Script::Hebrew,
            0x0600..=0x06FF | 0x0750..=0x077F => Script::Arabic,
            0x3040..=0x30FF | 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xAC00..=0xD7AF => Script::Cjk,
            _ => Script::Other,
        };
        *counts.entry(sc).or_default() += 1;
    }
    counts.into_iter().max_by_key(|(_, n)| *n).map(|(s, _)| s)
}

/// A name reduced to what identifies it: lower case, accents and
/// punctuation gone, words sorted (so "Moreau, Julien", "julien.moreau"
/// and "Julien Moreau" are one person).
pub fn name_key(s: &str) -> String {
    let folded: String = s
        .nfd()
        .filter(|c| !unicode_normalization::char::is_combining_mark(*c))
        .flat_map(char::to_lowercase)
        .map(|c| if c.is_alphanumeric() { c } else { ' ' })
        .collect();
    let mut words: Vec<&str> = folded.split_whitespace().collect();
    words.sort_unstable();
    words.join(" ")
}

/// The people of a dump: every display name and address local part seen in
/// From, To and Cc, and the scripts their names are written in.
#[derive(Debug, Default)]
pub struct Population {
    names: HashSet<String>,
    scripts: HashMap<Script, usize>,
    people: usize,
}

impl Population {
    /// Add one mailbox (`name` may be empty).
    pub fn add(&mut self, name: Option<&str>, address: Option<&str>) {
        let mut new = false;
        if let Some(n) = name.filter(|n| !n.trim().is_empty()) {
            new |= self.names.insert(name_key(n));
            if new && let Some(sc) = script(n) {
                *self.scripts.entry(sc).or_default() += 1;
            }
        }
        if let Some(local) = address.and_then(|a| a.split('@').next()) {
            new |= self.names.insert(name_key(local));
        }
        self.people += usize::from(new);
    }

    pub fn knows(&self, name: &str) -> bool {
        self.names.contains(&name_key(name))
    }

    /// Is `sc` used by a meaningful share of the organisation's names?
    fn uses(&self, sc: Script) -> bool {
        let total: usize = self.scripts.values().sum();
        let n = self.scripts.get(&sc).copied().unwrap_or(0);
        total == 0 || n * 50 >= total
    }

    fn main_script(&self) -> Option<Script> {
        self.scripts
            .iter()
            .max_by_key(|(_, n)| **n)
            .map(|(s, _)| *s)
    }

    /// Findings on one document's people.
    pub fn findings(&self, attachment: &str, meta: &Meta) -> Vec<Finding> {
        let mut out = Vec::new();
        // Too few people to say who is a stranger.
        if self.people < 5 {
            return out;
        }
        let mut seen = HashSet::new();
        for (role, who) in [("author", &meta.author), ("last editor", &meta.last_editor)] {
            let Some(who) = who.as_deref().filter(|w| !w.trim().is_empty()) else {
                continue;
            };
            if !seen.insert(name_key(who)) {
                continue;
            }
            if !self.knows(who) {
                out.push(Finding::new(
                    FindingKind::DocumentAuthorUnknown,
                    Severity::Notice,
                    format!(
                        "{attachment:?} names {who:?} as its {role}, who appears in no From, To or Cc of the dump's {} people",
                        self.people
                    ),
                    json!({ "attachment": attachment, "role": role, "name": who }),
                ));
            }
            if let Some(sc) = script(who)
                && !self.uses(sc)
            {
                out.push(Finding::new(
                    FindingKind::DocumentForeignScript,
                    Severity::Notice,
                    format!(
                        "{attachment:?} names its {role} in {} script ({who:?}); the organisation's names are in {} script",
                        sc.name(),
                        self.main_script().map_or("another", Script::name)
                    ),
                    json!({ "attachment": attachment, "role": role, "name": who, "script": sc.name() }),
                ));
            }
        }
        out
    }
}

/// A document as clustering sees it.
pub struct Doc<'a> {
    /// How the finding names it (a provenance path).
    pub label: String,
    pub meta: &'a Meta,
}

/// Smallest group that makes a cluster, and the window it must fit in.
const CLUSTER_MIN: usize = 5;
const CLUSTER_WINDOW: i64 = 15 * 60;

/// Documents saved by one editor with one application within minutes of
/// each other: one finding per cluster, listing its members.
pub fn clusters(docs: &[Doc<'_>]) -> Vec<Finding> {
    let mut groups: HashMap<(String, String), Vec<(i64, &str)>> = HashMap::new();
    for d in docs {
        let (Some(editor), Some(t)) = (
            d.meta.last_editor.as_ref().or(d.meta.author.as_ref()),
            d.meta.modified.as_ref(),
        ) else {
            continue;
        };
        let key = (
            editor.clone(),
            d.meta.application.clone().unwrap_or_default(),
        );
        groups.entry(key).or_default().push((t.unix, &d.label));
    }
    let mut out = Vec::new();
    let mut keys: Vec<_> = groups.keys().cloned().collect();
    keys.sort();
    for key in keys {
        let Some(members) = groups.get_mut(&key) else {
            continue;
        };
        members.sort();
        // Greedy windows: the widest run starting at each member.
        let mut i = 0;
        while i < members.len() {
            let mut j = i;
            while j + 1 < members.len() && members[j + 1].0 - members[i].0 <= CLUSTER_WINDOW {
                j += 1;
            }
            let run = &members[i..=j];
            let times: HashSet<i64> = run.iter().map(|m| m.0).collect();
            // One document attached to many messages is one document.
            if times.len() >= CLUSTER_MIN {
                let labels: Vec<&str> = run.iter().map(|m| m.1).collect();
                out.push(Finding::new(
                    FindingKind::DocumentCluster,
                    Severity::Notice,
                    format!(
                        "{} documents last saved by {:?} with {} within {} ({} to {})",
                        times.len(),
                        key.0,
                        if key.1.is_empty() { "an unnamed application" } else { &key.1 },
                        span(run[run.len() - 1].0 - run[0].0),
                        when(run[0].0),
                        when(run[run.len() - 1].0)
                    ),
                    json!({ "editor": key.0, "application": key.1, "first": run[0].0, "last": run[run.len() - 1].0, "members": labels }),
                ));
                i = j + 1;
            } else {
                i += 1;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_fold_to_one_person() {
        for n in [
            "Moreau, Julien",
            "julien.moreau",
            "Julien MOREAU",
            "Jùlien Moreau",
        ] {
            assert_eq!(name_key(n), "julien moreau", "{n}");
        }
    }

    #[test]
    fn scripts() {
        assert_eq!(script("Наталья Соколова"), Some(Script::Cyrillic));
        assert_eq!(script("François Dubois"), Some(Script::Latin));
        assert_eq!(script("42"), None);
    }
}
