//! Uploads end to end on a real PostgreSQL, with recordings sealed by a station's real writer and
//! sent by the station crate's real push: a recording arrives verified with its task and expert;
//! what is tampered, unsigned, unassigned or without consent is refused and stored nowhere; a
//! hub killed mid-upload, and an upload started on one hub process and finished on another,
//! complete once; bodies too long or cut short are refused.

mod support;

use std::process::Command;
use std::time::Duration;

use apprentice_core::provenance::keys::StationKey;
use apprentice_core::store::upload_queue::QueueState;
use apprentice_core::store::Library;
use apprentice_station::push::{self, PushOptions};
use apprentice_station::StationConfig;
use serde_json::{json, Value};
use support::*;

const SEED_ANN: [u8; 32] = [11; 32];
const SEED_BOB: [u8; 32] = [12; 32];

/// A hub with campaign `c1` (tasks t1, t2; a consent text), experts ann and bob assigned, and
/// a reviewer rita.
struct World {
    pg: Postgres,
    hub: Hub,
    admin: String,
    ann: String,
    bob: String,
    rita: String,
}

fn world() -> World {
    let (pg, hub, admin) = hub_with_admin();
    let url = |p: &str| format!("{}{p}", hub.url);
    let add = |name: &str, role: &str| -> String {
        let (status, v) = request("POST", &url("/api/users"), Some(&admin), Some(json!({ "name": name, "role": role })));
        assert_eq!(status, 201, "{v}");
        v["token"].as_str().expect("token").to_string()
    };
    let (ann, bob, rita) = (add("ann", "expert"), add("bob", "expert"), add("rita", "reviewer"));
    let tasks = json!([{ "id": "t1", "instruction": "Rename the report" }, { "id": "t2", "instruction": "Archive the old invoices" }]);
    let (status, v) = request("POST", &url("/api/campaigns"), Some(&admin), Some(json!({ "name": "c1", "tasks": tasks, "consent": "I agree to be recorded." })));
    assert_eq!(status, 201, "{v}");
    for expert in ["ann", "bob"] {
        let (status, v) = request("POST", &url("/api/campaigns/c1/assign"), Some(&admin), Some(json!({ "expert": expert })));
        assert_eq!(status, 200, "{v}");
    }
    World { pg, hub, admin, ann, bob, rita }
}

/// Joins `key` as `user`'s station and, when asked, accepts c1's consent; the station's config.
fn station(w: &World, hub_url: &str, token: &str, user: &str, seed: [u8; 32], consent: bool) -> StationConfig {
    let key = StationKey::ephemeral(seed);
    let (status, st) = join_station(&w.hub.url, token, user, &format!("{user}-desk"), &key);
    assert_eq!(status, 201, "{st}");
    let cfg = StationConfig { hub: hub_url.to_string(), token: token.to_string(), user: user.to_string(), station_id: st["id"].as_i64().expect("id"), fingerprint: key.fingerprint() };
    if consent {
        let text = apprentice_station::read_consent(&cfg, "c1").expect("consent text");
        apprentice_station::consent(&cfg, &key, &text, apprentice_core::provenance::hub::ConsentDecision::Accept).expect("accept");
    }
    cfg
}

fn fast() -> PushOptions {
    PushOptions { bytes_per_second: None, retry_for: Duration::from_secs(120) }
}

fn count(w: &World, sql: &str) -> i64 {
    w.pg.psql("hub", sql).parse().unwrap_or_else(|e| panic!("{sql}: {e}"))
}

