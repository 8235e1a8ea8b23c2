//! `tamis-gen`: write a synthetic leak dump (see the library's docs).

use std::path::PathBuf;

use anyhow::Result;
use clap::Parser;

#[derive(Parser)]
#[command(about = "Write a synthetic leak dump (test keys; for tests, demos and benchmarks only)")]
struct Args {
    /// Output directory (dump/, keys/, truth.jsonl are written inside).
    #[arg(long)]
    out: PathBuf,
    /// Distinct messages to write (copies are more: one per mailbox).
    #[arg(long, default_value_t = 200)]
    messages: usize,
    #[arg(long, default_value_t = 2017)]
    seed: u64,
    /// Write each distinct message once under flat/ instead of a dump.
    #[arg(long)]
    flat: bool,
}

fn main() -> Result<()> {
    let args = Args::parse();
    let copies = tamis_gen::generate(&tamis_gen::Options {
        out: args.out.clone(),
        messages: args.messages,
        seed: args.seed,
        flat: args.flat,
    })?;
    eprintln!(
        "wrote {} messages ({copies} copies) to {}",
        args.messages,
        args.out.join("dump").display()
    );
    Ok(())
}
