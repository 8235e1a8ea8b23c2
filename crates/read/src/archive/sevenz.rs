//! 7z archives, split sets (`x.7z.001`, ...) read as one.

use super::*;

impl Cx<'_> {
    pub(super) fn sevenz<S: Read + Seek>(&mut self, prov: &Provenance, source: S, depth: usize) {
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
                    .then(|| tamis_time::rfc3339(nt_to_unix(u64::from(entry.last_modified_date)))),
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
}
