//! The query language: notmuch's and Gmail's, which our users already type.
//!
//! ```text
//! budget "exact phrase" a OR b  a AND NOT b  -word  (a OR b) c
//! from: to: cc: subject: body: filename: author: header: exact:"Élysée"
//! date:2017-03..2017-05  date:2017-03-27  date:..2016  has:attachment
//! type:pdf verdict:forged signer:example.org finding:kind thread:ID
//! id:<message-id> source:archives/export.zip!
//! ```
//! Juxtaposed terms must all match (AND binds tighter than OR). Words match
//! without case or accents; `exact:` keeps both. A word the tokenizer cuts
//! in several (`jean-pierre`, `a@b.org`) is matched as a phrase.
//!
//! Parsing is separate from the index: [`parse`] gives a [`Node`] tree,
//! which [`crate::SearchIndex`] turns into a tantivy query.

use std::fmt;

/// A parsed query.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Node {
    /// Matches every message (the empty query).
    All,
    And(Vec<Node>),
    Or(Vec<Node>),
    Not(Box<Node>),
    /// `field: None` searches the default fields.
    Term {
        field: Option<Field>,
        text: String,
        quoted: bool,
    },
}

/// The operators, by their name in the query language.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Field {
    From,
    To,
    Cc,
    Subject,
    Body,
    Exact,
    Date,
    Has,
    Filename,
    Type,
    Author,
    Header,
    Verdict,
    Signer,
    Finding,
    Thread,
    Id,
    Source,
}

pub const FIELDS: &[(&str, Field)] = &[
    ("from", Field::From),
    ("to", Field::To),
    ("cc", Field::Cc),
    ("subject", Field::Subject),
    ("body", Field::Body),
    ("exact", Field::Exact),
    ("date", Field::Date),
    ("has", Field::Has),
    ("filename", Field::Filename),
    ("type", Field::Type),
    ("author", Field::Author),
    ("header", Field::Header),
    ("verdict", Field::Verdict),
    ("signer", Field::Signer),
    ("finding", Field::Finding),
    ("thread", Field::Thread),
    ("id", Field::Id),
    ("mid", Field::Id),
    ("source", Field::Source),
];

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum QueryError {
    #[error("unknown operator `{0}:` (known: {list})", list = known())]
    UnknownField(String),
    #[error("`(` at position {0} is never closed")]
    Unclosed(usize),
    #[error("`)` at position {0} closes nothing")]
    Unopened(usize),
    #[error("`{0}` needs something after it")]
    Dangling(String),
    #[error("date `{0}`: expected YYYY, YYYY-MM or YYYY-MM-DD, or a range a..b of those")]
    Date(String),
}

fn known() -> String {
    FIELDS
        .iter()
        .map(|(n, _)| format!("{n}:"))
        .collect::<Vec<_>>()
        .join(" ")
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Token {
    Open(usize),
    Close(usize),
    And,
    Or,
    Not,
    Term {
        field: Option<Field>,
        text: String,
        quoted: bool,
        negated: bool,
    },
}

fn lex(q: &str) -> Result<Vec<Token>, QueryError> {
    let chars: Vec<char> = q.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        if c == '(' {
            out.push(Token::Open(i));
            i += 1;
            continue;
        }
        if c == ')' {
            out.push(Token::Close(i));
            i += 1;
            continue;
        }
        let negated = c == '-' && chars.get(i + 1).is_some_and(|n| !n.is_whitespace());
        if negated {
            i += 1;
        }
        // A field name, if the word goes on with `:`.
        let mut field = None;
        let start = i;
        let mut j = i;
        while j < chars.len() && (chars[j].is_ascii_alphabetic()) {
            j += 1;
        }
        if j > start && chars.get(j) == Some(&':') {
            let name: String = chars[start..j].iter().collect::<String>().to_lowercase();
            let rest_is_url = chars.get(j + 1) == Some(&'/') && chars.get(j + 2) == Some(&'/');
            match FIELDS.iter().find(|(n, _)| *n == name) {
                Some((_, f)) => {
                    field = Some(*f);
                    i = j + 1;
                }
                None if rest_is_url => {}
                None => return Err(QueryError::UnknownField(name)),
            }
        }
        let (text, quoted) = if chars.get(i) == Some(&'"') {
            let end = chars[i + 1..]
                .iter()
                .position(|&c| c == '"')
                .map_or(chars.len(), |p| i + 1 + p);
            let t: String = chars[i + 1..end].iter().collect();
            i = (end + 1).min(chars.len());
            (t, true)
        } else {
            let s = i;
            while i < chars.len() && !chars[i].is_whitespace() && chars[i] != '(' && chars[i] != ')'
            {
                i += 1;
            }
            (chars[s..i].iter().collect::<String>(), false)
        };
        if field.is_none() && !quoted && !negated {
            match text.as_str() {
                "AND" | "&&" => {
                    out.push(Token::And);
                    continue;
                }
                "OR" | "||" => {
                    out.push(Token::Or);
                    continue;
                }
                "NOT" => {
                    out.push(Token::Not);
                    continue;
                }
                _ => {}
            }
        }
        if text.is_empty() && !quoted {
            if let Some(f) = field {
                let name = FIELDS.iter().find(|(_, x)| *x == f).map_or("", |(n, _)| n);
                return Err(QueryError::Dangling(format!("{name}:")));
            }
            continue;
        }
        out.push(Token::Term {
            field,
            text,
            quoted,
            negated,
        });
    }
    Ok(out)
}

