//! The signature check, and what a failed RSA signature says.
//!
//! An RSA signature can be *opened* with the public key (s^e mod n). If the
//! result is a well-formed PKCS#1 v1.5 block, this key made the signature,
//! over some digest: when that digest is not the digest of the headers we
//! see, the headers were changed after signing. If the result is noise, the
//! signature was not made with this key at all: a forger's key, or a key
//! rotated under the same selector. Verifiers only say "fail"; an editor
//! needs to know which.
//!
//! The common case (a signature that verifies) goes through aws-lc-rs;
//! opening (num-bigint) is only done when that fails, or for keys under
//! 1024 bits that aws-lc-rs refuses (they are weak, and said to be, but the
//! fact of what they signed is still evidence).

use std::cell::RefCell;
use std::rc::Rc;

use aws_lc_rs::signature::{self as sig, ParsedPublicKey, RsaPublicKeyComponents};
use foldhash::HashMap;
use num_bigint::BigUint;
use serde::Serialize;
use sha1::Sha1;
use sha2::{Digest, Sha256};
use tamis_keys::{DkimKey, KeyType, rsa_components};

use crate::signature::Algorithm;

#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, serde::Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum HeaderCheck {
    /// The signature verifies over the headers as they are.
    Valid,
    /// RSA: this key signed a digest, but not the digest of these headers:
    /// the signed headers were altered after signing.
    SignedOtherHeaders { digest: String },
    /// RSA: opening the signature with this key gives no PKCS#1 block: it
    /// was not made with this key.
    NotThisKey,
    /// Ed25519: the signature does not verify (the algorithm cannot tell
    /// altered headers from another key).
    Invalid,
    /// The key cannot be used for this signature (type or hash mismatch,
    /// unreadable key).
    Unusable { reason: String },
}

const SHA256_PREFIX: &[u8] = &[
    0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05,
    0x00, 0x04, 0x20,
];
const SHA256_PREFIX_NO_NULL: &[u8] = &[
    0x30, 0x2f, 0x30, 0x0b, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x04,
    0x20,
];
const SHA1_PREFIX: &[u8] = &[
    0x30, 0x21, 0x30, 0x09, 0x06, 0x05, 0x2b, 0x0e, 0x03, 0x02, 0x1a, 0x05, 0x00, 0x04, 0x14,
];
const SHA1_PREFIX_NO_NULL: &[u8] = &[
    0x30, 0x1f, 0x30, 0x07, 0x06, 0x05, 0x2b, 0x0e, 0x03, 0x02, 0x1a, 0x04, 0x14,
];

/// Check `signature` over `data` (the canonicalised headers) with `key`.
pub fn check(alg: Algorithm, key: &DkimKey, data: &[u8], signature: &[u8]) -> HeaderCheck {
    match (alg, &key.key_type) {
        (Algorithm::Ed25519Sha256, KeyType::Ed25519) => {
            // RFC 8463: Ed25519 signs the SHA-256 digest of the data.
            let digest = Sha256::digest(data);
            let valid = parsed(alg, &key.public, || {
                ParsedPublicKey::new(&sig::ED25519, &key.public).ok()
            })
            .is_some_and(|k| k.verify_sig(&digest, signature).is_ok());
            if valid {
                HeaderCheck::Valid
            } else {
                HeaderCheck::Invalid
            }
        }
        (Algorithm::RsaSha256 | Algorithm::RsaSha1, KeyType::Rsa) => rsa(alg, key, data, signature),
        (_, kt) => HeaderCheck::Unusable {
            reason: format!("a {kt:?} key cannot check an {} signature", alg.name()),
        },
    }
}

fn rsa(alg: Algorithm, key: &DkimKey, data: &[u8], signature: &[u8]) -> HeaderCheck {
    let Some((n, e)) = rsa_components(&key.public) else {
        return HeaderCheck::Unusable {
            reason: "p= is not an RSA public key".into(),
        };
    };
    if n.len() * 8 >= 1024 {
        let params = match alg {
            Algorithm::RsaSha1 => &sig::RSA_PKCS1_1024_8192_SHA1_FOR_LEGACY_USE_ONLY,
            _ => &sig::RSA_PKCS1_1024_8192_SHA256_FOR_LEGACY_USE_ONLY,
        };
        let valid = parsed(alg, &key.public, || {
            RsaPublicKeyComponents { n, e }
                .to_parsed_public_key(params)
                .ok()
        })
        .is_some_and(|k| k.verify_sig(data, signature).is_ok());
        if valid {
            return HeaderCheck::Valid;
        }
    }
    open(alg, n, e, data, signature)
}

