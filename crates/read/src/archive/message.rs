//! Nodes that are one message: loose `.eml` files and members, Apple
//! Mail `.emlx`.

use super::*;

impl Cx<'_> {
    pub(super) fn message<R: Read>(
        &mut self,
        prov: &Provenance,
        meta: &Meta,
        head: Vec<u8>,
        mut reader: Hashing<R>,
    ) {
        let Some(bytes) = self.read_whole(prov, head, &mut reader) else {
            return self.drain_quietly(prov, meta, Kind::Message, reader);
        };
        // The whole node is the message: its occurrence is its custody
        // record (same path, same SHA-256), so no separate one is made.
        let (digest, _) = reader.finish_here();
        self.emit(Event::Message(Occurrence::new(
            prov.clone(),
            bytes,
            digest,
            Format::File,
            meta.mtime.clone(),
        )));
    }

    /// After a problem was reported for a node, still record what it was.
    pub(super) fn drain_quietly<R: Read>(
        &mut self,
        prov: &Provenance,
        meta: &Meta,
        kind: Kind,
        reader: Hashing<R>,
    ) {
        if let Ok((digest, size)) = reader.finish() {
            self.custody(prov, meta, kind, digest, size);
        }
    }

    pub(super) fn emlx<R: Read>(
        &mut self,
        prov: &Provenance,
        meta: &Meta,
        head: Vec<u8>,
        mut reader: Hashing<R>,
    ) {
        let Some(bytes) = self.read_whole(prov, head, &mut reader) else {
            return self.drain_quietly(prov, meta, Kind::Emlx, reader);
        };
        let (digest, size) = reader.finish_here();
        self.custody(prov, meta, Kind::Emlx, digest, size);
        let nl = bytes
            .iter()
            .position(|b| *b == b'\n')
            .unwrap_or(bytes.len());
        let count: Option<usize> = std::str::from_utf8(&bytes[..nl])
            .ok()
            .and_then(|s| s.trim().parse().ok());
        let body = bytes.get(nl + 1..).unwrap_or_default();
        let (message, note) = match count {
            Some(n) if n <= body.len() => (&body[..n], None),
            _ => (
                body,
                Some("emlx byte count does not match; kept everything after it".to_string()),
            ),
        };
        self.emit(Event::Message(Occurrence {
            range: Some(((nl + 1) as u64, message.len() as u64)),
            reader_note: note,
            ..Occurrence::new(
                prov.clone(),
                message.to_vec(),
                sha256(message),
                Format::Emlx,
                meta.mtime.clone(),
            )
        }));
    }
}
