//! Naming a message: what `show` and `thread` accept.

use anyhow::Result;
use tamis_case::Case;

/// One message, resolved from whatever the user has in hand.
pub fn resolve_one(case: &Case, id: &str) -> Result<Option<String>> {
    let found = case.resolve(id)?;
    match found.len() {
        0 => {
            eprintln!(
                "tamis: no message is {id:?} (give a hash or its prefix, a source path or a Message-ID)"
            );
            Ok(None)
        }
        1 => Ok(found.into_iter().next()),
        _ => {
            eprintln!("tamis: {id:?} names {} messages:", found.len());
            for m in found.iter().take(20) {
                eprintln!("  {m}");
            }
            Ok(None)
        }
    }
}