#[test]
fn a_pushed_recording_arrives_verified_and_only_its_owner_and_staff_see_it() {
    let w = world();
    let ann = station(&w, &w.hub.url, &w.ann, "ann", SEED_ANN, true);
    let dir = tempfile::tempdir().expect("tmp");
    let lib = Library::open(dir.path()).expect("lib");
    sealed_recording(&lib, "rec-ann-1", "t1", SEED_ANN, 6, 2_000);
    let reports = push::push(&lib, &ann, &StationKey::ephemeral(SEED_ANN), &["rec-ann-1".into()], &fast(), &mut |_| {}).expect("push");
    assert_eq!(reports.len(), 1);
    let r = &reports[0];
    assert_eq!(r.state, QueueState::Sent, "{r:?}");
    assert_eq!((r.files, r.files_sent), (7, 7), "the library and six media files");
    let got = r.recording.as_ref().expect("the hub's summary");
    assert_eq!((got.campaign.as_str(), got.task_id.as_str(), got.expert.as_str()), ("c1", "t1", "ann"));
    assert_eq!((got.sealed.as_str(), got.input_events, got.frames), ("finished", 12, 6));
    assert!(got.steps >= 1, "segmented by the core on arrival: {got:?}");
    assert_eq!(got.station, StationKey::ephemeral(SEED_ANN).fingerprint());
    assert_eq!(lib.queued_upload("rec-ann-1").expect("queue").expect("queued").state, QueueState::Sent);

    // Pushing again sends nothing and changes nothing.
    let again = push::push(&lib, &ann, &StationKey::ephemeral(SEED_ANN), &["rec-ann-1".into()], &fast(), &mut |_| {}).expect("push again");
    assert_eq!((again[0].state, again[0].files_sent), (QueueState::Sent, 0));
    assert_eq!(count(&w, "SELECT count(*) FROM recordings"), 1);
    assert_eq!(count(&w, "SELECT count(*) FROM uploads"), 1);
    assert_eq!(count(&w, "SELECT count(*) FROM media"), 6);

    // Who sees it: ann and the admin by name, a reviewer by pseudonym, bob not at all.
    let url = |p: &str| format!("{}{p}", w.hub.url);
    let (status, mine) = request("GET", &url("/api/recordings/rec-ann-1"), Some(&w.ann), None);
    assert_eq!((status, mine["expert"].as_str()), (200, Some("ann")), "{mine}");
    let (status, all) = request("GET", &url("/api/recordings?campaign=c1"), Some(&w.admin), None);
    assert_eq!((status, all.as_array().map(Vec::len)), (200, Some(1)), "{all}");
    let (status, seen) = request("GET", &url("/api/recordings/rec-ann-1"), Some(&w.rita), None);
    assert_eq!(status, 200);
    assert!(seen["expert"].as_str().is_some_and(|e| e.starts_with("expert-")), "reviewers see a pseudonym: {seen}");
    let (status, body) = request("GET", &url("/api/recordings/rec-ann-1"), Some(&w.bob), None);
    assert_eq!(status, 404, "another expert's recording is not theirs to see: {body}");
    assert!(body["error"].as_str().is_some_and(|e| e.contains("rec-ann-1")), "{body}");
    let (_, bobs) = request("GET", &url("/api/recordings"), Some(&w.bob), None);
    assert_eq!(bobs.as_array().map(Vec::len), Some(0));
    let out = ok(hub_cli(&["recordings", "--campaign", "c1", "--hub", &w.hub.url, "--token", &w.admin]));
    assert!(out.contains("rec-ann-1") && out.contains("t1") && out.contains("ann"), "{out}");

    // The station's last sight and queue depth are kept; the task's progress counts it.
    let (_, stations) = request("GET", &url("/api/stations"), Some(&w.admin), None);
    let st = stations.as_array().and_then(|a| a.iter().find(|s| s["user"] == "ann")).cloned().expect("ann's station");
    assert_eq!(st["queue_depth"], 1, "one recording was queued when it announced: {st}");
    let (_, progress) = request("GET", &url("/api/campaigns/c1/progress"), Some(&w.admin), None);
    let t1 = progress.as_array().and_then(|a| a.iter().find(|t| t["id"] == "t1")).cloned().expect("t1");
    assert_eq!((t1["recorded"].as_i64(), t1["assigned"].as_i64()), (Some(1), Some(2)), "{t1}");
}

