//! What an attachment says about itself: its type by content, and the
//! metadata its authoring software wrote (OOXML core/app properties, ODF
//! meta.xml, PDF Info dictionary and XMP packet, image EXIF).
//!
//! In MacronLeaks the forgery trail was here, not in the mail: documents
//! last saved by an editor nobody in the organisation knew, in a
//! Russian-language Office, after the message that carried them. These
//! parsers meet the most hostile bytes in a dump, so every read is capped
//! ([`Limits`]) and the caller runs them isolated ([`crate::isolate`]).

use std::io::Read;

use serde::{Deserialize, Serialize};

/// What a document is, by its bytes (never by its name).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Pdf,
    Docx,
    Xlsx,
    Pptx,
    Ooxml,
    Odt,
    Ods,
    Odp,
    Odf,
    Zip,
    Ole,
    Jpeg,
    Png,
    Tiff,
    Gif,
    Text,
    Other,
}

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::Pdf => "pdf",
            Kind::Docx => "docx",
            Kind::Xlsx => "xlsx",
            Kind::Pptx => "pptx",
            Kind::Ooxml => "ooxml",
            Kind::Odt => "odt",
            Kind::Ods => "ods",
            Kind::Odp => "odp",
            Kind::Odf => "odf",
            Kind::Zip => "zip",
            Kind::Ole => "ole",
            Kind::Jpeg => "jpeg",
            Kind::Png => "png",
            Kind::Tiff => "tiff",
            Kind::Gif => "gif",
            Kind::Text => "text",
            Kind::Other => "other",
        }
    }

    /// Does this kind carry authoring metadata worth a parser?
    pub fn has_metadata(self) -> bool {
        !matches!(self, Kind::Zip | Kind::Gif | Kind::Text | Kind::Other)
    }
}

/// The type of `bytes` by content. Zip containers are told apart by their
/// member names (OOXML's `[Content_Types].xml`, ODF's `mimetype`), read
/// from the central directory only.
pub fn identify(bytes: &[u8]) -> Kind {
    let starts = |m: &[u8]| bytes.starts_with(m);
    if bytes.len() >= 5 && memchr::memmem::find(&bytes[..bytes.len().min(1024)], b"%PDF-").is_some()
    {
        return Kind::Pdf;
    }
    if starts(b"\xFF\xD8\xFF") {
        return Kind::Jpeg;
    }
    if starts(b"\x89PNG\r\n\x1a\n") {
        return Kind::Png;
    }
    if starts(b"II*\0") || starts(b"MM\0*") {
        return Kind::Tiff;
    }
    if starts(b"GIF87a") || starts(b"GIF89a") {
        return Kind::Gif;
    }
    if starts(b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1") {
        return Kind::Ole;
    }
    if starts(b"PK\x03\x04") {
        return identify_zip(bytes);
    }
    let head = &bytes[..bytes.len().min(4096)];
    if !head.contains(&0) && std::str::from_utf8(head).is_ok() {
        return Kind::Text;
    }
    Kind::Other
}

fn identify_zip(bytes: &[u8]) -> Kind {
    let Ok(mut zip) = zip::ZipArchive::new(std::io::Cursor::new(bytes)) else {
        return Kind::Zip;
    };
    let names: Vec<String> = zip
        .file_names()
        .filter_map(|n| n.ok().map(|n| n.into_owned()))
        .collect();
    let has = |n: &str| names.iter().any(|x| x == n);
    if has("[Content_Types].xml") {
        return if has("word/document.xml") {
            Kind::Docx
        } else if has("xl/workbook.xml") {
            Kind::Xlsx
        } else if has("ppt/presentation.xml") {
            Kind::Pptx
        } else {
            Kind::Ooxml
        };
    }
    if has("mimetype") {
        let mut mime = String::new();
        if let Ok(f) = zip.by_name("mimetype") {
            let _ = f.take(200).read_to_string(&mut mime);
        }
        return match mime.trim() {
            "application/vnd.oasis.opendocument.text" => Kind::Odt,
            "application/vnd.oasis.opendocument.spreadsheet" => Kind::Ods,
            "application/vnd.oasis.opendocument.presentation" => Kind::Odp,
            m if m.starts_with("application/vnd.oasis.opendocument") => Kind::Odf,
            _ => Kind::Zip,
        };
    }
    Kind::Zip
}

