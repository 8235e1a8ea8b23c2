//! The benchmark's bare mail-auth loop: verify every DKIM signature of
//! every file under the given directories with mail-auth 0.13, keys served
//! from a JSON-lines file through its TXT cache (no network), on N threads.
//! Each thread reads a file and verifies it, as any verification of a dump
//! must (tamis reads its case's packs). Prints `messages passed seconds`.
//!
//!     mailauth-loop [--tamis] [--in-memory] KEYS.jsonl THREADS DIR...
//!
//! With `--tamis`, the same loop runs tamis's own verifier
//! (`tamis_verify::assess`: every fact, repairs, verdict) instead. With
//! `--in-memory`, every file is read before the clock starts: the
//! verifiers alone, compared apart from any reading.

use std::borrow::Borrow;
use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use anyhow::{Context, Result};
use mail_auth::common::parse::TxtRecordParser;
use mail_auth::common::verify::DomainKey;
use mail_auth::{
    AuthenticatedMessage, DkimResult, MessageAuthenticator, Parameters, ResolverCache, Txt,
};

// The allocator tamis runs with: the comparison is of verifiers, not of
// allocators.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// A read-only TXT cache preloaded with the key file.
struct Keys(HashMap<Box<str>, Txt>);

impl ResolverCache<Box<str>, Txt> for Keys {
    fn get<Q>(&self, name: &Q) -> Option<Txt>
    where
        Box<str>: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        // A selector the key file lacks is answered "no such record", as an
        // archive would: a real dump has them, and a miss must not become a
        // DNS query (there is no network here).
        Some(self.0.get(name).cloned().unwrap_or_else(|| {
            Txt::Error(mail_auth::Error::Dns(mail_auth::DnsError::RecordNotFound(
                mail_auth::hickory_resolver::proto::op::ResponseCode::NXDomain,
            )))
        }))
    }
    fn remove<Q>(&self, _: &Q) -> Option<Txt>
    where
        Box<str>: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        None
    }
    fn insert(&self, _: Box<str>, _: Txt, _: std::time::Instant) {}
}

fn main() -> Result<()> {
    let mut args: Vec<String> = std::env::args().collect();
    let mut flag = |name: &str| match args.iter().position(|a| a == name) {
        Some(i) => {
            args.remove(i);
            true
        }
        None => false,
    };
    let tamis = flag("--tamis");
    let in_memory = flag("--in-memory");
    let (keys_file, threads, dirs) = match args.as_slice() {
        [_, k, t, dirs @ ..] if !dirs.is_empty() => (k, t.parse::<usize>()?, dirs),
        _ => anyhow::bail!("usage: mailauth-loop KEYS.jsonl THREADS DIR..."),
    };
    let mut map = HashMap::new();
    for line in std::fs::read_to_string(keys_file).context("keys")?.lines() {
        let v: serde_json::Value = serde_json::from_str(line)?;
        let (Some(d), Some(s), Some(r)) = (
            v["domain"].as_str(),
            v["selector"].as_str(),
            v["record"].as_str(),
        ) else {
            continue;
        };
        if let Ok(key) = DomainKey::parse(r.as_bytes()) {
            map.insert(
                format!("{s}._domainkey.{d}.").into_boxed_str(),
                Txt::DomainKey(Arc::new(key)),
            );
        }
    }
    let keys = Arc::new(Keys(map));
    let archive = Arc::new(tamis_keys::Archive::new(
        tamis_keys::parse_jsonl(&std::fs::read_to_string(keys_file)?)
            .into_iter()
            .flatten(),
    ));
    let mut paths = Vec::new();
    for d in dirs {
        for e in walkdir::WalkDir::new(d) {
            let e = e?;
            if e.file_type().is_file() {
                paths.push(e.into_path());
            }
        }
    }
    let files: Vec<Option<Vec<u8>>> = if in_memory {
        paths
            .iter()
            .map(|p| std::fs::read(p).map(Some))
            .collect::<Result<_, _>>()?
    } else {
        vec![None; paths.len()]
    };
    let paths = Arc::new(paths);
    let files = Arc::new(files);
    let next = Arc::new(AtomicUsize::new(0));
    let passed = Arc::new(AtomicUsize::new(0));
    let start = Instant::now();
    let handles: Vec<_> = (0..threads)
        .map(|_| {
            let (paths, files, next, passed, keys, archive) = (
                paths.clone(),
                files.clone(),
                next.clone(),
                passed.clone(),
                keys.clone(),
                archive.clone(),
            );
            std::thread::spawn(move || -> Result<()> {
                let rt = tokio::runtime::Builder::new_current_thread().build()?;
                let auth = MessageAuthenticator::new_cloudflare()?;
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let (Some(path), Some(held)) = (paths.get(i), files.get(i)) else {
                        return Ok(());
                    };
                    let read;
                    let raw = match held {
                        Some(raw) => raw,
                        None => {
                            read = std::fs::read(path)?;
                            &read
                        }
                    };
                    if tamis {
                        let a = tamis_verify::assess(raw, archive.as_ref(), Default::default());
                        if a.verdict == tamis_verify::Verdict::Authentic {
                            passed.fetch_add(1, Ordering::Relaxed);
                        }
                        continue;
                    }
                    let Some(msg) = AuthenticatedMessage::parse(raw) else {
                        continue;
                    };
                    let out = rt.block_on(
                        auth.verify_dkim(Parameters::new(&msg).with_txt_cache(keys.as_ref())),
                    );
                    if out.iter().any(|o| matches!(o.result(), DkimResult::Pass)) {
                        passed.fetch_add(1, Ordering::Relaxed);
                    }
                }
            })
        })
        .collect();
    for h in handles {
        h.join()
            .map_err(|_| anyhow::anyhow!("a thread panicked"))??;
    }
    println!(
        "{} {} {:.3}",
        files.len(),
        passed.load(Ordering::Relaxed),
        start.elapsed().as_secs_f64()
    );
    Ok(())
}
