//! The index's fields and how their text is cut into words.
//!
//! Words are matched without case or accents (`elysee` finds `Élysée`:
//! French mail is written both ways); the `exact` field keeps both, for
//! `exact:"…"`. Numeric and keyword fields that facets count or results
//! sort by are fast fields (columnar), so a facet is a scan of a column,
//! never of documents.

use tantivy::Index;
use tantivy::schema::{
    FAST, Field, INDEXED, IndexRecordOption, STORED, STRING, Schema, TextFieldIndexing, TextOptions,
};
use tantivy::tokenizer::{
    AsciiFoldingFilter, LowerCaser, RemoveLongFilter, SimpleTokenizer, TextAnalyzer,
};

/// The version of what the index holds: its fields, how their words are
/// cut, what each document is built from. Change it with any of them: an
/// index of another version is dropped and built again from the case.
/// (1: the index of catalog schemas 4-8, which carried no version file;
/// 3: each copy's root and path stored apart, and the Message-ID as
/// written, so hits name messages as every output does.)
pub const VERSION: u32 = 3;

/// Tokenizer names, as registered on the index.
pub const FOLDED: &str = "tamis_folded";
pub const EXACT: &str = "tamis_exact";

/// Longest word indexed: longer "words" are base64 or hashes.
const LONGEST_WORD: usize = 64;

#[derive(Clone, Copy, Debug)]
pub struct Fields {
    /// SHA-256 of the message bytes: the message's identity.
    pub key: Field,
    /// Message-ID, without angle brackets, lowercased.
    pub id: Field,
    pub thread: Field,
    pub subject: Field,
    pub body: Field,
    pub exact: Field,
    pub from: Field,
    pub to: Field,
    pub cc: Field,
    pub from_domain: Field,
    pub header: Field,
    pub filename: Field,
    pub doc_text: Field,
    pub author: Field,
    pub kind: Field,
    pub has: Field,
    pub verdict: Field,
    pub signer: Field,
    pub finding: Field,
    /// Source paths and every prefix of them that ends a directory or an
    /// archive (`a/`, `a/x.zip!`, `a/x.zip!in/`), with and without the root.
    pub source: Field,
    /// The copies' source paths within their roots, stored for display.
    pub path: Field,
    /// The root each copy was found under, stored in the order of `path`.
    pub root: Field,
    /// The Message-ID as written, stored for display (`id` is for search).
    pub message_id: Field,
    pub date: Field,
    pub body_hash: Field,
}

fn text(tokenizer: &str, stored: bool) -> TextOptions {
    let o = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer(tokenizer)
            .set_index_option(IndexRecordOption::WithFreqsAndPositions),
    );
    if stored { o.set_stored() } else { o }
}

impl Fields {
    pub fn schema() -> (Schema, Fields) {
        let mut b = Schema::builder();
        let f = Fields {
            key: b.add_text_field("key", STRING | STORED | FAST),
            id: b.add_text_field("id", STRING),
            thread: b.add_text_field("thread", STRING | STORED),
            subject: b.add_text_field("subject", text(FOLDED, true)),
            body: b.add_text_field("body", text(FOLDED, false)),
            exact: b.add_text_field("exact", text(EXACT, false)),
            from: b.add_text_field("from", text(FOLDED, true)),
            to: b.add_text_field("to", text(FOLDED, false)),
            cc: b.add_text_field("cc", text(FOLDED, false)),
            from_domain: b.add_text_field("from_domain", STRING | FAST),
            header: b.add_text_field("header", text(FOLDED, false)),
            filename: b.add_text_field("filename", text(FOLDED, false)),
            doc_text: b.add_text_field("doc_text", text(FOLDED, false)),
            author: b.add_text_field("author", text(FOLDED, false)),
            kind: b.add_text_field("type", STRING),
            has: b.add_text_field("has", STRING),
            verdict: b.add_text_field("verdict", STRING | FAST | STORED),
            signer: b.add_text_field("signer", STRING | FAST),
            finding: b.add_text_field("finding", STRING),
            source: b.add_text_field("source", STRING),
            path: b.add_text_field("path", STORED),
            root: b.add_text_field("root", STORED),
            message_id: b.add_text_field("message_id", STORED),
            date: b.add_i64_field("date", INDEXED | FAST | STORED),
            body_hash: b.add_u64_field("body_hash", FAST),
        };
        (b.build(), f)
    }

    /// The fields a bare word searches.
    pub fn default_fields(&self) -> [Field; 7] {
        [
            self.subject,
            self.body,
            self.from,
            self.to,
            self.cc,
            self.filename,
            self.doc_text,
        ]
    }
}

pub fn folded() -> TextAnalyzer {
    TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(LONGEST_WORD))
        .filter(LowerCaser)
        .filter(AsciiFoldingFilter)
        .build()
}

pub fn exact() -> TextAnalyzer {
    TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(LONGEST_WORD))
        .build()
}

pub fn register(index: &Index) {
    index.tokenizers().register(FOLDED, folded());
    index.tokenizers().register(EXACT, exact());
}

/// The words of `text` as `analyzer` indexes them.
pub fn words(analyzer: &mut TextAnalyzer, text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut stream = analyzer.token_stream(text);
    while let Some(t) = stream.next() {
        out.push(t.text.clone());
    }
    out
}