/// Caps for reading one document.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Largest metadata part read out of a zip container (decompressed).
    pub part_bytes: u64,
    /// Parts declaring more than this (decompressed) are reported as
    /// bombs, and never read.
    pub declared_bytes: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            part_bytes: 1 << 20,
            declared_bytes: 256 << 20,
        }
    }
}

/// A timestamp as the document wrote it, and what it means.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stamp {
    pub raw: String,
    /// Unix seconds; a stamp without a zone is read as UTC.
    pub unix: i64,
    /// Did the stamp say its time zone? Without one it may be off by up
    /// to 14 hours.
    pub zoned: bool,
}

/// The metadata of one document. Fields are `None` where the format has
/// no such field or the document left it empty.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Meta {
    pub kind: Option<Kind>,
    pub title: Option<String>,
    /// Who created it (OOXML `dc:creator`, ODF `meta:initial-creator`,
    /// PDF `/Author`, EXIF `Artist`).
    pub author: Option<String>,
    /// Who saved it last (OOXML `cp:lastModifiedBy`, ODF `dc:creator`).
    pub last_editor: Option<String>,
    pub company: Option<String>,
    /// Authoring application (OOXML `Application`, ODF `meta:generator`,
    /// PDF `/Creator`, EXIF `Software`).
    pub application: Option<String>,
    pub app_version: Option<String>,
    /// PDF `/Producer`; EXIF camera make and model.
    pub producer: Option<String>,
    /// The language the document declares (`dc:language`).
    pub language: Option<String>,
    pub created: Option<Stamp>,
    pub modified: Option<Stamp>,
    /// Saved revisions: OOXML `cp:revision`; for PDF, the number of
    /// incremental updates after the first save.
    pub revisions: Option<u32>,
    /// Every author-like name found (Info and XMP can disagree).
    pub names: Vec<String>,
    /// Things worth knowing about the container itself (a part that
    /// declares a gigabyte, an XMP that contradicts the Info dictionary).
    pub warnings: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum DocError {
    #[error("not a readable {kind}: {detail}")]
    Malformed { kind: &'static str, detail: String },
    #[error(
        "{part} declares {declared} bytes uncompressed (limit {limit}): a decompression bomb or not worth reading"
    )]
    TooLarge {
        part: String,
        declared: u64,
        limit: u64,
    },
}

/// What one reading of a document gives: its metadata, and its text for
/// search (`None` for kinds whose text is not read: images, legacy Office,
/// a PDF whose pages do not decode).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reading {
    pub meta: Meta,
    pub text: Option<String>,
}

/// Most text kept per document: every passage a reader would search for
/// in a memo or a report, without letting one document swell the index.
pub const TEXT_MAX: usize = 1 << 20;

/// Read the metadata and the text of `bytes`. Text extraction never fails
/// the read: a document whose metadata reads but whose text does not still
/// gets its metadata.
pub fn read(bytes: &[u8], limits: Limits) -> Result<Reading, DocError> {
    let kind = identify(bytes);
    let (mut meta, text) = match kind {
        Kind::Docx | Kind::Xlsx | Kind::Pptx | Kind::Ooxml => {
            (ooxml(bytes, limits)?, zip_text(bytes, limits))
        }
        Kind::Odt | Kind::Ods | Kind::Odp | Kind::Odf => {
            (odf(bytes, limits)?, zip_text(bytes, limits))
        }
        Kind::Pdf => pdf(bytes)?,
        Kind::Jpeg | Kind::Png | Kind::Tiff => (exif(bytes), None),
        Kind::Ole => (ole(bytes, limits)?, None),
        Kind::Zip => {
            // Starts like a zip but has no readable directory: say so.
            open_zip(bytes, "zip container")?;
            (Meta::default(), None)
        }
        Kind::Text => (
            Meta::default(),
            Some(String::from_utf8_lossy(&bytes[..bytes.len().min(TEXT_MAX)]).into_owned()),
        ),
        Kind::Gif | Kind::Other => (Meta::default(), None),
    };
    meta.kind = Some(kind);
    for n in [&meta.author, &meta.last_editor].into_iter().flatten() {
        if !meta.names.contains(n) {
            meta.names.push(n.clone());
        }
    }
    Ok(Reading {
        meta,
        text: text.map(cap_text).filter(|t| !t.trim().is_empty()),
    })
}

