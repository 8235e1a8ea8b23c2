//! Streaming mailbox splitter: mboxo, mboxrd, mboxcl, mboxcl2 and MMDF, with
//! LF or CRLF line ends.
//!
//! A mailbox may be tens of gigabytes, so it is read line by line and only
//! one message is held in memory at a time (and never more than the message
//! size limit).
//!
//! Where the entry ends follows the labels' convention (and what mutt,
//! Dovecot and Python's `mailbox` agree on): an entry is the bytes after the
//! `From ` line up to the next separator, minus the one blank line that ends
//! it. A `From ` line only separates when it follows a blank line (or starts
//! the file), or when it carries an asctime date; otherwise it is body text
//! an mboxo writer failed to quote.
//!
//! `Content-Length` (mboxcl/mboxcl2) is trusted only when it is confirmed: a
//! separator inside the counted body is kept as body only if the count lands
//! exactly on the entry's end. A lying count can therefore never swallow
//! other messages.
//!
//! `>From ` un-quoting (mboxrd, and mboxo where it is unambiguous enough) is
//! done here because the mbox format defines the message that way; the
//! number of lines un-quoted is reported with the entry so that verification
//! can name this as a reader transformation.

use std::io::{self, BufRead};

use memchr::memchr;

/// One message cut out of a mailbox.
#[derive(Debug)]
pub struct Entry {
    /// Position in the mailbox, from 0, counting entries that failed.
    pub index: u64,
    /// Byte offset of the entry's first byte in the mailbox stream.
    pub offset: u64,
    /// Length of the entry in the mailbox stream (before un-quoting).
    pub raw_len: u64,
    /// The message, `>From ` un-quoted.
    pub bytes: Vec<u8>,
    /// How many `>From ` lines were un-quoted.
    pub unquoted: u32,
    /// The entry's Content-Length header decided where it ended.
    pub used_content_length: bool,
}

