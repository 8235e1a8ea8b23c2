//! The verdict: what a sceptical editor can be told about a message, with
//! the reasons in plain words and the evidence they rest on.
//!
//! The order of questions is the order of certainty: does a signature of
//! the From domain prove the message as stored; failing that, after a named
//! benign repair; failing that, what exactly do the failures show. A
//! message is never `authentic` on a signature that leaves displayed
//! content unsigned, on a weak key, or on a key that was public when the
//! message could have been signed.

use base64::Engine;
use serde::{Deserialize, Serialize};

use crate::message::{DISPLAYED, Message};
use crate::repair::{self, Repair};
pub use crate::vocabulary::{NotProof, Reason, SignatureFact, Verdict};
use crate::{HeaderCheck, KeyLookup, KeyStatus, Options, Outcome, SignatureReport, verify_dkim};

#[derive(Clone, Debug, Hash, Serialize, Deserialize)]
pub struct Assessment {
    pub verdict: Verdict,
    /// What was established, most important first (words: `Display`).
    pub reasons: Vec<Reason>,
    /// The repairs that made a signature verify, if any.
    pub repairs: Vec<Repair>,
    pub from_domain: Option<String>,
    /// The time the message claims (Date), used for t=, x= and key windows.
    pub message_time: Option<i64>,
    /// Every signature, checked on the bytes as stored.
    pub signatures: Vec<SignatureReport>,
    /// The same, on the repaired bytes, when a repair was used.
    pub repaired: Option<Vec<SignatureReport>>,
    /// The ARC chain, if any: who handled the message on the way. Evidence
    /// beside the verdict, never the verdict (it does not prove the author).
    pub arc: crate::ArcReport,
}

#[derive(Clone, Copy, Debug, Default)]
pub struct AssessOptions {
    /// When the dump was first seen in public: a signature made before then
    /// cannot have been made by someone who learnt a key published later.
    pub dump_seen: Option<i64>,
}

pub fn assess(raw: &[u8], keys: &dyn KeyLookup, opts: AssessOptions) -> Assessment {
    let msg = Message::parse(raw);
    let from_domain = from_domain(&msg);
    let message_time = msg.first_text("Date").and_then(|d| parse_rfc2822(&d));
    let vopts = Options { at: message_time };
    let signatures = crate::verify_dkim_parsed(&msg, keys, vopts);
    let mut a = Assessment {
        verdict: Verdict::Unverifiable,
        reasons: Vec::new(),
        repairs: Vec::new(),
        from_domain: from_domain.clone(),
        message_time,
        signatures,
        repaired: None,
        arc: crate::arc::verify_arc_parsed(&msg, keys),
    };
    let ctx = Ctx {
        from: from_domain.as_deref(),
        dump_seen: opts.dump_seen,
    };

    // 1. Proven as stored (bare-LF bytes are not mail as sent: see repairs).
    // Only a message some key could prove needs the scan for them.
    let keyed = a
        .signatures
        .iter()
        .any(|r| matches!(r.key, Some(KeyStatus::Found { .. })));
    let bare_lf = keyed && repair::has_bare_lf(raw);
    if !bare_lf && let Some(reason) = first_proof(&ctx, &msg, &a.signatures) {
        a.verdict = Verdict::Authentic;
        a.reasons.push(reason);
        return a;
    }
    // 2. Proven after a named benign repair: only worth trying when some
    // signature has a key to check against and failed with it.
    let repairable = a
        .signatures
        .iter()
        .any(|r| matches!(r.key, Some(KeyStatus::Found { .. })) && r.result != Outcome::Pass);
    // (A bare-LF message some key could prove is tried repaired too.)
    if repairable || bare_lf {
        for (repairs, bytes) in repair::candidates(raw) {
            let m = Message::parse(&bytes);
            let reports = verify_dkim(&bytes, keys, vopts);
            if let Some(reason) = first_proof(&ctx, &m, &reports) {
                a.verdict = Verdict::AuthenticTransformed;
                a.reasons.push(reason);
                a.reasons.extend(
                    repairs
                        .iter()
                        .map(|r| Reason::Repaired { repair: r.clone() }),
                );
                a.repairs = repairs;
                a.repaired = Some(reports);
                return a;
            }
            if let Some((cut_reports, appended)) =
                appended_content(&ctx, keys, vopts, &bytes, &reports)
            {
                let vouched = reports
                    .iter()
                    .any(|r| r.result == Outcome::Pass && !aligned(&ctx, r));
                let mut repairs = repairs.clone();
                let signed_bytes = bytes.len() - appended.len();
                let repair = Repair::AppendedContent {
                    signed_bytes,
                    appended: String::from_utf8_lossy(&appended).into_owned(),
                };
                a.reasons.push(Reason::Repaired {
                    repair: repair.clone(),
                });
                repairs.push(repair);
                a.repairs = repairs;
                a.repaired = Some(cut_reports);
                if vouched {
                    // A list (or other relay) re-signed the message with the
                    // footer: the appended part is the relay's, on its word.
                    a.verdict = Verdict::AuthenticTransformed;
                    a.reasons.insert(0, Reason::AppendedVouched);
                } else {
                    a.verdict = Verdict::Tampered;
                    a.reasons.insert(0, Reason::AppendedUnvouched);
                }
                return a;
            }
        }
    }
    // 3. What the failures show.
    explain_failure(&ctx, &msg, &mut a);
    a
}

