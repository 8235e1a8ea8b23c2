//! The workbench over HTTP, on a case made of the XSS corpus in
//! tests/data/xss (hostile HTML bodies, subjects and names): every page
//! answers with the strict headers, shows hostile values escaped, and the
//! sanitised bodies hold nothing active and nothing remote.
//! (What a real browser does with them is tested in tests/browser/.)

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use tamis_case::{Case, IngestOptions};

fn data() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data")
}

/// One server for the whole test binary.
fn server() -> SocketAddr {
    static ADDR: OnceLock<SocketAddr> = OnceLock::new();
    *ADDR.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap().keep();
        let case_dir = dir.join("x.case");
        let mut case = Case::create(&case_dir).unwrap();
        tamis_triage::triage(
            &mut case,
            &[data().join("xss")],
            &IngestOptions::default(),
            &[],
            &tamis_forensics::isolate::Pool::in_process(),
            &mut |_| {},
        )
        .unwrap();
        drop(case);
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            tamis_web::serve(&case_dir, "127.0.0.1:0".parse().unwrap(), None, |a| {
                tx.send(a).unwrap();
            })
            .unwrap();
        });
        rx.recv().unwrap()
    })
}

struct Got {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Got {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

fn get(path: &str) -> Got {
    let url = format!("http://{}{path}", server());
    let agent = ureq::Agent::new_with_config(
        ureq::config::Config::builder()
            .http_status_as_error(false)
            .build(),
    );
    let mut r = agent.get(&url).call().unwrap();
    let headers = r
        .headers()
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or("").to_string()))
        .collect();
    let status = r.status().as_u16();
    let body = r.body_mut().read_to_string().unwrap_or_default();
    Got {
        status,
        headers,
        body,
    }
}

/// The message pages linked from a search for everything.
fn messages() -> Vec<String> {
    let page = get("/search?q=xss");
    let mut out: Vec<String> = page
        .body
        .match_indices("href=\"/m/")
        .map(|(i, _)| page.body[i + 9..i + 9 + 64].to_string())
        .collect();
    out.sort();
    out.dedup();
    out
}

#[test]
fn every_page_is_sent_with_strict_headers() {
    let m = messages();
    assert_eq!(m.len(), 8, "one message per XSS file");
    let thread = get(&format!("/m/{}", m[0]));
    let t = thread
        .body
        .split("href=\"/t/")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap()
        .to_string();
    for path in [
        "/".to_string(),
        "/search?q=xss".to_string(),
        "/search?q=verdict:unverifiable&sort=relevance&page=0".to_string(),
        format!("/m/{}", m[0]),
        format!("/t/{t}"),
        "/keys".to_string(),
        "/correspondents".to_string(),
        "/static/app.css".to_string(),
    ] {
        let g = get(&path);
        assert_eq!(g.status, 200, "{path}");
        let csp = g.header("content-security-policy").unwrap_or("");
        assert!(csp.contains("default-src 'none'"), "{path}: {csp}");
        assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
        assert!(
            !csp.contains("script-src"),
            "{path}: no script source at all: {csp}"
        );
        assert_eq!(
            g.header("x-content-type-options"),
            Some("nosniff"),
            "{path}"
        );
        assert_eq!(g.header("x-frame-options"), Some("DENY"), "{path}");
    }
}

#[test]
fn hostile_values_are_escaped_on_every_page() {
    for m in messages() {
        let page = get(&format!("/m/{m}"));
        assert_eq!(page.status, 200);
        assert!(
            !page.body.contains("<script"),
            "{m}: a script tag on the page"
        );
        assert!(!page.body.contains("<img src=x"), "{m}");
        assert!(
            page.body.contains("&lt;script&gt;alert(&#39;subject&#39;)")
                || page.body.contains("&lt;script&gt;alert('subject')"),
            "{m}: the subject shown as text"
        );
        assert!(
            page.body
                .contains("sandbox=\"allow-popups allow-popups-to-escape-sandbox\""),
            "{m}"
        );
    }
    let search = get("/search?q=xss");
    assert!(!search.body.contains("<script"));
}

