//! Planning: from the paths a user gives to the units the reader works on.
//!
//! A unit is one file on disk, or the set of parts of a split archive
//! (`x.7z.001`, `x.7z.002`, ... or `x.z01`, ..., `x.zip`), read as one. Units
//! are independent, so they are what runs in parallel and what a resumed
//! ingest skips once done.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

use crate::{Problem, ProblemKind, Provenance};

#[derive(Clone, Debug)]
pub struct Unit {
    /// Index of the root (in the list given to [`plan`]) this unit is under.
    pub root: usize,
    /// The files to read, in order (one, or the parts of a split archive).
    pub parts: Vec<PathBuf>,
    /// Provenance of the unit: its path relative to the root, `/`-separated.
    pub provenance: Provenance,
    pub size: u64,
    /// Modification time (of the first part), seconds since the epoch.
    pub mtime: i64,
}

impl Unit {
    pub(crate) fn single(path: PathBuf, name: String) -> Self {
        let (size, mtime) = stat(&path).unwrap_or((0, 0));
        Unit {
            root: 0,
            parts: vec![path],
            provenance: Provenance::file(name),
            size,
            mtime,
        }
    }
}

fn stat(path: &Path) -> std::io::Result<(u64, i64)> {
    let m = std::fs::metadata(path)?;
    let mtime = m
        .modified()
        .ok()
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_secs() as i64);
    Ok((m.len(), mtime))
}

/// Walk the roots (files or directories) into units, sorted by provenance.
/// Symbolic links are not followed (a dump's link may point anywhere on the
/// reader's machine); each is reported.
pub fn plan(roots: &[PathBuf]) -> (Vec<Unit>, Vec<(usize, Problem)>) {
    let mut files: Vec<(usize, String, PathBuf)> = Vec::new();
    let mut problems = Vec::new();
    for (root_index, root) in roots.iter().enumerate() {
        let meta = match std::fs::symlink_metadata(root) {
            Ok(m) => m,
            Err(e) => {
                let name = root.to_string_lossy().into_owned();
                problems.push((
                    root_index,
                    Problem::new(
                        &Provenance::file(name),
                        ProblemKind::Unreadable,
                        e.to_string(),
                    ),
                ));
                continue;
            }
        };
        if meta.is_file() || meta.file_type().is_symlink() && root.is_file() {
            let name = root
                .file_name()
                .map_or_else(|| root.to_string_lossy(), |n| n.to_string_lossy())
                .into_owned();
            files.push((root_index, name, root.clone()));
            continue;
        }
        let walker = walkdir::WalkDir::new(root)
            .follow_links(false)
            .sort_by_file_name();
        for entry in walker {
            match entry {
                Ok(e) => {
                    let rel = relative(root, e.path());
                    if e.file_type().is_symlink() {
                        let target = std::fs::read_link(e.path())
                            .map(|t| t.to_string_lossy().into_owned())
                            .unwrap_or_default();
                        problems.push((
                            root_index,
                            Problem::new(
                                &Provenance::file(rel),
                                ProblemKind::NotFollowed,
                                format!("symbolic link to {target:?} not followed"),
                            ),
                        ));
                    } else if e.file_type().is_file() {
                        files.push((root_index, rel, e.into_path()));
                    } else if !e.file_type().is_dir() {
                        problems.push((
                            root_index,
                            Problem::new(
                                &Provenance::file(rel),
                                ProblemKind::NotFollowed,
                                "special file (device, socket or pipe) not read",
                            ),
                        ));
                    }
                }
                Err(e) => {
                    let rel = e
                        .path()
                        .map(|p| relative(root, p))
                        .unwrap_or_else(|| root.to_string_lossy().into_owned());
                    problems.push((
                        root_index,
                        Problem::new(
                            &Provenance::file(rel),
                            ProblemKind::Unreadable,
                            e.to_string(),
                        ),
                    ));
                }
            }
        }
    }
    let units = group_split_archives(files, &mut problems);
    (units, problems)
}

fn relative(root: &Path, path: &Path) -> String {
    let rel = path.strip_prefix(root).unwrap_or(path);
    let s: Vec<String> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if s.is_empty() {
        root.file_name()
            .map_or_else(|| root.to_string_lossy(), |n| n.to_string_lossy())
            .into_owned()
    } else {
        s.join("/")
    }
}

