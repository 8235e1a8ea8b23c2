//! Search over a case: a tantivy index, the query language, threads,
//! facets and snippets.
//!
//! The index lives in the case (`leak.case/index/`) and is derived data:
//! it can be deleted and rebuilt from the catalog and the stored bytes at
//! any time (`tamis index --rebuild`). It holds what a search filters on —
//! text, addresses, document text and metadata, verdicts, signers,
//! findings, threads, sources — and stores only what a result line shows;
//! everything else is read from the case by message hash.
//!
//! - [`query`]: the query language, parsed without the index;
//! - [`threads`]: JWZ threading that forged Message-IDs cannot hijack;
//! - `indexing`: the refresh that keeps the index in step with the case;
//! - this module: running queries, facets, snippets, duplicate groups.

mod facets;
mod fields;
mod indexing;
pub mod query;
pub mod threads;

use std::ops::Bound;
use std::path::Path;

use serde::Serialize;
use tamis_case::{Case, MessageRef};
use tantivy::collector::{Count, TopDocs};
use tantivy::query::{
    AllQuery, BooleanQuery, Occur, PhraseQuery, Query, RangeQuery, RegexQuery, TermQuery,
};
use tantivy::schema::{IndexRecordOption, Term, Value};
use tantivy::snippet::SnippetGenerator;
use tantivy::{DocAddress, Index, IndexReader, Order, ReloadPolicy, TantivyDocument};

pub use facets::Facets;
pub use fields::Fields;
pub use indexing::RefreshReport;
use query::{Field as Op, Node};