fn cap_text(mut t: String) -> String {
    if t.len() > TEXT_MAX {
        let mut end = TEXT_MAX;
        while !t.is_char_boundary(end) {
            end -= 1;
        }
        t.truncate(end);
    }
    t
}

/// The parts of an office container that hold what a reader sees, in
/// reading order: body, notes and comments (OOXML word processing), shared
/// strings (spreadsheets), slides by number (presentations), `content.xml`
/// (every OpenDocument kind).
fn zip_text(bytes: &[u8], limits: Limits) -> Option<String> {
    let mut zip = open_zip(bytes, "office document").ok()?;
    let slide_number = |n: &str| -> Option<u32> {
        n.strip_prefix("ppt/slides/slide")?
            .strip_suffix(".xml")?
            .parse()
            .ok()
    };
    let mut parts: Vec<(u32, String)> = zip
        .file_names()
        .filter_map(|n| {
            let n = n.ok()?;
            let rank = match n.as_ref() {
                "word/document.xml" | "xl/sharedStrings.xml" | "content.xml" => 0,
                "word/footnotes.xml" | "word/endnotes.xml" => 1,
                "word/comments.xml" => 2,
                other => 10 + slide_number(other)?,
            };
            Some((rank, n.to_string()))
        })
        .collect();
    parts.sort();
    // Body parts are bigger than metadata parts; the bomb cap still holds.
    let body = Limits {
        part_bytes: limits.declared_bytes.min(64 << 20),
        ..limits
    };
    let mut out = String::new();
    for (_, name) in parts {
        if out.len() >= TEXT_MAX {
            break;
        }
        if let Ok(Some(xml)) = zip_part(&mut zip, &name, body) {
            xml_text(&xml, &mut out);
        }
    }
    Some(out)
}

/// The character an entity or character reference stands for (XML's five
/// predefined entities; office formats declare no others).
fn entity(r: &quick_xml::events::BytesRef<'_>) -> Option<char> {
    match &**r {
        "amp" => Some('&'),
        "lt" => Some('<'),
        "gt" => Some('>'),
        "quot" => Some('"'),
        "apos" => Some('\''),
        _ => r.resolve_char_ref().ok().flatten(),
    }
}

/// The character data of an office XML part, a line per paragraph, cell
/// or row (`w:p`, `text:p`, `text:h`, `a:p`, `si`), a space for tabs.
fn xml_text(xml: &str, out: &mut String) {
    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_str(xml);
    loop {
        match reader.read_event() {
            Ok(Event::Text(t)) => out.push_str(&t.xml10_content()),
            Ok(Event::GeneralRef(r)) => out.extend(entity(&r)),
            Ok(Event::End(e)) => match e.local_name().as_ref() {
                "p" | "h" | "si" | "row" | "table-row" => out.push('\n'),
                _ => {}
            },
            Ok(Event::Empty(e)) => match e.local_name().as_ref() {
                "tab" | "s" => out.push(' '),
                "br" | "line-break" => out.push('\n'),
                _ => {}
            },
            Ok(Event::Eof) | Err(_) => break,
            _ => {}
        }
        if out.len() >= TEXT_MAX {
            break;
        }
    }
}

/// The text of a PDF's pages, as lopdf decodes it (its per-page
/// decompression cap holds against content-stream bombs). Pages that do not
/// decode are skipped: what the others say is still worth finding.
fn pdf_text(doc: &lopdf::Document) -> String {
    let pages: Vec<u32> = doc.get_pages().keys().copied().collect();
    let mut out = String::new();
    for page in pages {
        for chunk in doc.extract_text_chunks(&[page]).into_iter().flatten() {
            out.push_str(&chunk);
        }
        out.push('\n');
        if out.len() >= TEXT_MAX {
            break;
        }
    }
    out
}

