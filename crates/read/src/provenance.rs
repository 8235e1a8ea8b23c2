//! The provenance path: where, inside what, a message was found.
//!
//! Every output of tamis names a message by this path, so it is built and
//! printed in exactly one place. The grammar is the project's contract:
//! `dir/file.eml`, `dir/a.zip!inner/b.eml` (archive members, nested with more
//! `!`), `dir/box.mbox#3` (the fourth message of an mbox), `x.pst!Inbox/17`.
//! Compression layers (`.gz`, `.bz2`, `.xz`, `.zst`) are transparent: the
//! mbox inside `box.mbox.gz` is still `box.mbox.gz`, its third message
//! `box.mbox.gz#2`.
//!
//! Names are kept exactly as the container spells them (after decoding to
//! text), even when hostile (`../../etc/passwd`): the path is evidence, and
//! tamis never writes a member to disk under its own name.

use std::fmt;

/// A provenance path, relative to the root the user gave on the command line.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Provenance(String);

impl Provenance {
    /// A file found on disk, given by its path relative to the root, with `/`
    /// as separator whatever the platform.
    pub fn file(rel: impl Into<String>) -> Self {
        Provenance(rel.into())
    }

    /// A member of the archive this path names.
    pub fn member(&self, name: &str) -> Self {
        Provenance(format!("{}!{}", self.0, name))
    }

    /// The `n`-th message (from 0) of the mailbox this path names.
    pub fn entry(&self, n: u64) -> Self {
        Provenance(format!("{}#{}", self.0, n))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The last name in the path: the member or file name, without the
    /// containers around it and without an mbox entry number.
    pub fn file_name(&self) -> &str {
        let tail = self.0.rsplit('!').next().unwrap_or(&self.0);
        tail.rsplit('/').next().unwrap_or(tail)
    }
}

impl fmt::Display for Provenance {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<Provenance> for String {
    fn from(p: Provenance) -> String {
        p.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_the_contract_forms() {
        let zip = Provenance::file("archives/export.zip");
        let nested = zip.member("old/inner.zip").member("x.eml");
        assert_eq!(nested.as_str(), "archives/export.zip!old/inner.zip!x.eml");
        assert_eq!(nested.file_name(), "x.eml");
        let mbox = zip.member("a/box.mbox").entry(3);
        assert_eq!(mbox.to_string(), "archives/export.zip!a/box.mbox#3");
        assert_eq!(Provenance::file("d/Sent Items/1.eml").file_name(), "1.eml");
    }
}
