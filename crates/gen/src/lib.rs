//! Writes a realistic synthetic leak of any size, for tests,
//! the demo and the benchmarks.
//!
//! A fictional campaign (`horizon.example`) and its correspondents write
//! threads of mail over 2016-17: replies quote their parents, some parts are
//! HTML, some carry attachments, accents are quoted-printable, bodies now and
//! then start a line with `From ` (so mbox writers must quote). The
//! organisation signs with RSA-2048, a partner with Ed25519 (both with the
//! test keys beside this file; never use them for anything else), the rest
//! is unsigned. Every message is delivered to its recipients' mailboxes and
//! the sender's Sent folder, so copies recur across containers, as in a real
//! dump, and the containers are the kinds leakers post: Maildir++, mboxrd
//! with CRLF, mboxo with LF, loose .eml trees, zip (with an mbox and a zip
//! inside), tar.gz of a Maildir, and 7z.
//!
//! Output: `DIR/dump/` (the leak), `DIR/keys/dkim-keys.jsonl` (public keys in
//! the format `tamis keys import` reads), `DIR/truth.jsonl` (one line per
//! copy: its provenance path and Message-ID).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use mail_auth::common::crypto::{Ed25519Key, RsaKey, Sha256};
use mail_auth::common::headers::HeaderWriter;
use mail_auth::dkim::DkimSigner;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rustls_pki_types::{PrivateKeyDer, PrivatePkcs1KeyDer};

const ORG: &str = "horizon.example";
const PARTNER: &str = "agence-partenaire.example";
const RSA_PKCS1: &[u8] = include_bytes!("../keys/rsa2048.pkcs1.der");
const RSA_PUB: &str = include_str!("../keys/rsa2048.pub.b64");
const ED_PK8: &[u8] = include_bytes!("../keys/ed25519.pk8.der");
const ED_PUB: &str = include_str!("../keys/ed25519.pub.b64");

struct Person {
    name: &'static str,
    addr: String,
    /// How this person's mailbox is packed in the dump.
    container: Container,
}

#[derive(Clone, Copy, PartialEq)]
enum Container {
    Maildir,
    Mboxrd,
    Mboxo,
    Eml,
    Zip,
    TarGz,
    SevenZ,
    /// Outside the organisation: no mailbox in the leak.
    None,
}

fn people() -> Vec<Person> {
    let org = [
        ("Claire Martin", "claire.martin", Container::Maildir),
        ("Julien Moreau", "julien.moreau", Container::Zip),
        ("Sophie Lambert", "sophie.lambert", Container::Mboxrd),
        ("Marc Petit", "marc.petit", Container::Mboxo),
        ("Nadia Benali", "nadia.benali", Container::TarGz),
        ("Thomas Girard", "thomas.girard", Container::Maildir),
        ("Agathe Morel", "agathe.morel", Container::Eml),
        ("Hugo Lefèvre", "hugo.lefevre", Container::SevenZ),
    ];
    let outside = [
        ("Laurent Simon", "l.simon@presse-quotidienne.example"),
        ("Émilie Roux", "emilie.roux@agence-partenaire.example"),
        ("Paul Durand", "paul.durand@agence-partenaire.example"),
        ("Yasmine Diallo", "yasmine.diallo@webmail.example"),
        ("James O'Connor", "j.oconnor@foreign-press.example"),
    ];
    let mut v: Vec<Person> = org
        .iter()
        .map(|(n, a, c)| Person {
            name: n,
            addr: format!("{a}@{ORG}"),
            container: *c,
        })
        .collect();
    v.extend(outside.iter().map(|(n, a)| Person {
        name: n,
        addr: a.to_string(),
        container: Container::None,
    }));
    v
}

const TOPICS: &[&str] = &[
    "Réunion d'équipe : ordre du jour",
    "Point sondage",
    "Communiqué de presse agriculture",
    "Draft op-ed for review",
    "Budget du meeting de Lyon",
    "Revue de presse",
    "Déplacement à Marseille",
    "Fact-check request: retraites",
    "Comptes de campagne : point d'étape",
    "Ciblage des circonscriptions",
    "Interview request",
    "Formation des militants",
];

