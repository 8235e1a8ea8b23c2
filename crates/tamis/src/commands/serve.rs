//! `tamis serve`: the browser workbench.

use std::net::SocketAddr;
use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, Result};

use crate::cli::ServeArgs;

pub fn run(a: ServeArgs) -> Result<ExitCode> {
    serve(&a.case.case, a.bind)?;
    Ok(ExitCode::SUCCESS)
}

pub fn serve(case: &Path, addr: SocketAddr) -> Result<()> {
    // Brought up to date (and upgraded) before the workbench opens it.
    drop(crate::common::open_case(case)?);
    // From the environment, not the command line (where `ps` shows it).
    let password = std::env::var("TAMIS_PASSWORD")
        .ok()
        .filter(|p| !p.is_empty());
    tamis_web::serve(case, addr, password.as_deref(), |addr| {
        println!(
            "tamis: the workbench of {} is at http://{addr}/ (Ctrl-C to stop)",
            case.display()
        );
    })
    .with_context(|| format!("serving {}", case.display()))?;
    Ok(())
}
