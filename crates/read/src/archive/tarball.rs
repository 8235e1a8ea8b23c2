//! Tar archives (ustar, GNU, pax, V7), read as they stream.

use super::*;

impl Cx<'_> {
    pub(super) fn tar<R: Read>(
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
                    mtime: header.mtime().ok().map(|t| tamis_time::rfc3339(t as i64)),
                    layer: 0,
                };
                let declared = entry.size();
                let mut exact = Exact::new(&mut entry, declared);
                cx.node(&child, &child_meta, Input::Stream(&mut exact), depth + 1);
            }
        });
        self.drain_and_record(prov, meta, Kind::Tar, reader);
    }
}
