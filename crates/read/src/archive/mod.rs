//! The node reader: decide what each file or member is and open it,
//! recursively, within the limits.
//!
//! Data flows as streams wherever the format allows (mbox, tar, the
//! single-stream compressors), so memory is bounded by one message rather
//! than by a mailbox or an archive. Zip, 7z and pst need random access; a
//! member of those kinds is spooled (memory if small, an anonymous temporary
//! file if not) and its hash is known before it is opened, which is also how
//! an archive that contains itself is caught.
//!
//! This module decides what a node is and holds what every format shares
//! (the context, custody, spooling, the panic guard); each format family's
//! reader is a module of its own: `message` (loose messages, `.emlx`),
//! `mailbox` (mbox, MMDF), `compressed` (gzip, bzip2, xz, zstd), `tarball`,
//! `ziparchive`, `sevenz`, `pst` (Outlook `.pst` and `.msg`).

use std::fs::File;
use std::io::{self, BufRead, BufReader, Cursor, Read, Seek, Write};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

use crate::hashing::{Budget, Hashing, MultiFile, is_budget_error, sha256};
use crate::mbox::{self, Style};
use crate::sniff::{Kind, SNIFF_LEN, sniff};
use crate::walk::Unit;

mod compressed;
mod mailbox;
mod message;
mod pst;
mod sevenz;
mod tarball;
mod ziparchive;

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
        mtime: Some(tamis_time::rfc3339(unit.mtime)),
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
}

/// Windows FILETIME (100 ns since 1601) to Unix seconds.
fn nt_to_unix(t: u64) -> i64 {
    (t / 10_000_000) as i64 - 11_644_473_600
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
