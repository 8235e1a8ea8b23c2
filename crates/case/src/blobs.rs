//! The message store: raw bytes, content-addressed, compressed, append-only.
//!
//! Messages are appended as LZ4 frames to pack files rather than written one
//! file each: a dump of a million messages would otherwise be a million
//! files, and appends are what makes an interrupted ingest cheap to repair.
//! A pack's bytes are valid up to the length the catalog committed; on open,
//! anything beyond (a write that a kill interrupted) is cut off. Committed
//! bytes are never rewritten. LZ4 rather than zstd because ingest must keep
//! up with reading and hashing: it compresses mail about 2:1 at several
//! GB/s.
//!
//! A frame is either LZ4 (the message's length as a little-endian u32, then
//! an LZ4 block) or stored as it is (the [`STORED`] mark, then the bytes).
//! Messages carrying attachments are mostly base64 of files that are
//! already compressed, which LZ4 barely shrinks: stored as they are, they
//! are read back with no decompression pass over them.

use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use rusqlite::Connection;

use crate::CaseError;

/// A pack is closed and a new one started past this size.
const PACK_LIMIT: u64 = 1 << 30;

pub struct Packs {
    dir: PathBuf,
    /// The open pack: id, buffered writer (one syscall per 1 MiB, not per
    /// message), length including what is still buffered.
    current: Option<(i64, BufWriter<File>, u64)>,
    dirty: bool,
}

/// Where a stored message is.
#[derive(Clone, Copy, Debug)]
pub struct BlobRef {
    pub pack: i64,
    pub offset: u64,
    pub len: u64,
}

pub fn pack_path(dir: &Path, id: i64) -> PathBuf {
    dir.join(format!("pack-{id:06}.lz4"))
}

impl Packs {
    /// Open the packs of a case, cutting off any uncommitted tail.
    pub fn open(dir: &Path, conn: &Connection) -> Result<Self, CaseError> {
        std::fs::create_dir_all(dir)?;
        let mut committed = conn.prepare("SELECT id, committed_len FROM packs")?;
        let rows: Vec<(i64, u64)> = committed
            .query_map([], |r| Ok((r.get(0)?, r.get::<_, i64>(1)? as u64)))?
            .collect::<Result<_, _>>()?;
        for entry in std::fs::read_dir(dir)? {
            let path = entry?.path();
            let id = path.file_name().and_then(|n| n.to_str()).and_then(|n| {
                n.strip_prefix("pack-")?
                    .strip_suffix(".lz4")?
                    .parse::<i64>()
                    .ok()
            });
            let Some(id) = id else { continue };
            let keep = rows
                .iter()
                .find(|(i, _)| *i == id)
                .map_or(0, |(_, len)| *len);
            let f = OpenOptions::new().write(true).open(&path)?;
            if f.metadata()?.len() > keep {
                f.set_len(keep)?;
            }
        }
        Ok(Packs {
            dir: dir.to_path_buf(),
            current: None,
            dirty: false,
        })
    }

    /// Append one message, already made a frame by [`frame`]; the caller
    /// records the returned reference in the transaction that
    /// [`Packs::sync`] is called in.
    pub fn append(&mut self, conn: &Connection, frame: &[u8]) -> Result<BlobRef, CaseError> {
        if self
            .current
            .as_ref()
            .is_none_or(|(_, _, len)| *len + frame.len() as u64 > PACK_LIMIT)
        {
            self.roll(conn)?;
        }
        let Some((id, file, len)) = self.current.as_mut() else {
            unreachable!("roll always opens a pack")
        };
        file.write_all(frame)?;
        let r = BlobRef {
            pack: *id,
            offset: *len,
            len: frame.len() as u64,
        };
        *len += frame.len() as u64;
        self.dirty = true;
        Ok(r)
    }