/// The verdict of one copy: the message's, except that a copy the reader
/// had to transform to get the message (mbox `>From` un-quoting) was not
/// stored as sent, so an authentic message is `authentic_transformed` there;
/// a copy converted from an Outlook file lost the bytes any signature
/// covered, so nothing is proven of it.
pub fn occurrence_verdict(
    message: Verdict,
    converted: bool,
    reader_note: Option<&str>,
) -> (Verdict, Option<Reason>) {
    match (message, reader_note) {
        _ if converted => (Verdict::Unverifiable, Some(Reason::ConvertedCopy)),
        (Verdict::Authentic, Some(note)) => (
            Verdict::AuthenticTransformed,
            Some(Reason::RestoredCopy {
                note: note.to_string(),
            }),
        ),
        (v, _) => (v, None),
    }
}

struct Ctx<'a> {
    from: Option<&'a str>,
    dump_seen: Option<i64>,
}

fn aligned(ctx: &Ctx<'_>, r: &SignatureReport) -> bool {
    match (ctx.from, &r.signature) {
        (Some(f), Some(s)) => org_domain(f) == org_domain(&s.domain),
        _ => false,
    }
}

/// Does this passing signature prove the message? `Err` says why not.
fn proves(ctx: &Ctx<'_>, msg: &Message<'_>, r: &SignatureReport) -> Result<Reason, NotProof> {
    let Some(sig) = &r.signature else {
        return Err(NotProof::Unreadable);
    };
    if r.result != Outcome::Pass {
        return Err(NotProof::DoesNotVerify);
    }
    if !aligned(ctx, r) {
        return Err(NotProof::ThirdParty {
            domain: sig.domain.clone(),
        });
    }
    if let Some(KeyStatus::Found {
        bits, revealed_at, ..
    }) = &r.key
    {
        if let Some(bits) = bits.filter(|b| *b < 1024) {
            return Err(NotProof::WeakKey { bits });
        }
        if let Some(rv) = revealed_at
            && ctx.dump_seen.is_none_or(|seen| seen >= *rv)
        {
            return Err(NotProof::RevealedKey);
        }
    }
    if let Some(bytes) = r.unsigned_body_bytes.filter(|n| *n > 0) {
        return Err(NotProof::UnsignedBodyBytes { bytes });
    }
    for (name, &shown) in DISPLAYED.iter().zip(&msg.displayed) {
        let signed = sig
            .headers
            .iter()
            .filter(|h| h.eq_ignore_ascii_case(name))
            .count();
        if shown > signed && signed > 0 {
            return Err(NotProof::UnsignedField {
                field: name.to_string(),
                shown,
                signed,
            });
        }
    }
    let bits = match &r.key {
        Some(KeyStatus::Found { bits, .. }) => *bits,
        _ => None,
    };
    Ok(Reason::Proven {
        domain: sig.domain.clone(),
        selector: sig.selector.clone(),
        bits,
        algorithm: sig.algorithm,
        fields: sig
            .headers
            .iter()
            .filter(|h| {
                !h.eq_ignore_ascii_case("from")
                    && DISPLAYED.iter().any(|d| d.eq_ignore_ascii_case(h))
            })
            .map(|h| h.to_string())
            .collect(),
    })
}

