//! Stations and consent end to end on a real PostgreSQL: a station joins with proof that it
//! holds its key, a key belongs to one account, and an expert's consent is kept only when signed
//! by their own station over the campaign's current consent text.

mod support;

use apprentice_core::provenance::hub::{consent_message, join_message, ConsentDecision};
use apprentice_core::provenance::keys::StationKey;
use serde_json::{json, Value};
use support::*;

#[test]
fn a_station_joins_with_its_key_and_consent_is_kept_only_as_signed() {
    let (pg, hub, admin) = hub_with_admin();
    let url = |p: &str| format!("{}{p}", hub.url);
    let add = |name: &str, role: &str| -> String {
        let (status, v) = request("POST", &url("/api/users"), Some(&admin), Some(json!({ "name": name, "role": role })));
        assert_eq!(status, 201, "{v}");
        v["token"].as_str().unwrap().to_string()
    };
    let (ann, bob, rita) = (add("ann", "expert"), add("bob", "expert"), add("rita", "reviewer"));
    let (ann_key, bob_key) = (StationKey::ephemeral([1; 32]), StationKey::ephemeral([2; 32]));
    let join = |token: &str, user: &str, key: &StationKey| {
        request(
            "POST",
            &url("/api/stations"),
            Some(token),
            Some(json!({ "name": "desk-1", "version": "0.1.0", "public_key": key.public_hex(), "signature": key.sign(&join_message(user, &key.public_hex())) })),
        )
    };

    let (status, station) = join(&ann, "ann", &ann_key);
    assert_eq!(status, 201, "{station}");
    assert_eq!((station["user"].as_str(), station["fingerprint"].as_str()), (Some("ann"), Some(ann_key.fingerprint().as_str())));
    assert_eq!(join(&ann, "ann", &ann_key).0, 200, "joining again is idempotent");
    let forged = bob_key.sign(&join_message("bob", &ann_key.public_hex()));
    let (status, body) = request("POST", &url("/api/stations"), Some(&bob), Some(json!({ "name": "x", "version": "1", "public_key": ann_key.public_hex(), "signature": forged })));
    assert_eq!(status, 400, "bob cannot sign for ann's key: {body}");
    let (status, body) = request(
        "POST",
        &url("/api/stations"),
        Some(&bob),
        Some(json!({ "name": "x", "version": "1", "public_key": ann_key.public_hex(), "signature": ann_key.sign(&join_message("bob", &ann_key.public_hex())) })),
    );
    assert_eq!(status, 409, "a key signed over to bob by its holder is still ann's station: {body}");
    assert_eq!(join(&bob, "bob", &bob_key).0, 201);
    assert_eq!(join(&rita, "rita", &StationKey::ephemeral([3; 32])).0, 403, "reviewers record nothing");
    let (_, mine) = request("GET", &url("/api/stations"), Some(&ann), None);
    assert_eq!(mine.as_array().unwrap().iter().map(|s| s["user"].as_str().unwrap()).collect::<Vec<_>>(), ["ann"], "an expert sees their own stations");
    let (_, all) = request("GET", &url("/api/stations"), Some(&admin), None);
    assert_eq!(all.as_array().unwrap().len(), 2);
    let listed = ok(hub_cli(&["stations", "--hub", &hub.url, "--token", &admin]));
    assert!(listed.contains("ann") && listed.contains(&bob_key.fingerprint()) && listed.contains("desk-1"), "{listed}");

    // A campaign with a consent text, ann assigned to it.
    let text = "I agree that my screen, input and voice are recorded for this campaign.";
    let (status, c) = request("POST", &url("/api/campaigns"), Some(&admin), Some(json!({ "name": "forms", "tasks": [{ "id": "f1", "instruction": "Fill in the form" }], "consent": text })));
    assert_eq!(status, 201, "{c}");
    assert_eq!(request("POST", &url("/api/campaigns/forms/assign"), Some(&admin), Some(json!({ "expert": "ann" }))).0, 200);
    let (status, consent) = request("GET", &url("/api/campaigns/forms/consent"), Some(&ann), None);
    assert_eq!(status, 200, "{consent}");
    assert_eq!((consent["text"].as_str(), consent["version"].as_i64(), consent["decision"].clone()), (Some(text), Some(1), Value::Null));
    assert_eq!(request("GET", &url("/api/campaigns/forms/consent"), Some(&bob), None).0, 403, "bob has no task of it");
    let sha = consent["sha256"].as_str().unwrap().to_string();
    let at = "2026-12-02T10:00:00Z";
    let decide = |token: &str, user: &str, key: &StationKey, version: i32, decision: ConsentDecision| {
        let d = match decision {
            ConsentDecision::Accept => "accept",
            ConsentDecision::Withdraw => "withdraw",
        };
        let signature = key.sign(&consent_message("forms", version, &sha, decision, at, user));
        request(
            "POST",
            &url("/api/campaigns/forms/consent"),
            Some(token),
            Some(json!({ "version": version, "sha256": sha, "decision": d, "at": at, "station_key": key.public_hex(), "signature": signature })),
        )
    };
    assert_eq!(decide(&ann, "ann", &ann_key, 2, ConsentDecision::Accept).0, 409, "a decision on another text version");
    let (status, body) = decide(&ann, "ann", &bob_key, 1, ConsentDecision::Accept);
    assert_eq!(status, 403, "signed by a station that is not ann's: {body}");
    assert_eq!(decide(&ann, "bob", &ann_key, 1, ConsentDecision::Accept).0, 400, "signed for another account");
    assert_eq!(pg.psql("hub", "SELECT count(*) FROM consents"), "0", "nothing kept from refused decisions");
    let (status, accepted) = decide(&ann, "ann", &ann_key, 1, ConsentDecision::Accept);
    assert_eq!((status, accepted["decision"].as_str()), (201, Some("accept")), "{accepted}");
    assert_eq!(request("GET", &url("/api/campaigns/forms/consent"), Some(&ann), None).1["decision"], "accept");
    let (status, withdrawn) = decide(&ann, "ann", &ann_key, 1, ConsentDecision::Withdraw);
    assert_eq!((status, withdrawn["decision"].as_str()), (201, Some("withdraw")));
    assert_eq!(pg.psql("hub", "SELECT string_agg(decision, ',' ORDER BY id) FROM consents"), "accept,withdraw", "decisions are appended, the latest counts");
    assert_eq!(pg.psql("hub", &format!("SELECT count(*) FROM consents WHERE station_key = '{}' AND sha256 = '{sha}'", ann_key.public_hex())), "2");
}
