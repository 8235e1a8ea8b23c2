//! `tamis keys`: the DKIM key archive (import, list, missing, fetch).

use std::io::{self, Write};
use std::process::ExitCode;

use anyhow::{Context, Result};

use crate::cli::KeysCommand;
use crate::common::{create_case, day, open_case, say_rejected};

pub fn run(command: KeysCommand) -> Result<ExitCode> {
    match command {
        KeysCommand::Import { files, case } => {
            let mut c = create_case(&case.case)?;
            let (records, rejected) = tamis_triage::read_key_files(&files)?;
            say_rejected(&rejected);
            let (added, verified) = tamis_triage::add_keys(&mut c, &records)?;
            let said = verified
                .map(|r| format!("; {} verdicts changed", r.changed))
                .unwrap_or_default();
            println!("{added} new key records{said}");
            Ok(ExitCode::SUCCESS)
        }
        KeysCommand::List { case, json } => {
            let c = open_case(&case.case)?;
            let mut out = io::stdout().lock();
            for k in c.keys()? {
                if json {
                    writeln!(out, "{}", serde_json::to_string(&k)?)?;
                } else {
                    let bits = tamis_keys::parse_key_record(&k.record)
                        .map(|p| match p.rsa_bits {
                            Some(b) => format!("rsa-{b}"),
                            None => format!("{:?}", p.key_type).to_lowercase(),
                        })
                        .unwrap_or_else(|e| format!("unusable: {e}"));
                    writeln!(
                        out,
                        "{}._domainkey.{}  {bits}  seen {} .. {}{}",
                        k.selector,
                        k.domain,
                        day(k.first_seen),
                        day(k.last_seen),
                        k.revealed_at
                            .map(|r| format!("  REVEALED {}", day(Some(r))))
                            .unwrap_or_default()
                    )?;
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        KeysCommand::Fetch { case, nameserver } => {
            let mut c = open_case(&case.case)?;
            let ns = nameserver
                .map(|n| {
                    n.parse::<std::net::SocketAddr>()
                        .or_else(|_| {
                            n.parse::<std::net::IpAddr>()
                                .map(|ip| std::net::SocketAddr::new(ip, 53))
                        })
                        .with_context(|| format!("--nameserver {n:?} is not an address"))
                })
                .transpose()?;
            let pairs: Vec<(String, String)> = c
                .missing_keys()?
                .into_iter()
                .map(|(d, s, _)| (d, s))
                .collect();
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs() as i64);
            let source = format!(
                "DNS lookup on {}{}",
                day(Some(now)),
                ns.map(|n| format!(" via {n}")).unwrap_or_default()
            );
            let found =
                tamis_keys::dns::fetch(&pairs, ns, now, &source).map_err(anyhow::Error::msg)?;
            let mut records = Vec::new();
            for ((d, s), f) in pairs.iter().zip(found) {
                match f {
                    tamis_keys::dns::Fetched::Found(r) => {
                        println!("{s}._domainkey.{d}: found");
                        records.extend(r);
                    }
                    tamis_keys::dns::Fetched::NotFound => {
                        println!("{s}._domainkey.{d}: not published")
                    }
                    tamis_keys::dns::Fetched::Failed(e) => {
                        println!("{s}._domainkey.{d}: lookup failed: {e}")
                    }
                }
            }
            let (added, _) = tamis_triage::add_keys(&mut c, &records)?;
            println!("{added} new key records");
            Ok(ExitCode::SUCCESS)
        }
        KeysCommand::Missing { case } => {
            let c = open_case(&case.case)?;
            let mut out = io::stdout().lock();
            for (d, s, n) in c.missing_keys()? {
                writeln!(out, "{s}._domainkey.{d}\t{n} messages")?;
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}
