//! Facets: what the matches of a query are made of, counted in one pass
//! over fast-field columns (never the documents): verdicts, sender
//! domains, signers, months, and messages per day for timelines.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;
use tantivy::collector::{Collector, SegmentCollector};
use tantivy::columnar::{Column, StrColumn};
use tantivy::{DocId, Score, SegmentOrdinal, SegmentReader};

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Facets {
    /// Most frequent first.
    pub verdict: Vec<(String, u64)>,
    pub sender_domain: Vec<(String, u64)>,
    pub signer: Vec<(String, u64)>,
    /// `YYYY-MM`, in order; messages without a date are not counted.
    pub month: Vec<(String, u64)>,
    /// `YYYY-MM-DD`, in order.
    pub day: Vec<(String, u64)>,
    /// Matches without a date.
    pub undated: u64,
}

pub(crate) struct Collect;

pub(crate) struct Segment {
    columns: [Option<StrColumn>; 3],
    counts: [Vec<u64>; 3],
    date: Column<i64>,
    days: HashMap<i64, u64>,
    undated: u64,
}

#[derive(Default)]
pub(crate) struct Partial {
    named: [HashMap<String, u64>; 3],
    days: HashMap<i64, u64>,
    undated: u64,
}

const COLUMNS: [&str; 3] = ["verdict", "from_domain", "signer"];

impl Collector for Collect {
    type Fruit = Facets;
    type Child = Segment;

    fn for_segment(&self, _: SegmentOrdinal, seg: &SegmentReader) -> tantivy::Result<Segment> {
        let ff = seg.fast_fields();
        let columns = [
            ff.str(COLUMNS[0])?,
            ff.str(COLUMNS[1])?,
            ff.str(COLUMNS[2])?,
        ];
        let counts = columns
            .each_ref()
            .map(|c| vec![0; c.as_ref().map_or(0, |c| c.num_terms())]);
        Ok(Segment {
            columns,
            counts,
            date: ff.i64("date")?,
            days: HashMap::new(),
            undated: 0,
        })
    }

    fn requires_scoring(&self) -> bool {
        false
    }

    fn merge_fruits(&self, parts: Vec<Partial>) -> tantivy::Result<Facets> {
        let mut all = Partial::default();
        for p in parts {
            for (into, from) in all.named.iter_mut().zip(p.named) {
                for (k, v) in from {
                    *into.entry(k).or_default() += v;
                }
            }
            for (d, n) in p.days {
                *all.days.entry(d).or_default() += n;
            }
            all.undated += p.undated;
        }
        let ranked = |m: &HashMap<String, u64>| {
            let mut v: Vec<(String, u64)> = m.iter().map(|(k, n)| (k.clone(), *n)).collect();
            v.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
            v
        };
        let mut months: BTreeMap<String, u64> = BTreeMap::new();
        let mut days: BTreeMap<i64, u64> = BTreeMap::new();
        for (d, n) in &all.days {
            *days.entry(*d).or_default() += n;
        }
        let day = days
            .into_iter()
            .map(|(d, n)| {
                let name = civil(d);
                let month = name.get(..7).unwrap_or(&name).to_string();
                *months.entry(month).or_default() += n;
                (name, n)
            })
            .collect();
        Ok(Facets {
            verdict: ranked(&all.named[0]),
            sender_domain: ranked(&all.named[1]),
            signer: ranked(&all.named[2]),
            month: months.into_iter().collect(),
            day,
            undated: all.undated,
        })
    }
}

impl SegmentCollector for Segment {
    type Fruit = Partial;

    fn collect(&mut self, doc: DocId, _: Score) {
        for (c, counts) in self.columns.iter().zip(self.counts.iter_mut()) {
            if let Some(c) = c {
                for ord in c.term_ords(doc) {
                    if let Some(n) = counts.get_mut(ord as usize) {
                        *n += 1;
                    }
                }
            }
        }
        match self.date.first(doc) {
            Some(ts) => *self.days.entry(ts.div_euclid(86_400)).or_default() += 1,
            None => self.undated += 1,
        }
    }

    fn harvest(self) -> Partial {
        let mut named: [HashMap<String, u64>; 3] = Default::default();
        let mut buf = String::new();
        for ((c, counts), into) in self.columns.iter().zip(self.counts).zip(named.iter_mut()) {
            let Some(c) = c else { continue };
            for (ord, n) in counts.into_iter().enumerate() {
                if n > 0 && c.ord_to_str(ord as u64, &mut buf).unwrap_or(false) {
                    into.insert(buf.clone(), n);
                }
            }
        }
        Partial {
            named,
            days: self.days,
            undated: self.undated,
        }
    }
}

/// `YYYY-MM-DD` of a day number (days since 1970-01-01).
fn civil(day: i64) -> String {
    tamis_time::day(day.saturating_mul(86_400))
}
