//! `tamis examine`: the forensics of what was not examined yet.

use std::process::ExitCode;

use anyhow::Result;

use crate::cli::CaseOnly;
use crate::common::{document_pool, open_case, print_examined};

pub fn run(a: CaseOnly) -> Result<ExitCode> {
    let mut c = open_case(&a.case.case)?;
    let examined = tamis_triage::examine(&mut c, &document_pool()?)?;
    print_examined(&examined);
    Ok(ExitCode::SUCCESS)
}