fn first_proof(ctx: &Ctx<'_>, msg: &Message<'_>, reports: &[SignatureReport]) -> Option<Reason> {
    reports.iter().find_map(|r| proves(ctx, msg, r).ok())
}

/// An aligned signature whose headers verify but whose body does not: was
/// content appended after signing? Returns the reports on the cut message
/// and the appended bytes.
fn appended_content(
    ctx: &Ctx<'_>,
    keys: &dyn KeyLookup,
    vopts: Options,
    bytes: &[u8],
    reports: &[SignatureReport],
) -> Option<(Vec<SignatureReport>, Vec<u8>)> {
    if !reports.iter().any(|r| {
        aligned(ctx, r)
            && r.header == Some(HeaderCheck::Valid)
            && r.body_hash_matches == Some(false)
    }) {
        return None;
    }
    let msg = Message::parse(bytes);
    let body_start = bytes.len() - msg.body.len();
    for cut in repair::appended_cuts(msg.body, 12) {
        let cut_bytes = &bytes[..body_start + cut];
        let m = Message::parse(cut_bytes);
        let cut_reports = verify_dkim(cut_bytes, keys, vopts);
        if first_proof(ctx, &m, &cut_reports).is_some() {
            return Some((cut_reports, msg.body[cut..].to_vec()));
        }
    }
    None
}

fn explain_failure(ctx: &Ctx<'_>, msg: &Message<'_>, a: &mut Assessment) {
    let sigs = &a.signatures;
    if sigs.is_empty() {
        a.verdict = Verdict::Unverifiable;
        a.reasons.push(Reason::NoSignature);
        if let Some(claim) = lying_authentication_results(msg, sigs) {
            a.verdict = Verdict::Forged;
            a.reasons.insert(0, claim);
        }
        return;
    }
    // Each signature's fact, with the verdict it points to.
    let mut reasons: Vec<(Verdict, Reason)> = Vec::new();
    for r in sigs {
        let Some(sig) = &r.signature else {
            reasons.push((
                Verdict::Unverifiable,
                Reason::UnreadableSignature {
                    index: r.index,
                    error: r.error.clone().unwrap_or_default(),
                },
            ));
            continue;
        };
        let fact = signature_fact(ctx, msg, r);
        reasons.push((
            fact.indicates(),
            Reason::Signature {
                domain: sig.domain.clone(),
                selector: sig.selector.clone(),
                fact,
            },
        ));
    }
    // The strongest fact decides: forged over tampered over unverifiable.
    let weight = |v: Verdict| match v {
        Verdict::Forged => 0,
        Verdict::Tampered => 1,
        _ => 2,
    };
    let mut verdict = reasons
        .iter()
        .map(|(v, _)| *v)
        .min_by_key(|v| weight(*v))
        .filter(|v| v.accuses())
        .unwrap_or(Verdict::Unverifiable);
    reasons.sort_by_key(|(v, _)| weight(*v));
    let mut reasons: Vec<Reason> = reasons.into_iter().map(|(_, r)| r).collect();
    // Mailing lists rewrite subjects and append footers: a failure on a
    // message a list handled is what list delivery looks like, not proof of
    // tampering. (Adding List-Id can only soften an accusation this way,
    // never make anything authentic.)
    let via_list = msg.all("List-Id").next().is_some() || msg.all("List-Post").next().is_some();
    if verdict == Verdict::Tampered && via_list {
        verdict = Verdict::Unverifiable;
        reasons.insert(0, Reason::MailingList);
    }
    a.verdict = verdict;
    a.reasons = reasons;
    if a.verdict == Verdict::Unverifiable
        && let Some(claim) = lying_authentication_results(msg, sigs)
    {
        a.verdict = Verdict::Forged;
        a.reasons.insert(0, claim);
    }
}

