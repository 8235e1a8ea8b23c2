//! The node reader: decide what each file or member is and open it,
//! recursively, within the limits.
//!
//! Data flows as streams wherever the format allows (mbox, tar, the
//! single-stream compressors), so memory is bounded by one message rather
//! than by a mailbox or an archive. Zip, 7z and pst need random access; a
//! member of those kinds is spooled (memory if small, an anonymous temporary
//! file if not) and its hash is known before it is opened, which is also how
//! an archive that contains itself is caught.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Cursor, Read, Seek, Write};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

use crate::hashing::{Budget, Hashing, MultiFile, is_budget_error, sha256};
use crate::mbox::{self, Style};
use crate::sniff::{Kind, SNIFF_LEN, sniff};
use crate::walk::Unit;
use crate::{
    Custody, Event, Format, Limits, Occurrence, Problem, ProblemKind, Provenance, outlook,
};

pub(crate) fn read_unit(limits: &Limits, unit: &Unit, sink: &mut dyn FnMut(Event)) {
    let budget = Budget::new(
        unit.size
            .saturating_mul(limits.max_expansion_ratio)
            .max(limits.min_expansion_budget),
    );
    let mut cx = Cx {
        limits,
        budget,
        sink,
        bomb_reported: false,
        ancestors: Vec::new(),
    };
    let meta = Meta {
        mtime: Some(iso_utc(unit.mtime)),
        layer: 0,
    };
    cx.node(&unit.provenance, &meta, Input::Disk(&unit.parts), 0);
}

pub(crate) fn read_bytes(limits: &Limits, name: &str, bytes: &[u8], sink: &mut dyn FnMut(Event)) {
    let mut cx = Cx {
        limits,
        budget: Budget::new(
            (bytes.len() as u64)
                .saturating_mul(limits.max_expansion_ratio)
                .max(limits.min_expansion_budget),
        ),
        sink,
        bomb_reported: false,
        ancestors: Vec::new(),
    };
    let meta = Meta {
        mtime: None,
        layer: 0,
    };
    let mut input = bytes;
    cx.node(&Provenance::file(name), &meta, Input::Stream(&mut input), 0);
}

struct Cx<'a> {
    limits: &'a Limits,
    budget: Budget,
    sink: &'a mut dyn FnMut(Event),
    /// One decompression-bomb report per unit is enough; every layer above
    /// the bomb would otherwise report it again.
    bomb_reported: bool,
    /// Hashes of the spooled archives we are inside, to catch cycles.
    ancestors: Vec<[u8; 32]>,
}

struct Meta {
    mtime: Option<String>,
    layer: u8,
}