const LINES: &[&str] = &[
    "Merci pour ton retour, je regarde ça ce soir.",
    "Voici les éléments demandés, à relire avant diffusion.",
    "From the notes of yesterday's meeting, three points remain open.",
    "Le calendrier est serré : il faut valider avant jeudi.",
    "Please find the figures attached; they are provisional.",
    "On en parle demain à la réunion de 9h.",
    "Je propose qu'on réduise la liste à dix circonscriptions prioritaires.",
    "The embassy confirmed the slot for Tuesday afternoon.",
    ">From what I understand, the budget line is already closed.",
    "Attention à ne pas transférer ce message en dehors de l'équipe.",
];

struct Msg {
    id: String,
    from: usize,
    to: Vec<usize>,
    /// The message as signed, CRLF line ends.
    bytes: Vec<u8>,
}

/// Options of one generated dump.
#[derive(Clone, Debug)]
pub struct Options {
    /// Output directory (dump/, keys/, truth.jsonl are written inside).
    pub out: PathBuf,
    /// Distinct messages to write (copies are more: one per mailbox).
    pub messages: usize,
    pub seed: u64,
    /// Write each distinct message once, as `flat/NNNNNN.eml`, instead of a
    /// dump (for verification benchmarks, which compare peers per message).
    pub flat: bool,
}

