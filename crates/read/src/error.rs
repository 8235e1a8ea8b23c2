//! Problems: everything the reader could not read, tied to where it was.

use std::fmt;

use crate::Provenance;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// Something was not read: a message or a part of the dump may be missing.
    Error,
    /// Read, but something about it deserves a look.
    Warning,
}

impl Severity {
    pub fn name(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }
}

/// The kinds of problem, with stable names used in every output.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, thiserror::Error)]
pub enum ProblemKind {
    #[error("unreadable")]
    Unreadable,
    #[error("truncated")]
    Truncated,
    #[error("corrupt")]
    Corrupt,
    #[error("encrypted")]
    Encrypted,
    #[error("decompression_bomb")]
    DecompressionBomb,
    #[error("too_deep")]
    TooDeep,
    #[error("cycle")]
    Cycle,
    #[error("path_traversal")]
    PathTraversal,
    #[error("too_large")]
    TooLarge,
    #[error("not_followed")]
    NotFollowed,
    #[error("unsupported")]
    Unsupported,
    #[error("not_a_message")]
    NotAMessage,
    #[error("parser_panic")]
    ParserPanic,
    #[error("missing_part")]
    MissingPart,
}

impl ProblemKind {
    pub fn severity(self) -> Severity {
        match self {
            ProblemKind::PathTraversal | ProblemKind::NotFollowed | ProblemKind::NotAMessage => {
                Severity::Warning
            }
            _ => Severity::Error,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    pub provenance: Provenance,
    pub kind: ProblemKind,
    pub detail: String,
}

impl Problem {
    pub fn new(provenance: &Provenance, kind: ProblemKind, detail: impl Into<String>) -> Self {
        Problem {
            provenance: provenance.clone(),
            kind,
            detail: detail.into(),
        }
    }

    pub fn severity(&self) -> Severity {
        self.kind.severity()
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: {} {}: {}",
            self.provenance,
            self.severity().name(),
            self.kind,
            self.detail
        )
    }
}
