//! Accounts end to end on a real PostgreSQL: `init` prints the first admin's token once, roles
//! decide who may do what, tokens are stored only as argon2 hashes, revoking takes effect at
//! once, and two hub processes over one database serve the same accounts.

mod support;

use serde_json::{json, Value};
use support::*;

fn token_of(created: &str) -> String {
    let v: Value = serde_json::from_str(created).unwrap_or_else(|e| panic!("{e}: {created}"));
    v["token"].as_str().expect("a token").to_string()
}

#[test]
fn init_prints_an_admin_token_once_and_every_endpoint_checks_who_asks() {
    let pg = Postgres::start();
    let db = pg.url("hub");
    let admin = token_of(&ok(hub_cli(&["init", "--db", &db, "--json"])));
    assert!(fails(hub_cli(&["init", "--db", &db])).contains("has an admin already"), "init runs once");
    let hub = Hub::start(&db);
    let remote = |token: &str| vec!["--hub".to_string(), hub.url.clone(), "--token".to_string(), token.to_string()];
    let cli = |args: &[&str], token: &str| hub_cli(&[args.iter().map(|s| s.to_string()).collect::<Vec<_>>(), remote(token)].concat().iter().map(String::as_str).collect::<Vec<_>>());

    // Health answers anyone; the API no one without a valid token.
    let (status, health) = request("GET", &format!("{}/health", hub.url), None, None);
    assert_eq!((status, health["status"].as_str(), health["database"].as_str()), (200, Some("ok"), Some("ok")), "{health}");
    for (token, says) in [(None, "no token"), (Some("nonsense"), "malformed"), (Some("aph_0123456789ab_guess"), "unknown token")] {
        let (status, body) = request("GET", &format!("{}/api/me", hub.url), token, None);
        assert_eq!(status, 401, "{token:?}: {body}");
        assert!(body["error"].as_str().unwrap().contains(says), "{token:?}: {body}");
    }
    let wrong_secret = format!("{}x", &admin[..admin.len() - 1]);
    assert_eq!(request("GET", &format!("{}/api/me", hub.url), Some(&wrong_secret), None).0, 401, "the right id with a wrong secret");
    assert!(ok(cli(&["whoami"], &admin)).starts_with("admin (admin"));

    // The admin adds an expert; the expert is a pseudonym to others and may not add users.
    let ann = token_of(&ok(cli(&["user", "add", "ann", "--role", "expert", "--json"], &admin)));
    let me: Value = serde_json::from_str(&ok(cli(&["whoami", "--json"], &ann))).unwrap();
    assert_eq!(me["role"], "expert");
    assert!(me["pseudonym"].as_str().unwrap().starts_with("expert-"), "{me}");
    let refused = fails(cli(&["user", "add", "mallory", "--role", "admin"], &ann));
    assert!(refused.contains("403") && refused.contains("needs the role admin"), "{refused}");
    assert_eq!(request("GET", &format!("{}/api/users", hub.url), Some(&ann), None).0, 403);
    assert!(fails(cli(&["user", "add", "ann", "--role", "reviewer"], &admin)).contains("exists already"));
    assert!(fails(cli(&["user", "add", "no spaces", "--role", "reviewer"], &admin)).contains("is not a user name"));
    let (status, body) = request("POST", &format!("{}/api/users", hub.url), Some(&admin), Some(json!({ "name": "x", "role": "owner" })));
    assert_eq!(status, 422, "an unknown role is refused: {body}");
    assert!(body["error"].as_str().unwrap().contains("unknown variant `owner`"), "{body}");
    let list = ok(cli(&["user", "list"], &admin));
    assert!(list.contains("ann") && list.contains("expert"), "{list}");

    // Only hashes are stored: no token's secret is in the database.
    let hashes = pg.psql("hub", "SELECT string_agg(hash, ' ') FROM tokens");
    assert!(hashes.split(' ').all(|h| h.starts_with("$argon2id$")), "{hashes}");
    for t in [&admin, &ann] {
        let secret = t.rsplit('_').next().unwrap();
        assert!(!pg.psql("hub", "SELECT string_agg(hash || id, ' ') FROM tokens").contains(secret));
    }

    // Revoked: refused from that moment.
    assert!(ok(cli(&["user", "revoke", "ann"], &admin)).contains("revoked 1 token(s) of ann"));
    let refused = fails(cli(&["whoami"], &ann));
    assert!(refused.contains("401") && refused.contains("revoked"), "{refused}");
    let again = ok(cli(&["user", "token", "ann"], &admin));
    let fresh = again.trim().strip_prefix("token: ").unwrap();
    assert!(ok(cli(&["whoami"], fresh)).starts_with("ann (expert"));
    assert_eq!(request("DELETE", &format!("{}/api/me/token", hub.url), Some(fresh), None).0, 204, "a user can revoke their own token");
    assert_eq!(request("GET", &format!("{}/api/me", hub.url), Some(fresh), None).0, 401);

    let (status, body) = request("GET", &format!("{}/api/nothing-here", hub.url), Some(&admin), None);
    assert_eq!(status, 404, "{body}");
    assert!(hub.stop(), "SIGTERM stops the hub cleanly");
}

#[test]
fn two_hub_processes_over_one_database_migrate_once_and_serve_the_same_accounts() {
    let pg = Postgres::start();
    let db = pg.url("hub");
    // Both start (and migrate) at once over an empty database.
    let (a, b) = std::thread::scope(|s| {
        let a = s.spawn(|| Hub::start(&db));
        let b = s.spawn(|| Hub::start(&db));
        (a.join().unwrap(), b.join().unwrap())
    });
    assert_eq!(pg.psql("hub", "SELECT count(*) = max(version) AND count(*) > 1 FROM schema_migrations"), "t", "every migration applied once, by one of them");
    let admin = token_of(&ok(hub_cli(&["init", "--db", &db, "--json"])));
    let (status, created) = request("POST", &format!("{}/api/users", a.url), Some(&admin), Some(json!({ "name": "rita", "role": "reviewer" })));
    assert_eq!(status, 201, "{created}");
    let rita = created["token"].as_str().unwrap();
    let (status, me) = request("GET", &format!("{}/api/me", b.url), Some(rita), None);
    assert_eq!((status, me["name"].as_str()), (200, Some("rita")), "a user made through one hub is known to the other");
    assert_eq!(request("POST", &format!("{}/api/users/rita/revoke", b.url), Some(&admin), None).0, 200);
    assert_eq!(request("GET", &format!("{}/api/me", a.url), Some(rita), None).0, 401, "revoked through one, refused by the other at once");

    // The database gone: health says so (503), the API answers 503 rather than hanging.
    pg.stop();
    let (status, health) = request("GET", &format!("{}/health", a.url), None, None);
    assert_eq!((status, health["status"].as_str()), (503, Some("unavailable")), "{health}");
    let (status, body) = request("GET", &format!("{}/api/me", a.url), Some(&admin), None);
    assert_eq!(status, 503, "{body}");
}
