//! Outlook formats, converted to RFC 5322 so the rest of tamis sees mail.
//!
//! A `.msg` or `.pst` item is not the message that crossed the wire: Outlook
//! kept the transport headers and re-encoded the body. The conversion keeps
//! every transport header field as Outlook stored it, rebuilds the MIME body
//! from the stored parts, and the occurrence is marked converted: no
//! signature can hold on these bytes, and verification says so.
//!
//! `.pst` files are read by Debian's `readpst` (pst-utils) as a subprocess:
//! no Rust crate reads the whole of the format's variants as well, and a
//! crash in it costs one file, not the run.

use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;

/// Header fields that describe the original MIME structure, which the
/// conversion replaces.
const MIME_FIELDS: &[&str] = &[
    "content-type",
    "content-transfer-encoding",
    "mime-version",
    "content-disposition",
];

pub fn msg_to_rfc5322(bytes: &[u8]) -> Result<Vec<u8>, String> {
    let o = msg_parser::Outlook::from_slice(bytes).map_err(|e| e.to_string())?;
    let mut out = String::new();
    let mut seen: Vec<String> = Vec::new();
    for field in unfolded_fields(&o.headers.raw) {
        let name = field
            .split(':')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        if name.is_empty() || MIME_FIELDS.contains(&name.as_str()) {
            continue;
        }
        seen.push(name);
        for (i, line) in field.lines().enumerate() {
            if i > 0 && !line.starts_with([' ', '\t']) {
                out.push(' ');
            }
            out.push_str(line);
            out.push_str("\r\n");
        }
    }
    let has = |n: &str| seen.iter().any(|s| s == n);
    let person = |p: &msg_parser::Person| {
        if p.name.is_empty() || p.name == p.email {
            p.email.clone()
        } else {
            format!("{} <{}>", encode_word(&p.name), p.email)
        }
    };
    if !has("from") && !o.sender.email.is_empty() {
        let _ = write!(out, "From: {}\r\n", person(&o.sender));
    }
    for (name, list) in [("to", &o.to), ("cc", &o.cc)] {
        if !has(name) && !list.is_empty() {
            let joined: Vec<String> = list.iter().map(person).collect();
            let label = if name == "to" { "To" } else { "Cc" };
            let _ = write!(out, "{label}: {}\r\n", joined.join(", "));
        }
    }
    if !has("subject") && !o.subject.is_empty() {
        let _ = write!(out, "Subject: {}\r\n", encode_word(&o.subject));
    }
    if !has("date") && !o.client_submit_time.is_empty() {
        let _ = write!(out, "X-Outlook-Submit-Time: {}\r\n", o.client_submit_time);
    }
    out.push_str("MIME-Version: 1.0\r\n");
    let boundary = |tag: &str| format!("=_tamis_{tag}_{:x}", bytes.len());
    let mut text_parts: Vec<(&str, &str)> = Vec::new();
    if !o.body.is_empty() {
        text_parts.push(("text/plain", &o.body));
    }
    if !o.html.is_empty() {
        text_parts.push(("text/html", &o.html));
    }
    let alternative = |out: &mut String| match text_parts.as_slice() {
        [] => part(out, "text/plain", None, b""),
        [(ct, text)] => part(out, ct, None, text.as_bytes()),
        many => {
            let b = boundary("alt");
            let _ = write!(
                out,
                "Content-Type: multipart/alternative; boundary=\"{b}\"\r\n\r\n"
            );
            for (ct, text) in many {
                let _ = write!(out, "--{b}\r\n");
                part(out, ct, None, text.as_bytes());
            }
            let _ = write!(out, "--{b}--\r\n");
        }
    };
    if o.attachments.is_empty() {
        alternative(&mut out);
    } else {
        let b = boundary("mixed");
        let _ = write!(
            out,
            "Content-Type: multipart/mixed; boundary=\"{b}\"\r\n\r\n--{b}\r\n"
        );
        alternative(&mut out);
        for a in &o.attachments {
            let name = if a.long_file_name.is_empty() {
                &a.file_name
            } else {
                &a.long_file_name
            };
            let ct = if a.mime_tag.is_empty() {
                "application/octet-stream"
            } else {
                &a.mime_tag
            };
            let _ = write!(out, "--{b}\r\n");
            part(&mut out, ct, Some(name), &a.payload_bytes);
        }
        let _ = write!(out, "--{b}--\r\n");
    }
    Ok(out.into_bytes())
}