#[test]
fn sanitised_bodies_hold_nothing_active_or_remote() {
    for m in messages() {
        let b = get(&format!("/m/{m}/body"));
        assert_eq!(b.status, 200);
        let csp = b.header("content-security-policy").unwrap_or("");
        assert!(
            csp.contains("default-src 'none'") && csp.contains("frame-ancestors 'self'"),
            "{csp}"
        );
        assert!(csp.contains("sandbox"), "{csp}");
        // What the message put inside our document's body.
        let lower = b.body.to_lowercase();
        let lower = lower
            .split_once("<body>")
            .and_then(|(_, rest)| rest.rsplit_once("</body>"))
            .map(|(inner, _)| inner.to_string())
            .unwrap();
        let handler = lower.match_indices(" on").any(|(i, _)| {
            let rest = &lower[i + 3..];
            let name: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphabetic())
                .collect();
            !name.is_empty() && rest[name.len()..].trim_start().starts_with('=')
        });
        assert!(!handler, "{m}: an event handler in {lower}");
        for banned in [
            "<script",
            "javascript:",
            "vbscript:",
            "data:text",
            "<style",
            "<link",
            "<meta",
            "<base",
            "<form",
            "<input",
            "<iframe",
            "<object",
            "<embed",
            "<svg",
            "<math",
            "<video",
            "<audio",
            "<source",
            "style=",
            "src=\"http",
            "srcset",
        ] {
            assert!(!lower.contains(banned), "{m}: {banned:?} in {}", b.body);
        }
        // The text itself is still there.
        assert!(lower.contains("marker-"), "{}", b.body);
    }
}

#[test]
fn raw_and_attachments_download_and_never_render() {
    let m = &messages()[0];
    let raw = get(&format!("/m/{m}/raw"));
    assert_eq!(
        raw.header("content-type"),
        Some("text/plain; charset=utf-8")
    );
    assert!(raw.body.contains("<script>"), "raw is the bytes as found");
    assert!(
        raw.header("content-security-policy")
            .unwrap()
            .contains("sandbox")
    );
    let eml = get(&format!("/m/{m}/download"));
    assert!(
        eml.header("content-disposition")
            .unwrap()
            .starts_with("attachment")
    );
    assert_eq!(eml.header("x-content-type-options"), Some("nosniff"));
}

#[test]
fn bad_input_gets_clear_answers() {
    assert_eq!(get("/m/nothex").status, 404);
    assert_eq!(get(&format!("/m/{}", "0".repeat(64))).status, 404);
    assert_eq!(get("/t/0000000000000000").status, 404);
    assert_eq!(get("/nowhere").status, 404);
    let bad = get("/search?q=form:x");
    assert_eq!(bad.status, 400);
    assert!(bad.body.contains("unknown operator"), "{}", bad.body);
    let unclosed = get("/search?q=%28a");
    assert_eq!(unclosed.status, 400);
}

fn post(path: &str, form: &[(&str, &str)], cross_site: bool) -> Got {
    let url = format!("http://{}{path}", server());
    let agent = ureq::Agent::new_with_config(
        ureq::config::Config::builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .build(),
    );
    let mut req = agent.post(&url);
    if cross_site {
        req = req.header("Sec-Fetch-Site", "cross-site");
    }
    let mut r = req.send_form(form.iter().copied()).unwrap();
    let headers = r
        .headers()
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or("").to_string()))
        .collect();
    let status = r.status().as_u16();
    let body = r.body_mut().read_to_string().unwrap_or_default();
    Got {
        status,
        headers,
        body,
    }
}

