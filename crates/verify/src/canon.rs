//! Canonicalisation (RFC 6376 3.4): what exactly is hashed.

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
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

/// A header field as hashed. `raw` is the field's bytes with its line end.
pub fn header(canon: Canon, raw: &[u8], out: &mut Vec<u8>) {
    match canon {
        Canon::Simple => out.extend_from_slice(raw),
        Canon::Relaxed => {
            let colon = raw.iter().position(|b| *b == b':').unwrap_or(raw.len());
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

/// Feeds the canonical body to `sink`, at most `limit` bytes (`l=`), and
/// returns how many canonical bytes the whole body has.
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
    // Empty lines are held back until a non-empty one follows: trailing
    // empty lines are not part of the canonical body.
    let mut held_empty = 0usize;
    let mut any = false;
    let mut line_buf = Vec::new();
    let mut pos = 0;
    while pos < body.len() {
        let end = memchr::memchr(b'\n', &body[pos..]).map_or(body.len(), |i| pos + i + 1);
        let line = &body[pos..end];
        pos = end;
        let terminated = line.ends_with(b"\n");
        // Simple canonicalisation only treats CRLF as a line end; a bare LF
        // is content. (The CRLF repair is what turns LF files into mail.)
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
        let canonical: &[u8] = match canon {
            Canon::Simple => content,
            // Most lines need no change: no tab, no run of spaces, no
            // trailing space. Hash those as they are.
            Canon::Relaxed
                if !content.contains(&b'\t')
                    && !content.ends_with(b" ")
                    && !content.windows(2).any(|w| w == b"  ") =>
            {
                content
            }
            Canon::Relaxed => {
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
            }
        };
        if canonical.is_empty() && !eol.is_empty() {
            held_empty += 1;
            continue;
        }
        for _ in 0..held_empty {
            emit(b"\r\n", &mut total);
        }
        held_empty = 0;
        any = true;
        emit(canonical, &mut total);
        // A final line without a line end gets one (RFC 6376 3.4.3/3.4.4);
        // a bare LF inside a simple body is content, not a line end.
        if !eol.is_empty() || pos == body.len() {
            emit(b"\r\n", &mut total);
        }
    }
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
}
