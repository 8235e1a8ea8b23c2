//! Content detection: what a file or member *is*, from its first bytes.
//!
//! Dumps lie about names (`.eml` files that are mboxes, Maildir files with no
//! extension, archives renamed `.dat`), so the kind is decided by content.
//! The name is only a tie-breaker where content cannot tell (a header-less
//! text file named `.eml` earns a warning rather than silence).

/// How many leading bytes detection looks at.
pub const SNIFF_LEN: usize = 16 * 1024;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// One RFC 5322 message.
    Message,
    /// Apple Mail `.emlx`: a byte count line, the message, then a plist.
    Emlx,
    /// A mailbox of `From `-separated messages (mboxo, mboxrd, mboxcl, mboxcl2).
    Mbox,
    /// MMDF mailbox: messages between `^A^A^A^A` lines.
    Mmdf,
    Zip,
    Tar,
    SevenZ,
    Gzip,
    Bzip2,
    Xz,
    Zstd,
    /// OLE compound file: an Outlook `.msg` (or another Office document).
    Ole,
    /// Outlook personal folders file.
    Pst,
    Empty,
    /// Anything else: recorded for custody, not read further.
    Other,
}

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::Message => "message",
            Kind::Emlx => "emlx",
            Kind::Mbox => "mbox",
            Kind::Mmdf => "mmdf",
            Kind::Zip => "zip",
            Kind::Tar => "tar",
            Kind::SevenZ => "7z",
            Kind::Gzip => "gzip",
            Kind::Bzip2 => "bzip2",
            Kind::Xz => "xz",
            Kind::Zstd => "zstd",
            Kind::Ole => "ole",
            Kind::Pst => "pst",
            Kind::Empty => "empty",
            Kind::Other => "other",
        }
    }

    /// Single-stream compression, read through transparently.
    pub fn is_compression(self) -> bool {
        matches!(self, Kind::Gzip | Kind::Bzip2 | Kind::Xz | Kind::Zstd)
    }
}

/// Decide what `head` (the first bytes of a file or member) is.
pub fn sniff(head: &[u8]) -> Kind {
    if head.is_empty() {
        return Kind::Empty;
    }
    const MAGICS: &[(&[u8], Kind)] = &[
        (b"PK\x03\x04", Kind::Zip),
        (b"PK\x05\x06", Kind::Zip),
        (b"PK\x07\x08", Kind::Zip),
        (b"\x37\x7a\xbc\xaf\x27\x1c", Kind::SevenZ),
        (b"\x1f\x8b", Kind::Gzip),
        (b"BZh", Kind::Bzip2),
        (b"\xfd7zXZ\x00", Kind::Xz),
        (b"\x28\xb5\x2f\xfd", Kind::Zstd),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", Kind::Ole),
        (b"!BDN", Kind::Pst),
        (b"\x01\x01\x01\x01\n", Kind::Mmdf),
        (b"\x01\x01\x01\x01\r\n", Kind::Mmdf),
    ];
    for (magic, kind) in MAGICS {
        if head.starts_with(magic) {
            return *kind;
        }
    }
    if is_tar(head) {
        return Kind::Tar;
    }
    let text = strip_bom(head);
    if text.starts_with(b"From ") {
        return Kind::Mbox;
    }
    if is_emlx(text) {
        return Kind::Emlx;
    }
    if looks_like_header_block(text) {
        return Kind::Message;
    }
    Kind::Other
}

fn strip_bom(b: &[u8]) -> &[u8] {
    b.strip_prefix(b"\xef\xbb\xbf").unwrap_or(b)
}

/// A tar header block: `ustar` magic, or (old V7 archives) a valid checksum.
fn is_tar(head: &[u8]) -> bool {
    if head.len() < 512 {
        return false;
    }
    if &head[257..262] == b"ustar" {
        return true;
    }
    // V7 tar: the checksum field (octal, at 148..156) equals the sum of the
    // header bytes with that field counted as spaces.
    let field = &head[148..156];
    let digits: Vec<u8> = field
        .iter()
        .copied()
        .skip_while(|b| *b == b' ')
        .take_while(|b| (b'0'..=b'7').contains(b))
        .collect();
    if digits.is_empty() || head[0] == 0 {
        return false;
    }
    let Some(stored) = std::str::from_utf8(&digits)
        .ok()
        .and_then(|s| u32::from_str_radix(s, 8).ok())
    else {
        return false;
    };
    let sum: u32 = head[..512]
        .iter()
        .enumerate()
        .map(|(i, b)| {
            if (148..156).contains(&i) {
                32
            } else {
                u32::from(*b)
            }
        })
        .sum();
    sum == stored
}