thread_local! {
    /// Keys made ready for aws-lc, per thread: a case is signed by a few
    /// keys thousands of times, and setting a key up (its Montgomery
    /// context, for RSA) costs about as much as the check itself.
    #[allow(clippy::type_complexity)]
    static PARSED: RefCell<HashMap<Vec<u8>, Vec<(Algorithm, Option<Rc<ParsedPublicKey>>)>>> =
        RefCell::new(HashMap::default());
}

/// The key `public` set up for `alg` (which fixes the aws-lc parameters),
/// made by `make` the first time.
fn parsed(
    alg: Algorithm,
    public: &[u8],
    make: impl FnOnce() -> Option<ParsedPublicKey>,
) -> Option<Rc<ParsedPublicKey>> {
    PARSED.with(|cache| {
        let mut cache = cache.borrow_mut();
        if let Some((_, k)) = cache
            .get(public)
            .and_then(|v| v.iter().find(|(a, _)| *a == alg))
        {
            return k.clone();
        }
        // Keys come from the archive, but `check` can be fed anything:
        // keep the cache bounded.
        if cache.len() >= 1024 {
            cache.clear();
        }
        let k = make().map(Rc::new);
        cache
            .entry(public.to_vec())
            .or_default()
            .push((alg, k.clone()));
        k
    })
}

fn open(alg: Algorithm, n: &[u8], e: &[u8], data: &[u8], signature: &[u8]) -> HeaderCheck {
    let modulus = BigUint::from_bytes_be(n);
    let s = BigUint::from_bytes_be(signature);
    if s >= modulus || signature.len() > n.len() + 1 {
        return HeaderCheck::NotThisKey;
    }
    let m = s.modpow(&BigUint::from_bytes_be(e), &modulus).to_bytes_be();
    // Left-pad to the modulus length: the block starts 00 01.
    let mut block = vec![0u8; n.len().saturating_sub(m.len())];
    block.extend_from_slice(&m);
    let Some(rest) = block.strip_prefix(&[0x00, 0x01]) else {
        return HeaderCheck::NotThisKey;
    };
    let pad = rest.iter().take_while(|b| **b == 0xff).count();
    if pad < 8 || rest.get(pad) != Some(&0x00) {
        return HeaderCheck::NotThisKey;
    }
    let info = &rest[pad + 1..];
    let (name, signed): (&str, &[u8]) = if let Some(d) = info
        .strip_prefix(SHA256_PREFIX)
        .or_else(|| info.strip_prefix(SHA256_PREFIX_NO_NULL))
    {
        ("sha256", d)
    } else if let Some(d) = info
        .strip_prefix(SHA1_PREFIX)
        .or_else(|| info.strip_prefix(SHA1_PREFIX_NO_NULL))
    {
        ("sha1", d)
    } else {
        return HeaderCheck::NotThisKey;
    };
    let ours: Vec<u8> = match name {
        "sha1" => Sha1::digest(data).to_vec(),
        _ => Sha256::digest(data).to_vec(),
    };
    if name == alg.hash_name() && signed == ours.as_slice() {
        HeaderCheck::Valid
    } else {
        HeaderCheck::SignedOtherHeaders {
            digest: format!("{name}:{}", hex(signed)),
        }
    }
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// The body hash as `a=` asks for it.
pub fn body_hasher(alg: Algorithm) -> Box<dyn BodyHasher> {
    match alg {
        Algorithm::RsaSha1 => Box::new(Sha1::new()),
        _ => Box::new(Sha256::new()),
    }
}

pub trait BodyHasher {
    fn update(&mut self, data: &[u8]);
    fn finish(self: Box<Self>) -> Vec<u8>;
}

impl BodyHasher for Sha256 {
    fn update(&mut self, data: &[u8]) {
        Digest::update(self, data);
    }
    fn finish(self: Box<Self>) -> Vec<u8> {
        self.finalize().to_vec()
    }
}

impl BodyHasher for Sha1 {
    fn update(&mut self, data: &[u8]) {
        Digest::update(self, data);
    }
    fn finish(self: Box<Self>) -> Vec<u8> {
        self.finalize().to_vec()
    }
}
