//! The verdict's vocabulary: every verdict and every reason as a typed
//! value, and the one place where they become words.
//!
//! Decisions read these values, never their wording: a reason can be
//! reworded here without changing any verdict. The CLI, the web
//! workbench, the report and the export all render through `Display`,
//! so a reader sees the same sentence everywhere. Reasons are stored in
//! the case as these values (JSON, tagged by `reason`), not as text.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::KeyStatus;
use crate::crypto::HeaderCheck;
use crate::repair::Repair;
use crate::signature::Algorithm;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Authentic,
    AuthenticTransformed,
    Tampered,
    Forged,
    Unverifiable,
}

impl Verdict {
    /// Every verdict, from the best proven to the gravest accusation (the
    /// order of [`Verdict::rank`]).
    pub const ALL: [Verdict; 5] = [
        Verdict::Authentic,
        Verdict::AuthenticTransformed,
        Verdict::Unverifiable,
        Verdict::Tampered,
        Verdict::Forged,
    ];

    /// The stable name: in the catalog, the index, exports and queries.
    pub fn name(self) -> &'static str {
        match self {
            Verdict::Authentic => "authentic",
            Verdict::AuthenticTransformed => "authentic_transformed",
            Verdict::Tampered => "tampered",
            Verdict::Forged => "forged",
            Verdict::Unverifiable => "unverifiable",
        }
    }

    pub fn parse(s: &str) -> Option<Verdict> {
        Verdict::ALL.into_iter().find(|v| v.name() == s)
    }

    /// Proof before doubt before accusation: 0 (authentic) to 4 (forged).
    pub fn rank(self) -> u8 {
        Verdict::ALL.iter().position(|v| *v == self).unwrap_or(0) as u8
    }

    /// Does a signature of the sender's domain prove the message?
    pub fn proves(self) -> bool {
        matches!(self, Verdict::Authentic | Verdict::AuthenticTransformed)
    }

    /// Is the verdict an accusation (altered or fabricated)?
    pub fn accuses(self) -> bool {
        matches!(self, Verdict::Tampered | Verdict::Forged)
    }

    /// What the verdict means, in one sentence for a reader.
    pub fn meaning(self) -> &'static str {
        match self {
            Verdict::Authentic => {
                "a valid DKIM signature of the sender's own domain covers the From header and the whole displayed body, with a key that is neither weak nor known to have been published"
            }
            Verdict::AuthenticTransformed => {
                "the same, after undoing a named, benign change made by an archiving tool (line ends, header folding, mailbox quoting...); the change is named"
            }
            Verdict::Tampered => {
                "a signature fails in a way no benign change explains: the message was altered after it was sent, and the report says what"
            }
            Verdict::Forged => {
                "evidence of fabrication, such as a signature made with a key that is not the domain's"
            }
            Verdict::Unverifiable => {
                "nothing proves or disproves it: no signature, the key is not archived, or only a third party signed. Not an accusation"
            }
        }
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Why a message has its verdict: one established fact, with its data.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum Reason {
    /// A signature of the From domain proves the message; `fields` are the
    /// displayed fields besides From that it covers, as `h=` names them.
    Proven {
        domain: String,
        selector: String,
        bits: Option<usize>,
        algorithm: Algorithm,
        fields: Vec<String>,
    },
    /// A benign change undone before the signature held.
    Repaired {
        repair: Repair,
    },
    /// The author's signature holds up to appended content, and a relay's
    /// signature over the whole message vouches for what was appended.
    AppendedVouched,
    /// Content was appended after the author signed; nobody vouches for it.
    AppendedUnvouched,
    NoSignature,
    /// An Authentication-Results field claims a passing signature (by
    /// `domain`, where it names one) that the message does not carry.
    LyingAuthenticationResults {
        domain: Option<String>,
    },
    /// Signature `index` (from 0) cannot be read.
    UnreadableSignature {
        index: usize,
        error: String,
    },
    /// What one signature, `d=domain s=selector`, shows.
    Signature {
        domain: String,
        selector: String,
        fact: SignatureFact,
    },
    /// A mailing list handled the message: its failures prove no tampering.
    MailingList,
    /// Strong forensic findings stand against a message nothing proves
    /// (the findings follow as [`Reason::Finding`]).
    Fabrication,
    Finding {
        kind: String,
        explanation: String,
    },
    /// This copy was converted from an Outlook file.
    ConvertedCopy,
    /// This copy was changed by its mailbox format and restored by the
    /// reader (`note` says how).
    RestoredCopy {
        note: String,
    },
}