fn is_emlx(text: &[u8]) -> bool {
    let Some(nl) = text.iter().position(|b| *b == b'\n') else {
        return false;
    };
    let first = text[..nl].strip_suffix(b"\r").unwrap_or(&text[..nl]);
    !first.is_empty()
        && first.len() <= 12
        && first.iter().all(|b| b.is_ascii_digit() || *b == b' ')
        && looks_like_header_block(&text[nl + 1..])
}

/// Header field names that real mail carries near the top. One of them must
/// appear among well-formed fields for a text to count as a message, so that a
/// text that merely starts with `Note: ...` is not taken for mail.
const MAIL_FIELDS: &[&str] = &[
    "from",
    "to",
    "date",
    "subject",
    "message-id",
    "received",
    "return-path",
    "delivered-to",
    "mime-version",
    "content-type",
    "dkim-signature",
    "arc-seal",
    "x-mailer",
    "sender",
    "reply-to",
    "cc",
    "in-reply-to",
    "references",
    "authentication-results",
];

/// Does `text` start with an RFC 5322 header block? Every line up to the
/// first blank line (or the end of the sniffed bytes) must be a field
/// (`name: value`) or a folded continuation, and a mail field must be among
/// them.
pub fn looks_like_header_block(text: &[u8]) -> bool {
    let mut fields = 0usize;
    let mut mail_field = false;
    let mut lines = text.split(|b| *b == b'\n').peekable();
    let mut first = true;
    while let Some(line) = lines.next() {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let is_last = lines.peek().is_none();
        if line.is_empty() {
            break;
        }
        if line[0] == b' ' || line[0] == b'\t' {
            if first {
                return false;
            }
            continue;
        }
        first = false;
        match line.iter().position(|b| *b == b':') {
            Some(colon)
                if colon > 0
                    && line[..colon]
                        .iter()
                        .all(|b| b.is_ascii_graphic() && *b != b':') =>
            {
                fields += 1;
                let name = String::from_utf8_lossy(&line[..colon]).to_ascii_lowercase();
                if MAIL_FIELDS.contains(&name.trim_end()) {
                    mail_field = true;
                }
            }
            // The sniffed bytes may end in the middle of a line.
            _ if is_last => break,
            _ => return false,
        }
    }
    fields >= 1 && mail_field
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_by_content_not_name() {
        let table: &[(&[u8], Kind)] = &[
            (b"", Kind::Empty),
            (b"PK\x03\x04rest", Kind::Zip),
            (b"\x1f\x8b\x08\x00", Kind::Gzip),
            (
                b"From a@b Thu Jan  1 00:00:00 2016\nFrom: a@b\n\nhi\n",
                Kind::Mbox,
            ),
            (
                b"Return-Path: <a@b>\r\nReceived: from x\r\n\tby y\r\nSubject: hi\r\n\r\nbody",
                Kind::Message,
            ),
            (b"X-Foo: 1\nSubject: hi\n\nbody\n", Kind::Message),
            (b"Note: this is a memo\n\nnot mail", Kind::Other),
            (b"Dear all,\nplease find...", Kind::Other),
            (b"1234\nFrom: a@b\nSubject: x\n\nbody", Kind::Emlx),
            (b"\x01\x01\x01\x01\nFrom: a@b\n", Kind::Mmdf),
            (b"!BDN\x00", Kind::Pst),
            (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", Kind::Ole),
            (b"\xef\xbb\xbfFrom: a@b\nTo: c@d\n\nx", Kind::Message),
            (b"dovecot-uidvalidity\n", Kind::Other),
        ];
        for (input, want) in table {
            assert_eq!(sniff(input), *want, "{:?}", String::from_utf8_lossy(input));
        }
    }

    #[test]
    fn detects_tar_with_and_without_magic() {
        let mut h = vec![0u8; 512];
        h[..5].copy_from_slice(b"a.eml");
        h[257..262].copy_from_slice(b"ustar");
        assert_eq!(sniff(&h), Kind::Tar);
        // V7: no magic, checksum only.
        let mut v7 = vec![0u8; 512];
        v7[..5].copy_from_slice(b"a.eml");
        let sum: u32 = v7.iter().map(|b| u32::from(*b)).sum::<u32>() + 8 * 32;
        let field = format!("{sum:06o}\0 ");
        v7[148..156].copy_from_slice(field.as_bytes());
        assert_eq!(sniff(&v7), Kind::Tar);
    }
}
