//! One case per finding kind a single message or document can show: the
//! input, and the kinds (with severities) a user must see. Case-wide kinds
//! that need a whole dump (`message_id_reused`) are tested through the CLI.

use std::path::Path;
use std::time::Duration;

use tamis_forensics::document::{Limits, Meta, Stamp, metadata};
use tamis_forensics::isolate::{IsolateError, Pool};
use tamis_forensics::message::{Hop, document_findings, header_findings};
use tamis_forensics::patterns;
use tamis_forensics::people::{Doc, Population, clusters};
use tamis_forensics::profile::Profile;
use tamis_forensics::{Finding, FindingKind};

fn doc(name: &str) -> Meta {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name);
    metadata(&std::fs::read(path).unwrap(), Limits::default()).unwrap()
}

fn kinds(f: &[Finding]) -> Vec<String> {
    f.iter()
        .map(|f| format!("{} {}", f.kind, f.severity.name()))
        .collect()
}

fn hop(by: &str, time: i64) -> Hop {
    Hop {
        from: None,
        by: Some(by.into()),
        with: None,
        id: None,
        time: Some(time),
    }
}

const DATE: i64 = 1_455_700_000; // 2016-02-17

/// What, the hops, the Date, the DKIM `t=`s, and the findings expected.
type HeaderCase = (
    &'static str,
    Vec<Hop>,
    Option<i64>,
    Vec<i64>,
    &'static [&'static str],
);

#[test]
fn header_findings_by_kind() {
    let cases: &[HeaderCase] = &[
        (
            "sane",
            vec![hop("a", DATE + 5), hop("b", DATE + 9)],
            Some(DATE),
            vec![DATE],
            &[],
        ),
        (
            "skew allowed",
            vec![hop("a", DATE - 600)],
            Some(DATE),
            vec![],
            &[],
        ),
        (
            "relay clock backwards",
            vec![hop("a", DATE + 7200), hop("b", DATE + 60)],
            Some(DATE),
            vec![],
            &["received_time_reversed notice"],
        ),
        (
            "received before written",
            vec![hop("a", DATE - 86_400)],
            Some(DATE),
            vec![],
            &["received_before_date notice"],
        ),
        (
            "queued for a week",
            vec![hop("a", DATE + 7 * 86_400)],
            Some(DATE),
            vec![],
            &["received_delay info"],
        ),
        (
            "signed before written",
            vec![],
            Some(DATE),
            vec![DATE - 3600],
            &["signed_before_date notice"],
        ),
        (
            "signed long after",
            vec![],
            Some(DATE),
            vec![DATE + 30 * 86_400],
            &["signed_long_after_date notice"],
        ),
        (
            "no date, nothing to compare",
            vec![hop("a", 0)],
            None,
            vec![0],
            &[],
        ),
    ];
    for (what, hops, date, t, want) in cases {
        assert_eq!(kinds(&header_findings(hops, *date, t)), *want, "{what}");
    }
}

#[test]
fn document_findings_by_kind() {
    let late = doc("foreign-late.docx"); // saved 2016-02-23T19:37Z
    let saved = late.modified.as_ref().unwrap().unix;
    let cases: &[(&str, &Meta, Option<i64>, &[&str])] = &[
        ("sent after saving", &late, Some(saved + 3600), &[]),
        ("clock skew", &late, Some(saved - 1800), &[]),
        (
            "saved hours after",
            &late,
            Some(saved - 6 * 3600),
            &["document_modified_after_message notice"],
        ),
        (
            "saved days after",
            &late,
            Some(saved - 6 * 86_400),
            &["document_modified_after_message strong"],
        ),
        ("no date", &late, None, &[]),
    ];
    for (what, meta, date, want) in cases {
        assert_eq!(
            kinds(&document_findings("x.docx", meta, *date)),
            *want,
            "{what}"
        );
    }
    // Created after the message, modified stamp absent.
    let created_only = Meta {
        created: Some(Stamp {
            raw: "2016-03-01T00:00:00Z".into(),
            unix: DATE + 20 * 86_400,
            zoned: true,
        }),
        ..Meta::default()
    };
    assert_eq!(
        kinds(&document_findings("x.docx", &created_only, Some(DATE))),
        ["document_created_after_message strong"]
    );
    // A stamp without a zone gets 14 hours more.
    let unzoned = Meta {
        modified: Some(Stamp {
            raw: "2016-02-17T20:00:00".into(),
            unix: DATE + 10 * 3600,
            zoned: false,
        }),
        ..Meta::default()
    };
    assert!(document_findings("x.odt", &unzoned, Some(DATE)).is_empty());
    let revised = doc("revised.pdf");
    assert_eq!(
        kinds(&document_findings("x.pdf", &revised, None)),
        [
            "pdf_incremental_updates info",
            "document_container_warning info"
        ]
    );
    let bomb = doc("bomb-part.docx");
    let f = document_findings("bomb.docx", &bomb, None);
    assert_eq!(kinds(&f), ["document_container_warning info"]);
    assert!(
        f[0].explanation.contains("1073741824"),
        "{}",
        f[0].explanation
    );
}

