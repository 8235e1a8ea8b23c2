//! A message as DKIM sees it: header fields, each with its exact bytes, and
//! the body.
//!
//! Nothing is normalised here: simple canonicalisation hashes the bytes as
//! they are, so a message stored with bare LF keeps them (and fails, until
//! the CRLF repair is tried). Lines end at `\n`, with or without `\r`.

/// One header field: its name and its raw bytes, continuation lines and
/// final line end included.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Field<'a> {
    pub name: &'a [u8],
    pub raw: &'a [u8],
}

impl Field<'_> {
    /// The value: after the colon, as raw bytes (folding kept).
    pub fn value(&self) -> &[u8] {
        let colon = memchr::memchr(b':', self.raw).unwrap_or(self.raw.len());
        self.raw.get(colon + 1..).unwrap_or_default()
    }

    pub fn is(&self, name: &str) -> bool {
        self.name.eq_ignore_ascii_case(name.as_bytes())
    }

    /// The value unfolded and trimmed, as text (lossy).
    pub fn text(&self) -> String {
        // Line ends removed (CRLF, then any bare LF), in one string.
        let mut out = String::with_capacity(self.value().len());
        for line in lossy(self.value()).split('\n') {
            out.push_str(line.strip_suffix('\r').unwrap_or(line));
        }
        out.truncate(out.trim_end().len());
        out.drain(..out.len() - out.trim_start().len());
        out
    }
}

/// Bytes as text, invalid UTF-8 replaced. Header values are nearly always
/// ASCII: `str::from_utf8` checks that a word at a time, where
/// `String::from_utf8_lossy` walks every byte.
pub fn lossy(bytes: &[u8]) -> std::borrow::Cow<'_, str> {
    match std::str::from_utf8(bytes) {
        Ok(text) => std::borrow::Cow::Borrowed(text),
        Err(_) => String::from_utf8_lossy(bytes),
    }
}

/// The header fields a reader is shown: a copy that a signature does not
/// cover is unsigned content presented as signed.
pub const DISPLAYED: [&str; 7] = ["From", "Subject", "To", "Cc", "Date", "Reply-To", "Sender"];

#[derive(Clone, Debug)]
pub struct Message<'a> {
    pub fields: Vec<Field<'a>>,
    pub body: &'a [u8],
    /// Lines before the body that are not header fields (a From_ line, a
    /// malformed line): they are in no signature's hash.
    pub stray: Vec<&'a [u8]>,
    /// How many fields of each [`DISPLAYED`] name there are, counted once
    /// (every signature is checked against them).
    pub displayed: [usize; DISPLAYED.len()],
}

impl<'a> Message<'a> {
    pub fn parse(raw: &'a [u8]) -> Message<'a> {
        let mut fields: Vec<Field<'a>> = Vec::new();
        let mut stray = Vec::new();
        let mut pos = 0;
        let mut body_start = raw.len();
        while pos < raw.len() {
            let end = memchr::memchr(b'\n', &raw[pos..]).map_or(raw.len(), |i| pos + i + 1);
            let line = &raw[pos..end];
            let content = line.strip_suffix(b"\n").unwrap_or(line);
            let content = content.strip_suffix(b"\r").unwrap_or(content);
            if content.is_empty() {
                body_start = end;
                break;
            }
            if (line[0] == b' ' || line[0] == b'\t') && !fields.is_empty() {
                // A continuation: extend the previous field.
                if let Some(last) = fields.last_mut() {
                    let start = last.raw.as_ptr() as usize - raw.as_ptr() as usize;
                    last.raw = &raw[start..end];
                }
            } else {
                match content.iter().position(|b| *b == b':') {
                    Some(colon)
                        if colon > 0 && content[..colon].iter().all(|b| b.is_ascii_graphic()) =>
                    {
                        fields.push(Field {
                            name: &content[..colon],
                            raw: line,
                        })
                    }
                    // Some writers put spaces before the colon.
                    Some(colon)
                        if colon > 0
                            && content[..colon]
                                .trim_ascii_end()
                                .iter()
                                .all(|b| b.is_ascii_graphic()) =>
                    {
                        fields.push(Field {
                            name: content[..colon].trim_ascii_end(),
                            raw: line,
                        })
                    }
                    _ => stray.push(line),
                }
            }
            pos = end;
        }
        let mut displayed = [0; DISPLAYED.len()];
        for f in &fields {
            if let Some(i) = DISPLAYED.iter().position(|name| f.is(name)) {
                displayed[i] += 1;
            }
        }
        Message {
            fields,
            body: &raw[body_start.min(raw.len())..],
            stray,
            displayed,
        }
    }

    /// Fields named `name`, top to bottom.
    pub fn all(&self, name: &str) -> impl Iterator<Item = &Field<'a>> {
        self.fields.iter().filter(move |f| f.is(name))
    }

    pub fn first_text(&self, name: &str) -> Option<String> {
        self.all(name).next().map(Field::text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_exact_bytes_of_folded_fields() {
        let raw = b"From: a@b\r\nSubject: one\r\n two\r\nX : y\r\n\r\nbody\r\n";
        let m = Message::parse(raw);
        assert_eq!(m.fields.len(), 3);
        assert_eq!(m.fields[1].raw, b"Subject: one\r\n two\r\n");
        assert_eq!(m.fields[1].text(), "one two");
        // Line ends go, whatever their kind; a lone CR is content.
        let odd = Message::parse(b"S: \t a\r\r\n b\n c \r\n\r\n");
        assert_eq!(odd.fields[0].text(), "a\r b c");
        assert_eq!(m.fields[2].name, b"X");
        assert_eq!(m.body, b"body\r\n");
        let lf = Message::parse(b"From: a\n\nx\n");
        assert_eq!((lf.fields.len(), lf.body), (1, &b"x\n"[..]));
        assert_eq!(Message::parse(b"From: a\r\n").body, b"");
    }
}
