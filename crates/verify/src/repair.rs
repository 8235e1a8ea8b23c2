//! Named inverse transformations for archive damage.
//!
//! Genuine mail fails a byte-exact check when something downstream changed
//! it. Each repair here undoes one known, benign change. None of them can
//! turn a forgery into a pass: a repair only changes bytes *before* the
//! signature is checked, the signature must then verify with the domain's
//! key, and a forger who cannot sign cannot produce bytes that verify after
//! any transformation, just as before it. What a repair can do is let a
//! signature verify over *less* than the reader sees; the one repair that
//! does ([`Repair::AppendedContent`]) is reported with the exact bytes that
//! no signature covers, and the verdict says so.

use serde::{Deserialize, Serialize};

use crate::message::Message;

#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "name", rename_all = "snake_case")]
pub enum Repair {
    /// Line ends were converted from CRLF to LF (Maildir, mbox tools).
    CrlfToLf,
    /// Header fields were re-folded (TAB continuation at a fixed column).
    HeaderRefold,
    /// Trailing whitespace was stripped from body lines (format=flowed
    /// soft breaks, the `-- ` signature separator).
    TrailingWhitespaceStripped,
    /// Quoted-printable parts were decoded to 8bit.
    QuotedPrintableDecoded,
    /// An mbox reader un-quoted `>From ` lines that the author had written
    /// (mboxo cannot tell them from quoted `From ` lines); the quoting of
    /// `lines` body lines was put back.
    MboxQuoting { lines: usize },
    /// Content was appended after signing (a mailing-list footer); the
    /// signature covers the first `signed_bytes` of the body.
    AppendedContent {
        signed_bytes: usize,
        appended: String,
    },
}

/// The candidate repairs of `raw`, each with the bytes it gives. Bounded:
/// a handful of candidates, never a search.
pub fn candidates(raw: &[u8]) -> Vec<(Vec<Repair>, Vec<u8>)> {
    let mut out: Vec<(Vec<Repair>, Vec<u8>)> = Vec::new();
    let base: (Vec<Repair>, Vec<u8>) = if has_bare_lf(raw) {
        (vec![Repair::CrlfToLf], crlf(raw))
    } else {
        (Vec::new(), raw.to_vec())
    };
    if !base.0.is_empty() {
        out.push(base.clone());
    }
    let (tags, bytes) = &base;
    let with = |r: Repair, b: Vec<u8>| {
        let mut t = tags.clone();
        t.push(r);
        (t, b)
    };
    for unfolded in unfold_variants(bytes) {
        out.push(with(Repair::HeaderRefold, unfolded));
    }
    for restored in trailing_space_variants(bytes) {
        out.push(with(Repair::TrailingWhitespaceStripped, restored));
    }
    if let Some(qp) = reencode_qp(bytes) {
        out.push(with(Repair::QuotedPrintableDecoded, qp));
    }
    for (lines, requoted) in mbox_requote_variants(bytes) {
        out.push(with(Repair::MboxQuoting { lines }, requoted));
    }
    out
}

/// Body lines that start `From ` (possibly after `>`s) could have been
/// `>`-quoted by the author and un-quoted by an mbox reader. Put the `>`
/// back on every subset of them (at most 4 lines: 15 candidates; beyond
/// that, all of them at once).
fn mbox_requote_variants(raw: &[u8]) -> Vec<(usize, Vec<u8>)> {
    let start = body_start(raw);
    let mut starts: Vec<usize> = Vec::new();
    let mut pos = start;
    while pos < raw.len() {
        let line = &raw[pos..];
        let gt = line.iter().take_while(|b| **b == b'>').count();
        if line[gt..].starts_with(b"From ") {
            starts.push(pos);
        }
        pos = memchr::memchr(b'\n', line).map_or(raw.len(), |i| pos + i + 1);
    }
    if starts.is_empty() {
        return Vec::new();
    }
    let subsets: Vec<u32> = if starts.len() <= 4 {
        (1..(1u32 << starts.len())).collect()
    } else {
        vec![u32::MAX]
    };
    subsets
        .into_iter()
        .map(|mask| {
            let mut out = Vec::with_capacity(raw.len() + starts.len());
            let mut last = 0;
            let mut n = 0;
            for (k, &at) in starts.iter().enumerate() {
                if mask & (1 << k.min(31)) != 0 {
                    out.extend_from_slice(&raw[last..at]);
                    out.push(b'>');
                    last = at;
                    n += 1;
                }
            }
            out.extend_from_slice(&raw[last..]);
            (n, out)
        })
        .collect()
}