#[test]
fn what_is_tampered_unsigned_unassigned_or_without_consent_is_refused_and_stored_nowhere() {
    let w = world();
    let dir = tempfile::tempdir().expect("tmp");
    let lib = Library::open(dir.path()).expect("lib");
    let ann_key = StationKey::ephemeral(SEED_ANN);

    // Without consent: refused before any file is sent.
    let ann = station(&w, &w.hub.url, &w.ann, "ann", SEED_ANN, false);
    sealed_recording(&lib, "rec-consent", "t1", SEED_ANN, 2, 500);
    let r = &push::push(&lib, &ann, &ann_key, &["rec-consent".into()], &fast(), &mut |_| {}).expect("push")[0];
    assert_eq!(r.state, QueueState::Refused, "{r:?}");
    assert!(r.error.as_deref().is_some_and(|e| e.contains("403") && e.contains("consent")), "{r:?}");
    let text = apprentice_station::read_consent(&ann, "c1").expect("text");
    apprentice_station::consent(&ann, &ann_key, &text, apprentice_core::provenance::hub::ConsentDecision::Accept).expect("accept");

    // Tampered after sealing: a stored row changed with SQL.
    sealed_recording(&lib, "rec-tampered", "t1", SEED_ANN, 3, 500);
    let conn = rusqlite::Connection::open(lib.db_path()).expect("sqlite");
    conn.execute("UPDATE notes SET text = 'I never opened it' WHERE recording_id = 'rec-tampered'", []).expect("tamper");
    drop(conn);
    let r = &push::push(&lib, &ann, &ann_key, &["rec-tampered".into()], &fast(), &mut |_| {}).expect("push")[0];
    assert_eq!(r.state, QueueState::Refused, "{r:?}");
    let e = r.error.as_deref().unwrap_or_default();
    assert!(e.contains("422") && e.contains("refused") && e.contains("notes"), "the hub names the damaged stream: {e}");
    let (_, status) = request("GET", &format!("{}/api/uploads/{}", w.hub.url, r.upload_id.expect("upload id")), Some(&w.ann), None);
    assert_eq!(status["state"], "refused", "{status}");
    assert!(status["problems"].as_array().is_some_and(|p| !p.is_empty()), "{status}");

    // Sealed by a key that is not this station's (another machine's seal, sent as ann's).
    sealed_recording(&lib, "rec-foreign", "t1", [99; 32], 2, 500);
    let r = &push::push(&lib, &ann, &ann_key, &["rec-foreign".into()], &fast(), &mut |_| {}).expect("push")[0];
    assert_eq!(r.state, QueueState::Refused, "{r:?}");
    assert!(r.error.as_deref().is_some_and(|e| e.contains("station key") && e.contains("not trusted")), "{r:?}");

    // A task not assigned to the expert (t9 is nobody's).
    sealed_recording(&lib, "rec-unassigned", "t9", SEED_ANN, 1, 500);
    let r = &push::push(&lib, &ann, &ann_key, &["rec-unassigned".into()], &fast(), &mut |_| {}).expect("push")[0];
    assert!(r.error.as_deref().is_some_and(|e| e.contains("403") && e.contains("not assigned")), "{r:?}");

    // A station that never joined (bob's token, a key never registered).
    let bob = StationConfig { hub: w.hub.url.clone(), token: w.bob.clone(), user: "bob".into(), station_id: 0, fingerprint: String::new() };
    sealed_recording(&lib, "rec-stranger", "t1", SEED_BOB, 1, 500);
    let r = &push::push(&lib, &bob, &StationKey::ephemeral(SEED_BOB), &["rec-stranger".into()], &fast(), &mut |_| {}).expect("push")[0];
    assert!(r.error.as_deref().is_some_and(|e| e.contains("403") && e.contains("has not joined")), "{r:?}");

    // A revoked token: 401, and the recording stays queued (it is not the recording's fault).
    let (status, _) = request("POST", &format!("{}/api/users/ann/revoke", w.hub.url), Some(&w.admin), None);
    assert_eq!(status, 200);
    sealed_recording(&lib, "rec-revoked", "t2", SEED_ANN, 1, 500);
    let r = &push::push(&lib, &ann, &ann_key, &["rec-revoked".into()], &fast(), &mut |_| {}).expect("push")[0];
    assert_eq!(r.state, QueueState::Queued, "{r:?}");
    assert!(r.error.as_deref().is_some_and(|e| e.contains("401")), "{r:?}");

    // Nothing of any of them is stored: no recording, no media, no staged file.
    assert_eq!(count(&w, "SELECT count(*) FROM recordings"), 0);
    assert_eq!(count(&w, "SELECT count(*) FROM media"), 0);
    let stored: Vec<String> = files_under(w.hub.store_dir()).into_iter().filter(|p| !p.ends_with(".apprentice-hub-probe")).collect();
    assert!(stored.is_empty(), "the store holds nothing of refused uploads: {stored:?}");
}

