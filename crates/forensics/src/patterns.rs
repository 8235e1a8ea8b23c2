//! What is usual in this dump, learnt from its own messages, and the
//! messages that break the pattern.
//!
//! A forger copies what they can see: names, subjects, a plausible Date.
//! They rarely copy what nobody looks at: the time zone a sender always
//! writes from, the relay a domain's mail always enters by, the time a
//! mail client writes into its Message-IDs. Each check here learns the
//! pattern from the dump and speaks only when the pattern is strong (many
//! messages, little variation), so a dump without the pattern gives no
//! finding at all. All are notices: a person travels, a client changes.
//!
//! Intrusion evidence sits here too: domains that imitate the
//! organisation's own (the 2017 leak began with months of phishing), and
//! HTML forms asking for a password.

use std::collections::{HashMap, HashSet};

use serde_json::json;

use crate::profile::Profile;
use crate::{DAY, Finding, FindingKind, HOUR, Severity, span, when};

/// Findings for every profile, by index.
pub fn findings(profiles: &[Profile], org_domains: &[String]) -> Vec<(usize, Finding)> {
    let mut out = Vec::new();
    out.extend(time_zones(profiles));
    out.extend(id_times(profiles));
    out.extend(relays(profiles));
    for (i, p) in profiles.iter().enumerate() {
        for d in &p.domains {
            for org in org_domains {
                if let Some(why) = lookalike(d, org) {
                    out.push((
                        i,
                        Finding::new(
                            FindingKind::LookalikeDomain,
                            Severity::Notice,
                            format!("the message names {d}, which imitates the organisation's domain {org}: {why}"),
                            json!({ "domain": d, "imitates": org, "how": why }),
                        ),
                    ));
                }
            }
        }
        if p.password_form {
            out.push((
                i,
                Finding::new(
                    FindingKind::CredentialForm,
                    Severity::Notice,
                    "the message holds an HTML form with a password field: credential harvesting"
                        .into(),
                    json!({}),
                ),
            ));
        }
    }
    out.sort_by_key(|(i, _)| *i);
    out
}

/// Senders who write from one or two time zones, and their messages from
/// another.
fn time_zones(profiles: &[Profile]) -> Vec<(usize, Finding)> {
    let mut by_sender: HashMap<&str, HashMap<i32, usize>> = HashMap::new();
    for p in profiles {
        if let (Some(f), Some(z)) = (&p.from, p.zone) {
            *by_sender.entry(f).or_default().entry(z).or_default() += 1;
        }
    }
    let mut out = Vec::new();
    for (i, p) in profiles.iter().enumerate() {
        let (Some(f), Some(z)) = (&p.from, p.zone) else {
            continue;
        };
        let zones = &by_sender[f.as_str()];
        let total: usize = zones.values().sum();
        let usual: Vec<i32> = zones
            .iter()
            .filter(|(_, n)| **n * 10 >= total)
            .map(|(z, _)| *z)
            .collect();
        let here = zones[&z];
        if total >= 10 && here * 20 < total && !usual.contains(&z) && usual.len() <= 2 {
            out.push((
                i,
                Finding::new(
                    FindingKind::TimeZoneUnusual,
                    Severity::Notice,
                    format!(
                        "{f} dated {} of {total} messages in the dump from {}; this one says {}",
                        total - here,
                        usual
                            .iter()
                            .map(|z| zone(*z))
                            .collect::<Vec<_>>()
                            .join(" and "),
                        zone(z)
                    ),
                    json!({ "from": f, "zone": z, "usual": usual, "messages": total }),
                ),
            ));
        }
    }
    out
}

fn zone(minutes: i32) -> String {
    let sign = if minutes < 0 { '-' } else { '+' };
    format!(
        "UTC{sign}{:02}:{:02}",
        minutes.abs() / 60,
        minutes.abs() % 60
    )
}