enum Input<'a> {
    Disk(&'a [PathBuf]),
    Stream(&'a mut dyn Read),
}

/// Where a random-access container's bytes are.
enum Seekable<'a> {
    Disk(&'a [PathBuf]),
    Memory(Vec<u8>),
    Temp(File),
}

impl Cx<'_> {
    fn emit(&mut self, e: Event) {
        (self.sink)(e);
    }

    fn problem(&mut self, prov: &Provenance, kind: ProblemKind, detail: impl Into<String>) {
        self.emit(Event::Problem(Problem::new(prov, kind, detail)));
    }

    /// Report a read error, naming a bomb once and other failures as they are.
    fn io_problem(&mut self, prov: &Provenance, e: &io::Error, what: &str) {
        if is_budget_error(e) {
            if !self.bomb_reported {
                self.bomb_reported = true;
                let total = self.budget.total();
                self.problem(
                    prov,
                    ProblemKind::DecompressionBomb,
                    format!("stopped after {total} decompressed bytes (the limit for this file); the rest is not read"),
                );
            }
            return;
        }
        let kind = match e.kind() {
            io::ErrorKind::UnexpectedEof => ProblemKind::Truncated,
            _ if e.to_string().contains("unexpected EOF") => ProblemKind::Truncated,
            io::ErrorKind::InvalidData | io::ErrorKind::InvalidInput | io::ErrorKind::Other => {
                ProblemKind::Corrupt
            }
            _ => ProblemKind::Unreadable,
        };
        self.problem(prov, kind, format!("{what}: {e}"));
    }

    fn custody(&mut self, prov: &Provenance, meta: &Meta, kind: Kind, digest: [u8; 32], size: u64) {
        self.emit(Event::Custody(Custody {
            provenance: prov.clone(),
            layer: meta.layer,
            kind: kind.name(),
            size,
            mtime: meta.mtime.clone(),
            sha256: digest,
        }));
    }

    fn node(&mut self, prov: &Provenance, meta: &Meta, input: Input<'_>, depth: usize) {
        let disk = match &input {
            Input::Disk(parts) => Some(*parts),
            Input::Stream(_) => None,
        };
        let opened: Box<dyn Read + '_> = match input {
            Input::Disk(parts) => match MultiFile::open(parts) {
                Ok(f) => Box::new(f),
                Err(e) => {
                    self.problem(prov, ProblemKind::Unreadable, format!("cannot open: {e}"));
                    return;
                }
            },
            Input::Stream(r) => Box::new(r),
        };
        let mut reader = Hashing::new(opened);
        let mut head = Vec::with_capacity(SNIFF_LEN);
        if let Err(e) = (&mut reader).take(SNIFF_LEN as u64).read_to_end(&mut head) {
            self.io_problem(prov, &e, "cannot read");
            return;
        }
        let kind = sniff(&head);
        if depth > self.limits.max_depth && kind != Kind::Message {
            self.problem(
                prov,
                ProblemKind::TooDeep,
                format!(
                    "{} nested {depth} containers deep (limit {}); not opened",
                    kind.name(),
                    self.limits.max_depth
                ),
            );
            return self.drain_and_record(prov, meta, kind, reader);
        }
        match kind {
            Kind::Message => self.message(prov, meta, head, reader),
            Kind::Emlx => self.emlx(prov, meta, head, reader),
            Kind::Mbox | Kind::Mmdf => self.mailbox(prov, meta, kind, head, reader),
            k if k.is_compression() => self.decompress(prov, meta, kind, head, reader, depth),
            Kind::Tar => self.tar(prov, meta, head, reader, depth),
            Kind::Zip | Kind::SevenZ | Kind::Pst => {
                self.random_access(prov, meta, kind, head, reader, disk, depth)
            }
            Kind::Ole => self.ole(prov, meta, head, reader),
            Kind::Empty | Kind::Other => {
                let name = prov.file_name().to_ascii_lowercase();
                if kind == Kind::Other
                    && [".eml", ".msg", ".mbox", ".mbx", ".emlx", ".mail", ".mime"]
                        .iter()
                        .any(|ext| name.ends_with(ext))
                {
                    self.problem(
                        prov,
                        ProblemKind::NotAMessage,
                        "named like mail, but its content is neither a message nor a mailbox",
                    );
                }
                self.drain_and_record(prov, meta, kind, reader)
            }
            _ => self.drain_and_record(prov, meta, kind, reader),
        }
    }

    fn drain_and_record<R: Read>(
        &mut self,
        prov: &Provenance,
        meta: &Meta,
        kind: Kind,
        reader: Hashing<R>,
    ) {
        match reader.finish() {
            Ok((digest, size)) => self.custody(prov, meta, kind, digest, size),
            Err(e) => self.io_problem(prov, &e, "cannot read to the end"),
        }
    }

    /// Read the rest of a node into memory, within the message size limit.
    fn read_whole<R: Read>(
        &mut self,
        prov: &Provenance,
        head: Vec<u8>,
        reader: &mut Hashing<R>,
    ) -> Option<Vec<u8>> {
        let max = self.limits.max_message;
        let mut bytes = head;
        if let Err(e) = (&mut *reader)
            .take(max + 1 - bytes.len() as u64)
            .read_to_end(&mut bytes)
        {
            self.io_problem(prov, &e, "cannot read");
            return None;
        }
        if bytes.len() as u64 > max {
            self.problem(
                prov,
                ProblemKind::TooLarge,
                format!("larger than the message size limit of {max} bytes; not stored"),
            );
            return None;
        }
        Some(bytes)
    }

    fn message<R: Read>(
        &mut self,
        prov: &Provenance,
        meta: &Meta,
        head: Vec<u8>,
        mut reader: Hashing<R>,
    ) {
        let Some(bytes) = self.read_whole(prov, head, &mut reader) else {
            return self.drain_quietly(prov, meta, Kind::Message, reader);
        };
        // The whole node is the message: its occurrence is its custody
        // record (same path, same SHA-256), so no separate one is made.
        let (digest, _) = reader.finish_here();
        self.emit(Event::Message(Occurrence::new(
            prov.clone(),
            bytes,
            digest,
            Format::File,
            meta.mtime.clone(),
        )));
    }

    /// After a problem was reported for a node, still record what it was.
    fn drain_quietly<R: Read>(
        &mut self,
        prov: &Provenance,
        meta: &Meta,
        kind: Kind,
        reader: Hashing<R>,
    ) {
        if let Ok((digest, size)) = reader.finish() {
            self.custody(prov, meta, kind, digest, size);
        }
    }

    fn emlx<R: Read>(
        &mut self,
        prov: &Provenance,
        meta: &Meta,
        head: Vec<u8>,
        mut reader: Hashing<R>,
    ) {
        let Some(bytes) = self.read_whole(prov, head, &mut reader) else {
            return self.drain_quietly(prov, meta, Kind::Emlx, reader);
        };
        let (digest, size) = reader.finish_here();
        self.custody(prov, meta, Kind::Emlx, digest, size);
        let nl = bytes
            .iter()
            .position(|b| *b == b'\n')
            .unwrap_or(bytes.len());
        let count: Option<usize> = std::str::from_utf8(&bytes[..nl])
            .ok()
            .and_then(|s| s.trim().parse().ok());
        let body = bytes.get(nl + 1..).unwrap_or_default();
        let (message, note) = match count {
            Some(n) if n <= body.len() => (&body[..n], None),
            _ => (
                body,
                Some("emlx byte count does not match; kept everything after it".to_string()),
            ),
        };
        self.emit(Event::Message(Occurrence {
            range: Some(((nl + 1) as u64, message.len() as u64)),
            reader_note: note,
            ..Occurrence::new(
                prov.clone(),
                message.to_vec(),
                sha256(message),
                Format::Emlx,
                meta.mtime.clone(),
            )
        }));
    }

    fn mailbox<R: Read>(
        &mut self,
        prov: &Provenance,
        meta: &Meta,
        kind: Kind,
        head: Vec<u8>,
        mut reader: Hashing<R>,
    ) {
        let (style, format) = match kind {
            Kind::Mmdf => (Style::Mmdf, Format::Mmdf),
            _ => (Style::From, Format::Mbox),
        };
        let result = {
            let rest = BufReader::with_capacity(256 << 10, Cursor::new(head).chain(&mut reader));
            mbox::split(rest, style, self.limits.max_message, |entry| {
                self.mbox_entry(prov, meta, format, entry)
            })
        };
        if let Err(e) = result {
            self.io_problem(
                prov,
                &e,
                "mailbox could not be read to the end; entries before this point were kept",
            );
            return;
        }
        self.drain_and_record(prov, meta, kind, reader);
    }

    fn mbox_entry(
        &mut self,
        prov: &Provenance,
        meta: &Meta,
        format: Format,
        entry: Result<mbox::Entry, mbox::TooLarge>,
    ) {
        match entry {
            Ok(e) => {
                let mut notes = Vec::new();
                if e.unquoted > 0 {
                    notes.push(format!(
                        "un-quoted {} >From line(s) as the mbox format requires",
                        e.unquoted
                    ));
                }
                if e.used_content_length {
                    notes.push(
                        "Content-Length kept a From line inside the body (mboxcl2)".to_string(),
                    );
                }
                let digest = sha256(&e.bytes);
                self.emit(Event::Message(Occurrence {
                    range: Some((e.offset, e.raw_len)),
                    reader_note: (!notes.is_empty()).then(|| notes.join("; ")),
                    ..Occurrence::new(
                        prov.entry(e.index),
                        e.bytes,
                        digest,
                        format,
                        meta.mtime.clone(),
                    )
                }));
            }
            Err(t) => self.problem(
                &prov.entry(t.index),
                ProblemKind::TooLarge,
                format!(
                    "entry at byte {} is over {} bytes (the message size limit); not stored",
                    t.offset, t.seen
                ),
            ),
        }
    }
}