fn campaign() -> Population {
    let mut p = Population::default();
    for (n, a) in [
        ("Claire Martin", "claire.martin@campaign.example.org"),
        ("Julien Moreau", "julien.moreau@campaign.example.org"),
        ("François Dubois", "francois.dubois@campaign.example.org"),
        ("Sophie Lambert", "sophie.lambert@campaign.example.org"),
        ("", "press@news.example.net"),
        ("Emily Carter", "emily.carter@campaign.example.org"),
    ] {
        p.add(Some(n), Some(a));
    }
    p
}

#[test]
fn people_findings_by_kind() {
    let p = campaign();
    assert!(p.findings("plain.docx", &doc("plain.docx")).is_empty());
    assert_eq!(
        kinds(&p.findings("late.docx", &doc("foreign-late.docx"))),
        [
            "document_author_unknown notice",
            "document_foreign_script notice"
        ]
    );
    // Known by address only ("francois.dubois"), accents folded.
    let m = Meta {
        author: Some("Francois DUBOIS".into()),
        ..Meta::default()
    };
    assert!(p.findings("x", &m).is_empty());
    // A stranger in the organisation's script is unknown, not foreign.
    let m = Meta {
        last_editor: Some("Tom Baker".into()),
        ..Meta::default()
    };
    assert_eq!(
        kinds(&p.findings("x", &m)),
        ["document_author_unknown notice"]
    );
    // Too few people to call anyone a stranger.
    assert!(
        Population::default()
            .findings("x", &doc("foreign-late.docx"))
            .is_empty()
    );
}

#[test]
fn clusters_need_many_documents_in_minutes() {
    let at = |i: i64, editor: &str| Meta {
        last_editor: Some(editor.into()),
        application: Some("Microsoft Excel".into()),
        modified: Some(Stamp {
            raw: String::new(),
            unix: DATE + i,
            zoned: true,
        }),
        ..Meta::default()
    };
    // Six files in four minutes by one editor; five more spread over days.
    let metas: Vec<Meta> = (0..6)
        .map(|i| at(i * 48, "Наталья Соколова"))
        .chain((0..5).map(|i| at(i * 86_400, "Claire Martin")))
        .collect();
    let docs: Vec<Doc<'_>> = metas
        .iter()
        .enumerate()
        .map(|(i, meta)| Doc {
            label: format!("a.zip!{i}.xlsx"),
            meta,
        })
        .collect();
    let found = clusters(&docs);
    assert_eq!(kinds(&found), ["document_cluster notice"]);
    assert_eq!(found[0].data["members"].as_array().unwrap().len(), 6);
    assert!(
        found[0]
            .explanation
            .starts_with("6 documents last saved by \"Наталья Соколова\"")
    );
}

/// Every kind has its own name, which reads back as the kind (the
/// catalog, `--kind` and `finding:` use it) and serialises as itself.
#[test]
fn every_kind_is_listed_once_under_its_own_name() {
    let mut names: Vec<&str> = FindingKind::ALL.iter().map(|k| k.name()).collect();
    for k in FindingKind::ALL {
        assert_eq!(FindingKind::parse(k.name()), Some(k));
        assert_eq!(serde_json::to_value(k).unwrap(), k.name());
        assert!(!k.meaning().is_empty());
    }
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), FindingKind::ALL.len());
}