/// One MIME leaf, base64-encoded so any content survives.
fn part(out: &mut String, content_type: &str, filename: Option<&str>, body: &[u8]) {
    let charset = if content_type.starts_with("text/") {
        "; charset=utf-8"
    } else {
        ""
    };
    let _ = write!(
        out,
        "Content-Type: {content_type}{charset}\r\nContent-Transfer-Encoding: base64\r\n"
    );
    if let Some(name) = filename {
        let _ = write!(
            out,
            "Content-Disposition: attachment; filename=\"{}\"\r\n",
            encode_word(name).replace('"', "'")
        );
    }
    out.push_str("\r\n");
    let encoded = B64.encode(body);
    for chunk in encoded.as_bytes().chunks(76) {
        out.push_str(std::str::from_utf8(chunk).unwrap_or_default());
        out.push_str("\r\n");
    }
}

/// RFC 2047 encoded word for non-ASCII text; ASCII passes unchanged.
fn encode_word(s: &str) -> String {
    if s.is_ascii() && !s.contains(['\r', '\n']) {
        s.to_string()
    } else {
        format!("=?UTF-8?B?{}?=", B64.encode(s.replace(['\r', '\n'], " ")))
    }
}

/// Split a header block into fields, each with its continuation lines.
fn unfolded_fields(raw: &str) -> Vec<String> {
    let mut fields: Vec<String> = Vec::new();
    for line in raw.lines() {
        if line.trim().is_empty() {
            break;
        }
        if line.starts_with([' ', '\t']) {
            if let Some(last) = fields.last_mut() {
                last.push('\n');
                last.push_str(line);
            }
        } else {
            fields.push(line.to_string());
        }
    }
    fields
}

type PstItem = Result<(String, Vec<u8>), (String, String)>;

/// Convert a pst with readpst; items come back as (`Folder/Sub/N`, bytes).
pub fn read_pst(path: &Path) -> Result<Vec<PstItem>, String> {
    let out = tempfile::tempdir().map_err(|e| format!("cannot make a working folder: {e}"))?;
    let status = Command::new("readpst")
        .arg("-e")
        .arg("-D")
        .arg("-b")
        .arg("-q")
        .arg("-te")
        .arg("-o")
        .arg(out.path())
        .arg(path)
        .output()
        .map_err(|e| {
            format!(
                "Outlook .pst needs readpst (Debian package pst-utils), which could not be run: {e}"
            )
        })?;
    if !status.status.success() {
        return Err(format!(
            "readpst could not read this pst: {}",
            String::from_utf8_lossy(&status.stderr).trim()
        ));
    }
    let mut items = Vec::new();
    for entry in walkdir::WalkDir::new(out.path()).sort_by_file_name() {
        let entry = match entry {
            Ok(e) => e,
            Err(e) => return Err(format!("cannot list readpst's output: {e}")),
        };
        if !entry.file_type().is_file() {
            continue;
        }
        let rel = entry
            .path()
            .strip_prefix(out.path())
            .unwrap_or(entry.path())
            .to_string_lossy()
            .into_owned();
        let name = rel.strip_suffix(".eml").unwrap_or(&rel).to_string();
        items.push(
            std::fs::read(entry.path())
                .map(|b| (name.clone(), b))
                .map_err(|e| (name, e.to_string())),
        );
    }
    Ok(items)
}