/// Read the metadata of `bytes` (of any kind; kinds without metadata give
/// an empty [`Meta`] with the kind set).
pub fn metadata(bytes: &[u8], limits: Limits) -> Result<Meta, DocError> {
    read(bytes, limits).map(|r| r.meta)
}

fn malformed(kind: &'static str, e: impl std::fmt::Display) -> DocError {
    DocError::Malformed {
        kind,
        detail: e.to_string(),
    }
}

/// One member of a zip container, read under the caps. `Ok(None)`: absent.
fn zip_part(
    zip: &mut zip::ZipArchive<std::io::Cursor<&[u8]>>,
    name: &str,
    limits: Limits,
) -> Result<Option<String>, DocError> {
    let part = match zip.by_name(name) {
        Ok(p) => p,
        Err(zip::result::ZipError::FileNotFound) => return Ok(None),
        Err(e) => return Err(malformed("zip container", e)),
    };
    if part.size() > limits.part_bytes {
        return Err(DocError::TooLarge {
            part: name.to_string(),
            declared: part.size(),
            limit: limits.part_bytes,
        });
    }
    let mut out = Vec::new();
    // The declared size can lie: the cap holds whatever the stream does.
    part.take(limits.part_bytes + 1)
        .read_to_end(&mut out)
        .map_err(|e| malformed("zip container", format!("{name}: {e}")))?;
    if out.len() as u64 > limits.part_bytes {
        return Err(DocError::TooLarge {
            part: name.to_string(),
            declared: out.len() as u64,
            limit: limits.part_bytes,
        });
    }
    Ok(Some(String::from_utf8_lossy(&out).into_owned()))
}

/// Parts that declare absurd sizes: reported, never read.
fn zip_bombs(zip: &mut zip::ZipArchive<std::io::Cursor<&[u8]>>, limits: Limits) -> Vec<String> {
    let mut out = Vec::new();
    for i in 0..zip.len() {
        if let Ok(f) = zip.by_index_raw(i)
            && f.size() > limits.declared_bytes
        {
            out.push(format!(
                "{} declares {} bytes uncompressed from {} (a decompression bomb?); not read",
                f.name().unwrap_or_default(),
                f.size(),
                f.compressed_size()
            ));
        }
    }
    out
}

fn open_zip<'a>(
    bytes: &'a [u8],
    kind: &'static str,
) -> Result<zip::ZipArchive<std::io::Cursor<&'a [u8]>>, DocError> {
    zip::ZipArchive::new(std::io::Cursor::new(bytes)).map_err(|e| malformed(kind, e))
}

fn ooxml(bytes: &[u8], limits: Limits) -> Result<Meta, DocError> {
    let mut zip = open_zip(bytes, "OOXML document")?;
    let mut meta = Meta {
        warnings: zip_bombs(&mut zip, limits),
        ..Meta::default()
    };
    if let Some(core) = zip_part(&mut zip, "docProps/core.xml", limits)? {
        let f = xml_fields(&core);
        meta.title = f.get("title");
        meta.author = f.get("creator");
        meta.last_editor = f.get("lastModifiedBy");
        meta.language = f.get("language");
        meta.created = f.get("created").and_then(|s| iso_stamp(&s));
        meta.modified = f.get("modified").and_then(|s| iso_stamp(&s));
        meta.revisions = f.get("revision").and_then(|s| s.trim().parse().ok());
    }
    if let Some(app) = zip_part(&mut zip, "docProps/app.xml", limits)? {
        let f = xml_fields(&app);
        meta.application = f.get("Application");
        meta.app_version = f.get("AppVersion");
        meta.company = f.get("Company");
    }
    Ok(meta)
}

fn odf(bytes: &[u8], limits: Limits) -> Result<Meta, DocError> {
    let mut zip = open_zip(bytes, "OpenDocument file")?;
    let mut meta = Meta {
        warnings: zip_bombs(&mut zip, limits),
        ..Meta::default()
    };
    if let Some(m) = zip_part(&mut zip, "meta.xml", limits)? {
        let f = xml_fields(&m);
        meta.title = f.get("title");
        meta.author = f.get("initial-creator");
        meta.last_editor = f.get("creator");
        meta.language = f.get("language");
        meta.application = f.get("generator");
        meta.created = f.get("creation-date").and_then(|s| iso_stamp(&s));
        meta.modified = f.get("date").and_then(|s| iso_stamp(&s));
        meta.revisions = f.get("editing-cycles").and_then(|s| s.trim().parse().ok());
    }
    Ok(meta)
}