/// What a signature that does not prove the message shows.
fn signature_fact(ctx: &Ctx<'_>, msg: &Message<'_>, r: &SignatureReport) -> SignatureFact {
    let is_aligned = aligned(ctx, r);
    match (&r.key, &r.header, r.body_hash_matches) {
        (Some(KeyStatus::NotFound), _, _) => SignatureFact::KeyNotFound,
        (Some(KeyStatus::TempFail { reason }), _, _) => SignatureFact::KeyLookupFailed {
            reason: reason.clone(),
        },
        (Some(KeyStatus::Revoked), _, _) => SignatureFact::KeyRevoked,
        (Some(KeyStatus::Unusable { reason }), _, _) => SignatureFact::KeyUnusable {
            reason: reason.clone(),
        },
        (_, Some(HeaderCheck::NotThisKey), _) if is_aligned => SignatureFact::NotThisKey,
        (_, Some(HeaderCheck::SignedOtherHeaders { .. }), Some(true)) if is_aligned => {
            SignatureFact::HeadersAltered
        }
        (_, Some(HeaderCheck::SignedOtherHeaders { .. }), _) if is_aligned => {
            SignatureFact::HeadersAndBodyAltered
        }
        (_, Some(HeaderCheck::Valid), Some(false)) if is_aligned && has_8bit_text(msg) => {
            SignatureFact::BodyDiffersIn8bit
        }
        (_, Some(HeaderCheck::Valid), Some(false)) if is_aligned => SignatureFact::BodyAltered,
        (_, Some(HeaderCheck::Invalid), Some(true)) if is_aligned => {
            SignatureFact::HeaderSignatureInvalid
        }
        (_, Some(HeaderCheck::Invalid), _) if is_aligned => SignatureFact::NeitherVerifies,
        _ if r.result == Outcome::Pass => match proves(ctx, msg, r) {
            Ok(_) => SignatureFact::Verifies,
            Err(why) => SignatureFact::VerifiesBut { why },
        },
        _ if !is_aligned => SignatureFact::ThirdPartyFails,
        _ => SignatureFact::Fails {
            detail: r
                .error
                .clone()
                .unwrap_or_else(|| r.result.name().to_string()),
        },
    }
}

/// An Authentication-Results field claiming `dkim=pass` for a signature
/// the message does not carry: a receiving server does not invent one, a
/// forger pasting headers does.
fn lying_authentication_results(msg: &Message<'_>, sigs: &[SignatureReport]) -> Option<Reason> {
    for f in msg.all("Authentication-Results") {
        let text = f.text();
        for clause in text.split(';') {
            let clause = clause.trim();
            if !clause.to_ascii_lowercase().starts_with("dkim=pass") {
                continue;
            }
            let value = |key: &str| {
                clause
                    .split_whitespace()
                    .find_map(|w| w.strip_prefix(key))
                    .map(|v| v.trim_matches(|c| c == '"' || c == ';').to_string())
            };
            let d = value("header.d=").or_else(|| {
                value("header.i=").map(|i| i.rsplit('@').next().unwrap_or("").to_string())
            });
            let b = value("header.b=");
            let carried = sigs.iter().any(|r| {
                let Some(s) = &r.signature else {
                    return b.is_none();
                };
                let d_ok = d.as_ref().is_none_or(|d| d.eq_ignore_ascii_case(&s.domain));
                let b_ok = b.as_ref().is_none_or(|b| {
                    let enc = crate::B64.encode(&s.signature[..]);
                    enc.starts_with(b.as_str())
                });
                d_ok && b_ok
            });
            if !carried {
                return Some(Reason::LyingAuthenticationResults { domain: d });
            }
        }
    }
    None
}

/// Does the message declare 8bit text anywhere (top level or a part)?
fn has_8bit_text(msg: &Message<'_>) -> bool {
    let top = msg
        .all("Content-Transfer-Encoding")
        .any(|f| f.text().eq_ignore_ascii_case("8bit"));
    top || msg
        .body
        .windows(31)
        .any(|w| w.eq_ignore_ascii_case(b"content-transfer-encoding: 8bit"))
}

fn from_domain(msg: &Message<'_>) -> Option<String> {
    let from = msg.first_text("From")?;
    let addr = match (from.rfind('<'), from.rfind('>')) {
        (Some(a), Some(b)) if a < b => from[a + 1..b].to_string(),
        _ => from
            .split_whitespace()
            .find(|w| w.contains('@'))
            .unwrap_or(&from)
            .to_string(),
    };
    let domain = addr
        .rsplit('@')
        .next()?
        .trim()
        .trim_end_matches('>')
        .to_ascii_lowercase();
    (!domain.is_empty() && addr.contains('@')).then_some(domain)
}