impl Cx<'_> {
    /// Run a third-party parser so that a panic costs this node, not the run.
    fn guarded(&mut self, prov: &Provenance, f: impl FnOnce(&mut Self)) {
        if let Err(panic) = catch_unwind(AssertUnwindSafe(|| f(self))) {
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".to_string());
            self.problem(
                prov,
                ProblemKind::ParserPanic,
                format!("a parser failed on this input: {what}"),
            );
        }
    }

    fn decompress<R: Read>(
        &mut self,
        prov: &Provenance,
        meta: &Meta,
        kind: Kind,
        head: Vec<u8>,
        mut reader: Hashing<R>,
        depth: usize,
    ) {
        let inner_meta = Meta {
            mtime: meta.mtime.clone(),
            layer: meta.layer.saturating_add(1),
        };
        self.guarded(prov, |cx| {
            let rest = BufReader::new(Cursor::new(head).chain(&mut reader));
            let decoder: io::Result<Box<dyn Read + '_>> = match kind {
                Kind::Gzip => Ok(Box::new(flate2::bufread::MultiGzDecoder::new(rest))),
                Kind::Bzip2 => Ok(Box::new(bzip2::bufread::MultiBzDecoder::new(rest))),
                Kind::Xz => Ok(Box::new(liblzma::bufread::XzDecoder::new_multi_decoder(
                    rest,
                ))),
                _ => zstd::stream::read::Decoder::with_buffer(rest)
                    .map(|d| Box::new(d) as Box<dyn Read>),
            };
            match decoder {
                Ok(d) => {
                    let mut limited = cx.budget.wrap(d);
                    cx.node(prov, &inner_meta, Input::Stream(&mut limited), depth + 1);
                }
                Err(e) => cx.io_problem(prov, &e, "cannot start decompressing"),
            }
        });
        self.drain_and_record(prov, meta, kind, reader);
    }

    fn tar<R: Read>(
        &mut self,
        prov: &Provenance,
        meta: &Meta,
        head: Vec<u8>,
        mut reader: Hashing<R>,
        depth: usize,
    ) {
        self.guarded(prov, |cx| {
            let mut archive = tar::Archive::new(Cursor::new(head).chain(&mut reader));
            let entries = match archive.entries() {
                Ok(e) => e,
                Err(e) => return cx.io_problem(prov, &e, "not a readable tar archive"),
            };
            for entry in entries {
                let mut entry = match entry {
                    Ok(e) => e,
                    Err(e) => {
                        cx.io_problem(
                            prov,
                            &e,
                            "tar archive breaks off here; members before this point were kept",
                        );
                        break;
                    }
                };
                let name = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
                let child = prov.member(&name);
                let header = entry.header();
                let etype = header.entry_type();
                if etype.is_dir() || etype.is_pax_global_extensions() {
                    continue;
                }
                if etype.is_symlink() || etype.is_hard_link() {
                    let target = entry
                        .link_name_bytes()
                        .map(|t| String::from_utf8_lossy(&t).into_owned())
                        .unwrap_or_default();
                    cx.problem(
                        &child,
                        ProblemKind::NotFollowed,
                        format!("link to {target:?} not followed"),
                    );
                    continue;
                }
                if !(etype.is_file() || etype.is_contiguous() || etype.is_gnu_sparse()) {
                    cx.problem(
                        &child,
                        ProblemKind::Unsupported,
                        format!("tar entry type {etype:?} not read"),
                    );
                    continue;
                }
                cx.check_member_name(&child, &name);
                let child_meta = Meta {
                    mtime: header.mtime().ok().map(|t| iso_utc(t as i64)),
                    layer: 0,
                };
                let declared = entry.size();
                let mut exact = Exact::new(&mut entry, declared);
                cx.node(&child, &child_meta, Input::Stream(&mut exact), depth + 1);
            }
        });
        self.drain_and_record(prov, meta, Kind::Tar, reader);
    }

    /// Members named to escape the archive are evidence of a hostile dump:
    /// say so (tamis never extracts under these names).
    fn check_member_name(&mut self, child: &Provenance, name: &str) {
        let absolute = name.starts_with('/')
            || name.starts_with('\\')
            || name.as_bytes().get(1) == Some(&b':')
                && name.as_bytes().first().is_some_and(u8::is_ascii_alphabetic);
        let escapes = name.split(['/', '\\']).any(|c| c == "..");
        if absolute || escapes {
            self.problem(
                child,
                ProblemKind::PathTraversal,
                "member name points outside the archive (absolute or with ..); read, never extracted",
            );
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn random_access<R: Read>(
        &mut self,
        prov: &Provenance,
        meta: &Meta,
        kind: Kind,
        head: Vec<u8>,
        mut reader: Hashing<R>,
        disk: Option<&[PathBuf]>,
        depth: usize,
    ) {
        // The hash first: it is the custody record, and a member identical
        // to an archive we are already inside is a cycle.
        let spooled = match disk {
            Some(parts) => Ok(Seekable::Disk(parts)),
            None => self.spool(head, &mut reader),
        };
        let (digest, size) = match reader.finish() {
            Ok(d) => d,
            Err(e) => return self.io_problem(prov, &e, "cannot read"),
        };
        self.custody(prov, meta, kind, digest, size);
        let source = match spooled {
            Ok(s) => s,
            Err(e) => return self.io_problem(prov, &e, "cannot spool for reading"),
        };
        if self.ancestors.contains(&digest) {
            return self.problem(
                prov,
                ProblemKind::Cycle,
                "this archive contains itself; not opened again",
            );
        }
        self.ancestors.push(digest);
        self.guarded(prov, |cx| match kind {
            Kind::Zip => match source {
                Seekable::Disk(parts) => match MultiFile::open(parts) {
                    Ok(f) => cx.zip(prov, f, depth),
                    Err(e) => cx.io_problem(prov, &e, "cannot open"),
                },
                Seekable::Memory(v) => cx.zip(prov, Cursor::new(v), depth),
                Seekable::Temp(f) => cx.zip(prov, f, depth),
            },
            Kind::SevenZ => match source {
                Seekable::Disk(parts) => match MultiFile::open(parts) {
                    Ok(f) => cx.sevenz(prov, f, depth),
                    Err(e) => cx.io_problem(prov, &e, "cannot open"),
                },
                Seekable::Memory(v) => cx.sevenz(prov, Cursor::new(v), depth),
                Seekable::Temp(f) => cx.sevenz(prov, f, depth),
            },
            _ => cx.pst(prov, source, depth),
        });
        self.ancestors.pop();
    }

    fn spool<R: Read>(
        &mut self,
        head: Vec<u8>,
        reader: &mut Hashing<R>,
    ) -> io::Result<Seekable<'static>> {
        let mut mem = head;
        let limit = self.limits.spool_in_memory;
        (&mut *reader)
            .take(limit.saturating_sub(mem.len() as u64) + 1)
            .read_to_end(&mut mem)?;
        if (mem.len() as u64) <= limit {
            return Ok(Seekable::Memory(mem));
        }
        let mut file = tempfile::tempfile()?;
        file.write_all(&mem)?;
        drop(mem);
        io::copy(reader, &mut file)?;
        file.rewind()?;
        Ok(Seekable::Temp(file))
    }

    fn zip<S: Read + Seek>(&mut self, prov: &Provenance, mut source: S, depth: usize) {
        let mut archive = match zip::ZipArchive::new(&mut source) {
            Ok(a) => a,
            Err(e) => {
                // No usable central directory (a cut-off download, say, or a
                // spanned archive, whose directory counts disks): the local
                // headers still lead to every member written before any
                // damage.
                if !e.to_string().contains("Multi-disk") {
                    self.problem(
                        prov,
                        ProblemKind::Truncated,
                        format!("zip central directory unreadable ({e}); members recovered from local headers"),
                    );
                }
                if let Err(e) = source.rewind() {
                    return self.io_problem(prov, &e, "cannot rewind");
                }
                return self.zip_stream(prov, source, depth);
            }
        };
        for i in 0..archive.len() {
            let meta = match archive.by_index_raw(i) {
                Ok(f) => ZipMeta::of(&f),
                Err(e) => {
                    self.problem(
                        prov,
                        ProblemKind::Corrupt,
                        format!("zip entry {i} unreadable: {e}"),
                    );
                    continue;
                }
            };
            let child = prov.member(&meta.name);
            if self.zip_skip(&child, &meta) {
                continue;
            }
            match archive.by_index(i) {
                Ok(file) => self.zip_read(&child, meta, file, depth),
                Err(zip::result::ZipError::UnsupportedArchive(what)) => {
                    self.problem(&child, ProblemKind::Unsupported, what.to_string())
                }
                Err(e) => self.problem(&child, ProblemKind::Corrupt, e.to_string()),
            }
        }
    }

    fn zip_stream<S: Read>(&mut self, prov: &Provenance, source: S, depth: usize) {
        let mut reader = BufReader::new(source);
        // A spanned archive's first part starts with the split signature.
        if reader
            .fill_buf()
            .is_ok_and(|b| b.starts_with(b"PK\x07\x08"))
        {
            reader.consume(4);
        }
        loop {
            match zip::read::read_zipfile_from_stream(&mut reader) {
                Ok(Some(file)) => {
                    let meta = ZipMeta::of(&file);
                    let child = prov.member(&meta.name);
                    if !self.zip_skip(&child, &meta) {
                        self.zip_read(&child, meta, file, depth);
                    }
                }
                Ok(None) => break,
                Err(e) => {
                    self.problem(
                        prov,
                        ProblemKind::Truncated,
                        format!("zip data breaks off: {e}; members before this point were kept"),
                    );
                    break;
                }
            }
        }
    }

    /// Report why a member is not read, if it is not.
    fn zip_skip(&mut self, child: &Provenance, meta: &ZipMeta) -> bool {
        if meta.is_dir {
            return true;
        }
        if meta.encrypted {
            self.problem(
                child,
                ProblemKind::Encrypted,
                "encrypted zip member; no password, not read",
            );
            return true;
        }
        if meta.is_link {
            self.problem(
                child,
                ProblemKind::NotFollowed,
                "symbolic link member not followed",
            );
            return true;
        }
        self.check_member_name(child, &meta.name);
        if meta.declared > self.budget.left() {
            if !self.bomb_reported {
                self.bomb_reported = true;
                self.problem(
                    child,
                    ProblemKind::DecompressionBomb,
                    format!(
                        "declares {} bytes, more than the {} decompressed bytes left for this file; not read",
                        meta.declared,
                        self.budget.left()
                    ),
                );
            }
            return true;
        }
        false
    }

    fn zip_read<R: Read>(
        &mut self,
        child: &Provenance,
        meta: ZipMeta,
        file: zip::read::ZipFile<'_, R>,
        depth: usize,
    ) {
        let child_meta = Meta {
            mtime: meta.mtime,
            layer: 0,
        };
        let mut limited = self.budget.wrap(Exact::new(file, meta.declared));
        self.node(child, &child_meta, Input::Stream(&mut limited), depth + 1);
    }

    fn sevenz<S: Read + Seek>(&mut self, prov: &Provenance, source: S, depth: usize) {
        use sevenz_rust2::{ArchiveReader, Error as SzError, Password};
        let mut archive =
            match ArchiveReader::new_with_memory_limit(source, Password::empty(), 512 << 10) {
                Ok(a) => a,
                Err(SzError::PasswordRequired) | Err(SzError::MaybeBadPassword(_)) => {
                    return self.problem(
                        prov,
                        ProblemKind::Encrypted,
                        "encrypted 7z archive; no password, not read",
                    );
                }
                Err(e) if format!("{e:?}").contains("AES") => {
                    return self.problem(
                        prov,
                        ProblemKind::Encrypted,
                        "encrypted 7z archive; no password, not read",
                    );
                }
                Err(e) => {
                    return self.problem(
                        prov,
                        ProblemKind::Corrupt,
                        format!("not a readable 7z archive: {e}"),
                    );
                }
            };
        archive.set_thread_count(1);
        let result = archive.for_each_entries(|entry, r| {
            if entry.is_directory || !entry.has_stream {
                return Ok(true);
            }
            let child = prov.member(&entry.name);
            self.check_member_name(&child, &entry.name);
            let child_meta = Meta {
                mtime: entry
                    .has_last_modified_date
                    .then(|| iso_utc(nt_to_unix(u64::from(entry.last_modified_date)))),
                layer: 0,
            };
            let mut limited = self.budget.wrap(r);
            self.node(&child, &child_meta, Input::Stream(&mut limited), depth + 1);
            Ok(true)
        });
        match result {
            Ok(()) => {}
            Err(SzError::PasswordRequired) | Err(SzError::MaybeBadPassword(_)) => self.problem(
                prov,
                ProblemKind::Encrypted,
                "encrypted 7z content; no password, not read",
            ),
            Err(e) => self.problem(
                prov,
                ProblemKind::Corrupt,
                format!("7z archive breaks off: {e}"),
            ),
        }
    }

    fn pst(&mut self, prov: &Provenance, source: Seekable<'_>, depth: usize) {
        let _ = depth;
        let temp;
        let path: &Path = match &source {
            Seekable::Disk([single]) => single,
            _ => {
                temp = match spool_named(source) {
                    Ok(t) => t,
                    Err(e) => return self.io_problem(prov, &e, "cannot spool the pst for readpst"),
                };
                temp.path()
            }
        };
        match outlook::read_pst(path) {
            Ok(items) => {
                for item in items {
                    match item {
                        Ok((inner, bytes)) => {
                            let child = prov.member(&inner);
                            let folder = inner.rsplit_once('/').map(|(f, _)| f.to_string());
                            let digest = sha256(&bytes);
                            self.emit(Event::Message(Occurrence {
                                folder,
                                reader_note: Some(
                                    "converted from Outlook pst by readpst".to_string(),
                                ),
                                ..Occurrence::new(child, bytes, digest, Format::Pst, None)
                            }));
                        }
                        Err((inner, e)) => {
                            self.problem(&prov.member(&inner), ProblemKind::Unreadable, e)
                        }
                    }
                }
            }
            Err(e) => self.problem(prov, ProblemKind::Unsupported, e),
        }
    }

    fn ole<R: Read>(
        &mut self,
        prov: &Provenance,
        meta: &Meta,
        head: Vec<u8>,
        mut reader: Hashing<R>,
    ) {
        let Some(bytes) = self.read_whole(prov, head, &mut reader) else {
            return self.drain_quietly(prov, meta, Kind::Ole, reader);
        };
        let (digest, size) = reader.finish_here();
        self.custody(prov, meta, Kind::Ole, digest, size);
        let converted = catch_unwind(AssertUnwindSafe(|| outlook::msg_to_rfc5322(&bytes)));
        let named_msg = prov.file_name().to_ascii_lowercase().ends_with(".msg");
        match converted {
            Ok(Ok(message)) => {
                let digest = sha256(&message);
                self.emit(Event::Message(Occurrence {
                    reader_note: Some(
                        "converted from Outlook msg; transport headers kept".to_string(),
                    ),
                    ..Occurrence::new(
                        prov.clone(),
                        message,
                        digest,
                        Format::Msg,
                        meta.mtime.clone(),
                    )
                }))
            }
            // Other OLE files (.doc, .xls) are documents, not mail: custody only.
            Ok(Err(e)) if named_msg => self.problem(
                prov,
                ProblemKind::Corrupt,
                format!("not a readable Outlook message: {e}"),
            ),
            Ok(Err(_)) => {}
            Err(_) => self.problem(
                prov,
                ProblemKind::ParserPanic,
                "the Outlook message parser failed on this input",
            ),
        }
    }
}

