//! Who may open the workbench.
//!
//! On a loopback address, whoever can reach it is already on the machine.
//! On any other address a password is required (given in the environment,
//! never on the command line where `ps` shows it); it is kept only as an
//! Argon2id hash for the run, and a correct login gets a random session
//! cookie (HttpOnly, SameSite=Strict) that dies with the server.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use argon2::Argon2;
use axum::Form;
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use maud::{DOCTYPE, html};
use serde::Deserialize;

/// Shortest password accepted for a workbench open to a network.
pub const MIN_PASSWORD: usize = 12;
const COOKIE: &str = "tamis_session";

pub struct Access {
    salt: [u8; 16],
    hash: [u8; 32],
    sessions: Mutex<HashSet<String>>,
}

fn argon(password: &str, salt: &[u8; 16]) -> Option<[u8; 32]> {
    let mut out = [0u8; 32];
    Argon2::default()
        .hash_password_into(password.as_bytes(), salt, &mut out)
        .ok()?;
    Some(out)
}

fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

impl Access {
    pub fn new(password: &str) -> Option<Access> {
        if password.chars().count() < MIN_PASSWORD {
            return None;
        }
        let salt = rand::random::<[u8; 16]>();
        Some(Access {
            hash: argon(password, &salt)?,
            salt,
            sessions: Mutex::new(HashSet::new()),
        })
    }

    fn check(&self, password: &str) -> bool {
        argon(password, &self.salt).is_some_and(|h| same(&h, &self.hash))
    }

    fn has_session(&self, req: &Request) -> bool {
        let Some(cookies) = req
            .headers()
            .get(header::COOKIE)
            .and_then(|v| v.to_str().ok())
        else {
            return false;
        };
        let Ok(sessions) = self.sessions.lock() else {
            return false;
        };
        cookies
            .split(';')
            .filter_map(|c| c.trim().strip_prefix(COOKIE)?.strip_prefix('='))
            .any(|token| {
                sessions
                    .iter()
                    .any(|s| same(s.as_bytes(), token.as_bytes()))
            })
    }
}

/// Let a request through if access is open or it carries a session.
pub(crate) async fn guard(
    State(access): State<Option<Arc<Access>>>,
    req: Request,
    next: Next,
) -> Response {
    let Some(access) = access else {
        return next.run(req).await;
    };
    let path = req.uri().path();
    if path == "/login" || path == "/static/app.css" || access.has_session(&req) {
        return next.run(req).await;
    }
    (StatusCode::SEE_OTHER, [(header::LOCATION, "/login")]).into_response()
}

#[derive(Deserialize)]
pub(crate) struct Login {
    password: String,
}

fn login_page(status: StatusCode, error: Option<&str>) -> Response {
    (
        status,
        html! {
            (DOCTYPE)
            html lang="en" {
                head { meta charset="utf-8"; title { "Log in — tamis" } link rel="stylesheet" href="/static/app.css"; }
                body { main {
                    h1 { "tamis" }
                    @if let Some(e) = error { p.error { (e) } }
                    form method="post" action="/login" {
                        label { "Password " input type="password" name="password" autofocus; }
                        " " button type="submit" { "Log in" }
                    }
                } }
            }
        },
    )
        .into_response()
}

pub(crate) async fn login_form() -> Response {
    login_page(StatusCode::OK, None)
}

pub(crate) async fn login(
    State(access): State<Option<Arc<Access>>>,
    Form(f): Form<Login>,
) -> Response {
    let Some(access) = access else {
        return (StatusCode::SEE_OTHER, [(header::LOCATION, "/")]).into_response();
    };
    let checked = {
        let access = Arc::clone(&access);
        tokio::task::spawn_blocking(move || access.check(&f.password)).await
    };
    if !matches!(checked, Ok(true)) {
        return login_page(StatusCode::UNAUTHORIZED, Some("Wrong password."));
    }
    let token = hex::encode(rand::random::<[u8; 32]>());
    if let Ok(mut s) = access.sessions.lock() {
        s.insert(token.clone());
    }
    (
        StatusCode::SEE_OTHER,
        [
            (header::LOCATION, "/".to_string()),
            (
                header::SET_COOKIE,
                format!("{COOKIE}={token}; HttpOnly; SameSite=Strict; Path=/"),
            ),
        ],
    )
        .into_response()
}
