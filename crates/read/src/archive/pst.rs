//! Outlook containers: `.pst` through readpst (spooled to a named file
//! it can open), `.msg` (OLE) converted to RFC 5322 by `crate::outlook`.

use super::*;

impl Cx<'_> {
    pub(super) fn pst(&mut self, prov: &Provenance, source: Seekable<'_>, depth: usize) {
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

    pub(super) fn ole<R: Read>(
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

pub(super) fn spool_named(source: Seekable<'_>) -> io::Result<tempfile::NamedTempFile> {
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