/// The text of every element, by local name (first occurrence wins), from
/// a small XML part. Malformed XML ends the read; what came before counts.
struct Fields(Vec<(String, String)>);

impl Fields {
    fn get(&self, name: &str) -> Option<String> {
        self.0
            .iter()
            .find(|(n, v)| n == name && !v.trim().is_empty())
            .map(|(_, v)| v.trim().to_string())
    }

    fn all(&self, name: &str) -> impl Iterator<Item = &str> {
        self.0
            .iter()
            .filter(move |(n, v)| n == name && !v.trim().is_empty())
            .map(|(_, v)| v.trim())
    }
}

fn xml_fields(xml: &str) -> Fields {
    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_str(xml);
    // Element names and the text gathered in each.
    let mut stack: Vec<(String, String)> = Vec::new();
    let mut out = Vec::new();
    loop {
        match reader.read_event() {
            Ok(Event::Start(e)) => stack.push((e.local_name().as_ref().to_string(), String::new())),
            Ok(Event::Text(t)) => {
                if let Some(top) = stack.last_mut() {
                    top.1.push_str(&t.xml10_content());
                }
            }
            Ok(Event::GeneralRef(r)) => {
                if let (Some(top), Some(c)) = (stack.last_mut(), entity(&r)) {
                    top.1.push(c);
                }
            }
            Ok(Event::End(_)) => {
                let Some((name, text)) = stack.pop() else {
                    continue;
                };
                if text.trim().is_empty() {
                    continue;
                }
                // `rdf:li` holds the value of the property around it.
                let name = if matches!(name.as_str(), "li" | "Seq" | "Alt" | "Bag") {
                    stack
                        .iter()
                        .rev()
                        .find(|(n, _)| !matches!(n.as_str(), "li" | "Seq" | "Alt" | "Bag"))
                        .map(|(n, _)| n.clone())
                        .unwrap_or_default()
                } else {
                    name
                };
                out.push((name, text));
            }
            Ok(Event::Eof) | Err(_) => break,
            _ => {}
        }
    }
    Fields(out)
}

/// W3CDTF / ISO 8601 (`2016-02-23T19:37:00Z`).
fn iso_stamp(s: &str) -> Option<Stamp> {
    let s = s.trim();
    let time = s.split_once('T').map(|(_, t)| t).unwrap_or("");
    let zoned = time.ends_with(['Z', 'z']) || time.contains(['+', '-']);
    Some(Stamp {
        raw: s.to_string(),
        unix: tamis_time::parse_time(s)?,
        zoned,
    })
}

/// PDF date string (`D:20170223113717+01'00'`, every part after the year
/// optional).
fn pdf_stamp(s: &str) -> Option<Stamp> {
    let raw = s.trim();
    let d = raw.strip_prefix("D:").unwrap_or(raw);
    let digits: String = d.chars().take_while(char::is_ascii_digit).collect();
    if digits.len() < 4 {
        return None;
    }
    let part = |a: usize, b: usize, default: &str| digits.get(a..b).unwrap_or(default).to_string();
    let iso = format!(
        "{}-{}-{}T{}:{}:{}",
        part(0, 4, "0000"),
        part(4, 6, "01"),
        part(6, 8, "01"),
        part(8, 10, "00"),
        part(10, 12, "00"),
        part(12, 14, "00")
    );
    let zone = &d[digits.len()..];
    let (suffix, zoned) = match zone.chars().next() {
        Some('Z') => ("Z".to_string(), true),
        Some(sign @ ('+' | '-')) => {
            let z: String = zone[1..].chars().filter(char::is_ascii_digit).collect();
            let hh = z.get(0..2).unwrap_or("00");
            let mm = z.get(2..4).unwrap_or("00");
            (format!("{sign}{hh}:{mm}"), true)
        }
        _ => (String::new(), false),
    };
    Some(Stamp {
        raw: raw.to_string(),
        unix: tamis_time::parse_time(&format!("{iso}{suffix}"))?,
        zoned,
    })
}