/// What one signature shows, when it does not prove the message.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "fact", rename_all = "snake_case")]
pub enum SignatureFact {
    KeyNotFound,
    KeyLookupFailed {
        reason: String,
    },
    KeyRevoked,
    KeyUnusable {
        reason: String,
    },
    /// Opening the signature with the domain's key gives no signature block.
    NotThisKey,
    /// This key signed other header content; the body is as signed.
    HeadersAltered,
    HeadersAndBodyAltered,
    /// The header signature holds, the body differs, and the message has
    /// 8bit text parts (which a quoted-printable decoder also produces).
    BodyDiffersIn8bit,
    BodyAltered,
    /// An Ed25519 header signature fails; the body is as signed.
    HeaderSignatureInvalid,
    NeitherVerifies,
    Verifies,
    /// It verifies, but does not prove the message.
    VerifiesBut {
        why: NotProof,
    },
    ThirdPartyFails,
    /// It fails otherwise (`detail`: the error or the result word).
    Fails {
        detail: String,
    },
}

impl SignatureFact {
    /// The verdict this fact points to on its own: the strongest fact of a
    /// message's signatures decides (forged over tampered over the rest).
    pub fn indicates(&self) -> Verdict {
        match self {
            SignatureFact::NotThisKey => Verdict::Forged,
            SignatureFact::HeadersAltered
            | SignatureFact::HeadersAndBodyAltered
            | SignatureFact::BodyAltered
            | SignatureFact::HeaderSignatureInvalid
            | SignatureFact::NeitherVerifies => Verdict::Tampered,
            SignatureFact::VerifiesBut { why } if why.leaves_shown_content_unsigned() => {
                Verdict::Tampered
            }
            _ => Verdict::Unverifiable,
        }
    }
}

/// Why a passing signature does not prove the message.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum NotProof {
    Unreadable,
    DoesNotVerify,
    /// `d=domain` is not the From domain.
    ThirdParty {
        domain: String,
    },
    WeakKey {
        bits: usize,
    },
    /// The key's private half was published before the dump appeared.
    RevealedKey,
    /// `bytes` of the body come after what `l=` signs.
    UnsignedBodyBytes {
        bytes: u64,
    },
    /// The message shows `shown` fields named `field`; the signature
    /// covers `signed` of them.
    UnsignedField {
        field: String,
        shown: usize,
        signed: usize,
    },
}

impl NotProof {
    /// Does the signature leave content the reader sees unsigned? Such a
    /// message was altered after signing (or made to look signed).
    pub fn leaves_shown_content_unsigned(&self) -> bool {
        matches!(
            self,
            NotProof::UnsignedBodyBytes { .. } | NotProof::UnsignedField { .. }
        )
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reason::Proven {
                domain,
                selector,
                bits,
                algorithm,
                fields,
            } => write!(
                f,
                "signed by {domain} (s={selector}, {}{}) and verified: From, {} and the body are as sent",
                bits.map(|b| format!("{b}-bit ")).unwrap_or_default(),
                algorithm.name(),
                fields.join(", ")
            ),
            Reason::Repaired { repair } => repair.fmt(f),
            Reason::AppendedVouched => f.write_str(
                "the author's signature proves the message up to the appended part, and the relay that appended it signed the whole",
            ),
            Reason::AppendedUnvouched => f.write_str(
                "content was added after the author signed, and nobody vouches for it",
            ),
            Reason::NoSignature => {
                f.write_str("no DKIM signature: nothing proves or disproves it")
            }
            Reason::LyingAuthenticationResults { domain } => write!(
                f,
                "an Authentication-Results field claims a passing DKIM signature{} that this message does not carry: a receiving server records what it saw; this claim was written by someone else",
                domain.as_ref().map(|d| format!(" by {d}")).unwrap_or_default()
            ),
            Reason::UnreadableSignature { index, error } => {
                write!(f, "signature {} is unreadable: {error}", index + 1)
            }
            Reason::Signature {
                domain,
                selector,
                fact,
            } => write!(f, "d={domain} s={selector}: {fact}"),
            Reason::MailingList => f.write_str(
                "a mailing list handled this message (List-Id), and lists rewrite subjects and bodies: the failures below are consistent with that, so they prove no tampering",
            ),
            Reason::Fabrication => f.write_str(
                "forensic evidence of fabrication, and no signature proves the message",
            ),
            Reason::Finding { explanation, .. } => f.write_str(explanation),
            Reason::ConvertedCopy => f.write_str(
                "converted from an Outlook file: the original bytes are gone, so no signature can hold",
            ),
            Reason::RestoredCopy { note } => write!(
                f,
                "this copy was changed by the mailbox format and restored by the reader: {note}"
            ),
        }
    }
}