    fn roll(&mut self, conn: &Connection) -> Result<(), CaseError> {
        self.sync(conn)?;
        let last: Option<(i64, u64)> = conn
            .query_row(
                "SELECT id, committed_len FROM packs ORDER BY id DESC LIMIT 1",
                [],
                |r| Ok((r.get(0)?, r.get::<_, i64>(1)? as u64)),
            )
            .ok();
        let (id, len) = match last {
            Some((id, len)) if len < PACK_LIMIT && self.current.is_none() => (id, len),
            Some((id, _)) => (id + 1, 0),
            None => (1, 0),
        };
        let mut file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(pack_path(&self.dir, id))?;
        file.seek(SeekFrom::End(0))?;
        conn.execute(
            "INSERT OR IGNORE INTO packs (id, committed_len) VALUES (?1, ?2)",
            (id, len as i64),
        )?;
        self.current = Some((id, BufWriter::with_capacity(1 << 20, file), len));
        Ok(())
    }

    /// Make appended bytes durable and record their length; call inside the
    /// transaction that records the messages, just before committing it.
    pub fn sync(&mut self, conn: &Connection) -> Result<(), CaseError> {
        if let Some((id, file, len)) = &mut self.current
            && self.dirty
        {
            file.flush()?;
            file.get_ref().sync_data()?;
            conn.execute(
                "UPDATE packs SET committed_len = ?2 WHERE id = ?1",
                (*id, *len as i64),
            )?;
            self.dirty = false;
        }
        Ok(())
    }
}

/// The first four bytes of a stored frame. In an LZ4 frame they are the
/// message's length, and no message is 4 GiB long (the reader stops far
/// below; longer bytes are stored, since the length would not fit).
const STORED: [u8; 4] = [0xff; 4];

/// Make a message the frame a pack stores (done by the worker threads, so
/// the single writer only appends): LZ4, unless that saves less than an
/// eighth, when reading it back would cost a pass for little.
pub fn frame(bytes: &[u8]) -> Vec<u8> {
    if bytes.len() < u32::MAX as usize {
        let compressed = lz4_flex::compress_prepend_size(bytes);
        if compressed.len() < bytes.len() - bytes.len() / 8 {
            return compressed;
        }
    }
    let mut stored = Vec::with_capacity(STORED.len() + bytes.len());
    stored.extend_from_slice(&STORED);
    stored.extend_from_slice(bytes);
    stored
}

thread_local! {
    /// Open packs, per thread: verification reads thousands of messages a
    /// second, and an open per message would cost more than its check.
    /// Tagged with the generation they were opened in.
    static OPEN: std::cell::RefCell<Reader> = const {
        std::cell::RefCell::new(Reader { generation: 0, files: Vec::new(), frame: Vec::new(), out: Vec::new() })
    };
}

struct Reader {
    generation: u64,
    files: Vec<(PathBuf, File)>,
    /// The frame as read, reused: a fresh zeroed buffer per message cost
    /// more in page faults than the decompression. A stored frame is lent
    /// from here.
    frame: Vec<u8>,
    /// An LZ4 frame's message, reused likewise.
    out: Vec<u8>,
}

/// Bumped whenever a case is opened: handles opened before are dropped, so
/// a case deleted and made again at the same path is never read through a
/// stale handle.
static GENERATION: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

pub fn forget_open_packs() {
    GENERATION.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
}

/// Read one stored message back.
pub fn read(dir: &Path, r: BlobRef) -> Result<Vec<u8>, CaseError> {
    read_with(dir, r, <[u8]>::to_vec)
}