fn pdf(bytes: &[u8]) -> Result<(Meta, Option<String>), DocError> {
    let mut meta = Meta::default();
    // The Info dictionary, through lopdf (it follows the trailer, xref
    // streams and encryption; we do not).
    match lopdf::Document::load_metadata_mem(bytes) {
        Ok(info) => {
            meta.title = info.title.filter(|s| !s.trim().is_empty());
            meta.author = info.author.filter(|s| !s.trim().is_empty());
            meta.application = info.creator.filter(|s| !s.trim().is_empty());
            meta.producer = info.producer.filter(|s| !s.trim().is_empty());
            meta.created = info.creation_date.as_deref().and_then(pdf_stamp);
            meta.modified = info.modification_date.as_deref().and_then(pdf_stamp);
        }
        Err(e) => meta
            .warnings
            .push(format!("the Info dictionary could not be read: {e}")),
    }
    // The XMP packet is designed to be found by scanning (XMP part 1, 7.3),
    // which also finds it when the PDF's structure is broken.
    if let Some(xmp) = xmp_packet(bytes) {
        let f = xml_fields(&xmp);
        for name in f.all("creator") {
            if !meta.names.iter().any(|n| n == name) {
                meta.names.push(name.to_string());
            }
        }
        let xmp_author = f.get("creator");
        match (&meta.author, &xmp_author) {
            (None, Some(a)) => meta.author = Some(a.clone()),
            (Some(a), Some(b)) if a != b => meta.warnings.push(format!(
                "the Info dictionary names {a:?} as author, the XMP packet {b:?}"
            )),
            _ => {}
        }
        meta.application = meta.application.or_else(|| f.get("CreatorTool"));
        meta.producer = meta.producer.or_else(|| f.get("Producer"));
        meta.language = f.get("language");
        meta.created = meta
            .created
            .or_else(|| f.get("CreateDate").and_then(|s| iso_stamp(&s)));
        meta.modified = meta
            .modified
            .or_else(|| f.get("ModifyDate").and_then(|s| iso_stamp(&s)));
    }
    // One full parse serves the structure checks and the text.
    let text = match lopdf::Document::load_mem(bytes) {
        Ok(doc) => {
            meta.warnings.extend(pdf_structure(&doc));
            Some(pdf_text(&doc))
        }
        Err(e) => {
            meta.warnings
                .push(format!("the PDF's objects could not be read: {e}"));
            None
        }
    };
    // Every incremental update appends a cross-reference section ending
    // in `startxref`; a linearised file has one more from the start.
    let sections = memchr::memmem::find_iter(bytes, b"startxref").count() as u32;
    let linearised =
        memchr::memmem::find(&bytes[..bytes.len().min(1024)], b"/Linearized").is_some();
    let updates = sections.saturating_sub(1 + u32::from(linearised));
    meta.revisions = Some(updates + 1);
    if sections == 0 && meta.author.is_none() && meta.created.is_none() {
        return Err(malformed(
            "PDF",
            "no cross-reference section and no readable metadata",
        ));
    }
    Ok((meta, text))
}

/// Reference loops a reader could follow forever: the page tree coming
/// back to a node it passed, Info values that point back at the Info
/// dictionary. (lopdf bounds its own dereferencing; these are worth
/// telling the user about.)
fn pdf_structure(doc: &lopdf::Document) -> Vec<String> {
    use lopdf::Object;
    let mut out = Vec::new();
    let reference = |o: Option<&Object>| match o {
        Some(Object::Reference(id)) => Some(*id),
        _ => None,
    };
    let dict = |id| match doc.objects.get(&id) {
        Some(Object::Dictionary(d)) => Some(d),
        _ => None,
    };
    let pages = reference(doc.trailer.get(b"Root").ok())
        .and_then(dict)
        .and_then(|c| reference(c.get(b"Pages").ok()));
    let mut stack: Vec<lopdf::ObjectId> = pages.into_iter().collect();
    let mut seen = std::collections::HashSet::new();
    while let Some(id) = stack.pop() {
        if !seen.insert(id) {
            out.push(format!(
                "the page tree comes back to object {} {} (a reference loop)",
                id.0, id.1
            ));
            break;
        }
        if let Some(Ok(Object::Array(kids))) = dict(id).map(|d| d.get(b"Kids")) {
            stack.extend(kids.iter().filter_map(|k| reference(Some(k))));
        }
    }
    if let Some(info) = reference(doc.trailer.get(b"Info").ok())
        && let Some(d) = dict(info)
    {
        for (k, v) in d.iter() {
            if reference(Some(v)) == Some(info) {
                out.push(format!(
                    "the Info dictionary's /{} refers to the Info dictionary itself (a reference loop)",
                    String::from_utf8_lossy(k)
                ));
            }
        }
    }
    out
}