fn spool_named(source: Seekable<'_>) -> io::Result<tempfile::NamedTempFile> {
    let mut temp = tempfile::NamedTempFile::new()?;
    match source {
        Seekable::Memory(v) => temp.write_all(&v)?,
        Seekable::Temp(mut f) => {
            io::copy(&mut f, &mut temp)?;
        }
        Seekable::Disk(parts) => {
            io::copy(&mut MultiFile::open(parts)?, &mut temp)?;
        }
    }
    temp.flush()?;
    Ok(temp)
}

/// Windows FILETIME (100 ns since 1601) to Unix seconds.
fn nt_to_unix(t: u64) -> i64 {
    (t / 10_000_000) as i64 - 11_644_473_600
}

/// Unix seconds as an ISO 8601 UTC timestamp (mail-parser's formatter, as
/// the catalog's other dates).
pub(crate) fn iso_utc(secs: i64) -> String {
    mail_parser::DateTime::from_timestamp(secs).to_rfc3339()
}

/// What a zip member's headers say about it.
struct ZipMeta {
    name: String,
    mtime: Option<String>,
    encrypted: bool,
    is_dir: bool,
    is_link: bool,
    declared: u64,
}

impl ZipMeta {
    fn of<R: Read>(f: &zip::read::ZipFile<'_, R>) -> Self {
        let raw = f.name_raw();
        // Many tools write UTF-8 names without setting the flag; only names
        // that are not UTF-8 are taken as the legacy code page (CP437).
        let name = match std::str::from_utf8(raw) {
            Ok(s) => s.to_string(),
            Err(_) => f
                .name()
                .map(|n| n.into_owned())
                .unwrap_or_else(|_| String::from_utf8_lossy(raw).into_owned()),
        };
        let mtime = f.last_modified().map(|d| {
            format!(
                "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
                d.year(),
                d.month(),
                d.day(),
                d.hour(),
                d.minute(),
                d.second()
            )
        });
        ZipMeta {
            name,
            mtime,
            encrypted: f.encrypted(),
            is_dir: f.is_dir(),
            is_link: f.is_symlink(),
            declared: f.size(),
        }
    }
}