/// Write a dump; returns the number of message copies written.
pub fn generate(args: &Options) -> Result<usize> {
    let mut rng = StdRng::seed_from_u64(args.seed);
    let people = people();
    let rsa = rsa_key()?;
    let ed =
        Ed25519Key::from_pkcs8_der(ED_PK8).map_err(|e| anyhow::anyhow!("test Ed25519 key: {e}"))?;

    let mut msgs: Vec<Msg> = Vec::with_capacity(args.messages);
    let start = 1_451_606_400i64; // 2016-01-01
    let span = 1_493_942_400i64 - start; // to 2017-05-05
    for i in 0..args.messages {
        let ts = start + span * i as i64 / args.messages.max(1) as i64 + rng.random_range(0..3600);
        let parent =
            (i > 0 && rng.random_bool(0.35)).then(|| rng.random_range(i.saturating_sub(40)..i));
        let (from, to, subject, refs, quoted) = match parent {
            Some(p) => {
                let pm = &msgs[p];
                let from = pm.to[0];
                let subject = header_value(&pm.bytes, "Subject").unwrap_or_default();
                let subject = if subject.starts_with("Re:") {
                    subject
                } else {
                    format!("Re: {subject}")
                };
                let mut refs = header_value(&pm.bytes, "References").unwrap_or_default();
                refs = format!("{refs} {}", pm.id).trim().to_string();
                (
                    from,
                    vec![pm.from],
                    subject,
                    Some((pm.id.clone(), refs)),
                    Some(body_text(&pm.bytes)),
                )
            }
            None => {
                let from = rng.random_range(0..people.len());
                let mut to = vec![(from + rng.random_range(1..people.len())) % people.len()];
                if rng.random_bool(0.3) {
                    let extra = (from + rng.random_range(1..people.len())) % people.len();
                    if !to.contains(&extra) {
                        to.push(extra);
                    }
                }
                let subject = TOPICS[rng.random_range(0..TOPICS.len())].to_string();
                (from, to, subject, None, None)
            }
        };
        let domain = people[from]
            .addr
            .rsplit('@')
            .next()
            .unwrap_or(ORG)
            .to_string();
        let id = format!("<{:x}.{}@{}>", rng.random::<u64>(), i, domain);
        let raw = compose(
            &mut rng,
            &people,
            from,
            &to,
            &subject,
            ts,
            &id,
            refs.as_ref(),
            quoted.as_deref(),
        );
        let signed = if domain == ORG {
            sign(
                &raw,
                DkimSigner::from_key(rsa.clone_key()?)
                    .domain(ORG)
                    .selector("s2016"),
            )?
        } else if domain == PARTNER {
            sign(
                &raw,
                DkimSigner::from_key(ed.clone_key()?)
                    .domain(PARTNER)
                    .selector("ed2016"),
            )?
        } else {
            raw
        };
        msgs.push(Msg {
            id,
            from,
            to,
            bytes: signed,
        });
    }

    write_keys(&args.out)?;
    if args.flat {
        let dir = args.out.join("flat");
        fs::create_dir_all(&dir)?;
        for (i, m) in msgs.iter().enumerate() {
            fs::write(dir.join(format!("{i:06}.eml")), &m.bytes)?;
        }
        return Ok(msgs.len());
    }
    let dump = args.out.join("dump");
    fs::create_dir_all(&dump).with_context(|| format!("creating {}", dump.display()))?;
    // Every org mailbox gets its inbox and sent copies.
    let mut boxes: BTreeMap<usize, Vec<(&'static str, usize)>> = BTreeMap::new();
    for (i, m) in msgs.iter().enumerate() {
        boxes.entry(m.from).or_default().push(("Sent", i));
        for &r in &m.to {
            let folder = match rng.random_range(0..10) {
                0 => "Archives.2016",
                1 => "Trésorerie",
                _ => "INBOX",
            };
            boxes.entry(r).or_default().push((folder, i));
        }
    }
    let mut truth = String::new();
    for (person, items) in &boxes {
        let p = &people[*person];
        let user = p.addr.split('@').next().unwrap_or("user");
        let copies: Vec<(&str, &Msg)> = items.iter().map(|(f, i)| (*f, &msgs[*i])).collect();
        match p.container {
            Container::None => continue,
            Container::Maildir => write_maildir(
                &dump.join("maildir").join(user),
                "maildir",
                user,
                &copies,
                &mut truth,
            )?,
            Container::Mboxrd | Container::Mboxo => {
                let rd = p.container == Container::Mboxrd;
                let mut by_folder: BTreeMap<&str, Vec<&Msg>> = BTreeMap::new();
                for (f, m) in &copies {
                    by_folder.entry(f).or_default().push(m);
                }
                for (folder, ms) in by_folder {
                    let name = format!("mbox/{user}/{}.mbox", folder.replace('.', "-"));
                    let bytes = mbox(&ms, rd);
                    fs::create_dir_all(dump.join(format!("mbox/{user}")))?;
                    fs::write(dump.join(&name), bytes)?;
                    for (n, m) in ms.iter().enumerate() {
                        writeln!(
                            truth,
                            "{}",
                            serde_json::json!({"path": format!("{name}#{n}"), "message_id": m.id})
                        )?;
                    }
                }
            }
            Container::Eml => {
                for (n, (folder, m)) in copies.iter().enumerate() {
                    let name = format!("eml/{user}/{folder}/{n:06}.eml");
                    let path = dump.join(&name);
                    fs::create_dir_all(path.parent().unwrap_or(&dump))?;
                    fs::write(path, &m.bytes)?;
                    writeln!(
                        truth,
                        "{}",
                        serde_json::json!({"path": name, "message_id": m.id})
                    )?;
                }
            }
            Container::Zip => write_zip(&dump, user, &copies, &mut truth)?,
            Container::TarGz => write_tar_gz(&dump, user, &copies, &mut truth)?,
            Container::SevenZ => write_7z(&dump, user, &copies, &mut truth)?,
        }
    }
    let truth_lines = truth.lines().count();
    fs::write(args.out.join("truth.jsonl"), truth)?;
    Ok(truth_lines)
}

/// Write the test keys' public records to `out/keys/dkim-keys.jsonl`.
pub fn write_keys(out: &Path) -> Result<()> {
    fs::create_dir_all(out.join("keys"))?;
    fs::write(
        out.join("keys/dkim-keys.jsonl"),
        format!(
            "{}\n{}\n",
            serde_json::json!({"domain": ORG, "selector": "s2016", "record": format!("v=DKIM1; k=rsa; p={}", RSA_PUB.trim()), "source": "tamis-gen test key"}),
            serde_json::json!({"domain": PARTNER, "selector": "ed2016", "record": format!("v=DKIM1; k=ed25519; p={}", ED_PUB.trim()), "source": "tamis-gen test key"}),
        ),
    )?;
    Ok(())
}

fn rsa_key() -> Result<RsaKey<Sha256>> {
    RsaKey::<Sha256>::from_key_der(PrivateKeyDer::Pkcs1(PrivatePkcs1KeyDer::from(RSA_PKCS1)))
        .map_err(|e| anyhow::anyhow!("test RSA key: {e}"))
}

/// The signer takes its key by value; the test keys are re-read from the
/// embedded bytes (the key types are not `Clone`).
trait CloneKey: Sized {
    fn clone_key(&self) -> Result<Self>;
}
impl CloneKey for RsaKey<Sha256> {
    fn clone_key(&self) -> Result<Self> {
        rsa_key()
    }
}
impl CloneKey for Ed25519Key {
    fn clone_key(&self) -> Result<Self> {
        Ed25519Key::from_pkcs8_der(ED_PK8).map_err(|e| anyhow::anyhow!("{e}"))
    }
}

/// Sign `raw` as the organisation does (RSA, `s2016`), for tests that
/// write their own messages.
pub fn sign_as_org(raw: &[u8]) -> Result<Vec<u8>> {
    sign(
        raw,
        DkimSigner::from_key(rsa_key()?)
            .domain(ORG)
            .selector("s2016"),
    )
}

fn sign<T: mail_auth::common::crypto::SigningKey>(
    raw: &[u8],
    signer: DkimSigner<T, mail_auth::dkim::NeedHeaders>,
) -> Result<Vec<u8>> {
    let sig = signer
        .headers([
            "From",
            "To",
            "Cc",
            "Subject",
            "Date",
            "Message-ID",
            "In-Reply-To",
            "References",
            "MIME-Version",
            "Content-Type",
        ])
        .sign(raw)
        .map_err(|e| anyhow::anyhow!("signing: {e}"))?;
    let mut out = sig.to_header().into_bytes();
    out.extend_from_slice(raw);
    Ok(out)
}

#[allow(clippy::too_many_arguments)]
fn compose(
    rng: &mut StdRng,
    people: &[Person],
    from: usize,
    to: &[usize],
    subject: &str,
    ts: i64,
    id: &str,
    refs: Option<&(String, String)>,
    quoted: Option<&str>,
) -> Vec<u8> {
    let mut h = String::new();
    let who = |i: usize| format!("{} <{}>", encode_word(people[i].name), people[i].addr);
    let received_host = if people[from].addr.ends_with(ORG) {
        "smtp.horizon.example"
    } else {
        "mx.relay.example"
    };
    let _ = write!(
        h,
        "Received: from {received_host} ([192.0.2.{}])\r\n\tby mx1.{ORG} with ESMTPS id {:x}\r\n\tfor <{}>; {}\r\n",
        rng.random_range(2..250),
        rng.random::<u32>(),
        people[to[0]].addr,
        rfc2822(ts + rng.random_range(2..90)),
    );
    let _ = write!(
        h,
        "From: {}\r\nTo: {}\r\n",
        who(from),
        to.iter().map(|&t| who(t)).collect::<Vec<_>>().join(", ")
    );
    let _ = write!(
        h,
        "Subject: {}\r\nDate: {}\r\nMessage-ID: {id}\r\n",
        encode_word(subject),
        rfc2822(ts)
    );
    if let Some((parent, references)) = refs {
        let _ = write!(h, "In-Reply-To: {parent}\r\nReferences: {references}\r\n");
    }
    h.push_str("MIME-Version: 1.0\r\n");
    let mut text = String::new();
    for _ in 0..rng.random_range(2..7) {
        text.push_str(LINES[rng.random_range(0..LINES.len())]);
        text.push_str("\r\n");
    }
    let _ = write!(text, "\r\n-- \r\n{}\r\n", people[from].name);
    if let Some(q) = quoted {
        text.push_str("\r\n");
        for line in q.lines().take(12) {
            let _ = write!(text, "> {line}\r\n");
        }
    }
    let html = rng.random_bool(0.4);
    let attachment = rng.random_bool(0.25);
    let body_part = |text: &str| {
        format!(
            "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n{}",
            qp(text)
        )
    };
    let alt = if html {
        let html_body = format!(
            "<html><body>{}</body></html>",
            text.lines()
                .map(|l| format!(
                    "<p>{}</p>",
                    l.replace('&', "&amp;")
                        .replace('<', "&lt;")
                        .replace('>', "&gt;")
                ))
                .collect::<String>()
        );
        format!(
            "Content-Type: multipart/alternative; boundary=\"alt-{id_hash}\"\r\n\r\n--alt-{id_hash}\r\n{}\r\n--alt-{id_hash}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n{}\r\n--alt-{id_hash}--\r\n",
            body_part(&text),
            qp(&html_body),
            id_hash = ts
        )
    } else {
        body_part(&text)
    };
    let body = if attachment {
        let (name, ct, data) = attachment_for(rng, subject, people[from].name, ts);
        format!(
            "Content-Type: multipart/mixed; boundary=\"mix-{ts}\"\r\n\r\n--mix-{ts}\r\n{alt}\r\n--mix-{ts}\r\nContent-Type: {ct}; name=\"{name}\"\r\nContent-Disposition: attachment; filename=\"{name}\"\r\nContent-Transfer-Encoding: base64\r\n\r\n{}\r\n--mix-{ts}--\r\n",
            wrap76(&B64.encode(data))
        )
    } else {
        alt
    };
    let mut out = h.into_bytes();
    out.extend_from_slice(body.as_bytes());
    out
}

/// An attachment of a realistic size: documents and pictures are mostly
/// compressed data (incompressible), tables are small text.
fn attachment_for(
    rng: &mut StdRng,
    subject: &str,
    author: &str,
    ts: i64,
) -> (String, &'static str, Vec<u8>) {
    let stem: String = subject
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    let noise =
        |rng: &mut StdRng, n: usize| (0..n).map(|_| rng.random::<u8>()).collect::<Vec<u8>>();
    match rng.random_range(0..10) {
        0..5 => {
            let n = rng.random_range(4_000..120_000);
            let pdf = pdf_document(subject, author, ts, &noise(rng, n));
            (format!("{stem}.pdf"), "application/pdf", pdf)
        }
        5..7 => {
            // SOI, a JFIF header, a start of scan, then the scan's bytes.
            let mut jpg = vec![0xff, 0xd8, 0xff, 0xe0, 0, 16];
            jpg.extend_from_slice(b"JFIF\0\x01\x01\0\0\x01\0\x01\0\0");
            jpg.extend_from_slice(&[0xff, 0xda, 0, 8, 1, 1, 0, 0, 0x3f, 0]);
            let n = rng.random_range(10_000..200_000);
            // Entropy-coded data never holds a bare 0xFF (it is stuffed).
            jpg.extend(noise(rng, n).into_iter().map(|b| b.min(0xfe)));
            jpg.extend_from_slice(&[0xff, 0xd9]);
            ("photo.jpg".to_string(), "image/jpeg", jpg)
        }
        _ => {
            let csv = format!(
                "poste;montant\nsalle;{}\ntransport;{}\n",
                rng.random_range(100..5000),
                rng.random_range(100..5000)
            );
            (format!("{stem}.csv"), "text/csv", csv.into_bytes())
        }
    }
}

/// A small well-formed PDF (catalog, empty page tree, Info dictionary, one
/// incompressible stream, cross-reference table), created a day and saved
/// an hour before `ts`, the time of the message carrying it.
fn pdf_document(title: &str, author: &str, ts: i64, stream: &[u8]) -> Vec<u8> {
    // Text strings: literal when ASCII, UTF-16BE with a BOM otherwise.
    let text = |s: &str| -> String {
        if s.is_ascii() {
            let escaped: String = s
                .chars()
                .flat_map(|c| match c {
                    '(' | ')' | '\\' => vec!['\\', c],
                    c => vec![c],
                })
                .collect();
            format!("({escaped})")
        } else {
            let hex: String = s.encode_utf16().map(|u| format!("{u:04X}")).collect();
            format!("<FEFF{hex}>")
        }
    };
    let date = |t: i64| {
        let d = mail_parser::DateTime::from_timestamp(t);
        format!(
            "D:{:04}{:02}{:02}{:02}{:02}{:02}Z",
            d.year, d.month, d.day, d.hour, d.minute, d.second
        )
    };
    let mut pdf = b"%PDF-1.4\n".to_vec();
    let mut offsets = Vec::new();
    let objects = [
        "<< /Type /Catalog /Pages 2 0 R >>".to_string(),
        "<< /Type /Pages /Kids [] /Count 0 >>".to_string(),
        format!(
            "<< /Title {} /Author {} /Creator (Writer) /Producer (LibreOffice 5.2) /CreationDate ({}) /ModDate ({}) >>",
            text(title),
            text(author),
            date(ts - 86_400),
            date(ts - 3600)
        ),
    ];
    for (i, body) in objects.iter().enumerate() {
        offsets.push(pdf.len());
        pdf.extend_from_slice(format!("{} 0 obj\n{body}\nendobj\n", i + 1).as_bytes());
    }
    offsets.push(pdf.len());
    pdf.extend_from_slice(format!("4 0 obj\n<< /Length {} >>\nstream\n", stream.len()).as_bytes());
    pdf.extend_from_slice(stream);
    pdf.extend_from_slice(b"\nendstream\nendobj\n");
    let xref = pdf.len();
    pdf.extend_from_slice(b"xref\n0 5\n0000000000 65535 f \n");
    for o in offsets {
        pdf.extend_from_slice(format!("{o:010} 00000 n \n").as_bytes());
    }
    pdf.extend_from_slice(
        format!("trailer\n<< /Size 5 /Root 1 0 R /Info 3 0 R >>\nstartxref\n{xref}\n%%EOF\n")
            .as_bytes(),
    );
    pdf
}

fn rfc2822(ts: i64) -> String {
    let dt = mail_parser::DateTime::from_timestamp(ts + 3600);
    const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    format!(
        "{}, {} {} {} {:02}:{:02}:{:02} +0100",
        DAYS[(ts.div_euclid(86_400).rem_euclid(7)) as usize],
        dt.day,
        MONTHS[(dt.month as usize).saturating_sub(1) % 12],
        dt.year,
        dt.hour,
        dt.minute,
        dt.second
    )
}

fn encode_word(s: &str) -> String {
    if s.is_ascii() {
        s.to_string()
    } else {
        format!("=?utf-8?b?{}?=", B64.encode(s))
    }
}

/// Quoted-printable, soft-wrapped at 76 columns, CRLF.
fn qp(text: &str) -> String {
    let mut out = String::new();
    for line in text.split("\r\n") {
        let mut col = 0;
        for b in line.bytes() {
            let enc = if (b == b' ' || b.is_ascii_graphic()) && b != b'=' {
                (b as char).to_string()
            } else {
                format!("={b:02X}")
            };
            if col + enc.len() > 75 {
                out.push_str("=\r\n");
                col = 0;
            }
            col += enc.len();
            out.push_str(&enc);
        }
        out.push_str("\r\n");
    }
    out
}

fn wrap76(s: &str) -> String {
    s.as_bytes()
        .chunks(76)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join("\r\n")
}

fn header_value(bytes: &[u8], name: &str) -> Option<String> {
    let text = String::from_utf8_lossy(bytes);
    let prefix = format!("{name}: ");
    let line = text.split("\r\n").find(|l| l.starts_with(&prefix))?;
    let v = &line[prefix.len()..];
    Some(
        match v
            .strip_prefix("=?utf-8?b?")
            .and_then(|r| r.strip_suffix("?="))
        {
            Some(b) => B64
                .decode(b)
                .ok()
                .and_then(|d| String::from_utf8(d).ok())
                .unwrap_or_default(),
            None => v.to_string(),
        },
    )
}

/// The first text part, decoded, as a reply quotes it.
fn body_text(bytes: &[u8]) -> String {
    mail_parser::MessageParser::new()
        .parse(bytes)
        .and_then(|m| m.body_text(0).map(|t| t.replace("\r\n", "\n")))
        .unwrap_or_default()
}

fn lf(bytes: &[u8]) -> Vec<u8> {
    String::from_utf8_lossy(bytes)
        .replace("\r\n", "\n")
        .into_bytes()
}

fn maildir_name(i: usize, m: &Msg) -> String {
    format!(
        "{}.M{}P{}.imap1.{ORG},S={}:2,S",
        1_451_606_400 + i,
        i * 7 % 1000,
        4000 + i,
        m.bytes.len()
    )
}

fn write_maildir(
    root: &Path,
    prefix: &str,
    user: &str,
    copies: &[(&str, &Msg)],
    truth: &mut String,
) -> Result<()> {
    for (i, (folder, m)) in copies.iter().enumerate() {
        let dir = match *folder {
            "INBOX" => root.join("cur"),
            f => root.join(format!(".{}", modified_utf7(f))).join("cur"),
        };
        fs::create_dir_all(&dir)?;
        for sub in ["new", "tmp"] {
            fs::create_dir_all(dir.with_file_name(sub))?;
        }
        if *folder != "INBOX" {
            fs::write(dir.with_file_name("maildirfolder"), b"")?;
        }
        let name = maildir_name(i, m);
        // Maildir files are stored with LF, as Dovecot writes them.
        fs::write(dir.join(&name), lf(&m.bytes))?;
        let rel = dir.join(&name);
        let rel = rel
            .strip_prefix(root)
            .unwrap_or(&rel)
            .to_string_lossy()
            .into_owned();
        writeln!(
            truth,
            "{}",
            serde_json::json!({"path": format!("{prefix}/{user}/{rel}"), "message_id": m.id})
        )?;
    }
    fs::write(root.join("subscriptions"), b"Sent\nArchives.2016\n")?;
    fs::write(root.join("dovecot-uidvalidity"), b"5a1b2c3d\n")?;
    Ok(())
}

fn modified_utf7(s: &str) -> String {
    let mut out = String::new();
    let mut pending: Vec<u16> = Vec::new();
    let flush = |pending: &mut Vec<u16>, out: &mut String| {
        if pending.is_empty() {
            return;
        }
        let bytes: Vec<u8> = pending.iter().flat_map(|u| u.to_be_bytes()).collect();
        let enc = base64::engine::general_purpose::STANDARD_NO_PAD
            .encode(bytes)
            .replace('/', ",");
        let _ = write!(out, "&{enc}-");
        pending.clear();
    };
    for c in s.chars() {
        if (' '..='~').contains(&c) {
            flush(&mut pending, &mut out);
            if c == '&' {
                out.push_str("&-");
            } else {
                out.push(c);
            }
        } else {
            let mut buf = [0u16; 2];
            pending.extend_from_slice(c.encode_utf16(&mut buf));
        }
    }
    flush(&mut pending, &mut out);
    out
}

/// An mbox: mboxrd (CRLF, `>From` quoting of `>*From `) or mboxo (LF,
/// quoting only `From `, with mutt's Status and Content-Length headers).
fn mbox(msgs: &[&Msg], rd: bool) -> Vec<u8> {
    let eol = if rd { "\r\n" } else { "\n" };
    let mut out = String::new();
    for m in msgs {
        let text = String::from_utf8_lossy(&m.bytes).into_owned();
        let from_addr = header_value(&m.bytes, "From").unwrap_or_default();
        let sender = from_addr
            .rsplit('<')
            .next()
            .unwrap_or("")
            .trim_end_matches('>')
            .to_string();
        let _ = write!(out, "From {sender} Thu Jan  1 00:00:00 2016{eol}");
        let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
        let mut lines: Vec<String> = head.split("\r\n").map(str::to_string).collect();
        if !rd {
            lines.push("Status: RO".to_string());
            lines.push(format!(
                "Content-Length: {}",
                body.replace("\r\n", "\n").len()
            ));
        }
        for l in lines {
            out.push_str(&l);
            out.push_str(eol);
        }
        out.push_str(eol);
        for l in body
            .split("\r\n")
            .collect::<Vec<_>>()
            .iter()
            .take(body.split("\r\n").count().saturating_sub(1))
        {
            let gt = l.bytes().take_while(|b| *b == b'>').count();
            let quote = if rd {
                l[gt..].starts_with("From ")
            } else {
                l.starts_with("From ")
            };
            if quote {
                out.push('>');
            }
            out.push_str(l);
            out.push_str(eol);
        }
        out.push_str(eol);
    }
    out.into_bytes()
}

fn write_zip(dump: &Path, user: &str, copies: &[(&str, &Msg)], truth: &mut String) -> Result<()> {
    use zip::write::SimpleFileOptions;
    let name = format!("archives/{user}_export.zip");
    fs::create_dir_all(dump.join("archives"))?;
    let file = fs::File::create(dump.join(&name))?;
    let mut z = zip::ZipWriter::new(file);
    let opts = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    let third = copies.len() / 3;
    for (n, (folder, m)) in copies[..third].iter().enumerate() {
        let inner = format!(
            "{user}/{}/{n:06}.eml",
            if *folder == "INBOX" {
                "Boîte de réception"
            } else {
                folder
            }
        );
        z.start_file(inner.as_str(), opts)?;
        z.write_all(&m.bytes)?;
        writeln!(
            truth,
            "{}",
            serde_json::json!({"path": format!("{name}!{inner}"), "message_id": m.id})
        )?;
    }
    let archived: Vec<&Msg> = copies[third..2 * third].iter().map(|c| c.1).collect();
    let inner_mbox = format!("{user}/archive-2016.mbox");
    z.start_file(inner_mbox.as_str(), opts)?;
    z.write_all(&mbox(&archived, true))?;
    for (n, m) in archived.iter().enumerate() {
        writeln!(
            truth,
            "{}",
            serde_json::json!({"path": format!("{name}!{inner_mbox}#{n}"), "message_id": m.id})
        )?;
    }
    // A zip inside the zip, as exports of old mailboxes often are.
    let mut nested = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let inner_zip = format!("{user}/ancien_poste.zip");
    for (n, (_, m)) in copies[2 * third..].iter().enumerate() {
        let inner = format!("old/{n:06}.eml");
        nested.start_file(inner.as_str(), opts)?;
        nested.write_all(&m.bytes)?;
        writeln!(
            truth,
            "{}",
            serde_json::json!({"path": format!("{name}!{inner_zip}!{inner}"), "message_id": m.id})
        )?;
    }
    let nested = nested.finish()?.into_inner();
    z.start_file(
        inner_zip.as_str(),
        opts.compression_method(zip::CompressionMethod::Stored),
    )?;
    z.write_all(&nested)?;
    z.finish()?;
    Ok(())
}

fn write_tar_gz(
    dump: &Path,
    user: &str,
    copies: &[(&str, &Msg)],
    truth: &mut String,
) -> Result<()> {
    let staging = tempdir_in(dump)?;
    let root = staging.join(user).join("Maildir");
    let mut inner_truth = String::new();
    write_maildir(&root, "", "", copies, &mut inner_truth)?;
    let name = format!("archives/{user}_maildir.tar.gz");
    fs::create_dir_all(dump.join("archives"))?;
    let gz = flate2::write::GzEncoder::new(
        fs::File::create(dump.join(&name))?,
        flate2::Compression::default(),
    );
    let mut tar = tar::Builder::new(gz);
    tar.append_dir_all(format!("{user}/Maildir"), &root)?;
    tar.into_inner()?.finish()?;
    fs::remove_dir_all(&staging)?;
    for line in inner_truth.lines() {
        let mut v: serde_json::Value = serde_json::from_str(line)?;
        let inner = v["path"]
            .as_str()
            .unwrap_or("")
            .trim_start_matches('/')
            .to_string();
        v["path"] = format!("{name}!{user}/Maildir/{inner}").into();
        writeln!(truth, "{v}")?;
    }
    Ok(())
}

fn write_7z(dump: &Path, user: &str, copies: &[(&str, &Msg)], truth: &mut String) -> Result<()> {
    let staging = tempdir_in(dump)?;
    for (n, (folder, m)) in copies.iter().enumerate() {
        let dir = staging.join(user).join(folder);
        fs::create_dir_all(&dir)?;
        fs::write(dir.join(format!("{n:06}.eml")), &m.bytes)?;
        writeln!(
            truth,
            "{}",
            serde_json::json!({"path": format!("archives/{user}.7z!{user}/{folder}/{n:06}.eml"), "message_id": m.id})
        )?;
    }
    fs::create_dir_all(dump.join("archives"))?;
    sevenz_rust2::compress_to_path(&staging, dump.join(format!("archives/{user}.7z")))
        .map_err(|e| anyhow::anyhow!("7z: {e}"))?;
    fs::remove_dir_all(&staging)?;
    Ok(())
}

fn tempdir_in(dump: &Path) -> Result<PathBuf> {
    let p = dump
        .parent()
        .unwrap_or(dump)
        .join(format!(".staging-{}", std::process::id()));
    if p.exists() {
        fs::remove_dir_all(&p)?;
    }
    fs::create_dir_all(&p)?;
    Ok(p)
}