/// The organisational domain (RFC 7489 3.2), approximated without the
/// Public Suffix List: the last two labels, or three under the common
/// second-level registries (`co.uk`, `com.au`, `gouv.fr`...) and under the
/// names reserved for examples (RFC 2606: `example.org` and its siblings
/// stand for whole top-level domains in test and demonstration data).
pub fn org_domain(d: &str) -> String {
    let d = d.trim_end_matches('.').to_ascii_lowercase();
    let labels: Vec<&str> = d.split('.').collect();
    let n = labels.len();
    if n <= 2 {
        return d;
    }
    let second = labels[n - 2];
    let top = labels[n - 1];
    let registry = top.len() == 2
        && [
            "co", "com", "org", "net", "gov", "gouv", "ac", "edu", "ne", "or",
        ]
        .contains(&second);
    let reserved = second == "example" && ["org", "com", "net"].contains(&top);
    let take = if registry || reserved { 3 } else { 2 };
    labels[n.saturating_sub(take)..].join(".")
}

/// RFC 5322 date-time (`Thu, 4 Feb 2016 16:06:51 +0100`), lenient about
/// the day name, seconds and zone names.
pub fn parse_rfc2822(s: &str) -> Option<i64> {
    let s = s.split('(').next().unwrap_or(s);
    let s = s.split_once(',').map_or(s, |(_, rest)| rest);
    let mut it = s.split_whitespace();
    let day: i64 = it.next()?.parse().ok()?;
    let month = match it.next()?.get(..3)?.to_ascii_lowercase().as_str() {
        "jan" => 1,
        "feb" => 2,
        "mar" => 3,
        "apr" => 4,
        "may" => 5,
        "jun" => 6,
        "jul" => 7,
        "aug" => 8,
        "sep" => 9,
        "oct" => 10,
        "nov" => 11,
        "dec" => 12,
        _ => return None,
    };
    let mut year: i64 = it.next()?.parse().ok()?;
    if year < 100 {
        year += if year < 50 { 2000 } else { 1900 };
    }
    let time = it.next()?;
    let mut hms = time.split(':');
    let h: i64 = hms.next()?.parse().ok()?;
    let m: i64 = hms.next()?.parse().ok()?;
    let sec: i64 = hms.next().map_or(Some(0), |x| x.parse().ok())?;
    let zone = it.next().unwrap_or("+0000");
    let offset = match zone.as_bytes().first() {
        Some(b'+') | Some(b'-') if zone.len() == 5 => {
            let sign = if zone.starts_with('-') { -1 } else { 1 };
            let hh: i64 = zone[1..3].parse().ok()?;
            let mm: i64 = zone[3..5].parse().ok()?;
            sign * (hh * 3600 + mm * 60)
        }
        _ => match zone.to_ascii_uppercase().as_str() {
            "EST" => -5 * 3600,
            "EDT" => -4 * 3600,
            "CST" => -6 * 3600,
            "CDT" => -5 * 3600,
            "MST" => -7 * 3600,
            "MDT" => -6 * 3600,
            "PST" => -8 * 3600,
            "PDT" => -7 * 3600,
            _ => 0,
        },
    };
    let base = tamis_time::days_from_civil(year, month, day)?.checked_mul(86_400)?;
    base.checked_add(tamis_time::clock_seconds(h, m, sec)?.checked_sub(offset)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_and_domains() {
        assert_eq!(
            parse_rfc2822("Thu, 4 Feb 2016 16:06:51 +0100"),
            Some(1_454_598_411)
        );
        assert_eq!(parse_rfc2822("4 Feb 2016 15:06 GMT"), Some(1_454_598_360));
        assert_eq!(parse_rfc2822("garbage"), None);
        assert_eq!(
            parse_rfc2822("1 Jan 2016 9223372036854775807:00:00 +0000"),
            None
        );
        assert_eq!(
            org_domain("mail.campaign.example.org"),
            "campaign.example.org"
        );
        assert_eq!(org_domain("mail.campaign.org"), "campaign.org");
        assert_eq!(org_domain("news.bbc.co.uk"), "bbc.co.uk");
        assert_eq!(org_domain("example.org"), "example.org");
    }
}