/// Whether some LF is not preceded by CR. Every message verified asks, and
/// a line-by-line search stops hundreds of times in a base64 attachment:
/// this compares each byte with the one before it in fixed blocks of 64,
/// which the compiler turns into vector instructions (no bounds checks).
pub fn has_bare_lf(raw: &[u8]) -> bool {
    const W: usize = 64;
    if raw.first() == Some(&b'\n') {
        return true;
    }
    let cur = raw.get(1..).unwrap_or_default();
    let prev = &raw[..cur.len()];
    let (prev_blocks, prev_rest) = prev.as_chunks::<W>();
    let (cur_blocks, cur_rest) = cur.as_chunks::<W>();
    let bare = |p: &[u8], c: &[u8]| {
        p.iter().zip(c).fold(0u8, |bare, (&p, &c)| {
            bare | u8::from((c == b'\n') & (p != b'\r'))
        }) != 0
    };
    prev_blocks.iter().zip(cur_blocks).any(|(p, c)| bare(p, c)) || bare(prev_rest, cur_rest)
}

pub fn crlf(raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(raw.len() + raw.len() / 16);
    let mut last = 0;
    for i in memchr::memchr_iter(b'\n', raw) {
        out.extend_from_slice(&raw[last..i]);
        if i == 0 || raw[i - 1] != b'\r' {
            out.push(b'\r');
        }
        last = i;
    }
    out.extend_from_slice(&raw[last..]);
    out
}

fn body_start(raw: &[u8]) -> usize {
    raw.len() - Message::parse(raw).body.len()
}

/// Re-folding (unfold, then fold at a fixed column with TAB) loses the
/// original folding. Undo it three ways: the fields on one line each; the
/// address fields with one address per line (`,` CRLF SP); or folded after
/// the commas that keep lines within 78 columns (RFC 5322 2.1.1), as
/// Thunderbird writes them.
fn unfold_variants(raw: &[u8]) -> Vec<Vec<u8>> {
    let body_start = body_start(raw);
    let head = &raw[..body_start];
    if !head.windows(3).any(|w| w == b"\r\n\t") {
        return Vec::new();
    }
    let mut unfolded = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < head.len() {
        // Only the fields archivers re-fold (the long, displayed ones) are
        // unfolded; others keep their folding (a folded Content-Type is
        // usually the sender's own).
        if head[i..].starts_with(b"\r\n\t") && in_refolded_field(head, i) {
            unfolded.push(b' ');
            i += 3;
        } else {
            unfolded.push(head[i]);
            i += 1;
        }
    }
    let one_per_line = fold_address_lists(&unfolded, 0);
    let greedy = fold_address_lists(&unfolded, 78);
    let mut variants = Vec::new();
    for mut h in [unfolded, one_per_line, greedy] {
        h.extend_from_slice(&raw[body_start..]);
        variants.push(h);
    }
    variants
}

/// In From, To, Cc, Bcc, Reply-To: break lines after the commas that
/// separate addresses (outside quotes and angle brackets) — after each one
/// when `width` is 0, else only where the next address would pass `width`.
fn fold_address_lists(head: &[u8], width: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(head.len() + 64);
    for field in split_fields(head) {
        let is_address = ["from:", "to:", "cc:", "bcc:", "reply-to:"]
            .iter()
            .any(|p| field.len() >= p.len() && field[..p.len()].eq_ignore_ascii_case(p.as_bytes()));
        let body = field.strip_suffix(b"\r\n").unwrap_or(field);
        // Only unfolded address fields are re-folded.
        if !is_address || body.windows(2).any(|w| w == b"\r\n") {
            out.extend_from_slice(field);
            continue;
        }
        let pieces = split_top_level_commas(body);
        let mut line_len = 0;
        for (i, piece) in pieces.iter().enumerate() {
            let piece: &[u8] = if i == 0 {
                piece
            } else {
                piece.strip_prefix(b" ").unwrap_or(piece)
            };
            if i > 0 {
                let fits = width > 0 && line_len + 2 + piece.len() <= width;
                if fits {
                    out.extend_from_slice(b", ");
                    line_len += 2;
                } else {
                    out.extend_from_slice(b",\r\n ");
                    line_len = 1;
                }
            }
            out.extend_from_slice(piece);
            line_len += piece.len();
        }
        if field.ends_with(b"\r\n") {
            out.extend_from_slice(b"\r\n");
        }
    }
    out
}

