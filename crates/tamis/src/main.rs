//! `tamis`: the command line. Argument parsing (`cli`), one file per
//! command (`commands/`), and what they share (`common`); every capability
//! lives in a library crate, the whole triage in tamis-triage.

use std::io;
use std::process::ExitCode;

use anyhow::Result;
use clap::Parser;

mod cli;
mod commands;
mod common;

use cli::{Cli, Command};

// Ingest allocates per message on several threads; glibc's allocator makes
// them queue on its arena locks (seen in profiles as the writer's main wait).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        // `tamis export | head` is normal use, not an error.
        Err(e)
            if e.chain().any(|c| {
                c.downcast_ref::<io::Error>()
                    .is_some_and(|io| io.kind() == io::ErrorKind::BrokenPipe)
            }) =>
        {
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("tamis: {e:#}");
            ExitCode::from(1)
        }
    }
}

fn run(cli: Cli) -> Result<ExitCode> {
    use commands::*;
    match cli.command {
        Command::Ingest(a) => ingest::run(a),
        Command::Verify(a) => verify::run(a),
        Command::Check(a) => check::run(a),
        Command::Report(a) => report::run(a),
        Command::Keys { command } => keys::run(command),
        Command::Status(a) => status::run(a),
        Command::Errors(a) => errors::run(a),
        Command::Findings(a) => findings::run(a),
        Command::Examine(a) => examine::run(a),
        Command::Index(a) => index::run(a),
        Command::Search(a) => search::run(a),
        Command::Show(a) => show::run(a),
        Command::Thread(a) => thread::run(a),
        Command::Serve(a) => serve::run(a),
        Command::Export(a) => export::run(a),
        Command::DocWorker => {
            tamis_forensics::isolate::serve()?;
            Ok(ExitCode::SUCCESS)
        }
    }
}
