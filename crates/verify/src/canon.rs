//! Canonicalisation (RFC 6376 3.4): what exactly is hashed.

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Canon {
    Simple,
    Relaxed,
}

impl Canon {
    pub fn name(self) -> &'static str {
        match self {
            Canon::Simple => "simple",
            Canon::Relaxed => "relaxed",
        }
    }
}

fn is_wsp(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

/// A line relaxed canonicalisation leaves as it is: no tab, no run of
/// spaces, no trailing space. (Base64 lines have no whitespace at all, so
/// the SIMD scan answers at once.)
fn relaxed_unchanged(line: &[u8]) -> bool {
    memchr::memchr2_iter(b' ', b'\t', line)
        .all(|i| line[i] == b' ' && line.get(i + 1).is_some_and(|&n| n != b' ' && n != b'\t'))
}

/// A header field as hashed. `raw` is the field's bytes with its line end.
pub fn header(canon: Canon, raw: &[u8], out: &mut Vec<u8>) {
    match canon {
        Canon::Simple => out.extend_from_slice(raw),
        Canon::Relaxed => {
            let colon = memchr::memchr(b':', raw).unwrap_or(raw.len());
            out.extend(
                raw[..colon]
                    .trim_ascii_end()
                    .iter()
                    .map(u8::to_ascii_lowercase),
            );
            out.push(b':');
            let value = raw.get(colon + 1..).unwrap_or_default();
            let start = out.len();
            let mut pending_space = false;
            for &b in value {
                match b {
                    b'\r' | b'\n' => {}
                    b if is_wsp(b) => pending_space = true,
                    b => {
                        if pending_space && out.len() > start {
                            out.push(b' ');
                        }
                        pending_space = false;
                        out.push(b);
                    }
                }
            }
            out.extend_from_slice(b"\r\n");
        }
    }
}

const ONES: u64 = u64::from_le_bytes([1; 8]);
const HIGH: u64 = ONES << 7;

/// The length of the leading lines of `b` that relaxed canonicalisation
/// leaves as they are: complete (CRLF), not empty, no tab, no control
/// byte, every space followed by a visible byte. Eight bytes are tested
/// at once for anything at or below 0x20; only those are looked at.
fn clean_relaxed_lines(b: &[u8]) -> usize {
    let mut line_start = 0;
    let mut i = 0;
    loop {
        // The next byte <= 0x20 at or after i. (The borrow of the
        // subtraction can only flag bytes after a real one: the lowest
        // flag is exact.)
        let (words, _) = b[i..].as_chunks::<8>();
        let mut found = None;
        for (k, w) in words.iter().enumerate() {
            let v = u64::from_le_bytes(*w);
            let low = v.wrapping_sub(ONES * 0x21) & !v & HIGH;
            if low != 0 {
                found = Some(i + k * 8 + (low.trailing_zeros() / 8) as usize);
                break;
            }
        }
        let at = match found {
            Some(at) => at,
            None => match b[i + words.len() * 8..].iter().position(|&c| c <= b' ') {
                Some(p) => i + words.len() * 8 + p,
                None => return line_start,
            },
        };
        match b[at..] {
            [b' ', next, ..] if next > b' ' => i = at + 1,
            [b'\r', b'\n', ..] if at > line_start => {
                line_start = at + 2;
                i = line_start;
            }
            _ => return line_start,
        }
    }
}

/// The same for simple canonicalisation: complete, non-empty lines (a bare
/// LF is content there).
fn clean_simple_lines(b: &[u8]) -> usize {
    let mut line_start = 0;
    for i in memchr::memchr_iter(b'\n', b) {
        if i == 0 || b[i - 1] != b'\r' {
            continue;
        }
        if i - 1 == line_start {
            break;
        }
        line_start = i + 1;
    }
    line_start
}

/// Feeds the canonical body to `sink`, at most `limit` bytes (`l=`), and
/// returns how many canonical bytes the whole body has.
///
/// Most lines of real mail are already canonical (CRLF, no stray
/// whitespace): runs of them are fed as one slice of the input, so hashing
/// a 200 KB base64 attachment is a few calls, not thousands.
pub fn body(canon: Canon, body: &[u8], limit: Option<u64>, sink: &mut dyn FnMut(&[u8])) -> u64 {
    let mut total = 0u64;
    let mut emit = |chunk: &[u8], total: &mut u64| {
        let room = limit.map_or(u64::MAX, |l| l.saturating_sub(*total));
        let n = (chunk.len() as u64).min(room) as usize;
        if n > 0 {
            sink(&chunk[..n]);
        }
        *total += chunk.len() as u64;
    };
    // The pending run of input bytes that are their own canonical form.
    let mut run = 0..0;
    // Empty lines are held back until a non-empty one follows: trailing
    // empty lines are not part of the canonical body. `held_verbatim`: they
    // were all bare "\r\n", so they can join the run.
    let mut held_empty = 0usize;
    let mut held_verbatim = true;
    let mut any = false;
    let mut line_buf = Vec::new();
    let mut pos = 0;
    while pos < body.len() {
        // Whole lines that are their own canonical form, found by a scan
        // that does not stop at every line (a base64 attachment is one
        // call). Whatever it cannot vouch for is left to the line-by-line
        // walk below, which is the definition.
        if held_empty == 0 {
            let clean = match canon {
                Canon::Simple => clean_simple_lines(&body[pos..]),
                Canon::Relaxed => clean_relaxed_lines(&body[pos..]),
            };
            if clean > 0 {
                any = true;
                if run.end != pos {
                    emit(&body[run.clone()], &mut total);
                    run = pos..pos;
                }
                pos += clean;
                run.end = pos;
                continue;
            }
        }
        let line_start = pos;
        // Simple canonicalisation only treats CRLF as a line end; a bare LF
        // is content. (The CRLF repair is what turns LF files into mail.)
        let end = match canon {
            Canon::Simple => memchr::memchr_iter(b'\n', &body[pos..])
                .find(|&i| i > 0 && body[pos + i - 1] == b'\r'),
            Canon::Relaxed => memchr::memchr(b'\n', &body[pos..]),
        }
        .map_or(body.len(), |i| pos + i + 1);
        let line = &body[pos..end];
        pos = end;
        let terminated = line.ends_with(b"\n");
        let (content, eol): (&[u8], &[u8]) = match canon {
            Canon::Simple => match line.strip_suffix(b"\r\n") {
                Some(c) => (c, b"\r\n"),
                None => (line, b""),
            },
            Canon::Relaxed => {
                let c = line.strip_suffix(b"\n").unwrap_or(line);
                let c = c.strip_suffix(b"\r").unwrap_or(c);
                (c, if terminated { b"\r\n" } else { b"" })
            }
        };
        // Most lines need no change: no tab, no run of spaces, no trailing
        // space. Those are hashed as they are.
        let unchanged = canon == Canon::Simple || relaxed_unchanged(content);
        let canonical: &[u8] = if unchanged {
            content
        } else {
            line_buf.clear();
            let mut pending = false;
            for &b in content {
                if is_wsp(b) {
                    pending = true;
                } else {
                    if pending {
                        line_buf.push(b' ');
                    }
                    pending = false;
                    line_buf.push(b);
                }
            }
            &line_buf
        };
        // The line is its own canonical form: unchanged content and a CRLF
        // ending.
        let verbatim = unchanged && eol == b"\r\n" && line.len() == content.len() + 2;
        if canonical.is_empty() && !eol.is_empty() {
            if held_empty == 0 {
                held_verbatim = true;
            }
            held_empty += 1;
            held_verbatim =
                held_verbatim && line == b"\r\n" && run.end + 2 * (held_empty - 1) == line_start;
            continue;
        }
        if held_empty > 0 {
            if held_verbatim && run.end + 2 * held_empty == line_start {
                run.end = line_start;
            } else {
                emit(&body[run.clone()], &mut total);
                run = line_start..line_start;
                for _ in 0..held_empty {
                    emit(b"\r\n", &mut total);
                }
            }
        }
        held_empty = 0;
        any = true;
        if verbatim && run.end == line_start {
            run.end = pos;
            continue;
        }
        emit(&body[run.clone()], &mut total);
        if verbatim {
            run = line_start..pos;
            continue;
        }
        run = pos..pos;
        emit(canonical, &mut total);
        // A final line without a line end gets one (RFC 6376 3.4.3/3.4.4).
        emit(b"\r\n", &mut total);
    }
    emit(&body[run], &mut total);
    if !any && canon == Canon::Simple {
        // The simple canonical form of an empty body is one CRLF.
        emit(b"\r\n", &mut total);
    }
    total
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body_of(c: Canon, b: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        body(c, b, None, &mut |x| out.extend_from_slice(x));
        out
    }

    #[test]
    fn rfc_6376_examples() {
        // RFC 6376 3.4.5.
        let mut h = Vec::new();
        header(Canon::Relaxed, b"A: X\r\n", &mut h);
        header(Canon::Relaxed, b"B : Y\t\r\n\tZ  \r\n", &mut h);
        assert_eq!(h, b"a:X\r\nb:Y Z\r\n");
        let b = b" C \r\nD \t E\r\n\r\n\r\n";
        assert_eq!(body_of(Canon::Relaxed, b), b" C\r\nD E\r\n");
        assert_eq!(body_of(Canon::Simple, b), b" C \r\nD \t E\r\n");
    }

    #[test]
    fn empty_and_unterminated_bodies() {
        assert_eq!(body_of(Canon::Simple, b""), b"\r\n");
        assert_eq!(body_of(Canon::Simple, b"\r\n\r\n"), b"\r\n");
        assert_eq!(body_of(Canon::Relaxed, b""), b"");
        assert_eq!(body_of(Canon::Relaxed, b"\r\n"), b"");
        assert_eq!(body_of(Canon::Relaxed, b"x"), b"x\r\n");
        assert_eq!(body_of(Canon::Simple, b"x"), b"x\r\n");
    }

    #[test]
    fn l_limits_what_is_hashed_not_what_is_counted() {
        let mut out = Vec::new();
        let total = body(Canon::Simple, b"hello\r\nworld\r\n", Some(7), &mut |x| {
            out.extend_from_slice(x)
        });
        assert_eq!((out.as_slice(), total), (&b"hello\r\n"[..], 14));
    }

    /// RFC 6376 3.4.3/3.4.4 line by line, as plainly as it can be said:
    /// the oracle for the run-coalescing [`body`].
    fn reference(c: Canon, b: &[u8]) -> Vec<u8> {
        let sep: &[u8] = if c == Canon::Simple { b"\r\n" } else { b"\n" };
        let mut lines: Vec<(Vec<u8>, bool)> = Vec::new();
        let mut rest = b;
        while !rest.is_empty() {
            let (piece, terminated) = match rest.windows(sep.len()).position(|w| w == sep) {
                Some(i) => (&rest[..i], true),
                None => (rest, false),
            };
            rest = &rest[(piece.len() + if terminated { sep.len() } else { 0 })..];
            let line = match c {
                Canon::Simple => piece.to_vec(),
                Canon::Relaxed => {
                    let piece = piece.strip_suffix(b"\r").unwrap_or(piece);
                    let mut out = Vec::new();
                    for (i, &x) in piece.iter().enumerate() {
                        if is_wsp(x) {
                            let next = piece.get(i + 1).copied();
                            if next.is_some_and(|n| !is_wsp(n)) {
                                out.push(b' ');
                            }
                        } else {
                            out.push(x);
                        }
                    }
                    out
                }
            };
            lines.push((line, terminated));
        }
        while lines.last().is_some_and(|(l, t)| l.is_empty() && *t) {
            lines.pop();
        }
        let mut out: Vec<u8> = lines
            .iter()
            .flat_map(|(l, _)| [&l[..], b"\r\n"].concat())
            .collect();
        if out.is_empty() && c == Canon::Simple {
            out.extend_from_slice(b"\r\n");
        }
        out
    }

    /// Clean lines (base64, say) of every length, so that line ends fall
    /// at every place in and across the scan's eight-byte words, with a
    /// space or tab at the end of the last.
    #[test]
    fn clean_lines_at_every_offset() {
        for len in 1..70 {
            for tail in [&b""[..], b"x \r\n", b"x\t\r\n", b"\r\n\r\n"] {
                let mut b = [b"QUJD".repeat(len)[..len].to_vec(), b"\r\n".to_vec()]
                    .concat()
                    .repeat(5);
                b.extend_from_slice(tail);
                for c in [Canon::Simple, Canon::Relaxed] {
                    assert_eq!(body_of(c, &b), reference(c, &b), "{c:?} {len} {tail:?}");
                }
            }
        }
    }

    #[test]
    fn coalesced_runs_hash_what_the_rfc_says() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand::rngs::StdRng::seed_from_u64(6376);
        // Long enough for the eight-byte scan to meet each case inside a
        // word and across words.
        let alphabet = b"abbbbb \t\r\n\r\n\x01";
        for _ in 0..50_000 {
            let len = rng.random_range(0..40);
            let b: Vec<u8> = (0..len)
                .map(|_| alphabet[rng.random_range(0..alphabet.len())])
                .collect();
            for c in [Canon::Simple, Canon::Relaxed] {
                let want = reference(c, &b);
                assert_eq!(
                    body_of(c, &b),
                    want,
                    "{c:?} {:?}",
                    String::from_utf8_lossy(&b)
                );
                let limit = rng.random_range(0..30);
                let mut cut = Vec::new();
                let total = body(c, &b, Some(limit), &mut |x| cut.extend_from_slice(x));
                assert_eq!(total as usize, want.len());
                assert_eq!(cut, &want[..want.len().min(limit as usize)]);
            }
        }
    }
}
