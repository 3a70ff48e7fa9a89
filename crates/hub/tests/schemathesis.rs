//! The API attacked as strangers would: schemathesis (PyPI, in .venv) generates requests from
//! the committed OpenAPI description — valid, invalid and malformed — with an admin's token, an
//! expert's, a revoked one and none, and checks every answer: no 5xx, statuses and bodies as
//! documented. Also: oversized and truncated bodies are refused without the hub growing.

mod support;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::Command;
use std::time::Duration;

use support::*;

fn schemathesis(hub: &str, token: Option<&str>, exclude: &[&str], what: &str) {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut c = Command::new(root.join(".venv/bin/st"));
    c.args(["run", "--url", hub, "--checks", "all", "--exclude-checks", "positive_data_acceptance", "--max-examples", "40", "--seed", "1", "--no-color", "--max-response-time", "30"]);
    // Revoking the calling token would end the run's own access (tests/accounts.rs covers it).
    c.args(["--exclude-operation-id", "revoke_own_token"]);
    for op in exclude {
        c.args(["--exclude-operation-id", op]);
    }
    c.arg(root.join("docs/hub-openapi.json"));
    if let Some(t) = token {
        c.args(["--header", &format!("Authorization: Bearer {t}")]);
    }
    // Its cache (crashes it would replay next time) goes to a scratch directory: each run stands alone.
    let scratch = tempfile::tempdir().unwrap();
    c.current_dir(scratch.path());
    let out = c.output().expect("schemathesis (scripts/setup installs it into .venv)");
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "schemathesis found problems ({what}):\n{text}");
    eprintln!("schemathesis, {what}:\n{}", text.lines().rev().take(12).collect::<Vec<_>>().into_iter().rev().collect::<Vec<_>>().join("\n"));
}

#[test]
fn schemathesis_finds_no_server_error_and_no_undocumented_answer() {
    let (pg, hub, admin) = hub_with_admin();
    let (_, expert) = request("POST", &format!("{}/api/users", hub.url), Some(&admin), Some(serde_json::json!({ "name": "ann", "role": "expert" })));
    let expert = expert["token"].as_str().unwrap().to_string();
    let (_, revoked) = request("POST", &format!("{}/api/users", hub.url), Some(&admin), Some(serde_json::json!({ "name": "old", "role": "reviewer" })));
    let revoked = revoked["token"].as_str().unwrap().to_string();
    request("POST", &format!("{}/api/users/old/revoke", hub.url), Some(&admin), None);

    // A body far over the limit is refused before it is read whole; a truncated one too.
    let addr = hub.url.trim_start_matches("http://").to_string();
    let mut s = TcpStream::connect(&addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    let head = format!("POST /api/campaigns HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {admin}\r\nContent-Type: application/json\r\nContent-Length: 1073741824\r\n\r\n");
    s.write_all(head.as_bytes()).unwrap();
    let chunk = vec![b' '; 1 << 20];
    let mut sent = 0usize;
    while sent < 64 << 20 {
        if s.write_all(&chunk).is_err() {
            break;
        }
        sent += chunk.len();
    }
    let mut answer = String::new();
    let _ = s.read_to_string(&mut answer);
    assert!(answer.starts_with("HTTP/1.1 413"), "a 1 GB body is refused as too large: {:?}", answer.lines().next());
    let mut s = TcpStream::connect(&addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    let head = format!("POST /api/campaigns HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {admin}\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{{\"name\": \"cut");
    s.write_all(head.as_bytes()).unwrap();
    s.shutdown(std::net::Shutdown::Write).unwrap();
    let mut answer = String::new();
    let _ = s.read_to_string(&mut answer);
    assert!(answer.is_empty() || answer.starts_with("HTTP/1.1 4"), "a truncated body is not accepted: {:?}", answer.lines().next());
    assert_eq!(pg.psql("hub", "SELECT count(*) FROM campaigns"), "0", "nothing stored from either");

    schemathesis(&hub.url, None, &[], "no token");
    schemathesis(&hub.url, Some(&revoked), &[], "a revoked token");
    schemathesis(&hub.url, Some(&expert), &[], "an expert's token");
    // The admin's run may revoke its own token through the API it tests (it learns the names
    // from GET /api/users): first without revoking, then everything.
    schemathesis(&hub.url, Some(&admin), &["revoke_user"], "an admin's token, no revoking");
    schemathesis(&hub.url, Some(&admin), &[], "an admin's token");
    let (status, health) = request("GET", &format!("{}/health", hub.url), None, None);
    assert_eq!((status, health["status"].as_str()), (200, Some("ok")), "the hub is still well");
}
