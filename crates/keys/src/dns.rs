//! `tamis keys fetch`: opt-in live DNS lookup of the selectors a case uses
//! and has no key for. The answer is what is published *today*, recorded
//! with today's date: for old mail it may be a rotated key, and the key
//! windows say so.

use std::net::SocketAddr;

use hickory_resolver::Resolver;
use hickory_resolver::config::{ConnectionConfig, NameServerConfig, ResolverConfig};
use hickory_resolver::net::runtime::TokioRuntimeProvider;
use hickory_resolver::proto::rr::{RData, RecordType};

use crate::KeyRecord;

/// What a lookup found for one selector.
#[derive(Debug)]
pub enum Fetched {
    Found(Vec<KeyRecord>),
    NotFound,
    Failed(String),
}

/// Look up `selector._domainkey.domain` TXT for each pair. `nameserver`
/// (an address, port 53 unless given) replaces the system's resolvers.
/// Records found are dated `now` and carry `source` (where and when).
pub fn fetch(
    pairs: &[(String, String)],
    nameserver: Option<SocketAddr>,
    now: i64,
    source: &str,
) -> Result<Vec<Fetched>, String> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the DNS client: {e}"))?;
    let builder = match nameserver {
        Some(addr) => {
            let mut udp = ConnectionConfig::udp();
            udp.port = addr.port();
            let mut tcp = ConnectionConfig::tcp();
            tcp.port = addr.port();
            let mut config = ResolverConfig::default();
            config.add_name_server(NameServerConfig::new(addr.ip(), true, vec![udp, tcp]));
            Resolver::builder_with_config(config, TokioRuntimeProvider::default())
        }
        None => Resolver::builder_tokio()
            .map_err(|e| format!("cannot read the system's DNS configuration: {e}"))?,
    };
    let resolver = rt
        .block_on(async { builder.build() })
        .map_err(|e| format!("cannot build the DNS client: {e}"))?;
    let mut out = Vec::with_capacity(pairs.len());
    for (domain, selector) in pairs {
        let name = format!("{selector}._domainkey.{domain}.");
        let answer = rt.block_on(resolver.lookup(name.as_str(), RecordType::TXT));
        out.push(match answer {
            Ok(lookup) => {
                let records: Vec<KeyRecord> = lookup
                    .answers()
                    .iter()
                    .filter_map(|r| match &r.data {
                        RData::TXT(txt) => {
                            // A TXT record's strings join with nothing between them.
                            let text: String = txt
                                .txt_data
                                .iter()
                                .map(|s| String::from_utf8_lossy(s).into_owned())
                                .collect();
                            Some(text)
                        }
                        _ => None,
                    })
                    .map(|text: String| {
                        let mut k = KeyRecord::new(domain, selector, &text);
                        k.first_seen = Some(now);
                        k.last_seen = Some(now);
                        k.source = Some(source.to_string());
                        k
                    })
                    .collect();
                if records.is_empty() {
                    Fetched::NotFound
                } else {
                    Fetched::Found(records)
                }
            }
            Err(e)
                if e.to_string().to_ascii_lowercase().contains("no records")
                    || e.to_string().contains("NXDomain") =>
            {
                Fetched::NotFound
            }
            Err(e) => Fetched::Failed(e.to_string()),
        });
    }
    Ok(out)
}