/// A member whose header declares its size: ending early is truncation,
/// not the end of the member (tar's reader would otherwise just stop).
struct Exact<R> {
    inner: R,
    left: u64,
}

impl<R> Exact<R> {
    fn new(inner: R, declared: u64) -> Self {
        Exact {
            inner,
            left: declared,
        }
    }
}

impl<R: Read> Read for Exact<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        let n = self.inner.read(buf)?;
        if n == 0 && self.left > 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                format!("member ends {} bytes before its declared size", self.left),
            ));
        }
        self.left = self.left.saturating_sub(n as u64);
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_unix_time() {
        assert_eq!(iso_utc(0), "1970-01-01T00:00:00Z");
        assert_eq!(iso_utc(1_493_888_400), "2017-05-04T09:00:00Z");
        assert_eq!(iso_utc(951_782_400), "2000-02-29T00:00:00Z");
    }

    #[test]
    fn an_archive_found_inside_itself_is_not_opened_again() {
        let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
        zip.start_file("a.eml", zip::write::SimpleFileOptions::default())
            .unwrap();
        zip.write_all(b"From: a@example.org\r\nSubject: x\r\n\r\nbody\r\n")
            .unwrap();
        let zip = zip.finish().unwrap().into_inner();
        let limits = Limits::default();
        let mut events = Vec::new();
        let mut sink = |e: Event| events.push(e);
        let mut cx = Cx {
            limits: &limits,
            budget: Budget::new(1 << 30),
            sink: &mut sink,
            bomb_reported: false,
            // As if we were already inside this very archive.
            ancestors: vec![sha256(&zip)],
        };
        let prov = Provenance::file("outer.zip").member("again.zip");
        let mut input = &zip[..];
        cx.node(
            &prov,
            &Meta {
                mtime: None,
                layer: 0,
            },
            Input::Stream(&mut input),
            1,
        );
        let problems: Vec<_> = events
            .iter()
            .filter_map(|e| match e {
                Event::Problem(p) => Some((p.provenance.as_str(), p.kind)),
                _ => None,
            })
            .collect();
        assert_eq!(problems, [("outer.zip!again.zip", ProblemKind::Cycle)]);
        assert!(!events.iter().any(|e| matches!(e, Event::Message(_))));
    }

    #[test]
    fn a_file_gone_before_it_is_read_is_reported_by_path() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("gone.eml"), b"From: a@b\r\n\r\nx").unwrap();
        let (units, _) = crate::plan(&[dir.path().to_path_buf()]);
        std::fs::remove_file(dir.path().join("gone.eml")).unwrap();
        let mut problems = Vec::new();
        crate::Reader::default().read_unit(&units[0], &mut |e| {
            if let Event::Problem(p) = e {
                problems.push((p.provenance.to_string(), p.kind));
            }
        });
        assert_eq!(
            problems,
            [("gone.eml".to_string(), ProblemKind::Unreadable)]
        );
    }
}