#[test]
fn a_hub_killed_mid_upload_is_resumed_and_an_upload_begun_on_one_process_ends_on_another() {
    let w = world();
    let store = w.hub.store_dir().to_path_buf();
    let db = w.pg.url("hub");
    let ann = station(&w, &w.hub.url, &w.ann, "ann", SEED_ANN, true);
    let dir = tempfile::tempdir().expect("tmp");
    let lib = Library::open(dir.path()).expect("lib");
    // 12 files of 40 kB at 60 kB/s: about 8 s of sending.
    sealed_recording(&lib, "rec-slow", "t1", SEED_ANN, 12, 40_000);
    let port = w.hub.port();

    // Push in the background; kill the hub once it has some of the files, start it again.
    let lib_dir = dir.path().to_path_buf();
    let cfg = ann.clone();
    let pusher = std::thread::spawn(move || {
        let lib = Library::open(&lib_dir).expect("lib");
        let opts = PushOptions { bytes_per_second: Some(60_000), retry_for: Duration::from_secs(300) };
        push::push(&lib, &cfg, &StationKey::ephemeral(SEED_ANN), &["rec-slow".into()], &opts, &mut |_| {}).expect("push")
    });
    wait_for("the hub to receive 3 files of the upload", || count(&w, "SELECT count(*) FROM upload_files") >= 3);
    let World { pg, hub, admin: _, ann: ann_token, .. } = w;
    let _store = hub.kill();
    let hub = Hub::start_at(&db, &store, port);
    let reports = pusher.join().expect("push thread");
    let r = &reports[0];
    assert_eq!(r.state, QueueState::Sent, "{r:?}");
    assert!(r.attempts >= 2, "the push retried across the restart: {r:?}");
    let one = |sql: &str| -> i64 { pg.psql("hub", sql).parse().expect("count") };
    assert_eq!(one("SELECT count(*) FROM recordings"), 1);
    assert_eq!(one("SELECT count(*) FROM uploads"), 1, "one upload, resumed, not a second");
    assert_eq!(one("SELECT count(*) FROM media"), 12);
    assert_eq!(files_under(&store).iter().filter(|p| p.starts_with("media/")).count(), 12, "each media file stored once");
    assert!(files_under(&store).iter().all(|p| !p.starts_with("uploads/")), "nothing left staged");

    // Two processes over one database and one store: begin on the first, finish on the second.
    let second = Hub::start_at(&db, &store, 0);
    sealed_recording(&lib, "rec-two-hubs", "t2", SEED_ANN, 4, 1_000);
    let x = apprentice_core::store::portable::extract(&lib, "rec-two-hubs", &dir.path().join("x")).expect("extract");
    let sha = |p: &std::path::Path| -> (String, u64) {
        use sha2::Digest;
        let b = std::fs::read(p).expect("read");
        (sha2::Sha256::digest(&b).iter().map(|b| format!("{b:02x}")).collect(), b.len() as u64)
    };
    let (lib_sha, lib_bytes) = sha(&x.db);
    let key = StationKey::ephemeral(SEED_ANN);
    let announce = json!({
        "recording_id": "rec-two-hubs", "station_key": key.public_hex(), "campaign": "c1", "task_id": "t2",
        "library": { "sha256": lib_sha, "bytes": lib_bytes },
        "media": x.media.iter().map(|m| json!({ "sha256": m.sha256, "bytes": m.bytes, "ext": m.ext })).collect::<Vec<_>>(),
    });
    let (status, up) = request("POST", &format!("{}/api/uploads", hub.url), Some(&ann_token), Some(announce));
    assert_eq!(status, 201, "{up}");
    let client = apprentice_hub_api::client::HubClient::new(&hub.url, &ann_token);
    let id = up["id"].as_i64().expect("id");
    for m in &x.media[..2] {
        let _: Value = client.put_file(&format!("/api/uploads/{id}/files/{}", m.sha256), &m.path, None, "send").expect("send on the first hub");
    }
    let on_second = StationConfig { hub: second.url.clone(), ..ann.clone() };
    let r = &push::push(&lib, &on_second, &key, &["rec-two-hubs".into()], &fast(), &mut |_| {}).expect("push")[0];
    assert_eq!(r.state, QueueState::Sent, "{r:?}");
    assert_eq!(r.upload_id, Some(id), "the second process continued the first one's upload");
    assert_eq!(r.files_sent, 3, "only what the first had not received: the library and two media files");
    assert_eq!(pg.psql("hub", "SELECT count(*) FROM recordings WHERE id = 'rec-two-hubs'"), "1");
    drop((hub, second));
}

