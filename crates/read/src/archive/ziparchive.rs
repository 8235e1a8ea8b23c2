//! Zip archives: from the central directory when it can be read, else
//! recovered from the local headers as they stream.

use super::*;

impl Cx<'_> {
    pub(super) fn zip<S: Read + Seek>(&mut self, prov: &Provenance, mut source: S, depth: usize) {
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

    pub(super) fn zip_stream<S: Read>(&mut self, prov: &Provenance, source: S, depth: usize) {
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
    pub(super) fn of<R: Read>(f: &zip::read::ZipFile<'_, R>) -> Self {
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
