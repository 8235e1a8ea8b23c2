//! Read every message out of a leak dump, whatever it is packed in.
//!
//! A dump is an adversary's artefact: archives inside archives, mailboxes of
//! several flavours, files that lie about their names, bombs and traps. This
//! crate turns paths on disk into a stream of [`Event`]s: each message found
//! ([`Occurrence`], with its [`Provenance`] path and exact bytes), a custody
//! record for every file and archive member it opened ([`Custody`]), and a
//! [`Problem`] for everything it could not read, tied to where it was.
//!
//! Invariants the rest of tamis relies on:
//! - sources are only ever opened for reading, and no member is written to
//!   disk under its own name (spooling uses anonymous temporary files);
//! - every node the reader reaches yields a custody record or a problem,
//!   every message an occurrence or a problem: nothing is skipped silently;
//! - memory stays bounded by the limits ([`Limits`]), not by the dump's size:
//!   mailboxes and tar streams are read as streams, and only members that
//!   need random access (zip, 7z, pst) are spooled, to memory when small and
//!   to an anonymous temporary file when not.

mod archive;
mod error;
mod hashing;
mod maildir;
pub mod mbox;
mod outlook;
mod provenance;
pub mod sniff;
mod walk;

use std::path::PathBuf;

pub use error::{Problem, ProblemKind, Severity};
pub use provenance::Provenance;
pub use sniff::Kind;
pub use walk::{Unit, plan};

/// Limits that keep a hostile dump from exhausting the machine. Every one is
/// reported as a problem when hit, never silently applied.
#[derive(Clone, Debug)]
pub struct Limits {
    /// How many containers deep to open (`a.zip!b.zip!c.eml` is depth 2).
    pub max_depth: usize,
    /// The largest single message read (larger ones are reported).
    pub max_message: u64,
    /// Decompressed bytes allowed per compressed byte of a top-level file.
    pub max_expansion_ratio: u64,
    /// ... but always at least this many decompressed bytes per file.
    pub min_expansion_budget: u64,
    /// Members needing random access larger than this are spooled to an
    /// anonymous temporary file instead of memory.
    pub spool_in_memory: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_depth: 16,
            max_message: 256 << 20,
            max_expansion_ratio: 200,
            min_expansion_budget: 4 << 30,
            spool_in_memory: 64 << 20,
        }
    }
}

/// What the reader reports, in the order it finds things. A container's
/// custody record comes after its contents (its hash is known only then).
#[derive(Debug)]
pub enum Event {
    Message(Occurrence),
    Custody(Custody),
    Problem(Problem),
}

/// The container format a message was read from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// A file (or member) holding exactly one message: .eml, Maildir, MH.
    File,
    Emlx,
    Mbox,
    Mmdf,
    /// Outlook .msg, converted to RFC 5322.
    Msg,
    /// An item of an Outlook .pst, converted to RFC 5322 by readpst.
    Pst,
}

impl Format {
    pub fn name(self) -> &'static str {
        match self {
            Format::File => "file",
            Format::Emlx => "emlx",
            Format::Mbox => "mbox",
            Format::Mmdf => "mmdf",
            Format::Msg => "msg",
            Format::Pst => "pst",
        }
    }

    /// The stored bytes were produced by tamis from another representation,
    /// so no signature can hold on them.
    pub fn is_converted(self) -> bool {
        matches!(self, Format::Msg | Format::Pst)
    }
}

/// One message found in the dump.
#[derive(Debug)]
pub struct Occurrence {
    pub provenance: Provenance,
    /// The message bytes exactly as stored in the container (mbox entries
    /// `>From `-un-quoted, see [`mbox`]).
    pub bytes: Vec<u8>,
    /// SHA-256 of `bytes`: the message's identity in the case.
    pub sha256: [u8; 32],
    pub format: Format,
    /// Offset and length in the enclosing mailbox stream, where there is one.
    pub range: Option<(u64, u64)>,
    /// Modification time recorded by the file system or archive.
    pub mtime: Option<String>,
    /// The mail folder, decoded (Maildir++ `.Tr&AOk-sorerie` is `Trésorerie`).
    pub folder: Option<String>,
    /// Maildir info flags (`S`, `RS`, ...).
    pub flags: Option<String>,
    /// What the reader did to the container's bytes to get the message, in
    /// words (`un-quoted 2 >From lines (mboxrd)`), if anything.
    pub reader_note: Option<String>,
}

impl Occurrence {
    /// A message found at `provenance`, its Maildir folder and flags read
    /// from the path; range and reader note to be set where there are any.
    pub fn new(
        provenance: Provenance,
        bytes: Vec<u8>,
        sha256: [u8; 32],
        format: Format,
        mtime: Option<String>,
    ) -> Self {
        let (folder, flags) = maildir::folder_and_flags(provenance.as_str());
        Occurrence {
            provenance,
            bytes,
            sha256,
            format,
            range: None,
            mtime,
            folder,
            flags,
            reader_note: None,
        }
    }
}

/// The chain-of-custody record of one file or archive member. A file or
/// member that is exactly one message has none: its [`Occurrence`] (same
/// path, SHA-256 of the same bytes) is its record.
#[derive(Debug)]
pub struct Custody {
    pub provenance: Provenance,
    /// Transparent decompression layers above this record at the same path
    /// (`x.tar.gz` is the gzip at layer 0 and the tar at layer 1).
    pub layer: u8,
    /// What it was found to be ([`Kind::name`]).
    pub kind: &'static str,
    pub size: u64,
    pub mtime: Option<String>,
    pub sha256: [u8; 32],
}

/// Reads units (files or split-archive sets found by [`plan`]) into events.
#[derive(Clone, Debug, Default)]
pub struct Reader {
    pub limits: Limits,
}

impl Reader {
    pub fn new(limits: Limits) -> Self {
        Reader { limits }
    }

    /// Read one unit, passing every event to `sink`. Never panics on input;
    /// a panic inside a third-party parser is caught and reported as a
    /// problem of the member it was parsing.
    pub fn read_unit(&self, unit: &Unit, sink: &mut dyn FnMut(Event)) {
        archive::read_unit(&self.limits, unit, sink);
    }

    /// Read bytes already in memory as if they were a file called `name`
    /// (one message given on the command line, or a fuzzer's input).
    pub fn read_bytes(&self, name: &str, bytes: &[u8], sink: &mut dyn FnMut(Event)) {
        archive::read_bytes(&self.limits, name, bytes, sink);
    }

    /// Read a single file outside any case (e.g. `tamis check FILE`).
    pub fn read_path(&self, path: PathBuf, sink: &mut dyn FnMut(Event)) {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| path.to_string_lossy().into_owned());
        let unit = Unit::single(path, name);
        self.read_unit(&unit, sink);
    }
}