struct Parser {
    tokens: Vec<Token>,
    at: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.at)
    }

    fn or(&mut self) -> Result<Node, QueryError> {
        let mut parts = vec![self.and()?];
        while self.peek() == Some(&Token::Or) {
            self.at += 1;
            if self.peek().is_none() {
                return Err(QueryError::Dangling("OR".into()));
            }
            parts.push(self.and()?);
        }
        Ok(if parts.len() == 1 {
            parts.remove(0)
        } else {
            Node::Or(parts)
        })
    }

    fn and(&mut self) -> Result<Node, QueryError> {
        let mut parts = Vec::new();
        loop {
            match self.peek() {
                None | Some(Token::Or) | Some(Token::Close(_)) => break,
                Some(Token::And) => {
                    self.at += 1;
                    if matches!(self.peek(), None | Some(Token::Or) | Some(Token::Close(_))) {
                        return Err(QueryError::Dangling("AND".into()));
                    }
                }
                _ => parts.push(self.unary()?),
            }
        }
        Ok(match parts.len() {
            0 => Node::All,
            1 => parts.remove(0),
            _ => Node::And(parts),
        })
    }

    fn unary(&mut self) -> Result<Node, QueryError> {
        match self.peek().cloned() {
            Some(Token::Not) => {
                self.at += 1;
                if matches!(self.peek(), None | Some(Token::Or) | Some(Token::Close(_))) {
                    return Err(QueryError::Dangling("NOT".into()));
                }
                Ok(Node::Not(Box::new(self.unary()?)))
            }
            Some(Token::Open(p)) => {
                self.at += 1;
                let inner = self.or()?;
                match self.peek() {
                    Some(Token::Close(_)) => {
                        self.at += 1;
                        Ok(inner)
                    }
                    _ => Err(QueryError::Unclosed(p)),
                }
            }
            Some(Token::Term {
                field,
                text,
                quoted,
                negated,
            }) => {
                self.at += 1;
                let t = Node::Term {
                    field,
                    text,
                    quoted,
                };
                Ok(if negated { Node::Not(Box::new(t)) } else { t })
            }
            Some(Token::Close(p)) => Err(QueryError::Unopened(p)),
            Some(Token::And | Token::Or) | None => Ok(Node::All),
        }
    }
}

/// Parse a query.
pub fn parse(q: &str) -> Result<Node, QueryError> {
    let mut p = Parser {
        tokens: lex(q)?,
        at: 0,
    };
    let node = p.or()?;
    match p.peek() {
        None => Ok(node),
        Some(Token::Close(pos)) => Err(QueryError::Unopened(*pos)),
        Some(_) => Err(QueryError::Dangling(q.to_string())),
    }
}

/// `date:` values: the half-open span of Unix seconds (UTC) they cover.
pub fn date_span(v: &str) -> Result<(Option<i64>, Option<i64>), QueryError> {
    let bad = || QueryError::Date(v.to_string());
    let (lo, hi) = match v.split_once("..") {
        Some((a, b)) => (a, b),
        None => (v, v),
    };
    let lo = if lo.is_empty() {
        None
    } else {
        Some(day_bounds(lo).ok_or_else(bad)?.0)
    };
    let hi = if hi.is_empty() {
        None
    } else {
        Some(day_bounds(hi).ok_or_else(bad)?.1)
    };
    if lo.is_none() && hi.is_none() {
        return Err(bad());
    }
    Ok((lo, hi))
}