#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    #[error("search index: {0}")]
    Index(#[from] tantivy::TantivyError),
    #[error("search index files: {0}")]
    Dir(#[from] tantivy::directory::error::OpenDirectoryError),
    #[error(transparent)]
    Case(#[from] tamis_case::CaseError),
    #[error("query: {0}")]
    Query(#[from] query::QueryError),
    #[error("search index files: {0}")]
    Io(#[from] std::io::Error),
    #[error(
        "the search index was built by another tamis (index version {found}, this one uses {wanted}): any command that updates the case rebuilds it"
    )]
    Outdated { found: u32, wanted: u32 },
}

pub type Result<T, E = SearchError> = std::result::Result<T, E>;

/// The search index of one case.
pub struct SearchIndex {
    index: Index,
    reader: IndexReader,
    fields: Fields,
}

/// Where the index lives inside a case.
pub const DIR: &str = "index";

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Sort {
    /// Newest first.
    #[default]
    Date,
    Relevance,
}

/// One search.
#[derive(Clone, Debug)]
pub struct Request<'a> {
    pub query: &'a str,
    pub limit: usize,
    pub offset: usize,
    pub sort: Sort,
    /// Count verdicts, sender domains, signers, months and days over all
    /// matches.
    pub facets: bool,
}

impl Default for Request<'_> {
    fn default() -> Self {
        Request {
            query: "",
            limit: 20,
            offset: 0,
            sort: Sort::Date,
            facets: false,
        }
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct Hit {
    /// The message, named by its first copy; `copies` says how many
    /// there are.
    #[serde(flatten)]
    pub message: MessageRef,
    pub date: Option<i64>,
    pub from: Option<String>,
    pub subject: Option<String>,
    pub verdict: String,
    pub copies: usize,
    pub thread: Option<String>,
    pub score: Option<f32>,
    pub snippet: Option<Snippet>,
}

/// A passage of the body around the matched words; `highlights` are byte
/// ranges of `text`.
#[derive(Clone, Debug, Serialize)]
pub struct Snippet {
    pub text: String,
    pub highlights: Vec<(usize, usize)>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Results {
    pub total: u64,
    pub hits: Vec<Hit>,
    pub facets: Option<Facets>,
}

/// Messages with the same subject and text under different bytes.
#[derive(Clone, Debug, Serialize)]
pub struct DuplicateGroup {
    pub messages: Vec<String>,
}

/// Beside tantivy's files: the [`fields::VERSION`] the index was built at.
const VERSION_FILE: &str = "tamis-index-version";

/// What [`SearchIndex::open_current`] had to do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Opened {
    /// The index was there, at this version.
    Current,
    /// There was none: an empty one was created.
    Created,
    /// An index of another version (`found`; 1 for one that predates the
    /// version file) or one that could not be opened (`found: None`) was
    /// dropped; an empty one took its place, and the case's record of what
    /// it held was forgotten, so the next refresh indexes every message.
    Dropped { found: Option<u32> },
}

impl SearchIndex {
    /// Open the index of the case at `case_dir` for searching, creating it
    /// if absent. An index of another version is refused
    /// ([`SearchError::Outdated`]): [`SearchIndex::open_current`] rebuilds it.
    pub fn open(case_dir: &Path) -> Result<SearchIndex> {
        if let Some(found) = Self::version_at(case_dir)
            && found != fields::VERSION
        {
            return Err(SearchError::Outdated {
                found,
                wanted: fields::VERSION,
            });
        }
        Self::open_dir(case_dir)
    }

    /// Open the index of `case`, dropping it first if it is of another
    /// version or cannot be opened: the index is derived data, made again
    /// from the case by the next refresh.
    pub fn open_current(case: &mut Case) -> Result<(SearchIndex, Opened)> {
        let dir = case.dir().join(DIR);
        let found = Self::version_at(case.dir());
        let opened = match found {
            _ if !Self::exists(case.dir()) => Opened::Created,
            Some(v) if v == fields::VERSION => match Self::open_dir(case.dir()) {
                Ok(index) => return Ok((index, Opened::Current)),
                Err(_) => Opened::Dropped { found: None },
            },
            _ => Opened::Dropped { found },
        };
        if let Opened::Dropped { .. } = opened {
            std::fs::remove_dir_all(&dir)?;
            case.forget_indexed()?;
        }
        Ok((Self::open_dir(case.dir())?, opened))
    }

    /// Drop the index and start an empty one: the next refresh indexes
    /// every message (`tamis index --rebuild`).
    pub fn rebuild(case: &mut Case) -> Result<SearchIndex> {
        let dir = case.dir().join(DIR);
        if dir.exists() {
            std::fs::remove_dir_all(&dir)?;
        }
        case.forget_indexed()?;
        Self::open_dir(case.dir())
    }

    /// The version of the index in `case_dir`: `None` without an index, 1
    /// for one built before indexes carried a version.
    fn version_at(case_dir: &Path) -> Option<u32> {
        if !Self::exists(case_dir) {
            return None;
        }
        let text = std::fs::read_to_string(case_dir.join(DIR).join(VERSION_FILE));
        Some(text.ok().and_then(|t| t.trim().parse().ok()).unwrap_or(1))
    }

    fn open_dir(case_dir: &Path) -> Result<SearchIndex> {
        let dir = case_dir.join(DIR);
        std::fs::create_dir_all(&dir)?;
        let version = dir.join(VERSION_FILE);
        if !version.exists() {
            std::fs::write(&version, format!("{}\n", fields::VERSION))?;
        }
        let (schema, fields) = Fields::schema();
        let mmap = tantivy::directory::MmapDirectory::open(&dir)?;
        let index = Index::open_or_create(mmap, schema)?;
        fields::register(&index);
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()?;
        Ok(SearchIndex {
            index,
            reader,
            fields,
        })
    }

    /// Does the case have an index yet?
    pub fn exists(case_dir: &Path) -> bool {
        case_dir.join(DIR).join("meta.json").exists()
    }

    /// Messages in the index.
    pub fn len(&self) -> u64 {
        self.reader.searcher().num_docs()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Run a search. With a case, hits carry a snippet of their body.
    pub fn search(&self, req: &Request<'_>, case: Option<&Case>) -> Result<Results> {
        let node = query::parse(req.query)?;
        let searcher = self.reader.searcher();
        let q = self.compile(&node, &searcher)?;
        let limit = req.limit.max(1);
        let (total, facets) = if req.facets {
            let (n, f) = searcher.search(&q, &(Count, facets::Collect))?;
            (n as u64, Some(f))
        } else {
            (searcher.search(&q, &Count)? as u64, None)
        };
        let top: Vec<(Option<f32>, DocAddress)> = match req.sort {
            Sort::Relevance => searcher
                .search(
                    &q,
                    &TopDocs::with_limit(limit)
                        .and_offset(req.offset)
                        .order_by_score(),
                )?
                .into_iter()
                .map(|(s, a)| (Some(s), a))
                .collect(),
            Sort::Date => searcher
                .search(
                    &q,
                    &TopDocs::with_limit(limit)
                        .and_offset(req.offset)
                        .order_by_fast_field::<i64>("date", Order::Desc),
                )?
                .into_iter()
                .map(|(_, a)| (None, a))
                .collect(),
        };
        let snippets = match case {
            Some(_) => Some(SnippetGenerator::create(&searcher, &*q, self.fields.body)?),
            None => None,
        };
        let mut hits = Vec::with_capacity(top.len());
        for (score, addr) in top {
            let doc: TantivyDocument = searcher.doc(addr)?;
            let mut hit = self.hit(&doc, score);
            if let (Some(case), Some(g)) = (case, &snippets)
                && let Some(text) = case.search_text(&hit.message.sha256)?
            {
                let s = g.snippet(&text.body);
                hit.snippet = Some(Snippet {
                    text: s.fragment().to_string(),
                    highlights: s.highlighted().iter().map(|r| (r.start, r.end)).collect(),
                });
            }
            hits.push(hit);
        }
        Ok(Results {
            total,
            hits,
            facets,
        })
    }

    fn hit(&self, doc: &TantivyDocument, score: Option<f32>) -> Hit {
        let f = &self.fields;
        let text = |field| {
            doc.get_first(field)
                .and_then(|v| v.as_str())
                .map(str::to_string)
        };
        let copies = doc.get_all(f.path).count();
        Hit {
            message: MessageRef {
                sha256: text(f.key).unwrap_or_default(),
                message_id: text(f.message_id),
                root: text(f.root),
                source: text(f.path),
            },
            date: doc.get_first(f.date).and_then(|v| v.as_i64()),
            from: text(f.from),
            subject: text(f.subject).filter(|s| !s.is_empty()),
            verdict: text(f.verdict).unwrap_or_default(),
            copies,
            thread: text(f.thread),
            score,
            snippet: None,
        }
    }

    /// Groups of messages whose subject and text are the same but whose
    /// bytes differ (byte-identical copies are one message already).
    pub fn duplicate_groups(&self) -> Result<Vec<DuplicateGroup>> {
        let searcher = self.reader.searcher();
        let mut groups: std::collections::HashMap<u64, Vec<String>> = Default::default();
        for seg in searcher.segment_readers() {
            let hashes = seg.fast_fields().u64("body_hash")?;
            let Some(keys) = seg.fast_fields().str("key")? else {
                continue;
            };
            let mut key = String::new();
            for doc in seg.doc_ids_alive() {
                let (Some(h), Some(ord)) = (hashes.first(doc), keys.term_ords(doc).next()) else {
                    continue;
                };
                if keys.ord_to_str(ord, &mut key)? {
                    groups.entry(h).or_default().push(key.clone());
                }
            }
        }
        let mut out: Vec<DuplicateGroup> = groups
            .into_values()
            .filter(|g| g.len() > 1)
            .map(|mut messages| {
                messages.sort();
                DuplicateGroup { messages }
            })
            .collect();
        out.sort_by(|a, b| {
            b.messages
                .len()
                .cmp(&a.messages.len())
                .then(a.messages.cmp(&b.messages))
        });
        Ok(out)
    }

    /// The tantivy query for a parsed query.
    fn compile(&self, node: &Node, s: &tantivy::Searcher) -> Result<Box<dyn Query>> {
        Ok(match node {
            Node::All => Box::new(AllQuery),
            Node::Not(inner) => Box::new(BooleanQuery::new(vec![
                (Occur::Must, Box::new(AllQuery) as Box<dyn Query>),
                (Occur::MustNot, self.compile(inner, s)?),
            ])),
            Node::And(parts) => {
                let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
                for p in parts {
                    clauses.push(match p {
                        Node::Not(inner) => (Occur::MustNot, self.compile(inner, s)?),
                        other => (Occur::Must, self.compile(other, s)?),
                    });
                }
                if clauses.iter().all(|(o, _)| *o == Occur::MustNot) {
                    clauses.push((Occur::Must, Box::new(AllQuery)));
                }
                Box::new(BooleanQuery::new(clauses))
            }
            Node::Or(parts) => Box::new(BooleanQuery::union(
                parts
                    .iter()
                    .map(|p| self.compile(p, s))
                    .collect::<Result<_>>()?,
            )),
            Node::Term { field, text, .. } => self.term(*field, text, s)?,
        })
    }

    fn term(&self, op: Option<Op>, text: &str, s: &tantivy::Searcher) -> Result<Box<dyn Query>> {
        let f = &self.fields;
        let words = |fs: &[tantivy::schema::Field]| self.words(fs, text, false);
        let keyword = |field, value: String| -> Box<dyn Query> {
            Box::new(TermQuery::new(
                Term::from_field_text(field, &value),
                IndexRecordOption::Basic,
            ))
        };
        let lower = text.trim().to_lowercase();
        Ok(match op {
            None => words(&f.default_fields()),
            Some(Op::From) => words(&[f.from]),
            Some(Op::To) => words(&[f.to]),
            Some(Op::Cc) => words(&[f.cc]),
            Some(Op::Subject) => words(&[f.subject]),
            Some(Op::Body) => words(&[f.body]),
            Some(Op::Filename) => words(&[f.filename]),
            Some(Op::Author) => words(&[f.author]),
            Some(Op::Header) => words(&[f.header]),
            Some(Op::Exact) => self.words(&[f.exact], text, true),
            Some(Op::Date) => {
                let (lo, hi) = query::date_span(text)?;
                let bound = |v: Option<i64>, incl: bool| match v {
                    None => Bound::Unbounded,
                    Some(v) if incl => Bound::Included(Term::from_field_i64(f.date, v)),
                    Some(v) => Bound::Excluded(Term::from_field_i64(f.date, v)),
                };
                Box::new(RangeQuery::new(bound(lo, true), bound(hi, false)))
            }
            Some(Op::Has) => keyword(f.has, lower),
            Some(Op::Type) => keyword(f.kind, lower),
            Some(Op::Verdict) => keyword(f.verdict, lower),
            Some(Op::Signer) => keyword(f.signer, lower.trim_start_matches('@').to_string()),
            Some(Op::Finding) => keyword(f.finding, lower),
            Some(Op::Thread) => keyword(f.thread, lower),
            Some(Op::Id) => keyword(f.id, threads::normalise_id(text)),
            Some(Op::Source) => {
                // A directory, an archive or a whole path is one term; any
                // other prefix is matched against every path.
                let term = Term::from_field_text(f.source, text.trim());
                if s.doc_freq(&term)? > 0 {
                    Box::new(TermQuery::new(term, IndexRecordOption::Basic))
                } else {
                    Box::new(RegexQuery::from_pattern(
                        &format!("{}.*", regex_escape(text.trim())),
                        f.source,
                    )?)
                }
            }
        })
    }

    /// `text` cut into words by the field's tokenizer: one word is a term,
    /// several a phrase, none (punctuation) matches anything; over several
    /// fields, any may match.
    fn words(&self, fields: &[tantivy::schema::Field], text: &str, exact: bool) -> Box<dyn Query> {
        let mut analyzer = if exact {
            fields::exact()
        } else {
            fields::folded()
        };
        let words = fields::words(&mut analyzer, text);
        let per_field = |field| -> Box<dyn Query> {
            let terms: Vec<Term> = words
                .iter()
                .map(|w| Term::from_field_text(field, w))
                .collect();
            match terms.len() {
                // Punctuation alone (`–`, `&`) is no word: it is ignored,
                // as it is when indexed.
                0 => Box::new(AllQuery),
                1 => Box::new(TermQuery::new(
                    terms[0].clone(),
                    IndexRecordOption::WithFreqs,
                )),
                _ => Box::new(PhraseQuery::new(terms)),
            }
        };
        if fields.len() == 1 {
            per_field(fields[0])
        } else {
            Box::new(BooleanQuery::union(
                fields.iter().map(|&f| per_field(f)).collect(),
            ))
        }
    }
}

/// `s` as a literal in tantivy's regular expressions.
fn regex_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 2);
    for c in s.chars() {
        if "\\.+*?()|[]{}^$#&-~".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}