#[test]
fn bodies_longer_or_shorter_than_announced_or_with_other_content_are_refused() {
    let w = world();
    let ann = station(&w, &w.hub.url, &w.ann, "ann", SEED_ANN, true);
    let _ = ann;
    let key = StationKey::ephemeral(SEED_ANN);
    let file = |sha: &str, bytes: u64| json!({ "sha256": sha, "bytes": bytes });
    let sha_of = |b: &[u8]| -> String {
        use sha2::Digest;
        sha2::Sha256::digest(b).iter().map(|b| format!("{b:02x}")).collect()
    };
    let body = vec![7u8; 4096];
    let announce = json!({ "recording_id": "rec-x", "station_key": key.public_hex(), "campaign": "c1", "task_id": "t1", "library": file(&sha_of(&body), 4096), "media": [] });
    let (status, up) = request("POST", &format!("{}/api/uploads", w.hub.url), Some(&w.ann), Some(announce.clone()));
    assert_eq!(status, 201, "{up}");
    let id = up["id"].as_i64().expect("id");
    let put = |bytes: &[u8]| raw_put(&format!("{}/api/uploads/{id}/files/{}", w.hub.url, sha_of(&body)), &w.ann, bytes);
    let (status, e) = put(&vec![7u8; 100_000]);
    assert_eq!(status, 413, "longer than announced: {e}");
    let (status, e) = put(&vec![8u8; 4096]);
    assert_eq!(status, 422, "other content: {e}");
    assert!(e.contains("sha256"), "{e}");
    let (status, e) = put(&body[..1000]);
    assert_eq!(status, 400, "cut short: {e}");
    assert!(e.contains("cut off"), "{e}");
    assert_eq!(count(&w, "SELECT count(*) FROM upload_files"), 0, "nothing of a refused body is kept");
    // Announcing an absurd size is refused before anything is sent.
    let huge = json!({ "recording_id": "rec-y", "station_key": key.public_hex(), "campaign": "c1", "task_id": "t1", "library": file(&sha_of(b"x"), 1 << 50), "media": [] });
    let (status, e) = request("POST", &format!("{}/api/uploads", w.hub.url), Some(&w.ann), Some(huge));
    assert_eq!(status, 413, "{e}");
    // Completing with files missing says so.
    let (status, e) = request("POST", &format!("{}/api/uploads/{id}/complete", w.hub.url), Some(&w.ann), None);
    assert_eq!(status, 409, "{e}");
    // Another expert cannot see or feed ann's upload.
    let (status, _) = request("GET", &format!("{}/api/uploads/{id}", w.hub.url), Some(&w.bob), None);
    assert_eq!(status, 404);
    let walked: Vec<String> = files_under(w.hub.store_dir()).into_iter().filter(|p| !p.ends_with(".apprentice-hub-probe")).collect();
    assert!(walked.is_empty(), "{walked:?}");
}

