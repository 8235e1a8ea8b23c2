//! The web workbench: `tamis serve` opens a case in the browser.
//!
//! Pages are rendered on the server (maud, which escapes every value it
//! is given) from the search index and the catalog; the browser runs no
//! script of ours or anyone's: every page is sent under a CSP with no
//! script source at all, so an injection that slipped through escaping
//! still could not run. Message bodies in HTML are sanitised
//! ([`render`]) and shown from their own URL inside a sandboxed iframe.
//! The assets are compiled in: the server needs no file and no network.
//!
//! Concurrency: the search index is shared (tantivy readers are
//! thread-safe); SQLite connections are not, so each request takes one
//! from a small pool of open cases, on tokio's blocking threads.

pub mod access;
mod pages;
pub mod render;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use access::Access;
use axum::Router;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use tamis_case::{Annotations, Case};
use tamis_search::SearchIndex;

#[derive(Debug, thiserror::Error)]
pub enum WebError {
    #[error(transparent)]
    Case(#[from] tamis_case::CaseError),
    #[error(transparent)]
    Search(#[from] tamis_search::SearchError),
    #[error("server: {0}")]
    Io(#[from] std::io::Error),
    #[error(
        "{0} is not a loopback address: the case would be open to the network; set a password in TAMIS_PASSWORD (at least {min} characters), or serve on 127.0.0.1",
        min = access::MIN_PASSWORD
    )]
    NotLoopback(SocketAddr),
    #[error("the password must be at least {} characters", access::MIN_PASSWORD)]
    WeakPassword,
}

pub type Result<T, E = WebError> = std::result::Result<T, E>;

/// What every request shares.
pub(crate) struct State {
    dir: PathBuf,
    index: SearchIndex,
    idle: Mutex<Vec<Case>>,
    /// The user's tags and notes (a file apart from the catalog).
    notes: Mutex<Annotations>,
    /// Proof that a form was served by this server run: state-changing
    /// requests without it are refused (another site cannot read it).
    csrf: String,
}

impl State {
    /// Run `f` with an open case, on a blocking thread.
    async fn with_case<T: Send + 'static>(
        self: &Arc<Self>,
        f: impl FnOnce(&State, &Case) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        let me = Arc::clone(self);
        tokio::task::spawn_blocking(move || {
            let case = match me.idle.lock().ok().and_then(|mut v| v.pop()) {
                Some(c) => c,
                None => Case::open(&me.dir)?,
            };
            let out = f(&me, &case);
            if let Ok(mut idle) = me.idle.lock() {
                idle.push(case);
            }
            out
        })
        .await
        .map_err(|e| WebError::Io(std::io::Error::other(e)))?
    }
}

/// The application: every route, every security header; with `access`,
/// every page but the login needs a session.
pub fn app(case_dir: &Path, access: Option<Access>) -> Result<Router> {
    let mut case = Case::open(case_dir)?;
    // Created if missing, rebuilt if of another version: the workbench
    // searches from its first page.
    let (index, opened) = SearchIndex::open_current(&mut case)?;
    if opened != tamis_search::Opened::Current {
        index.refresh(&mut case, &mut |_, _| {})?;
    }
    let state = Arc::new(State {
        dir: case_dir.to_path_buf(),
        index,
        idle: Mutex::new(vec![case]),
        notes: Mutex::new(Annotations::open(case_dir)?),
        csrf: hex::encode(rand::random::<[u8; 32]>()),
    });
    let access = access.map(Arc::new);
    let login = Router::new()
        .route(
            "/login",
            axum::routing::get(access::login_form).post(access::login),
        )
        .with_state(access.clone());
    Ok(pages::routes(state)
        .merge(login)
        .layer(axum::middleware::from_fn_with_state(access, access::guard))
        .layer(axum::middleware::map_response(secure)))
}

/// Serve the case on `addr` until the process ends; `ready` is called
/// with the address once the server listens. A `password` makes every
/// page ask for it; an address other than loopback requires one.
pub fn serve(
    case_dir: &Path,
    addr: SocketAddr,
    password: Option<&str>,
    ready: impl FnOnce(SocketAddr),
) -> Result<()> {
    let access = match password {
        Some(p) => Some(Access::new(p).ok_or(WebError::WeakPassword)?),
        None if addr.ip().is_loopback() => None,
        None => return Err(WebError::NotLoopback(addr)),
    };
    let app = app(case_dir, access)?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    rt.block_on(async move {
        let listener = tokio::net::TcpListener::bind(addr).await?;
        ready(listener.local_addr()?);
        axum::serve(listener, app).await?;
        Ok(())
    })
}

/// The strict policy of every page: our stylesheet, our images, frames
/// only from us (the message body), no script from anywhere, no framing
/// of us by anyone. The message-body route sets its own, stricter one.
const PAGE_CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self'; frame-src 'self'; \
form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

async fn secure(mut r: Response) -> Response {
    let h = r.headers_mut();
    if !h.contains_key(header::CONTENT_SECURITY_POLICY) {
        h.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(PAGE_CSP),
        );
    }
    if !h.contains_key(header::X_FRAME_OPTIONS) {
        h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    }
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(
        "cross-origin-opener-policy",
        HeaderValue::from_static("same-origin"),
    );
    h.insert(
        "cross-origin-resource-policy",
        HeaderValue::from_static("same-origin"),
    );
    r
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        (
            axum::http::StatusCode::INTERNAL_SERVER_ERROR,
            maud::html! { h1 { "Something went wrong" } p { (self.to_string()) } },
        )
            .into_response()
    }
}
