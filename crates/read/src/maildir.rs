//! Maildir and Maildir++ conventions: folder names and info flags, read from
//! the path alone (the files themselves are ordinary messages).

/// The folder and flags a Maildir path implies, if it is in one:
/// `user/.Archives.2016/cur/123.host:2,RS` is folder `Archives/2016`, flags
/// `RS`; `user/cur/...` is the `INBOX`.
pub fn folder_and_flags(path: &str) -> (Option<String>, Option<String>) {
    let parts: Vec<&str> = path.split(['/', '!']).collect();
    let n = parts.len();
    if n < 2 || !matches!(parts[n - 2], "cur" | "new" | "tmp") {
        return (None, None);
    }
    let file = parts[n - 1];
    let flags = file
        .rsplit_once(":2,")
        .or_else(|| file.rsplit_once("!2,"))
        .map(|(_, f)| f.to_string());
    let folder = match n.checked_sub(3).map(|i| parts[i]) {
        Some(dir) if dir.starts_with('.') && dir.len() > 1 => {
            decode_modified_utf7(&dir[1..]).replace('.', "/")
        }
        _ => "INBOX".to_string(),
    };
    (Some(folder), flags)
}

/// Decode IMAP modified UTF-7 (RFC 3501 5.1.3), as Maildir++ folder names
/// are written. Malformed input is kept as it is rather than rejected: the
/// name is for display, the raw path stays the provenance.
pub fn decode_modified_utf7(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        let after = &rest[amp + 1..];
        let Some(dash) = after.find('-') else {
            out.push_str(&rest[amp..]);
            return out;
        };
        let b64 = &after[..dash];
        if b64.is_empty() {
            out.push('&');
        } else {
            match decode_utf16_b64(b64) {
                Some(text) => out.push_str(&text),
                None => out.push_str(&rest[amp..amp + 2 + dash]),
            }
        }
        rest = &after[dash + 1..];
    }
    out.push_str(rest);
    out
}

fn decode_utf16_b64(b64: &str) -> Option<String> {
    let mut bits = 0u32;
    let mut nbits = 0;
    let mut bytes = Vec::new();
    for c in b64.bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b',' => 63,
            _ => return None,
        };
        bits = (bits << 6) | u32::from(v);
        nbits += 6;
        if nbits >= 8 {
            nbits -= 8;
            bytes.push((bits >> nbits) as u8);
            bits &= (1 << nbits) - 1;
        }
    }
    let units: Vec<u16> = bytes
        .chunks_exact(2)
        .map(|p| u16::from_be_bytes([p[0], p[1]]))
        .collect();
    String::from_utf16(&units).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_folder_names() {
        let table = [
            ("Tr&AOk-sorerie", "Trésorerie"),
            ("Bo&AO4-te de r&AOk-ception", "Boîte de réception"),
            ("A&-B", "A&B"),
            ("&ZeVnLIqe-", "日本語"),
            ("broken&AOk", "broken&AOk"),
            ("plain", "plain"),
        ];
        for (raw, want) in table {
            assert_eq!(decode_modified_utf7(raw), want, "{raw}");
        }
    }

    #[test]
    fn reads_folder_and_flags_from_the_path() {
        assert_eq!(
            folder_and_flags("m/u/.Tr&AOk-sorerie/cur/1.M2.host,S=3:2,RS"),
            (Some("Trésorerie".into()), Some("RS".into()))
        );
        assert_eq!(
            folder_and_flags("a.tar.gz!u/Maildir/new/1.host"),
            (Some("INBOX".into()), None)
        );
        assert_eq!(
            folder_and_flags("u/.Archives.2016/cur/1:2,"),
            (Some("Archives/2016".into()), Some(String::new()))
        );
        assert_eq!(folder_and_flags("eml/x.eml"), (None, None));
    }
}
