//! Readers that account for bytes: hashing for custody, an expansion budget
//! against decompression bombs, and a seekable view over split archives.

use std::cell::Cell;
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::PathBuf;
use std::rc::Rc;

use sha2::{Digest, Sha256};

/// Hashes and counts everything read through it.
pub struct Hashing<R> {
    inner: R,
    hasher: Sha256,
    count: u64,
}

impl<R: Read> Hashing<R> {
    pub fn new(inner: R) -> Self {
        Hashing {
            inner,
            hasher: Sha256::new(),
            count: 0,
        }
    }

    /// Read what is left (so the hash covers the whole stream) and return
    /// the digest and size. A read error here is the caller's to report.
    pub fn finish(mut self) -> io::Result<([u8; 32], u64)> {
        io::copy(&mut self, &mut io::sink())?;
        Ok((self.hasher.finalize().into(), self.count))
    }

    /// Digest and size of what was read so far, without reading on.
    pub fn finish_here(self) -> ([u8; 32], u64) {
        (self.hasher.finalize().into(), self.count)
    }
}

impl<R: Read> Read for Hashing<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        self.count += n as u64;
        Ok(n)
    }
}

pub fn sha256(bytes: &[u8]) -> [u8; 32] {
    Sha256::digest(bytes).into()
}

/// Marker inside an `io::Error` raised when the expansion budget runs out.
#[derive(Debug, thiserror::Error)]
#[error("decompressed output exceeded the expansion budget of {budget} bytes")]
pub struct BudgetExceeded {
    pub budget: u64,
}

pub fn is_budget_error(e: &io::Error) -> bool {
    e.get_ref()
        .is_some_and(|inner| inner.is::<BudgetExceeded>())
}

/// The decompressed bytes still allowed for one unit, shared by every
/// decompressor inside it.
#[derive(Clone)]
pub struct Budget {
    left: Rc<Cell<u64>>,
    total: u64,
}

impl Budget {
    pub fn new(total: u64) -> Self {
        Budget {
            left: Rc::new(Cell::new(total)),
            total,
        }
    }

    pub fn wrap<R: Read>(&self, inner: R) -> Budgeted<R> {
        Budgeted {
            inner,
            budget: self.clone(),
        }
    }

    pub fn left(&self) -> u64 {
        self.left.get()
    }

    pub fn total(&self) -> u64 {
        self.total
    }
}

pub struct Budgeted<R> {
    inner: R,
    budget: Budget,
}

impl<R: Read> Read for Budgeted<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let left = self.budget.left.get();
        if left == 0 {
            return Err(io::Error::other(BudgetExceeded {
                budget: self.budget.total,
            }));
        }
        let want = buf.len().min(usize::try_from(left).unwrap_or(usize::MAX));
        let n = self.inner.read(&mut buf[..want])?;
        self.budget.left.set(left - n as u64);
        Ok(n)
    }
}

/// Several files read as one (`x.7z.001`, `x.7z.002`, ...).
pub struct MultiFile {
    parts: Vec<(File, u64)>,
    pos: u64,
    len: u64,
}

impl MultiFile {
    pub fn open(paths: &[PathBuf]) -> io::Result<Self> {
        let mut parts = Vec::with_capacity(paths.len());
        let mut len = 0;
        for p in paths {
            let f = File::open(p)?;
            let size = f.metadata()?.len();
            len += size;
            parts.push((f, size));
        }
        Ok(MultiFile { parts, pos: 0, len })
    }
}

impl Read for MultiFile {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let mut start = 0u64;
        for (f, size) in &mut self.parts {
            if self.pos < start + *size {
                f.seek(SeekFrom::Start(self.pos - start))?;
                let room = usize::try_from(start + *size - self.pos).unwrap_or(usize::MAX);
                let want = buf.len().min(room);
                let n = f.read(&mut buf[..want])?;
                self.pos += n as u64;
                return Ok(n);
            }
            start += *size;
        }
        Ok(0)
    }
}

impl Seek for MultiFile {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        let new = match to {
            SeekFrom::Start(n) => Some(n),
            SeekFrom::End(d) => self.len.checked_add_signed(d),
            SeekFrom::Current(d) => self.pos.checked_add_signed(d),
        };
        match new {
            Some(n) => {
                self.pos = n;
                Ok(n)
            }
            None => Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "seek before the start",
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn budget_is_shared_and_reported() {
        let b = Budget::new(10);
        let mut first = b.wrap(&b"123456"[..]);
        let mut out = Vec::new();
        first.read_to_end(&mut out).unwrap();
        let mut second = b.wrap(&b"abcdefgh"[..]);
        let mut out2 = Vec::new();
        let err = second.read_to_end(&mut out2).unwrap_err();
        assert!(is_budget_error(&err));
        assert_eq!(out2, b"abcd");
    }

    #[test]
    fn multifile_reads_across_parts() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("x.001");
        let b = dir.path().join("x.002");
        std::fs::write(&a, b"hello ").unwrap();
        std::fs::write(&b, b"world").unwrap();
        let mut m = MultiFile::open(&[a, b]).unwrap();
        let mut s = String::new();
        m.read_to_string(&mut s).unwrap();
        assert_eq!(s, "hello world");
        m.seek(SeekFrom::Start(4)).unwrap();
        let mut s = String::new();
        m.read_to_string(&mut s).unwrap();
        assert_eq!(s, "o world");
    }
}