/// The first XMP packet in `bytes`, capped at 1 MB.
fn xmp_packet(bytes: &[u8]) -> Option<String> {
    let start = memchr::memmem::find(bytes, b"<x:xmpmeta")?;
    let rest = &bytes[start..bytes.len().min(start + (1 << 20))];
    let end = memchr::memmem::find(rest, b"</x:xmpmeta>")?;
    Some(String::from_utf8_lossy(&rest[..end + b"</x:xmpmeta>".len()]).into_owned())
}

/// Legacy Office (.doc, .xls, .ppt): the `\u{5}SummaryInformation`
/// property set (MS-OLEPS) of the compound file.
fn ole(bytes: &[u8], limits: Limits) -> Result<Meta, DocError> {
    let mut cf = cfb::CompoundFile::open(std::io::Cursor::new(bytes))
        .map_err(|e| malformed("OLE compound file", e))?;
    let mut meta = Meta::default();
    let name = "\u{5}SummaryInformation";
    if !cf.is_stream(name) {
        return Ok(meta);
    }
    let mut data = Vec::new();
    cf.open_stream(name)
        .map_err(|e| malformed("OLE compound file", e))?
        .take(limits.part_bytes)
        .read_to_end(&mut data)
        .map_err(|e| malformed("OLE compound file", e))?;
    let props = property_set(&data)
        .ok_or_else(|| malformed("OLE property set", "unreadable SummaryInformation"))?;
    // The code page (property 1) says how the 8-bit strings are encoded.
    let encoding = props
        .iter()
        .find_map(|(id, v)| match v {
            Prop::Int(n) if *id == 1 => u16::try_from(n & 0xffff).ok(),
            _ => None,
        })
        .and_then(codepage_encoding)
        .unwrap_or(encoding_rs::WINDOWS_1252);
    let text = |want: u32| -> Option<String> {
        props
            .iter()
            .find_map(|(id, v)| match v {
                Prop::Bytes(b) if *id == want => {
                    let b = b.split(|x| *x == 0).next().unwrap_or_default();
                    Some(encoding.decode(b).0.trim().to_string())
                }
                Prop::Wide(s) if *id == want => Some(s.trim().to_string()),
                _ => None,
            })
            .filter(|s| !s.is_empty())
    };
    let time = |want: u32| -> Option<Stamp> {
        props.iter().find_map(|(id, v)| match v {
            // FILETIME: 100 ns since 1601, UTC. Zero means unset.
            Prop::Time(t) if *id == want && *t > 0 => Some(Stamp {
                raw: format!("FILETIME {t}"),
                unix: (*t / 10_000_000) as i64 - 11_644_473_600,
                zoned: true,
            }),
            _ => None,
        })
    };
    meta.title = text(2);
    meta.author = text(4);
    meta.last_editor = text(8);
    meta.revisions = text(9).and_then(|r| r.parse().ok());
    meta.application = text(18);
    meta.created = time(12);
    meta.modified = time(13);
    Ok(meta)
}

enum Prop {
    Int(u32),
    Bytes(Vec<u8>),
    Wide(String),
    Time(u64),
}