#[test]
fn tags_and_notes_need_this_servers_token_and_stay_the_users() {
    let m = messages().pop().unwrap();
    let page = get(&format!("/m/{m}"));
    let token = page
        .body
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap()
        .to_string();
    let tags = format!("/m/{m}/tags");
    // Without the token, with a wrong one, or from another site: refused.
    assert_eq!(
        post(&tags, &[("csrf", ""), ("tag", "x")], false).status,
        403
    );
    assert_eq!(
        post(&tags, &[("csrf", &"0".repeat(64)), ("tag", "x")], false).status,
        403
    );
    assert_eq!(
        post(&tags, &[("csrf", &token), ("tag", "x")], true).status,
        403
    );
    // A tag that is markup is refused; a real one is saved.
    assert_eq!(
        post(&tags, &[("csrf", &token), ("tag", "<b>x</b>")], false).status,
        400
    );
    let ok = post(&tags, &[("csrf", &token), ("tag", "À vérifier")], false);
    assert_eq!(ok.status, 303);
    assert_eq!(ok.header("location"), Some(format!("/m/{m}").as_str()));
    let note = post(
        &format!("/m/{m}/notes"),
        &[
            ("csrf", &token),
            ("text", "<script>alert('note')</script> sender denies"),
        ],
        false,
    );
    assert_eq!(note.status, 303);
    let page = get(&format!("/m/{m}"));
    assert!(
        page.body.contains("<span class=\"tag\">à vérifier</span>"),
        "{}",
        page.body
    );
    assert!(
        page.body.contains("&lt;script&gt;alert(&#39;note&#39;)")
            || page.body.contains("&lt;script&gt;alert('note')")
    );
    assert!(page.body.contains("not part of the dump"));
    let list = get("/tags");
    assert!(list.body.contains(&format!("/m/{m}")));
}

#[test]
fn a_password_guards_every_page_but_the_login() {
    // A second server on the same case, with a password.
    let first = get("/");
    assert_eq!(first.status, 200);
    let dir = tempfile::tempdir().unwrap().keep();
    let case_dir = dir.join("p.case");
    let mut case = Case::create(&case_dir).unwrap();
    case.ingest(
        &[data().join("xss")],
        &IngestOptions::default(),
        &mut |_| {},
    )
    .unwrap();
    drop(case);
    assert!(matches!(
        tamis_web::serve(&case_dir, "0.0.0.0:0".parse().unwrap(), None, |_| {}),
        Err(tamis_web::WebError::NotLoopback(_))
    ));
    assert!(matches!(
        tamis_web::serve(
            &case_dir,
            "127.0.0.1:0".parse().unwrap(),
            Some("short"),
            |_| {}
        ),
        Err(tamis_web::WebError::WeakPassword)
    ));
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        tamis_web::serve(
            &case_dir,
            "127.0.0.1:0".parse().unwrap(),
            Some("correct horse battery"),
            |a| tx.send(a).unwrap(),
        )
        .unwrap();
    });
    let addr = rx.recv().unwrap();
    let agent = ureq::Agent::new_with_config(
        ureq::config::Config::builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .build(),
    );
    let url = |p: &str| format!("http://{addr}{p}");
    for p in ["/", "/search?q=xss", "/keys", "/tags"] {
        let r = agent.get(&url(p)).call().unwrap();
        assert_eq!(r.status().as_u16(), 303, "{p}");
        assert_eq!(r.headers().get("location").unwrap(), "/login");
    }
    assert_eq!(
        agent.get(&url("/login")).call().unwrap().status().as_u16(),
        200
    );
    let wrong = agent
        .post(&url("/login"))
        .send_form([("password", "guess")])
        .unwrap();
    assert_eq!(wrong.status().as_u16(), 401);
    assert!(wrong.headers().get("set-cookie").is_none());
    let right = agent
        .post(&url("/login"))
        .send_form([("password", "correct horse battery")])
        .unwrap();
    assert_eq!(right.status().as_u16(), 303);
    let cookie = right
        .headers()
        .get("set-cookie")
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );
    let session = cookie.split(';').next().unwrap().to_string();
    let page = agent
        .get(&url("/"))
        .header("Cookie", &session)
        .call()
        .unwrap();
    assert_eq!(page.status().as_u16(), 200);
    let forged = agent
        .get(&url("/"))
        .header("Cookie", "tamis_session=00")
        .call()
        .unwrap();
    assert_eq!(forged.status().as_u16(), 303);
}