/// An entry that could not be read out whole.
#[derive(Debug)]
pub struct TooLarge {
    pub index: u64,
    pub offset: u64,
    pub seen: u64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Style {
    /// `From ` separator lines (all mbox flavours).
    From,
    /// MMDF: `^A^A^A^A` lines around each message.
    Mmdf,
}

/// Split `r` into entries, calling `on` for each in order. Returns the number
/// of bytes read. I/O errors end the split (entries already passed on stand).
pub fn split<R: BufRead>(
    r: R,
    style: Style,
    max_message: u64,
    mut on: impl FnMut(Result<Entry, TooLarge>),
) -> io::Result<u64> {
    let mut s = Splitter {
        // MMDF needs no `From ` quoting, so a `>From ` there is the author's.
        unquote: style == Style::From,
        r,
        pos: 0,
        next_index: 0,
        max: max_message as usize,
        cur: None,
        scratch: Vec::new(),
    };
    s.run(style, &mut on)?;
    Ok(s.pos)
}

struct Current {
    offset: u64,
    buf: Vec<u8>,
    /// Bytes of the entry dropped because it grew past the limit.
    overflow: u64,
    /// Offset in `buf` where the body starts, once the header has ended.
    body_start: Option<usize>,
    content_length: Option<u64>,
    /// Offsets in `buf` of separator lines kept as body on the word of
    /// Content-Length (each preceded there by the blank line).
    held: Vec<usize>,
}

struct Splitter<R> {
    unquote: bool,
    r: R,
    pos: u64,
    next_index: u64,
    max: usize,
    cur: Option<Current>,
    scratch: Vec<u8>,
}

impl<R: BufRead> Splitter<R> {
    fn run(&mut self, style: Style, on: &mut dyn FnMut(Result<Entry, TooLarge>)) -> io::Result<()> {
        let mut prev_blank = true;
        loop {
            let line_start = self.pos;
            // Read the next line into the current entry (or scratch when there
            // is none or it is over the limit).
            let into_scratch = match &self.cur {
                None => true,
                Some(c) => c.overflow > 0 || c.buf.len() >= self.max,
            };
            let (n, line) = if into_scratch {
                self.scratch.clear();
                let n = read_line(&mut self.r, &mut self.scratch, self.max.max(4096))?;
                (n, None)
            } else {
                let c = self.cur.as_mut().expect("checked above");
                let at = c.buf.len();
                let n = read_line(&mut self.r, &mut c.buf, self.max)?;
                (n, Some(at))
            };
            if n == 0 {
                break;
            }
            self.pos += n as u64;
            let bytes: &[u8] = match line {
                Some(at) => &self.cur.as_ref().expect("line read into it").buf[at..],
                None => &self.scratch,
            };
            let is_sep = match style {
                Style::From => {
                    bytes.starts_with(b"From ") && (prev_blank || looks_like_from_line(bytes))
                }
                Style::Mmdf => trim_eol(bytes) == b"\x01\x01\x01\x01",
            };
            let blank = trim_eol(bytes).is_empty();
            if is_sep && style == Style::From && self.holds_as_body(line) {
                // Content-Length says this separator is inside the body.
                let c = self.cur.as_mut().expect("holds_as_body needs an entry");
                if let Some(at) = line {
                    c.held.push(at);
                }
            } else if is_sep {
                let open = self.cur.is_some();
                if let Some(at) = line {
                    // The separator is not part of the entry it ended.
                    self.cur
                        .as_mut()
                        .expect("line read into it")
                        .buf
                        .truncate(at);
                }
                self.finish(on);
                // A `From ` line ends one entry and opens the next; MMDF
                // separators alternate: one closes, the next opens.
                if style == Style::From || !open {
                    self.cur = Some(Current::new(self.pos));
                }
            } else {
                match (&mut self.cur, line) {
                    (Some(c), Some(_)) => c.note_line(),
                    (Some(c), None) => c.overflow += n as u64,
                    (None, None) => {
                        // Bytes outside any entry: only blank lines are
                        // expected; anything else becomes an entry of its own
                        // so that nothing is lost.
                        if !blank {
                            let mut c = Current::new(line_start);
                            c.buf.extend_from_slice(&self.scratch);
                            c.note_line();
                            self.cur = Some(c);
                        }
                    }
                    (None, Some(_)) => {
                        unreachable!("a line is only read into an entry that exists")
                    }
                }
            }
            prev_blank = blank;
        }
        self.finish(on);
        Ok(())
    }

    fn holds_as_body(&self, line: Option<usize>) -> bool {
        let (Some(c), Some(at)) = (&self.cur, line) else {
            return false;
        };
        match (c.body_start, c.content_length) {
            // The blank line before the separator belongs to the mbox, so the
            // body so far is `at - body_start - eol`; anything short of the
            // count means the separator is inside the counted body.
            (Some(start), Some(cl)) => ((at - start) as u64) < cl,
            _ => false,
        }
    }

    fn finish(&mut self, on: &mut dyn FnMut(Result<Entry, TooLarge>)) {
        let Some(c) = self.cur.take() else {
            return;
        };
        if c.overflow > 0 {
            let index = self.next_index;
            self.next_index += 1;
            on(Err(TooLarge {
                index,
                offset: c.offset,
                seen: c.buf.len() as u64 + c.overflow,
            }));
            return;
        }
        let mut buf = c.buf;
        strip_blank_line(&mut buf);
        let confirmed = match (c.body_start, c.content_length) {
            (Some(start), Some(cl)) => buf.len().saturating_sub(start) as u64 == cl,
            _ => false,
        };
        if c.held.is_empty() || confirmed {
            let used = !c.held.is_empty();
            self.emit(c.offset, buf, !used, used, on);
            return;
        }
        // The count did not hold: split at every held separator after all.
        let mut starts = vec![0];
        starts.extend(c.held);
        for (i, &start) in starts.iter().enumerate() {
            let last = i + 1 == starts.len();
            let end = if last { buf.len() } else { starts[i + 1] };
            let mut from = start;
            if i > 0 {
                // Skip the separator line that opened this part.
                from += memchr(b'\n', &buf[start..end]).map_or(end - start, |j| j + 1);
            }
            let mut part = buf[from..end].to_vec();
            if !last {
                strip_blank_line(&mut part);
            }
            self.emit(c.offset + from as u64, part, true, false, on);
        }
    }