/// Read one stored message back and lend it to `f`, in a buffer the thread
/// reuses: a pass over the whole case (verification) then allocates
/// nothing per message.
pub fn read_with<R>(dir: &Path, r: BlobRef, f: impl FnOnce(&[u8]) -> R) -> Result<R, CaseError> {
    use std::os::unix::fs::FileExt;
    let path = pack_path(dir, r.pack);
    let len = usize::try_from(r.len).map_err(|_| CaseError::Corrupt("blob length".into()))?;
    // The buffers are taken out of the thread's reader while `f` runs (it
    // may read another message) and keep the length of the largest message
    // read so far: growing one zero-fills it, and messages of every size
    // alternate.
    let (mut frame, mut out) = OPEN.with(|cell| -> Result<_, CaseError> {
        let mut cell = cell.borrow_mut();
        let generation = GENERATION.load(std::sync::atomic::Ordering::SeqCst);
        if cell.generation != generation {
            cell.generation = generation;
            cell.files.clear();
        }
        let i = match cell.files.iter().position(|(p, _)| *p == path) {
            Some(i) => i,
            None => {
                cell.files.push((path.clone(), File::open(&path)?));
                cell.files.len() - 1
            }
        };
        let mut frame = std::mem::take(&mut cell.frame);
        if frame.len() < len {
            frame.resize(len, 0);
        }
        cell.files[i].1.read_exact_at(&mut frame[..len], r.offset)?;
        Ok((frame, std::mem::take(&mut cell.out)))
    })?;
    let result = match frame[..len].strip_prefix(&STORED) {
        Some(stored) => Ok(f(stored)),
        None => decompress(&frame[..len], &mut out).map(|n| f(&out[..n])),
    };
    // Back for the next read (unless a huge message made it worth freeing).
    OPEN.with(|cell| {
        let Reader {
            frame: kept_frame,
            out: kept_out,
            ..
        } = &mut *cell.borrow_mut();
        for (buffer, taken) in [(kept_frame, &mut frame), (kept_out, &mut out)] {
            if taken.len() <= 16 << 20 {
                *buffer = std::mem::take(taken);
            }
        }
    });
    result
}

/// Decompress an LZ4 frame into `out` (grown as needed); returns the
/// message's length.
fn decompress(frame: &[u8], out: &mut Vec<u8>) -> Result<usize, CaseError> {
    let corrupt = |e: &dyn std::fmt::Display| CaseError::Corrupt(format!("stored message: {e}"));
    let (size, compressed) = lz4_flex::block::uncompressed_size(frame).map_err(|e| corrupt(&e))?;
    // The size comes from the pack: a damaged one must not make us
    // allocate gigabytes. No message is stored larger than its frame
    // could hold (LZ4 expands at most 255:1).
    if size > compressed.len().saturating_mul(255).saturating_add(16) {
        return Err(corrupt(&"impossible length"));
    }
    if out.len() < size {
        out.resize(size, 0);
    }
    lz4_flex::block::decompress_into(compressed, &mut out[..size]).map_err(|e| corrupt(&e))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each kind of frame, written into a pack one after the other, reads
    /// back as the bytes it was made from.
    #[test]
    fn frames_of_both_kinds_read_back() {
        let text = b"Subject: minutes\r\n\r\n".repeat(200);
        // Like base64 of a compressed attachment: nothing for LZ4 to find.
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        let noise: Vec<u8> = (0..50_000)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
                    [(state % 64) as usize]
            })
            .collect();
        let messages: [&[u8]; 4] = [&text, &noise, b"", b"x"];
        let dir = tempfile::tempdir().unwrap();
        let mut pack = Vec::new();
        let mut refs = Vec::new();
        for m in messages {
            let f = frame(m);
            refs.push(BlobRef {
                pack: 1,
                offset: pack.len() as u64,
                len: f.len() as u64,
            });
            pack.extend_from_slice(&f);
        }
        std::fs::write(pack_path(dir.path(), 1), &pack).unwrap();
        forget_open_packs();
        let stored: Vec<bool> = messages
            .iter()
            .map(|m| frame(m).starts_with(&STORED))
            .collect();
        assert_eq!(
            stored,
            [false, true, true, true],
            "text is compressed, noise is not"
        );
        for (m, r) in messages.iter().zip(&refs) {
            assert_eq!(read(dir.path(), *r).unwrap(), *m);
        }
    }

    #[test]
    fn a_damaged_frame_is_an_error_not_an_allocation() {
        let dir = tempfile::tempdir().unwrap();
        // An LZ4 frame claiming a message of 4 GiB - 2 bytes.
        std::fs::write(pack_path(dir.path(), 1), [0xfe, 0xff, 0xff, 0xff, 0x10]).unwrap();
        forget_open_packs();
        let r = BlobRef {
            pack: 1,
            offset: 0,
            len: 5,
        };
        assert!(matches!(read(dir.path(), r), Err(CaseError::Corrupt(_))));
    }
}
