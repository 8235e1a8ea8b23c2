//! Message text compared across messages: a reply's quotation against the
//! message it answers, and near-duplicates of proven messages.
//!
//! Clients re-wrap and re-space quoted text, so text is compared as
//! overlapping runs of words (shingles), never line by line. Hashes are
//! FNV-1a, chosen for being stable across Rust versions: SimHash values
//! are stored in the case.

use std::collections::HashSet;

use mail_parser::MessageParser;
use serde_json::json;

use crate::{Finding, FindingKind, Severity};

/// Words in a shingle.
const SHINGLE: usize = 4;

/// The text a reader sees: every text part (HTML converted), joined.
pub fn body_text(raw: &[u8]) -> String {
    match MessageParser::new().parse(raw) {
        Some(m) => message_text(&m),
        None => String::new(),
    }
}

/// [`body_text`] of a parsed message.
pub fn message_text(m: &mail_parser::Message<'_>) -> String {
    (0..m.text_body.len())
        .filter_map(|i| m.body_text(i))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Does the text quote enough of another message to check it?
pub fn quotes(text: &str) -> bool {
    words(&split_quoted(text).1).len() >= QUOTED_MIN
}

/// Fewest quoted words worth comparing.
const QUOTED_MIN: usize = 12;

fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

fn fnv(words: &[String]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for w in words {
        for b in w.bytes().chain([0]) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    h
}

fn shingles(words: &[String]) -> Vec<u64> {
    words.windows(SHINGLE).map(fnv).collect()
}

/// The text's own lines and its quoted lines (`>` at any depth, the
/// marks taken off).
fn split_quoted(text: &str) -> (String, String) {
    let (mut own, mut quoted) = (String::new(), String::new());
    for line in text.lines() {
        let t = line.trim_start();
        // `>From ` is mbox's escape of a line starting `From `, not a quote.
        if t.starts_with('>') && !t.starts_with(">From ") {
            let q = t.trim_start_matches(|c: char| c == '>' || c.is_whitespace());
            // Lines the client writes itself differ from one client (and
            // time zone) to the next: not the parent's words.
            if !attribution(q) {
                quoted.push_str(q);
                quoted.push('\n');
            }
        } else {
            own.push_str(line);
            own.push('\n');
        }
    }
    (own, quoted)
}

/// An attribution or header line a client writes above a quotation
/// (`Le 4 févr. 2016 à 16:06, Claire a écrit :`, `From: …`).
fn attribution(line: &str) -> bool {
    let l = line.trim_end().to_lowercase();
    const ENDS: &[&str] = &[
        "wrote:",
        "a écrit :",
        "a écrit:",
        "schrieb:",
        "escribió:",
        "ha scritto:",
    ];
    const STARTS: &[&str] = &[
        "from:",
        "de :",
        "de:",
        "sent:",
        "envoyé :",
        "envoyé:",
        "to:",
        "à :",
        "à:",
        "cc :",
        "cc:",
        "subject:",
        "objet :",
        "objet:",
        "date:",
        "-----original message",
        "-------- message d'origine",
    ];
    ENDS.iter().any(|e| l.ends_with(e)) || STARTS.iter().any(|s| l.starts_with(s))
}

/// SimHash of a message's own text (quotations left out), or `None` when
/// it is too short to say anything. Near texts have near hashes: a few
/// changed words flip a few of the 64 bits.
pub fn simhash(text: &str) -> Option<u64> {
    let w = words(&split_quoted(text).0);
    if w.len() < 30 {
        return None;
    }
    let mut v = [0i32; 64];
    for h in shingles(&w) {
        for (bit, slot) in v.iter_mut().enumerate() {
            *slot += if h >> bit & 1 == 1 { 1 } else { -1 };
        }
    }
    Some(v.iter().enumerate().fold(
        0u64,
        |acc, (bit, s)| if *s > 0 { acc | 1 << bit } else { acc },
    ))
}

/// Does a reply quote the message it answers faithfully? A finding when a
/// substantial part of its quotation is nowhere in the parent's text.
pub fn quote_check(reply: &str, parent: &str) -> Option<Finding> {
    let quoted = words(&split_quoted(reply).1);
    let parent_words = words(parent);
    if quoted.len() < QUOTED_MIN || parent_words.len() < SHINGLE {
        return None;
    }
    let known: HashSet<u64> = shingles(&parent_words).into_iter().collect();
    let q = shingles(&quoted);
    let missing: Vec<usize> = (0..q.len()).filter(|i| !known.contains(&q[*i])).collect();
    if missing.len() < 3 || missing.len() * 5 < q.len() {
        return None;
    }
    // The first passage not in the parent, for the reader.
    let start = missing[0];
    let end = missing.windows(2).take_while(|w| w[1] == w[0] + 1).count() + start + SHINGLE;
    let passage = quoted[start..end.min(quoted.len())].join(" ");
    Some(Finding::new(
        FindingKind::QuoteMismatch,
        Severity::Notice,
        format!(
            "the reply quotes text its parent message does not hold ({} of {} quoted word runs are not in it), e.g. \"{passage}\"",
            missing.len(),
            q.len()
        ),
        json!({ "missing_runs": missing.len(), "quoted_runs": q.len(), "passage": passage }),
    ))
}

/// What a message's text lets the dump-wide pass check without reading the
/// message again: a Bloom filter of its word runs (8 bits per run, 4
/// hashes: about 2% false "present", never a false "absent"), and the
/// runs it quotes (at most 512).
pub fn digest(text: &str) -> (Vec<u8>, Vec<u64>) {
    let w = words(text);
    let all = shingles(&w);
    let mut bloom = vec![0u8; all.len().max(8)];
    let bits = bloom.len() * 8;
    for h in &all {
        for i in bloom_bits(*h, bits) {
            bloom[i / 8] |= 1 << (i % 8);
        }
    }
    let quoted = shingles(&words(&split_quoted(text).1));
    (bloom, quoted.into_iter().take(512).collect())
}

fn bloom_bits(h: u64, bits: usize) -> impl Iterator<Item = usize> {
    let (a, b) = (h & 0xffff_ffff, h >> 32 | 1);
    (0..4u64).map(move |i| (a.wrapping_add(i.wrapping_mul(b)) % bits as u64) as usize)
}

/// Could a reply quoting these runs misquote the message with this Bloom
/// filter? `false` settles it (the quotation is there); `true` asks for
/// [`quote_check`] on the texts.
pub fn may_misquote(quoted: &[u64], parent_bloom: &[u8]) -> bool {
    let bits = parent_bloom.len() * 8;
    if quoted.len() + SHINGLE - 1 < QUOTED_MIN || bits == 0 {
        return false;
    }
    let missing = quoted
        .iter()
        .filter(|h| !bloom_bits(**h, bits).all(|i| parent_bloom[i / 8] & (1 << (i % 8)) != 0))
        .count();
    missing >= 3 && missing * 5 >= quoted.len()
}

/// Bits two SimHashes may differ in and still be near-duplicates.
pub const NEAR: u32 = 6;

/// Pairs `(i, j)` of near-duplicate hashes where `i` is in `queries` and
/// `j` in `proven`. Bands of 8 bits: two hashes within 7 bits agree on at
/// least one band, so comparing only band-mates misses no pair.
pub fn near_pairs(
    hashes: &[Option<u64>],
    queries: &[usize],
    proven: &[usize],
) -> Vec<(usize, usize)> {
    use std::collections::HashMap;
    let mut bands: Vec<HashMap<u8, Vec<usize>>> = vec![HashMap::new(); 8];
    for &j in proven {
        if let Some(h) = hashes[j] {
            for (b, band) in bands.iter_mut().enumerate() {
                band.entry((h >> (b * 8)) as u8).or_default().push(j);
            }
        }
    }
    let mut out = Vec::new();
    for &i in queries {
        let Some(h) = hashes[i] else { continue };
        let mut seen = HashSet::new();
        for (b, band) in bands.iter().enumerate() {
            for &j in band.get(&((h >> (b * 8)) as u8)).into_iter().flatten() {
                if j != i
                    && seen.insert(j)
                    && hashes[j].is_some_and(|g| (g ^ h).count_ones() <= NEAR)
                {
                    out.push((i, j));
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const PARENT: &str = "Bonjour à tous, le budget du meeting de Lyon est validé à 12 000 euros. \
        La salle est réservée pour le samedi 14 mai et les militants arrivent à 9 heures.";

    #[test]
    fn faithful_quotes_pass_even_rewrapped() {
        let reply = "Merci !\n\n> Bonjour à tous, le budget du meeting\n> de Lyon est validé à 12 000 euros. La salle\n> est réservée pour le samedi 14 mai\n";
        assert!(quote_check(reply, PARENT).is_none());
    }

    #[test]
    fn altered_quotes_are_found() {
        let reply = "D'accord.\n> Bonjour à tous, le budget du meeting de Lyon est validé à 95 000 euros en liquide.\n> La salle est payée par la fédération et les militants arrivent à 9 heures.\n";
        let f = quote_check(reply, PARENT).unwrap();
        assert_eq!(f.kind, FindingKind::QuoteMismatch);
        assert!(f.explanation.contains("95 000"), "{}", f.explanation);
    }

    #[test]
    fn simhash_is_near_for_near_texts() {
        let a = "Le budget du meeting de Lyon est validé. ".repeat(3)
            + "La salle est réservée pour le samedi 14 mai et les militants arrivent à 9 heures, \
               merci de confirmer votre présence avant vendredi auprès de Claire.";
        let b = a.replace("samedi 14 mai", "dimanche 15 mai");
        let c = "Tout autre chose: la revue de presse de ce matin parle surtout des retraites, \
                 des sondages du week-end et de la visite du candidat à Marseille la semaine prochaine \
                 avec les élus locaux et les militants du département.";
        let (ha, hb, hc) = (
            simhash(&a).unwrap(),
            simhash(&b).unwrap(),
            simhash(c).unwrap(),
        );
        assert!((ha ^ hb).count_ones() < (ha ^ hc).count_ones());
        assert!(simhash("trop court").is_none());
    }
}