/// Message-ID schemes whose encoded time agrees with the Date in this
/// dump, and the messages where it does not.
fn id_times(profiles: &[Profile]) -> Vec<(usize, Finding)> {
    let agrees = |p: &Profile| match (&p.id_time, p.date) {
        (Some((_, t)), Some(d)) => Some((t - d).abs() <= HOUR),
        _ => None,
    };
    let mut by_scheme: HashMap<&str, (usize, usize)> = HashMap::new();
    for p in profiles {
        if let (Some((scheme, _)), Some(ok)) = (&p.id_time, agrees(p)) {
            let e = by_scheme.entry(scheme).or_default();
            e.0 += 1;
            e.1 += usize::from(ok);
        }
    }
    let mut out = Vec::new();
    for (i, p) in profiles.iter().enumerate() {
        let (Some((scheme, t)), Some(d)) = (&p.id_time, p.date) else {
            continue;
        };
        let (n, ok) = by_scheme[scheme.as_str()];
        if n >= 20 && ok * 10 >= n * 9 && (t - d).abs() > DAY {
            out.push((
                i,
                Finding::new(
                    FindingKind::MessageIdTime,
                    Severity::Notice,
                    format!(
                        "the Message-ID, in {scheme}'s format, encodes {} ({} {} the Date header); {ok} of the dump's {n} such Message-IDs agree with their Date",
                        when(*t),
                        span(t - d),
                        if *t < d { "before" } else { "after" }
                    ),
                    json!({ "scheme": scheme, "encoded": t, "date": d, "agreeing": ok, "of": n }),
                ),
            ));
        }
    }
    out
}

/// Domains whose mail always enters by the same few relays, and their
/// messages that came another way.
fn relays(profiles: &[Profile]) -> Vec<(usize, Finding)> {
    let domain = |p: &Profile| {
        p.from
            .as_deref()
            .and_then(|f| f.rsplit_once('@'))
            .map(|(_, d)| d.to_string())
    };
    let mut by_domain: HashMap<String, HashMap<&str, usize>> = HashMap::new();
    for p in profiles {
        if let (Some(d), Some(r)) = (domain(p), &p.first_relay) {
            *by_domain.entry(d).or_default().entry(r).or_default() += 1;
        }
    }
    let mut out = Vec::new();
    for (i, p) in profiles.iter().enumerate() {
        let (Some(d), Some(r)) = (domain(p), &p.first_relay) else {
            continue;
        };
        let relays = &by_domain[&d];
        let total: usize = relays.values().sum();
        if total >= 20 && relays[r.as_str()] == 1 && relays.len() <= 4 {
            let mut usual: Vec<&str> = relays.keys().copied().filter(|x| x != r).collect();
            usual.sort_unstable();
            out.push((
                i,
                Finding::new(
                    FindingKind::RelayUnusual,
                    Severity::Notice,
                    format!(
                        "mail from {d} entered by {} in {} other messages of the dump; this one by {r}",
                        usual.join(" or "),
                        total - 1
                    ),
                    json!({ "domain": d, "relay": r, "usual": usual }),
                ),
            ));
        }
    }
    out
}

/// Documents declaring a language that few of the dump's documents
/// declare. `languages`: (index, declared language) per document.
pub fn document_languages(languages: &[(usize, &str)]) -> Vec<(usize, Finding)> {
    let primary = |l: &str| {
        l.split(['-', '_'])
            .next()
            .unwrap_or("")
            .to_ascii_lowercase()
    };
    let mut counts: HashMap<String, usize> = HashMap::new();
    for (_, l) in languages {
        *counts.entry(primary(l)).or_default() += 1;
    }
    let total = languages.len();
    let mut usual: Vec<&String> = counts
        .iter()
        .filter(|(_, n)| **n * 10 >= total)
        .map(|(l, _)| l)
        .collect();
    usual.sort();
    let mut out = Vec::new();
    for (i, l) in languages {
        let n = counts[&primary(l)];
        if total >= 10 && n * 20 < total {
            out.push((
                *i,
                Finding::new(
                    FindingKind::DocumentLanguage,
                    Severity::Notice,
                    format!(
                        "the document declares the language {l}, as {} of the dump's {total} documents that declare one do; most are in {}",
                        n - 1,
                        usual.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ")
                    ),
                    json!({ "language": l, "same": n - 1, "of": total }),
                ),
            ));
        }
    }
    out
}