/// The span of `YYYY`, `YYYY-MM` or `YYYY-MM-DD`.
fn day_bounds(s: &str) -> Option<(i64, i64)> {
    let parts: Vec<&str> = s.trim().split('-').collect();
    let num = |p: &str, len: usize| -> Option<i64> {
        (p.len() == len && p.bytes().all(|b| b.is_ascii_digit()))
            .then(|| p.parse().ok())
            .flatten()
    };
    let y = num(parts.first()?, 4)?;
    match parts.len() {
        1 => Some((
            tamis_time::days_from_civil(y, 1, 1)? * 86_400,
            tamis_time::days_from_civil(y + 1, 1, 1)? * 86_400,
        )),
        2 => {
            let m = num(parts[1], 2)?;
            let (ny, nm) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
            Some((
                tamis_time::days_from_civil(y, m, 1)? * 86_400,
                tamis_time::days_from_civil(ny, nm, 1)? * 86_400,
            ))
        }
        3 => {
            let d0 = tamis_time::days_from_civil(y, num(parts[1], 2)?, num(parts[2], 2)?)?;
            Some((d0 * 86_400, (d0 + 1) * 86_400))
        }
        _ => None,
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = FIELDS
            .iter()
            .find(|(_, x)| x == self)
            .map_or("?", |(n, _)| n);
        write!(f, "{name}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(field: Option<Field>, text: &str, quoted: bool) -> Node {
        Node::Term {
            field,
            text: text.into(),
            quoted,
        }
    }

    #[test]
    fn parses_the_language() {
        let cases: Vec<(&str, Node)> = vec![
            ("", Node::All),
            ("budget", t(None, "budget", false)),
            (
                "a b",
                Node::And(vec![t(None, "a", false), t(None, "b", false)]),
            ),
            (
                "a OR b c",
                Node::Or(vec![
                    t(None, "a", false),
                    Node::And(vec![t(None, "b", false), t(None, "c", false)]),
                ]),
            ),
            (
                "a AND NOT b",
                Node::And(vec![
                    t(None, "a", false),
                    Node::Not(Box::new(t(None, "b", false))),
                ]),
            ),
            ("-word", Node::Not(Box::new(t(None, "word", false)))),
            (
                "(a OR b) c",
                Node::And(vec![
                    Node::Or(vec![t(None, "a", false), t(None, "b", false)]),
                    t(None, "c", false),
                ]),
            ),
            ("\"a phrase\"", t(None, "a phrase", true)),
            (
                "from:\"Jean Dupont\"",
                t(Some(Field::From), "Jean Dupont", true),
            ),
            (
                "-from:x@y.org",
                Node::Not(Box::new(t(Some(Field::From), "x@y.org", false))),
            ),
            (
                "source:archives/export.zip!",
                t(Some(Field::Source), "archives/export.zip!", false),
            ),
            ("FROM:a", t(Some(Field::From), "a", false)),
            (
                "see http://x.org",
                Node::And(vec![t(None, "see", false), t(None, "http://x.org", false)]),
            ),
            ("12:30", t(None, "12:30", false)),
        ];
        for (q, want) in cases {
            assert_eq!(parse(q), Ok(want), "{q}");
        }
    }

    #[test]
    fn says_what_is_wrong() {
        let cases = [
            ("form:x", "unknown operator `form:`"),
            ("(a b", "`(` at position 0 is never closed"),
            ("a b)", "`)` at position 3 closes nothing"),
            ("a OR", "`OR` needs something after it"),
            ("NOT", "`NOT` needs something after it"),
            ("from:", "`from:` needs something after it"),
        ];
        for (q, want) in cases {
            let e = parse(q).expect_err(q).to_string();
            assert!(e.starts_with(want), "{q}: {e}");
        }
    }

    #[test]
    fn dates_are_half_open_utc_spans() {
        let day = 86_400;
        // 2017-03-27 is day 17252 since the epoch.
        assert_eq!(
            date_span("2017-03-27"),
            Ok((Some(17_252 * day), Some(17_253 * day)))
        );
        assert_eq!(
            date_span("2017-03..2017-05"),
            Ok((
                Some(tamis_time::days_from_civil(2017, 3, 1).unwrap() * day),
                Some(tamis_time::days_from_civil(2017, 6, 1).unwrap() * day)
            ))
        );
        assert_eq!(
            date_span("..2016"),
            Ok((
                None,
                Some(tamis_time::days_from_civil(2017, 1, 1).unwrap() * day)
            ))
        );
        assert_eq!(
            date_span("2016-12"),
            Ok((
                Some(tamis_time::days_from_civil(2016, 12, 1).unwrap() * day),
                Some(tamis_time::days_from_civil(2017, 1, 1).unwrap() * day)
            ))
        );
        for bad in ["2017-3", "yesterday", "..", "2017-13", "2017-01-32"] {
            assert!(date_span(bad).is_err(), "{bad}");
        }
    }
}
