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
use serde::Serialize;

use crate::message::{DISPLAYED, Message};
use crate::repair::{self, Repair};
use crate::{HeaderCheck, KeyLookup, KeyStatus, Options, Outcome, SignatureReport, verify_dkim};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Authentic,
    AuthenticTransformed,
    Tampered,
    Forged,
    Unverifiable,
}

impl Verdict {
    pub fn name(self) -> &'static str {
        match self {
            Verdict::Authentic => "authentic",
            Verdict::AuthenticTransformed => "authentic_transformed",
            Verdict::Tampered => "tampered",
            Verdict::Forged => "forged",
            Verdict::Unverifiable => "unverifiable",
        }
    }

    pub fn parse(s: &str) -> Option<Verdict> {
        [
            Verdict::Authentic,
            Verdict::AuthenticTransformed,
            Verdict::Tampered,
            Verdict::Forged,
            Verdict::Unverifiable,
        ]
        .into_iter()
        .find(|v| v.name() == s)
    }
}

#[derive(Clone, Debug, Hash, Serialize)]
pub struct Assessment {
    pub verdict: Verdict,
    /// Plain words, most important first.
    pub reasons: Vec<String>,
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
                a.reasons.extend(repairs.iter().map(Repair::describe));
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
                a.reasons.push(repair.describe());
                repairs.push(repair);
                a.repairs = repairs;
                a.repaired = Some(cut_reports);
                if vouched {
                    // A list (or other relay) re-signed the message with the
                    // footer: the appended part is the relay's, on its word.
                    a.verdict = Verdict::AuthenticTransformed;
                    a.reasons.insert(0, "the author's signature proves the message up to the appended part, and the relay that appended it signed the whole".into());
                } else {
                    a.verdict = Verdict::Tampered;
                    a.reasons.insert(
                        0,
                        "content was added after the author signed, and nobody vouches for it"
                            .into(),
                    );
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
/// stored as sent, so an authentic message is `authentic_transformed` there.
pub fn occurrence_verdict(
    message: Verdict,
    reader_note: Option<&str>,
) -> (Verdict, Option<String>) {
    match (message, reader_note) {
        (Verdict::Authentic, Some(note)) => (
            Verdict::AuthenticTransformed,
            Some(format!(
                "this copy was changed by the mailbox format and restored by the reader: {note}"
            )),
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
fn proves(ctx: &Ctx<'_>, msg: &Message<'_>, r: &SignatureReport) -> Result<String, String> {
    let Some(sig) = &r.signature else {
        return Err("unreadable signature".into());
    };
    if r.result != Outcome::Pass {
        return Err("does not verify".into());
    }
    if !aligned(ctx, r) {
        return Err(format!(
            "d={} is a third party, not the From domain",
            sig.domain
        ));
    }
    if let Some(KeyStatus::Found {
        bits, revealed_at, ..
    }) = &r.key
    {
        if bits.is_some_and(|b| b < 1024) {
            return Err(format!(
                "the key is {}-bit RSA: keys this short can be factored, so the signature proves nothing",
                bits.unwrap_or(0)
            ));
        }
        if let Some(rv) = revealed_at
            && ctx.dump_seen.is_none_or(|seen| seen >= *rv)
        {
            return Err("the key's private half was published before the dump appeared: anyone could have made this signature".into());
        }
    }
    if let Some(extra) = r.unsigned_body_bytes.filter(|n| *n > 0) {
        return Err(format!(
            "{extra} bytes of the body come after what l= signs"
        ));
    }
    for (name, &present) in DISPLAYED.iter().zip(&msg.displayed) {
        let signed = sig
            .headers
            .iter()
            .filter(|h| h.eq_ignore_ascii_case(name))
            .count();
        if present > signed && signed > 0 {
            return Err(format!(
                "the message shows {present} {name} fields but the signature covers {signed}: one shown to the reader is unsigned"
            ));
        }
    }
    let bits = match &r.key {
        Some(KeyStatus::Found { bits: Some(b), .. }) => format!("{b}-bit "),
        _ => String::new(),
    };
    Ok(format!(
        "signed by {} (s={}, {}{}) and verified: From, {} and the body are as sent",
        sig.domain,
        sig.selector,
        bits,
        sig.algorithm.name(),
        sig.headers
            .iter()
            .filter(|h| !h.eq_ignore_ascii_case("from")
                && DISPLAYED.iter().any(|d| d.eq_ignore_ascii_case(h)))
            .map(|h| h.to_string())
            .collect::<Vec<_>>()
            .join(", ")
    ))
}

fn first_proof(ctx: &Ctx<'_>, msg: &Message<'_>, reports: &[SignatureReport]) -> Option<String> {
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
        a.reasons
            .push("no DKIM signature: nothing proves or disproves it".into());
        if let Some(claim) = lying_authentication_results(msg, sigs) {
            a.verdict = Verdict::Forged;
            a.reasons.insert(0, claim);
        }
        return;
    }
    let mut verdict = Verdict::Unverifiable;
    let mut reasons: Vec<(Verdict, String)> = Vec::new();
    for r in sigs {
        let Some(sig) = &r.signature else {
            reasons.push((
                Verdict::Unverifiable,
                format!(
                    "signature {} is unreadable: {}",
                    r.index + 1,
                    r.error.clone().unwrap_or_default()
                ),
            ));
            continue;
        };
        let who = format!("d={} s={}", sig.domain, sig.selector);
        let is_aligned = aligned(ctx, r);
        let finding = match (&r.key, &r.header, r.body_hash_matches) {
            (Some(KeyStatus::NotFound), _, _) => (
                Verdict::Unverifiable,
                format!(
                    "{who}: no archive holds this key; find it to verify (`tamis keys missing`)"
                ),
            ),
            (Some(KeyStatus::TempFail { reason }), _, _) => (
                Verdict::Unverifiable,
                format!("{who}: key lookup failed ({reason})"),
            ),
            (Some(KeyStatus::Revoked), _, _) => (
                Verdict::Unverifiable,
                format!("{who}: the archived key record is revoked (empty p=)"),
            ),
            (Some(KeyStatus::Unusable { reason }), _, _) => (
                Verdict::Unverifiable,
                format!("{who}: the key cannot be used: {reason}"),
            ),
            (_, Some(HeaderCheck::NotThisKey), _) if is_aligned => (
                Verdict::Forged,
                format!(
                    "{who}: the signature was not made with this domain's key (opening it with the key gives no signature block): made with another key, a forger's or a rotated one"
                ),
            ),
            (_, Some(HeaderCheck::SignedOtherHeaders { .. }), Some(true)) if is_aligned => (
                Verdict::Tampered,
                format!(
                    "{who}: this key signed these headers in another form: signed header fields (From, To, Subject, Date...) were altered after signing; the body is as signed"
                ),
            ),
            (_, Some(HeaderCheck::SignedOtherHeaders { .. }), _) if is_aligned => (
                Verdict::Tampered,
                format!("{who}: both the signed headers and the body were altered after signing"),
            ),
            (_, Some(HeaderCheck::Valid), Some(false)) if is_aligned && has_8bit_text(msg) => (
                Verdict::Unverifiable,
                format!(
                    "{who}: the header signature holds, proving the fields in h=; the body differs from what was signed, but it has 8bit text parts, which a tool decoding quoted-printable also produces: archive damage cannot be told from an edit"
                ),
            ),
            (_, Some(HeaderCheck::Valid), Some(false)) if is_aligned => (
                Verdict::Tampered,
                format!(
                    "{who}: the header signature holds, proving From, Date, Subject and To as listed in h=, but the body was altered after signing"
                ),
            ),
            (_, Some(HeaderCheck::Invalid), Some(true)) if is_aligned => (
                Verdict::Tampered,
                format!(
                    "{who}: the Ed25519 header signature does not verify (signed headers altered, or another key); the body is as signed"
                ),
            ),
            (_, Some(HeaderCheck::Invalid), _) if is_aligned => (
                Verdict::Tampered,
                format!("{who}: neither the header signature nor the body hash verifies"),
            ),
            _ if r.result == Outcome::Pass => match proves(ctx, msg, r) {
                Ok(_) => (Verdict::Unverifiable, format!("{who}: verifies")),
                Err(why) if why.contains("unsigned") || why.contains("l= signs") => {
                    (Verdict::Tampered, format!("{who}: verifies, but {why}"))
                }
                Err(why) => (Verdict::Unverifiable, format!("{who}: verifies, but {why}")),
            },
            _ if !is_aligned => (
                Verdict::Unverifiable,
                format!("{who}: a third party's signature, which does not verify"),
            ),
            _ => (
                Verdict::Unverifiable,
                format!(
                    "{who}: {}",
                    r.error
                        .clone()
                        .unwrap_or_else(|| r.result.name().to_string())
                ),
            ),
        };
        reasons.push(finding);
    }
    // The strongest finding decides: forged over tampered over unverifiable.
    for (v, _) in &reasons {
        verdict = match (verdict, *v) {
            (_, Verdict::Forged) | (Verdict::Forged, _) => Verdict::Forged,
            (_, Verdict::Tampered) | (Verdict::Tampered, _) => Verdict::Tampered,
            _ => Verdict::Unverifiable,
        };
    }
    reasons.sort_by_key(|(v, _)| match v {
        Verdict::Forged => 0,
        Verdict::Tampered => 1,
        _ => 2,
    });
    // Mailing lists rewrite subjects and append footers: a failure on a
    // message a list handled is what list delivery looks like, not proof of
    // tampering. (Adding List-Id can only soften an accusation this way,
    // never make anything authentic.)
    let via_list = msg.all("List-Id").next().is_some() || msg.all("List-Post").next().is_some();
    if verdict == Verdict::Tampered && via_list {
        verdict = Verdict::Unverifiable;
        reasons.insert(
            0,
            (
                Verdict::Unverifiable,
                "a mailing list handled this message (List-Id), and lists rewrite subjects and bodies: the failures below are consistent with that, so they prove no tampering".to_string(),
            ),
        );
    }
    a.verdict = verdict;
    a.reasons = reasons.into_iter().map(|(_, r)| r).collect();
    if a.verdict == Verdict::Unverifiable
        && let Some(claim) = lying_authentication_results(msg, sigs)
    {
        a.verdict = Verdict::Forged;
        a.reasons.insert(0, claim);
    }
}

/// An Authentication-Results field claiming `dkim=pass` for a signature
/// the message does not carry: a receiving server does not invent one, a
/// forger pasting headers does.
fn lying_authentication_results(msg: &Message<'_>, sigs: &[SignatureReport]) -> Option<String> {
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
                return Some(format!(
                    "an Authentication-Results field claims a passing DKIM signature{} that this message does not carry: a receiving server records what it saw; this claim was written by someone else",
                    d.map(|d| format!(" by {d}")).unwrap_or_default()
                ));
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
    let date = format!("{year:04}-{month:02}-{day:02}");
    let base = tamis_keys::parse_time(&date)?;
    Some(base + h * 3600 + m * 60 + sec - offset)
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
            org_domain("mail.campaign.example.org"),
            "campaign.example.org"
        );
        assert_eq!(org_domain("mail.campaign.org"), "campaign.org");
        assert_eq!(org_domain("news.bbc.co.uk"), "bbc.co.uk");
        assert_eq!(org_domain("example.org"), "example.org");
    }
}