/// The organisation's own domains: those holding a large share of the
/// dump's mailboxes (a leak is one organisation's mail).
pub fn org_domains(addresses: &HashMap<String, usize>) -> Vec<String> {
    let total: usize = addresses.values().sum();
    let mut out: Vec<String> = addresses
        .iter()
        .filter(|(_, n)| total > 0 && **n * 100 >= total * 15)
        .map(|(d, _)| d.clone())
        .collect();
    out.sort();
    out
}

/// Does `domain` imitate `org`? Says how, or `None`.
pub fn lookalike(domain: &str, org: &str) -> Option<&'static str> {
    let domain = domain.trim_end_matches('.').to_lowercase();
    let domain = if domain.contains("xn--") {
        idna::domain_to_unicode(&domain).0
    } else {
        domain
    };
    if domain == org || domain.ends_with(&format!(".{org}")) {
        return None;
    }
    if domain.starts_with(&format!("{org}.")) {
        return Some("the organisation's domain used as the start of another");
    }
    let label = |d: &str| -> String {
        tamis_verify::verdict::org_domain(d)
            .split('.')
            .next()
            .unwrap_or("")
            .to_string()
    };
    let (dl, ol) = (label(&domain), label(org));
    if ol.chars().count() < 4 || dl == ol {
        return None;
    }
    if skeleton(&dl) == skeleton(&ol) {
        return Some("letters that look like the organisation's");
    }
    let distance = strsim::damerau_levenshtein(&dl, &ol);
    if distance <= if ol.chars().count() >= 8 { 2 } else { 1 } {
        return Some("a letter or two away from the organisation's name");
    }
    let words: HashSet<&str> = dl.split(['-', '_']).collect();
    if dl.len() > ol.len()
        && (words.contains(ol.as_str()) || dl.starts_with(&ol) || dl.ends_with(&ol))
    {
        return Some("the organisation's name with a word added");
    }
    None
}

/// A label with look-alike characters folded: Cyrillic and Greek letters
/// shaped like Latin ones, digits like letters, `rn` like `m`.
fn skeleton(s: &str) -> String {
    let folded: String = s
        .chars()
        .map(|c| match c {
            'а' | 'α' | '@' => 'a',
            'с' | 'ϲ' => 'c',
            'е' | 'є' | 'ε' => 'e',
            'і' | 'ı' | 'ι' | '1' | 'l' | '|' => 'l',
            'о' | 'ο' | '0' => 'o',
            'р' | 'ρ' => 'p',
            'ѕ' | '5' | '$' => 's',
            'х' | 'χ' => 'x',
            'у' | 'γ' => 'y',
            'ԁ' => 'd',
            'ɡ' => 'g',
            'һ' => 'h',
            'ј' => 'j',
            'к' | 'κ' => 'k',
            'ո' => 'n',
            'ԛ' => 'q',
            'ν' => 'v',
            'ѡ' | 'ω' => 'w',
            'ᴢ' => 'z',
            c => c,
        })
        .collect();
    folded.replace("rn", "m").replace("vv", "w")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookalikes_of_an_organisation() {
        let org = "campaign.example.org";
        for (d, want) in [
            ("campaign.example.org", None),
            ("mail.campaign.example.org", None),
            ("press.example.net", None),
            (
                "campagin.example.org",
                Some("a letter or two away from the organisation's name"),
            ),
            (
                "carnpaign.example.com",
                Some("letters that look like the organisation's"),
            ),
            (
                "cаmpaign.example.org",
                Some("letters that look like the organisation's"),
            ),
            (
                "campaign-secure.example.com",
                Some("the organisation's name with a word added"),
            ),
            (
                "securecampaign.example.net",
                Some("the organisation's name with a word added"),
            ),
            (
                "campaign.example.org.evil.test",
                Some("the organisation's domain used as the start of another"),
            ),
        ] {
            assert_eq!(lookalike(d, org), want, "{d}");
        }
    }
}