impl fmt::Display for SignatureFact {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SignatureFact::KeyNotFound => f.write_str(
                "no archive holds this key; find it to verify (`tamis keys missing`)",
            ),
            SignatureFact::KeyLookupFailed { reason } => {
                write!(f, "key lookup failed ({reason})")
            }
            SignatureFact::KeyRevoked => {
                f.write_str("the archived key record is revoked (empty p=)")
            }
            SignatureFact::KeyUnusable { reason } => {
                write!(f, "the key cannot be used: {reason}")
            }
            SignatureFact::NotThisKey => f.write_str(
                "the signature was not made with this domain's key (opening it with the key gives no signature block): made with another key, a forger's or a rotated one",
            ),
            SignatureFact::HeadersAltered => f.write_str(
                "this key signed these headers in another form: signed header fields (From, To, Subject, Date...) were altered after signing; the body is as signed",
            ),
            SignatureFact::HeadersAndBodyAltered => {
                f.write_str("both the signed headers and the body were altered after signing")
            }
            SignatureFact::BodyDiffersIn8bit => f.write_str(
                "the header signature holds, proving the fields in h=; the body differs from what was signed, but it has 8bit text parts, which a tool decoding quoted-printable also produces: archive damage cannot be told from an edit",
            ),
            SignatureFact::BodyAltered => f.write_str(
                "the header signature holds, proving From, Date, Subject and To as listed in h=, but the body was altered after signing",
            ),
            SignatureFact::HeaderSignatureInvalid => f.write_str(
                "the Ed25519 header signature does not verify (signed headers altered, or another key); the body is as signed",
            ),
            SignatureFact::NeitherVerifies => {
                f.write_str("neither the header signature nor the body hash verifies")
            }
            SignatureFact::Verifies => f.write_str("verifies"),
            SignatureFact::VerifiesBut { why } => write!(f, "verifies, but {why}"),
            SignatureFact::ThirdPartyFails => {
                f.write_str("a third party's signature, which does not verify")
            }
            SignatureFact::Fails { detail } => f.write_str(detail),
        }
    }
}

impl fmt::Display for NotProof {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NotProof::Unreadable => f.write_str("unreadable signature"),
            NotProof::DoesNotVerify => f.write_str("does not verify"),
            NotProof::ThirdParty { domain } => {
                write!(f, "d={domain} is a third party, not the From domain")
            }
            NotProof::WeakKey { bits } => write!(
                f,
                "the key is {bits}-bit RSA: keys this short can be factored, so the signature proves nothing"
            ),
            NotProof::RevealedKey => f.write_str(
                "the key's private half was published before the dump appeared: anyone could have made this signature",
            ),
            NotProof::UnsignedBodyBytes { bytes } => {
                write!(f, "{bytes} bytes of the body come after what l= signs")
            }
            NotProof::UnsignedField {
                field,
                shown,
                signed,
            } => write!(
                f,
                "the message shows {shown} {field} fields but the signature covers {signed}: one shown to the reader is unsigned"
            ),
        }
    }
}