/// `name.001` style numbered parts, and `name.z01`.. + `name.zip`.
fn split_part(rel: &str) -> Option<(String, u32)> {
    let (stem, ext) = rel.rsplit_once('.')?;
    if ext.len() == 3 && ext.bytes().all(|b| b.is_ascii_digit()) {
        return ext.parse().ok().map(|n| (format!("{stem}.###"), n));
    }
    let lower = ext.to_ascii_lowercase();
    if lower.len() == 3 && lower.starts_with('z') && lower[1..].bytes().all(|b| b.is_ascii_digit())
    {
        return lower[1..].parse().ok().map(|n| (format!("{stem}.z##"), n));
    }
    None
}

fn group_split_archives(
    files: Vec<(usize, String, PathBuf)>,
    problems: &mut Vec<(usize, Problem)>,
) -> Vec<Unit> {
    type Part = (u32, String, PathBuf);
    let mut groups: BTreeMap<(usize, String), Vec<Part>> = BTreeMap::new();
    let mut singles = Vec::new();
    for (root, rel, path) in files {
        match split_part(&rel) {
            Some((key, n)) => groups.entry((root, key)).or_default().push((n, rel, path)),
            None => singles.push((root, rel, path)),
        }
    }
    let mut units = Vec::new();
    for ((root, key), mut parts) in groups {
        parts.sort();
        let is_zip_span = key.ends_with(".z##");
        if is_zip_span {
            // The last part of a spanned zip is the `.zip` itself.
            let zip = key.trim_end_matches(".z##").to_string() + ".zip";
            if let Some(i) = singles
                .iter()
                .position(|(r, rel, _)| *r == root && *rel == zip)
            {
                let (_, rel, path) = singles.remove(i);
                parts.push((u32::MAX, rel, path));
            }
        } else if parts.len() == 1 && parts[0].0 != 1 {
            // A lone `report.2016` is not a split archive.
            let (_, rel, path) = parts.remove(0);
            singles.push((root, rel, path));
            continue;
        }
        // A spanned zip is known by its `.zip` (its last part), other sets
        // by their first part.
        let named = if is_zip_span {
            parts.last()
        } else {
            parts.first()
        };
        let first = Provenance::file(named.map(|p| p.1.clone()).unwrap_or_default());
        let numbers: Vec<u32> = parts
            .iter()
            .map(|p| p.0)
            .filter(|n| *n != u32::MAX)
            .collect();
        for (want, got) in (1..).zip(&numbers) {
            if want != *got {
                problems.push((
                    root,
                    Problem::new(
                        &first,
                        ProblemKind::MissingPart,
                        format!("split archive part {want} is missing; reading the parts present"),
                    ),
                ));
                break;
            }
        }
        let paths: Vec<PathBuf> = parts.into_iter().map(|p| p.2).collect();
        let mut size = 0;
        let mut mtime = 0;
        for p in &paths {
            if let Ok((s, m)) = stat(p) {
                size += s;
                mtime = mtime.max(m);
            }
        }
        units.push(Unit {
            root,
            parts: paths,
            provenance: first,
            size,
            mtime,
        });
    }
    for (root, rel, path) in singles {
        let (size, mtime) = stat(&path).unwrap_or((0, 0));
        units.push(Unit {
            root,
            parts: vec![path],
            provenance: Provenance::file(rel),
            size,
            mtime,
        });
    }
    units.sort_by(|a, b| (a.root, &a.provenance).cmp(&(b.root, &b.provenance)));
    units
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_split_parts_and_reports_gaps() {
        let dir = tempfile::tempdir().unwrap();
        for name in [
            "a.7z.001",
            "a.7z.002",
            "b.7z.001",
            "b.7z.003",
            "note.2016",
            "c.eml",
        ] {
            std::fs::write(dir.path().join(name), name).unwrap();
        }
        let (units, problems) = plan(&[dir.path().to_path_buf()]);
        let names: Vec<(&str, usize)> = units
            .iter()
            .map(|u| (u.provenance.as_str(), u.parts.len()))
            .collect();
        assert_eq!(
            names,
            [
                ("a.7z.001", 2),
                ("b.7z.001", 2),
                ("c.eml", 1),
                ("note.2016", 1)
            ]
        );
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].1.kind, ProblemKind::MissingPart);
        assert_eq!(problems[0].1.provenance.as_str(), "b.7z.001");
    }

    #[cfg(unix)]
    #[test]
    fn reports_symlinks_instead_of_following_them() {
        let dir = tempfile::tempdir().unwrap();
        std::os::unix::fs::symlink("/etc/passwd", dir.path().join("link.eml")).unwrap();
        let (units, problems) = plan(&[dir.path().to_path_buf()]);
        assert!(units.is_empty());
        assert_eq!(problems[0].1.kind, ProblemKind::NotFollowed);
        assert_eq!(problems[0].1.provenance.as_str(), "link.eml");
    }
}