    fn emit(
        &mut self,
        offset: u64,
        raw: Vec<u8>,
        unquote: bool,
        used_content_length: bool,
        on: &mut dyn FnMut(Result<Entry, TooLarge>),
    ) {
        let raw_len = raw.len() as u64;
        let (bytes, unquoted) = if unquote && self.unquote {
            unquote_from(raw)
        } else {
            (raw, 0)
        };
        let index = self.next_index;
        self.next_index += 1;
        on(Ok(Entry {
            index,
            offset,
            raw_len,
            bytes,
            unquoted,
            used_content_length,
        }));
    }
}

impl Current {
    fn new(offset: u64) -> Self {
        Current {
            offset,
            buf: Vec::new(),
            overflow: 0,
            body_start: None,
            content_length: None,
            held: Vec::new(),
        }
    }

    /// Called after each line appended to `buf`: finds the end of the header
    /// and its Content-Length.
    fn note_line(&mut self) {
        if self.body_start.is_some() {
            return;
        }
        let end = self.buf.len();
        let start = self.buf[..end.saturating_sub(1)]
            .iter()
            .rposition(|b| *b == b'\n')
            .map_or(0, |i| i + 1);
        let line = &self.buf[start..end];
        if trim_eol(line).is_empty() {
            self.body_start = Some(end);
        } else if line.len() > 15 && line[..15].eq_ignore_ascii_case(b"content-length:") {
            self.content_length = std::str::from_utf8(trim_eol(&line[15..]))
                .ok()
                .and_then(|v| v.trim().parse().ok());
        }
    }
}

/// Read one line (through `\n`) into `out`, but never more than `cap` bytes;
/// a longer line is returned in pieces. Returns bytes read (0 at the end).
fn read_line<R: BufRead>(r: &mut R, out: &mut Vec<u8>, cap: usize) -> io::Result<usize> {
    let mut total = 0usize;
    loop {
        let (done, used) = {
            let avail = match r.fill_buf() {
                Ok(b) => b,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if avail.is_empty() {
                return Ok(total);
            }
            let room = cap.saturating_sub(total).max(1);
            let window = &avail[..avail.len().min(room)];
            match memchr(b'\n', window) {
                Some(i) => {
                    out.extend_from_slice(&window[..=i]);
                    (true, i + 1)
                }
                None => {
                    out.extend_from_slice(window);
                    (window.len() == room, window.len())
                }
            }
        };
        r.consume(used);
        total += used;
        if done {
            return Ok(total);
        }
    }
}

fn trim_eol(line: &[u8]) -> &[u8] {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    line.strip_suffix(b"\r").unwrap_or(line)
}

/// Remove the one blank line that ends an mbox entry, if there is one.
fn strip_blank_line(buf: &mut Vec<u8>) {
    if buf.ends_with(b"\r\n\r\n") {
        buf.truncate(buf.len() - 2);
    } else if buf.ends_with(b"\n\n") {
        buf.truncate(buf.len() - 1);
    } else if buf == b"\r\n" || buf == b"\n" {
        buf.clear();
    }
}

/// `From sender Www Mmm dd hh:mm:ss yyyy`: a time and a year after the sender.
fn looks_like_from_line(line: &[u8]) -> bool {
    let text = String::from_utf8_lossy(trim_eol(line));
    let tokens: Vec<&str> = text.split_whitespace().collect();
    tokens.len() >= 6
        && tokens.iter().any(|t| {
            let p: Vec<&str> = t.split(':').collect();
            (p.len() == 2 || p.len() == 3)
                && p.iter()
                    .all(|x| !x.is_empty() && x.bytes().all(|b| b.is_ascii_digit()))
        })
        && tokens
            .iter()
            .any(|t| t.len() == 4 && t.bytes().all(|b| b.is_ascii_digit()))
}

/// Un-quote `>From ` lines: `^>+From ` loses one `>`.
fn unquote_from(raw: Vec<u8>) -> (Vec<u8>, u32) {
    let quoted = |line: &[u8]| {
        let gt = line.iter().take_while(|b| **b == b'>').count();
        gt > 0 && line[gt..].starts_with(b"From ")
    };
    if !raw.split(|b| *b == b'\n').any(quoted) {
        return (raw, 0);
    }
    let mut out = Vec::with_capacity(raw.len());
    let mut n = 0u32;
    let mut first = true;
    for line in raw.split(|b| *b == b'\n') {
        if !first {
            out.push(b'\n');
        }
        first = false;
        if quoted(line) {
            out.extend_from_slice(&line[1..]);
            n += 1;
        } else {
            out.extend_from_slice(line);
        }
    }
    (out, n)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entries(input: &[u8], style: Style, max: u64) -> Vec<Result<(u64, String, u32), u64>> {
        let mut out = Vec::new();
        split(input, style, max, |e| {
            out.push(match e {
                Ok(e) => Ok((
                    e.offset,
                    String::from_utf8_lossy(&e.bytes).into_owned(),
                    e.unquoted,
                )),
                Err(t) => Err(t.index),
            })
        })
        .unwrap();
        out
    }

    #[test]
    fn splits_as_the_labels_define_entries() {
        type Want<'a> = &'a [Result<(u64, &'a str, u32), u64>];
        let table: &[(&str, &[u8], Want)] = &[
            ("two LF entries", b"From a Mon Jan  4 10:00:00 2016\nA: 1\n\nx\n\nFrom b Mon Jan  4 10:00:00 2016\nB: 2\n\ny\n\n", &[Ok((32, "A: 1\n\nx\n", 0)), Ok((73, "B: 2\n\ny\n", 0))]),
            ("CRLF, last entry without blank line", b"From a x\r\nA: 1\r\n\r\nx\r\n\r\nFrom b x\r\nB: 2\r\n\r\ny\r\n", &[Ok((10, "A: 1\r\n\r\nx\r\n", 0)), Ok((33, "B: 2\r\n\r\ny\r\n", 0))]),
            ("mboxrd un-quoting", b"From a x\nA: 1\n\n>From here\n>>From there\n> From not\n\n", &[Ok((9, "A: 1\n\nFrom here\n>From there\n> From not\n", 2))]),
            // An unquoted From line without a blank line before it and no date is body text.
            ("unquoted From in body", b"From a x\nA: 1\n\nline\nFrom me to you\n\n", &[Ok((9, "A: 1\n\nline\nFrom me to you\n", 0))]),
            ("lying Content-Length does not swallow the next message", b"From a x\nContent-Length: 9999\n\nbody\n\nFrom b x\nB: 2\n\ny\n\n", &[Ok((9, "Content-Length: 9999\n\nbody\n", 0)), Ok((46, "B: 2\n\ny\n", 0))]),
            ("oversize entries are reported and counted", b"From a x\nA: 1\n\n0123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789\n\nFrom b x\nB: 2\n\ny\n\n", &[Err(0), Ok((126, "B: 2\n\ny\n", 0))]),
        ];
        for (what, input, want) in table {
            let got = entries(input, Style::From, 80);
            let want: Vec<Result<(u64, String, u32), u64>> = want
                .iter()
                .map(|w| w.map(|(o, s, n)| (o, s.to_string(), n)))
                .collect();
            assert_eq!(got, want, "{what}");
        }
    }
}