#[test]
fn a_hung_or_crashed_worker_costs_one_document() {
    let hung = Pool::new(
        || {
            let mut c = std::process::Command::new("sleep");
            c.arg("60");
            c
        },
        Duration::from_millis(300),
    );
    assert!(matches!(
        hung.read(b"%PDF-1.4"),
        Err(IsolateError::Timeout(_))
    ));
    let dead = Pool::new(
        || std::process::Command::new("true"),
        Duration::from_secs(5),
    );
    assert!(matches!(
        dead.read(b"%PDF-1.4"),
        Err(IsolateError::Crashed(_))
    ));
    let missing = Pool::new(
        || std::process::Command::new("/nonexistent/tamis"),
        Duration::from_secs(5),
    );
    assert!(matches!(missing.read(b"x"), Err(IsolateError::Spawn(_))));
    // In process, a parser error is an error, not a crash.
    let local = Pool::in_process();
    assert!(matches!(
        local.read(b"PK\x03\x04broken"),
        Err(IsolateError::Document(_))
    ));
}

fn sender(i: i64, zone: i32, relay: &str) -> Profile {
    Profile {
        from: Some("claire.martin@campaign.example.org".into()),
        date: Some(DATE + i * 3600),
        zone: Some(zone),
        id_time: Some(("mozilla".into(), DATE + i * 3600 + 2)),
        first_relay: Some(relay.into()),
        domains: vec!["campaign.example.org".into()],
        ..Profile::default()
    }
}

#[test]
fn dump_pattern_findings_by_kind() {
    // Twenty-four ordinary messages from Paris through the usual relay...
    let mut profiles: Vec<Profile> = (0..24)
        .map(|i| {
            sender(
                i,
                if i % 2 == 0 { 60 } else { 120 },
                "smtp.campaign.example.org",
            )
        })
        .collect();
    // ...and one of each oddity.
    let mut odd_zone = sender(30, -300, "smtp.campaign.example.org");
    odd_zone.id_time = None;
    let mut odd_id = sender(31, 60, "smtp.campaign.example.org");
    odd_id.id_time = Some(("mozilla".into(), DATE - 90 * 86_400));
    let odd_relay = sender(32, 60, "mail.elsewhere.example.net");
    let phishing = Profile {
        domains: vec!["campaign-secure.example.com".into()],
        password_form: true,
        ..Profile::default()
    };
    profiles.extend([odd_zone, odd_id, odd_relay, phishing]);
    let found = patterns::findings(&profiles, &["campaign.example.org".to_string()]);
    let got: Vec<(usize, String)> = found
        .iter()
        .map(|(i, f)| (*i, format!("{} {}", f.kind, f.severity.name())))
        .collect();
    assert_eq!(
        got,
        [
            (24, "time_zone_unusual notice".to_string()),
            (25, "message_id_time notice".to_string()),
            (26, "relay_unusual notice".to_string()),
            (27, "lookalike_domain notice".to_string()),
            (27, "credential_form notice".to_string()),
        ]
    );
    // A dump without a pattern gives no finding.
    let scattered: Vec<Profile> = (0..24)
        .map(|i| sender(i, (i as i32 % 12) * 60, "r.example.org"))
        .collect();
    assert!(
        patterns::findings(&scattered, &[])
            .iter()
            .all(|(_, f)| f.kind != FindingKind::TimeZoneUnusual)
    );
}

#[test]
fn document_language_needs_a_majority_elsewhere() {
    let mut langs: Vec<(usize, &str)> = (0..20)
        .map(|i| (i, if i % 3 == 0 { "fr" } else { "fr-FR" }))
        .collect();
    langs.push((20, "ru-RU"));
    let found = patterns::document_languages(&langs);
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].0, 20);
    assert_eq!(found[0].1.kind, FindingKind::DocumentLanguage);
    assert!(patterns::document_languages(&langs[..5]).is_empty());
}
