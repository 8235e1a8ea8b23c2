//! Single-stream compressors (gzip, bzip2, xz, zstd): transparent layers
//! read as they stream, within the expansion budget.

use super::*;

impl Cx<'_> {
    pub(super) fn decompress<R: Read>(
        &mut self,
        prov: &Provenance,
        meta: &Meta,
        kind: Kind,
        head: Vec<u8>,
        mut reader: Hashing<R>,
        depth: usize,
    ) {
        let inner_meta = Meta {
            mtime: meta.mtime.clone(),
            layer: meta.layer.saturating_add(1),
        };
        self.guarded(prov, |cx| {
            let rest = BufReader::new(Cursor::new(head).chain(&mut reader));
            let decoder: io::Result<Box<dyn Read + '_>> = match kind {
                Kind::Gzip => Ok(Box::new(flate2::bufread::MultiGzDecoder::new(rest))),
                Kind::Bzip2 => Ok(Box::new(bzip2::bufread::MultiBzDecoder::new(rest))),
                Kind::Xz => Ok(Box::new(liblzma::bufread::XzDecoder::new_multi_decoder(
                    rest,
                ))),
                _ => zstd::stream::read::Decoder::with_buffer(rest)
                    .map(|d| Box::new(d) as Box<dyn Read>),
            };
            match decoder {
                Ok(d) => {
                    let mut limited = cx.budget.wrap(d);
                    cx.node(prov, &inner_meta, Input::Stream(&mut limited), depth + 1);
                }
                Err(e) => cx.io_problem(prov, &e, "cannot start decompressing"),
            }
        });
        self.drain_and_record(prov, meta, kind, reader);
    }
}
