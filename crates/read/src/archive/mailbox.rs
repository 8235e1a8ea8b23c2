//! Mailboxes: every mbox flavour and MMDF, split as they stream by
//! (`crate::mbox`), each entry a message at `box.mbox#N`.

use super::*;

impl Cx<'_> {
    pub(super) fn mailbox<R: Read>(
        &mut self,
        prov: &Provenance,
        meta: &Meta,
        kind: Kind,
        head: Vec<u8>,
        mut reader: Hashing<R>,
    ) {
        let (style, format) = match kind {
            Kind::Mmdf => (Style::Mmdf, Format::Mmdf),
            _ => (Style::From, Format::Mbox),
        };
        let result = {
            let rest = BufReader::with_capacity(256 << 10, Cursor::new(head).chain(&mut reader));
            mbox::split(rest, style, self.limits.max_message, |entry| {
                self.mbox_entry(prov, meta, format, entry)
            })
        };
        if let Err(e) = result {
            self.io_problem(
                prov,
                &e,
                "mailbox could not be read to the end; entries before this point were kept",
            );
            return;
        }
        self.drain_and_record(prov, meta, kind, reader);
    }

    pub(super) fn mbox_entry(
        &mut self,
        prov: &Provenance,
        meta: &Meta,
        format: Format,
        entry: Result<mbox::Entry, mbox::TooLarge>,
    ) {
        match entry {
            Ok(e) => {
                let mut notes = Vec::new();
                if e.unquoted > 0 {
                    notes.push(format!(
                        "un-quoted {} >From line(s) as the mbox format requires",
                        e.unquoted
                    ));
                }
                if e.used_content_length {
                    notes.push(
                        "Content-Length kept a From line inside the body (mboxcl2)".to_string(),
                    );
                }
                let digest = sha256(&e.bytes);
                self.emit(Event::Message(Occurrence {
                    range: Some((e.offset, e.raw_len)),
                    reader_note: (!notes.is_empty()).then(|| notes.join("; ")),
                    ..Occurrence::new(
                        prov.entry(e.index),
                        e.bytes,
                        digest,
                        format,
                        meta.mtime.clone(),
                    )
                }));
            }
            Err(t) => self.problem(
                &prov.entry(t.index),
                ProblemKind::TooLarge,
                format!(
                    "entry at byte {} is over {} bytes (the message size limit); not stored",
                    t.offset, t.seen
                ),
            ),
        }
    }
}