impl fmt::Display for Repair {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Repair::CrlfToLf => {
                f.write_str("line ends had been converted from CRLF to LF; restored")
            }
            Repair::HeaderRefold => {
                f.write_str("header fields had been re-folded by an archiving tool; unfolded")
            }
            Repair::TrailingWhitespaceStripped => {
                f.write_str("trailing whitespace had been stripped from body lines; restored")
            }
            Repair::QuotedPrintableDecoded => {
                f.write_str("quoted-printable parts had been decoded to 8bit; re-encoded")
            }
            Repair::MboxQuoting { lines } => write!(
                f,
                "the mailbox format's quoting of {lines} line(s) starting with \"From \" had been taken off by the reader; put back"
            ),
            Repair::AppendedContent { appended, .. } => write!(
                f,
                "{} bytes were appended after signing (not covered by the signature): {:?}",
                appended.len(),
                appended.chars().take(120).collect::<String>()
            ),
        }
    }
}

impl fmt::Display for HeaderCheck {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HeaderCheck::Valid => f.write_str("valid"),
            HeaderCheck::SignedOtherHeaders { digest } => write!(
                f,
                "made with this key over other header content ({digest}): headers altered"
            ),
            HeaderCheck::NotThisKey => f.write_str("not made with this key"),
            HeaderCheck::Invalid => f.write_str("does not verify"),
            HeaderCheck::Unusable { reason } => f.write_str(reason),
        }
    }
}

/// A signature's body-hash fact in words.
pub fn body_hash_words(matches: Option<bool>) -> &'static str {
    match matches {
        Some(true) => "matches",
        Some(false) => "does NOT match what was signed",
        None => "not checked",
    }
}

impl KeyStatus {
    /// The stable name of what the archive gave for a signature.
    pub fn name(&self) -> &'static str {
        match self {
            KeyStatus::Found { .. } => "found",
            KeyStatus::NotFound => "missing",
            KeyStatus::Revoked => "revoked",
            KeyStatus::TempFail { .. } => "tempfail",
            KeyStatus::Unusable { .. } => "unusable",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verdict_names_round_trip_and_rank_in_order() {
        for (i, v) in Verdict::ALL.into_iter().enumerate() {
            assert_eq!(Verdict::parse(v.name()), Some(v));
            assert_eq!(v.rank() as usize, i);
            assert_eq!(serde_json::to_value(v).unwrap(), v.name());
        }
        assert_eq!(Verdict::parse("pending"), None);
    }

    /// Every reason survives the catalog (JSON) as the same value.
    #[test]
    fn reasons_round_trip_through_json() {
        let reasons = [
            Reason::Proven {
                domain: "example.org".into(),
                selector: "s1".into(),
                bits: Some(2048),
                algorithm: Algorithm::RsaSha256,
                fields: vec!["Subject".into()],
            },
            Reason::Repaired {
                repair: Repair::MboxQuoting { lines: 2 },
            },
            Reason::Signature {
                domain: "example.org".into(),
                selector: "s1".into(),
                fact: SignatureFact::VerifiesBut {
                    why: NotProof::UnsignedField {
                        field: "From".into(),
                        shown: 2,
                        signed: 1,
                    },
                },
            },
            Reason::Finding {
                kind: "document_modified_after_message".into(),
                explanation: "saved later".into(),
            },
        ];
        for r in reasons {
            let json = serde_json::to_string(&r).unwrap();
            assert_eq!(serde_json::from_str::<Reason>(&json).unwrap(), r, "{json}");
        }
    }

    /// Unsigned shown content is an accusation; other shortfalls of a
    /// passing signature are doubt.
    #[test]
    fn a_passing_signature_that_leaves_shown_content_unsigned_points_to_tampering() {
        let but = |why| SignatureFact::VerifiesBut { why }.indicates();
        assert_eq!(
            but(NotProof::UnsignedBodyBytes { bytes: 3 }),
            Verdict::Tampered
        );
        assert_eq!(
            but(NotProof::UnsignedField {
                field: "Subject".into(),
                shown: 2,
                signed: 1
            }),
            Verdict::Tampered
        );
        assert_eq!(but(NotProof::WeakKey { bits: 512 }), Verdict::Unverifiable);
        assert_eq!(but(NotProof::RevealedKey), Verdict::Unverifiable);
        assert_eq!(
            but(NotProof::ThirdParty {
                domain: "esp.example".into()
            }),
            Verdict::Unverifiable
        );
        assert_eq!(SignatureFact::NotThisKey.indicates(), Verdict::Forged);
    }
}