/// PUT raw bytes; (status, body text).
fn raw_put(url: &str, token: &str, bytes: &[u8]) -> (u16, String) {
    let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).timeout_global(Some(Duration::from_secs(60))).build().into();
    let mut r = agent.put(url).header("Authorization", &format!("Bearer {token}")).send(bytes).unwrap_or_else(|e| panic!("PUT {url}: {e}"));
    (r.status().as_u16(), r.body_mut().read_to_string().unwrap_or_default())
}

#[test]
fn over_an_s3_server_the_recording_and_its_media_land_in_the_bucket() {
    let s3 = S3Server::start(&["recordings"]);
    let pg = Postgres::start();
    let db = pg.url("hub");
    let init: Value = serde_json::from_str(&ok(hub_cli(&["init", "--db", &db, "--json"]))).expect("init");
    let admin = init["token"].as_str().expect("token").to_string();
    let hub = Hub::start_s3(&db, &s3, "s3://recordings/hub-a");
    let url = |p: &str| format!("{}{p}", hub.url);
    let (_, ann) = request("POST", &url("/api/users"), Some(&admin), Some(json!({ "name": "ann", "role": "expert" })));
    let token = ann["token"].as_str().expect("token").to_string();
    let (status, v) = request("POST", &url("/api/campaigns"), Some(&admin), Some(json!({ "name": "c1", "tasks": [{ "id": "t1", "instruction": "Rename the report" }] })));
    assert_eq!(status, 201, "{v}");
    request("POST", &url("/api/campaigns/c1/assign"), Some(&admin), Some(json!({ "expert": "ann" })));
    let key = StationKey::ephemeral(SEED_ANN);
    let (status, st) = join_station(&hub.url, &token, "ann", "desk", &key);
    assert_eq!(status, 201, "{st}");
    let cfg = StationConfig { hub: hub.url.clone(), token, user: "ann".into(), station_id: st["id"].as_i64().expect("id"), fingerprint: key.fingerprint() };
    let dir = tempfile::tempdir().expect("tmp");
    let lib = Library::open(dir.path()).expect("lib");
    sealed_recording(&lib, "rec-s3", "t1", SEED_ANN, 3, 5_000);
    let r = &push::push(&lib, &cfg, &key, &["rec-s3".into()], &fast(), &mut |_| {}).expect("push")[0];
    assert_eq!(r.state, QueueState::Sent, "{r:?}");
    // The objects are in the bucket, under the prefix, as the S3 server keeps them.
    let objects = s3.objects("recordings");
    assert_eq!(objects.iter().filter(|p| p.starts_with("hub-a/media/")).count(), 3, "{objects:?}");
    assert_eq!(objects.iter().filter(|p| p.starts_with("hub-a/recordings/rec-s3/library-")).count(), 1, "{objects:?}");
    assert!(!objects.iter().any(|p| p.contains("/uploads/")), "nothing left staged: {objects:?}");
    // A hub given credentials the server refuses says so at start, and does not serve.
    let out = Command::new(hub_bin())
        .args(["serve", "--db", &db, "--listen", "127.0.0.1:0", "--store", "s3://recordings/hub-a", "--s3-endpoint", &s3.endpoint])
        .env("AWS_ACCESS_KEY_ID", S3Server::ACCESS_KEY)
        .env("AWS_SECRET_ACCESS_KEY", "not-the-secret")
        .output()
        .expect("hub");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("cannot write to the store s3://recordings/hub-a") && err.contains("403"), "{err}");
}