/// The first property set of an MS-OLEPS stream: `(id, value)` for the
/// types metadata uses. `None` when the structure is broken.
fn property_set(d: &[u8]) -> Option<Vec<(u32, Prop)>> {
    let u32_at =
        |o: usize| -> Option<u32> { Some(u32::from_le_bytes(d.get(o..o + 4)?.try_into().ok()?)) };
    if d.get(0..2)? != [0xfe, 0xff] {
        return None;
    }
    // A 28-byte header, then the first set's FMTID (16 bytes) and offset.
    let set = u32_at(28 + 16)? as usize;
    let count = u32_at(set + 4)? as usize;
    let mut out = Vec::new();
    for k in 0..count.min(256) {
        let id = u32_at(set + 8 + k * 8)?;
        let at = set.checked_add(u32_at(set + 12 + k * 8)? as usize)?;
        let v = at + 4;
        let value = match u32_at(at)? & 0xffff {
            0x02 | 0x03 | 0x13 => Prop::Int(u32_at(v)?),
            0x1e => {
                let n = (u32_at(v)? as usize).min(64 << 10);
                Prop::Bytes(d.get(v + 4..v + 4 + n)?.to_vec())
            }
            0x1f => {
                let n = (u32_at(v)? as usize).min(32 << 10);
                let units: Vec<u16> = d
                    .get(v + 4..v + 4 + n * 2)?
                    .chunks_exact(2)
                    .map(|c| u16::from_le_bytes([c[0], c[1]]))
                    .take_while(|u| *u != 0)
                    .collect();
                Prop::Wide(String::from_utf16_lossy(&units))
            }
            0x40 => Prop::Time(u64::from(u32_at(v)?) | u64::from(u32_at(v + 4)?) << 32),
            _ => continue,
        };
        out.push((id, value));
    }
    Some(out)
}

/// A Windows code page as an encoding.
fn codepage_encoding(cp: u16) -> Option<&'static encoding_rs::Encoding> {
    match cp {
        65001 => Some(encoding_rs::UTF_8),
        cp => encoding_rs::Encoding::for_label(format!("windows-{cp}").as_bytes())
            .or_else(|| encoding_rs::Encoding::for_label(format!("cp{cp}").as_bytes())),
    }
}

fn exif(bytes: &[u8]) -> Meta {
    let mut meta = Meta::default();
    let reader = exif::Reader::new();
    let data = match reader.read_from_container(&mut std::io::Cursor::new(bytes)) {
        Ok(d) => d,
        Err(exif::Error::NotFound(_)) => return meta,
        Err(e) => {
            meta.warnings.push(format!("EXIF could not be read: {e}"));
            return meta;
        }
    };
    let text = |tag: exif::Tag| -> Option<String> {
        let f = data.get_field(tag, exif::In::PRIMARY)?;
        let v = match &f.value {
            exif::Value::Ascii(parts) => parts
                .iter()
                .map(|p| {
                    String::from_utf8_lossy(p)
                        .trim_end_matches('\0')
                        .trim()
                        .to_string()
                })
                .collect::<Vec<_>>()
                .join(" "),
            other => other.display_as(tag).to_string(),
        };
        Some(v).filter(|s| !s.is_empty())
    };
    let stamp = |tag: exif::Tag| -> Option<Stamp> {
        // EXIF times carry no zone (the OffsetTime tags are rare).
        let raw = text(tag)?;
        let iso = raw.replacen(':', "-", 2).replacen(' ', "T", 1);
        Some(Stamp {
            unix: tamis_time::parse_time(&iso)?,
            raw,
            zoned: false,
        })
    };
    meta.author = text(exif::Tag::Artist);
    meta.application = text(exif::Tag::Software);
    meta.producer = match (text(exif::Tag::Make), text(exif::Tag::Model)) {
        (Some(a), Some(b)) => Some(format!("{a} {b}")),
        (a, b) => a.or(b),
    };
    meta.created = stamp(exif::Tag::DateTimeOriginal);
    meta.modified = stamp(exif::Tag::DateTime);
    meta
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pdf_dates_in_every_precision() {
        let s = pdf_stamp("D:20170223113717+01'00'").unwrap();
        assert_eq!((s.unix, s.zoned), (1487846237, true));
        let s = pdf_stamp("D:2017").unwrap();
        assert_eq!((s.unix, s.zoned), (1483228800, false));
        assert_eq!(pdf_stamp("D:20170223113717Z").unwrap().unix, 1487849837);
        assert!(pdf_stamp("yesterday").is_none());
    }
}