/// Header fields with their line ends (continuation lines included).
fn split_fields(head: &[u8]) -> Vec<&[u8]> {
    let mut fields = Vec::new();
    let mut start = 0;
    let mut i = 0;
    while i < head.len() {
        if head[i] == b'\n' && !matches!(head.get(i + 1), Some(b' ') | Some(b'\t')) {
            fields.push(&head[start..=i]);
            start = i + 1;
        }
        i += 1;
    }
    if start < head.len() {
        fields.push(&head[start..]);
    }
    fields
}

fn split_top_level_commas(v: &[u8]) -> Vec<&[u8]> {
    let (mut quoted, mut angle) = (false, false);
    let mut pieces = Vec::new();
    let mut start = 0;
    for (i, &c) in v.iter().enumerate() {
        match c {
            b'"' => quoted = !quoted,
            b'<' if !quoted => angle = true,
            b'>' if !quoted => angle = false,
            b',' if !quoted && !angle => {
                pieces.push(&v[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    pieces.push(&v[start..]);
    pieces
}

/// Is position `i` inside a From, To, Cc, Bcc, Reply-To, Sender or Subject
/// field?
fn in_refolded_field(head: &[u8], i: usize) -> bool {
    let start = head[..i]
        .windows(2)
        .rposition(|w| w == b"\r\n")
        .map_or(0, |p| p + 2);
    // Walk back over continuation lines to the field's first line.
    let mut s = start;
    while s > 0 && (head[s] == b' ' || head[s] == b'\t') {
        s = head[..s.saturating_sub(2)]
            .windows(2)
            .rposition(|w| w == b"\r\n")
            .map_or(0, |p| p + 2);
    }
    let line = &head[s..];
    [
        "from:",
        "to:",
        "cc:",
        "bcc:",
        "reply-to:",
        "sender:",
        "subject:",
    ]
    .iter()
    .any(|p| line.len() >= p.len() && line[..p.len()].eq_ignore_ascii_case(p.as_bytes()))
}

/// Restore stripped trailing whitespace: the `-- ` signature separator;
/// and in format=flowed text (RFC 3676), the space that ends every line of
/// a paragraph but its last, up to the signature.
fn trailing_space_variants(raw: &[u8]) -> Vec<Vec<u8>> {
    let mut variants = Vec::new();
    let sig = map_lines(raw, 0, raw.len(), |line, _| line == b"--");
    if sig != raw {
        variants.push(sig);
    }
    for part in parts(raw) {
        let header = &raw[part.header.0..part.header.1];
        if !(find_ci(header, b"text/plain").is_some()
            && find_ci(header, b"format=flowed").is_some())
        {
            continue;
        }
        let mut in_signature = false;
        let flowed = map_lines(raw, part.body.0, part.body.1, |line, next| {
            if line == b"--" {
                in_signature = true;
                return true;
            }
            let Some(next) = next else { return false };
            !in_signature
                && !line.is_empty()
                && !next.is_empty()
                && !line.ends_with(b" ")
                && !next.starts_with(b"--")
                && quote_depth(line) == quote_depth(next)
        });
        if flowed != raw {
            variants.push(flowed);
        }
    }
    variants
}

fn quote_depth(l: &[u8]) -> usize {
    l.iter().take_while(|b| **b == b'>').count()
}

/// Rewrite the CRLF lines of `raw[from..to]`, adding a trailing space to
/// each line for which `add(line, next_line)` holds.
fn map_lines(
    raw: &[u8],
    from: usize,
    to: usize,
    mut add: impl FnMut(&[u8], Option<&[u8]>) -> bool,
) -> Vec<u8> {
    let body_from = from.max(body_start(raw));
    let mut out = raw[..body_from].to_vec();
    let region = &raw[body_from..to.max(body_from)];
    let lines: Vec<&[u8]> = region.split(|b| *b == b'\n').collect();
    for (i, l) in lines.iter().enumerate() {
        if i > 0 {
            out.push(b'\n');
        }
        let content = l.strip_suffix(b"\r").unwrap_or(l);
        let next = lines.get(i + 1).map(|n| n.strip_suffix(b"\r").unwrap_or(n));
        out.extend_from_slice(content);
        // Only whole lines (CRLF-terminated) get the space back.
        if l.ends_with(b"\r") && add(content, next) {
            out.push(b' ');
        }
        if l.ends_with(b"\r") {
            out.push(b'\r');
        }
    }
    out.extend_from_slice(&raw[to.max(body_from)..]);
    out
}

/// A MIME part: byte ranges of its header and of its body.
struct Part {
    header: (usize, usize),
    body: (usize, usize),
}

/// The leaf parts of a MIME message, found by the boundaries its
/// Content-Type fields declare; a single-part message is one part.
fn parts(raw: &[u8]) -> Vec<Part> {
    let mut boundaries: Vec<Vec<u8>> = Vec::new();
    let mut pos = 0;
    while let Some(i) = find_ci(&raw[pos..], b"boundary=") {
        let start = pos + i + 9;
        let quoted = raw.get(start) == Some(&b'"');
        let s = if quoted { start + 1 } else { start };
        let end = raw[s..]
            .iter()
            .position(|b| {
                if quoted {
                    *b == b'"'
                } else {
                    matches!(b, b';' | b'\r' | b'\n' | b' ')
                }
            })
            .map_or(raw.len(), |e| s + e);
        let mut marker = b"\r\n--".to_vec();
        marker.extend_from_slice(&raw[s..end]);
        boundaries.push(marker);
        pos = end;
    }
    let mut delimiters: Vec<usize> = Vec::new();
    for b in &boundaries {
        let mut p = 0;
        while let Some(i) = find(&raw[p..], b) {
            delimiters.push(p + i);
            p += i + b.len();
        }
    }
    delimiters.sort_unstable();
    if delimiters.is_empty() {
        // A single-part message: its header is the message's.
        let start = body_start(raw);
        return vec![Part {
            header: (0, start),
            body: (start, raw.len()),
        }];
    }
    let mut out = Vec::new();
    for (k, &d) in delimiters.iter().enumerate() {
        // The part starts after the delimiter line.
        let Some(line_end) = find(&raw[d + 2..], b"\r\n").map(|i| d + 2 + i + 2) else {
            continue;
        };
        let Some(hdr_end) = find(&raw[line_end..], b"\r\n\r\n").map(|i| line_end + i + 4) else {
            continue;
        };
        let next = delimiters.get(k + 1).copied().unwrap_or(raw.len());
        if hdr_end > next {
            continue;
        }
        out.push(Part {
            header: (line_end, hdr_end),
            body: (hdr_end, next),
        });
    }
    out
}

/// Re-encode the 8bit text parts of a MIME message as quoted-printable,
/// byte for byte as CPython's `binascii.b2a_qp` does (what Python's email
/// package, Mailman and many tools write): 76-column lines, `=` soft
/// breaks, escapes never split, trailing whitespace escaped.
fn reencode_qp(raw: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(raw.len() * 2);
    let mut pos = 0;
    for part in parts(raw) {
        let header = &raw[part.header.0..part.header.1];
        let Some(cte) = find_ci(header, b"content-transfer-encoding: 8bit") else {
            continue;
        };
        let at = part.header.0 + cte;
        out.extend_from_slice(&raw[pos..at]);
        out.extend_from_slice(b"Content-Transfer-Encoding: quoted-printable");
        out.extend_from_slice(&raw[at + 31..part.body.0]);
        out.extend_from_slice(&b2a_qp(&raw[part.body.0..part.body.1]));
        pos = part.body.1;
    }
    if pos == 0 {
        return None;
    }
    out.extend_from_slice(&raw[pos..]);
    Some(out)
}

/// CPython's `binascii.b2a_qp(data, quotetabs=False, istext=True, header=False)`.
fn b2a_qp(data: &[u8]) -> Vec<u8> {
    const MAX: usize = 76;
    let crlf = data
        .iter()
        .position(|b| *b == b'\n')
        .is_some_and(|i| i > 0 && data[i - 1] == b'\r');
    let eol: &[u8] = if crlf { b"\r\n" } else { b"\n" };
    let mut out: Vec<u8> = Vec::with_capacity(data.len() * 2);
    let mut linelen = 0usize;
    let mut i = 0;
    let hex = |b: u8| format!("={b:02X}").into_bytes();
    while i < data.len() {
        let c = data[i];
        let next = data.get(i + 1).copied();
        let at_line_end =
            |j: usize| j >= data.len() || data[j] == b'\n' || data[j] == b'\r' || data[j] == 0;
        let needs = c > 126
            || c == b'='
            || (c == b'.' && linelen == 0 && at_line_end(i + 1))
            || ((c == b'\t' || c == b' ') && i + 1 == data.len())
            || (c < 33 && c != b'\r' && c != b'\n' && c != b'\t' && c != b' ');
        if needs {
            if linelen + 3 >= MAX {
                out.push(b'=');
                out.extend_from_slice(eol);
                linelen = 0;
            }
            out.extend_from_slice(&hex(c));
            linelen += 3;
            i += 1;
        } else if c == b'\n' || (c == b'\r' && next == Some(b'\n')) {
            linelen = 0;
            if let Some(&last) = out.last()
                && (last == b' ' || last == b'\t')
            {
                out.pop();
                out.extend_from_slice(&hex(last));
            }
            out.extend_from_slice(eol);
            i += if c == b'\r' { 2 } else { 1 };
        } else {
            if i + 1 != data.len() && next != Some(b'\n') && linelen + 1 >= MAX {
                out.push(b'=');
                out.extend_from_slice(eol);
                linelen = 0;
            }
            linelen += 1;
            out.push(c);
            i += 1;
        }
    }
    out
}

fn find(h: &[u8], n: &[u8]) -> Option<usize> {
    h.windows(n.len()).position(|w| w == n)
}

fn find_ci(h: &[u8], n: &[u8]) -> Option<usize> {
    h.windows(n.len()).position(|w| w.eq_ignore_ascii_case(n))
}

/// Where the body could have ended before content was appended: cuts at
/// line ends, from the end backwards, at most `max_lines` lines or 4 KiB.
pub fn appended_cuts(body: &[u8], max_lines: usize) -> Vec<usize> {
    let mut cuts = Vec::new();
    let mut end = body.len();
    for _ in 0..max_lines {
        let Some(nl) = body[..end.saturating_sub(1)]
            .iter()
            .rposition(|b| *b == b'\n')
        else {
            break;
        };
        let cut = nl + 1;
        if body.len() - cut > 4096 {
            break;
        }
        cuts.push(cut);
        end = cut;
    }
    cuts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn qp_matches_cpython_b2a_qp() {
        // Expected values from CPython 3.11: binascii.b2a_qp(data).
        let table: &[(&[u8], &[u8])] = &[
            (b"a = b \r\nx", b"a =3D b=20\r\nx"),
            ("caf\u{e9}\n".as_bytes(), b"caf=C3=A9\n"),
            (b".\n", b"=2E\n"),
            (b"tab\tend\t", b"tab\tend=09"),
        ];
        for (input, want) in table {
            assert_eq!(
                b2a_qp(input),
                want.to_vec(),
                "{:?}",
                String::from_utf8_lossy(input)
            );
        }
        let long = "Le candidat arrivera en gare de Orléans à 16h15, Thomas sera sur le quai. La salle\r\n";
        let enc = String::from_utf8(b2a_qp(long.as_bytes())).unwrap();
        assert_eq!(
            enc,
            "Le candidat arrivera en gare de Orl=C3=A9ans =C3=A0 16h15, Thomas sera sur =\r\nle quai. La salle\r\n"
        );
    }

    #[test]
    fn address_lists_fold_one_per_line() {
        let h = b"To: A <a@x>, \"B, b\" <b@x>, c@x\r\nSubject: a, b\r\n";
        assert_eq!(
            fold_address_lists(h, 0),
            b"To: A <a@x>,\r\n \"B, b\" <b@x>,\r\n c@x\r\nSubject: a, b\r\n".to_vec()
        );
        assert_eq!(fold_address_lists(h, 78), h.to_vec());
    }

    #[test]
    fn requotes_every_subset_of_from_lines() {
        let raw = b"Subject: x\r\n\r\nFrom a\r\nb\r\n>From c\r\n";
        let got: Vec<String> = mbox_requote_variants(raw)
            .into_iter()
            .map(|(_, v)| {
                String::from_utf8(v)
                    .unwrap()
                    .split("\r\n\r\n")
                    .nth(1)
                    .unwrap()
                    .to_string()
            })
            .collect();
        assert_eq!(
            got,
            [
                ">From a\r\nb\r\n>From c\r\n",
                "From a\r\nb\r\n>>From c\r\n",
                ">From a\r\nb\r\n>>From c\r\n"
            ]
        );
    }

    #[test]
    fn crlf_repair_only_touches_bare_lf() {
        assert_eq!(crlf(b"a\nb\r\nc\n"), b"a\r\nb\r\nc\r\n".to_vec());
        assert!(has_bare_lf(b"a\r\nb\n"));
        assert!(has_bare_lf(b"\n"));
        assert!(!has_bare_lf(b""));
        // Every position, on both sides of the 64-byte steps.
        for at in 0..200 {
            let mut m = b"x\r\n".repeat(70);
            assert!(!has_bare_lf(&m));
            if m[at] != b'\n' {
                // An LF where the CR or the x was: after an x, or after LF.
                m[at] = b'\n';
                assert!(has_bare_lf(&m), "{at}");
            }
        }
        assert!(!has_bare_lf(b"a\r\nb\r\n"));
    }
}
