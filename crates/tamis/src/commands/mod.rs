//! One file per command: each reads its arguments, calls the libraries
//! and prints. No capability lives here.

pub mod check;
pub mod errors;
pub mod examine;
pub mod export;
pub mod findings;
pub mod index;
pub mod ingest;
pub mod keys;
pub mod report;
mod resolve;
pub mod search;
pub mod serve;
pub mod show;
pub mod status;
pub mod thread;
pub mod verify;
