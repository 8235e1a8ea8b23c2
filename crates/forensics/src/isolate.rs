//! Document parsers in worker processes.
//!
//! Document parsers are the most fragile code in this field: PDF object
//! graphs have looped forever, text extractors panic on fonts they do not
//! know. A panic can be caught in-process; a loop or a runaway allocation
//! cannot. So metadata is read by worker processes (the `tamis` binary
//! itself, run as a worker), each with an address-space cap, one request
//! at a time, and killed when a request outlives its deadline: a hang or a
//! crash costs one attachment, reported, never the run.
//!
//! Protocol: the parent writes a little-endian u64 length and the bytes;
//! the worker answers one JSON line, `{"ok": Reading}` (metadata and text) or `{"err": "..."}`.

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::Mutex;
use std::time::Duration;

use crossbeam_channel::{Receiver, RecvTimeoutError};
use serde::{Deserialize, Serialize};

use crate::document::{self, Limits, Reading};

#[derive(Debug, thiserror::Error)]
pub enum IsolateError {
    #[error("{0}")]
    Document(String),
    #[error("the document parser took longer than {0:?} and was stopped")]
    Timeout(Duration),
    #[error("the document parser crashed: {0}")]
    Crashed(String),
    #[error("could not start a document worker: {0}")]
    Spawn(std::io::Error),
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
enum Reply {
    Ok(Box<Reading>),
    Err(String),
}

/// Worker processes reading document metadata.
pub struct Pool {
    mode: Mode,
    idle: Mutex<Vec<Worker>>,
    timeout: Duration,
}

enum Mode {
    Processes(Box<dyn Fn() -> Command + Send + Sync>),
    /// In this process, panics caught: no protection from hangs. For
    /// library tests and embedders without a worker binary.
    InProcess,
}

struct Worker {
    child: Child,
    stdin: ChildStdin,
    replies: Receiver<String>,
}

impl Pool {
    /// Workers started by `command` (which must run [`serve`]).
    pub fn new(command: impl Fn() -> Command + Send + Sync + 'static, timeout: Duration) -> Pool {
        Pool {
            mode: Mode::Processes(Box::new(command)),
            idle: Mutex::new(Vec::new()),
            timeout,
        }
    }

    /// Parsers run in the calling thread (see [`Mode::InProcess`]).
    pub fn in_process() -> Pool {
        Pool {
            mode: Mode::InProcess,
            idle: Mutex::new(Vec::new()),
            timeout: Duration::MAX,
        }
    }

    /// The metadata and text of one document.
    pub fn read(&self, bytes: &[u8]) -> Result<Reading, IsolateError> {
        let spawn = match &self.mode {
            Mode::InProcess => return guarded(bytes).map_err(IsolateError::Document),
            Mode::Processes(spawn) => spawn,
        };
        let worker = self.idle.lock().ok().and_then(|mut v| v.pop());
        let mut worker = match worker {
            Some(w) => w,
            None => start(spawn())?,
        };
        let sent = worker
            .stdin
            .write_all(&(bytes.len() as u64).to_le_bytes())
            .and_then(|()| worker.stdin.write_all(bytes))
            .and_then(|()| worker.stdin.flush());
        if let Err(e) = sent {
            return Err(IsolateError::Crashed(end(worker, &e.to_string())));
        }
        match worker.replies.recv_timeout(self.timeout) {
            Ok(line) => {
                if let Ok(mut idle) = self.idle.lock() {
                    idle.push(worker);
                }
                match serde_json::from_str::<Reply>(&line) {
                    Ok(Reply::Ok(read)) => Ok(*read),
                    Ok(Reply::Err(e)) => Err(IsolateError::Document(e)),
                    Err(e) => Err(IsolateError::Crashed(format!("unreadable reply: {e}"))),
                }
            }
            Err(RecvTimeoutError::Timeout) => {
                end(worker, "");
                Err(IsolateError::Timeout(self.timeout))
            }
            Err(RecvTimeoutError::Disconnected) => {
                Err(IsolateError::Crashed(end(worker, "exited")))
            }
        }
    }
}

impl Drop for Pool {
    fn drop(&mut self) {
        if let Ok(mut idle) = self.idle.lock() {
            for w in idle.drain(..) {
                // Closing stdin ends the worker's loop.
                drop(w.stdin);
                let mut child = w.child;
                let _ = child.wait();
            }
        }
    }
}

fn start(mut command: Command) -> Result<Worker, IsolateError> {
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(IsolateError::Spawn)?;
    let (Some(stdin), Some(stdout)) = (child.stdin.take(), child.stdout.take()) else {
        let _ = child.kill();
        return Err(IsolateError::Spawn(std::io::Error::other("no pipes")));
    };
    let (tx, replies) = crossbeam_channel::bounded(1);
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    Ok(Worker {
        child,
        stdin,
        replies,
    })
}

/// Kill and reap a worker; returns how it ended, for the report.
fn end(mut w: Worker, why: &str) -> String {
    let _ = w.child.kill();
    match w.child.wait() {
        Ok(status) if why.is_empty() => status.to_string(),
        Ok(status) => format!("{why} ({status})"),
        Err(_) => why.to_string(),
    }
}

fn guarded(bytes: &[u8]) -> Result<Reading, String> {
    match std::panic::catch_unwind(|| document::read(bytes, Limits::default())) {
        Ok(Ok(read)) => Ok(read),
        Ok(Err(e)) => Err(e.to_string()),
        Err(p) => Err(format!(
            "the document parser panicked: {}",
            p.downcast_ref::<String>()
                .map(String::as_str)
                .or_else(|| p.downcast_ref::<&str>().copied())
                .unwrap_or("(no message)")
        )),
    }
}

/// Largest document a worker accepts, and its address-space cap.
const MAX_DOCUMENT: u64 = 1 << 30;
const ADDRESS_SPACE: u64 = 8 << 30;

/// The worker's loop: requests on stdin, replies on stdout, until stdin
/// closes. Call it from a hidden subcommand of the binary.
pub fn serve() -> std::io::Result<()> {
    // SAFETY: setrlimit with a valid struct has no memory-safety effects.
    unsafe {
        let cap = libc::rlimit {
            rlim_cur: ADDRESS_SPACE,
            rlim_max: ADDRESS_SPACE,
        };
        libc::setrlimit(libc::RLIMIT_AS, &cap);
    }
    // Panics are answered, not printed: the parent reports them.
    std::panic::set_hook(Box::new(|_| {}));
    let mut stdin = std::io::stdin().lock();
    let mut stdout = std::io::stdout().lock();
    loop {
        let mut len = [0u8; 8];
        match stdin.read_exact(&mut len) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(()),
            Err(e) => return Err(e),
        }
        let len = u64::from_le_bytes(len);
        if len > MAX_DOCUMENT {
            return Err(std::io::Error::other("document too large"));
        }
        let mut bytes = vec![0; len as usize];
        stdin.read_exact(&mut bytes)?;
        let reply = match guarded(&bytes) {
            Ok(read) => Reply::Ok(Box::new(read)),
            Err(e) => Reply::Err(e),
        };
        let line = serde_json::to_string(&reply).map_err(std::io::Error::other)?;
        writeln!(stdout, "{line}")?;
        stdout.flush()?;
    }
}
