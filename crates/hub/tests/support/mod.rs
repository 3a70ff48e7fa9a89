//! What the hub's tests run against: a private PostgreSQL cluster (Debian's binaries, initdb and
//! pg_ctl on a socket directory; as the `postgres` user when the tests run as root, since
//! PostgreSQL refuses root) and `apprentice-hub serve` processes on free ports.

#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use apprentice_core::model::*;
use apprentice_core::provenance::hub::ConsentDecision;
use apprentice_core::provenance::keys::StationKey;
use apprentice_core::store::upload_queue::QueueState;
use apprentice_core::store::writer::WriteOp;
use apprentice_core::store::Library;
use apprentice_station::push::{self, PushOptions};
use apprentice_station::StationConfig;

/// How long a step of setting up may take on a loaded machine.
const SETUP_LIMIT: Duration = Duration::from_secs(180);

fn pg_bin(name: &str) -> PathBuf {
    let mut versions: Vec<PathBuf> =
        std::fs::read_dir("/usr/lib/postgresql").expect("PostgreSQL is installed (scripts/setup: the postgresql package)").filter_map(|e| e.ok()).map(|e| e.path()).collect();
    versions.sort_by_key(|p| p.file_name().and_then(|n| n.to_str()).and_then(|n| n.parse::<u32>().ok()).unwrap_or(0));
    versions.last().expect("a PostgreSQL version under /usr/lib/postgresql").join("bin").join(name)
}

fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() == 0 }
}

/// A command run as the cluster's owner.
fn as_owner(program: &Path) -> Command {
    if is_root() {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(program);
        c
    } else {
        Command::new(program)
    }
}

fn run(mut c: Command, what: &str) -> Output {
    let out = c.output().unwrap_or_else(|e| panic!("{what}: {e}"));
    assert!(out.status.success(), "{what} failed: {}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    out
}

pub struct Postgres {
    dir: tempfile::TempDir,
    data: PathBuf,
    pub socket_dir: PathBuf,
}

impl Postgres {
    pub fn start() -> Postgres {
        let dir = tempfile::Builder::new().prefix("hub-pg").tempdir().unwrap();
        let (data, socket_dir) = (dir.path().join("data"), dir.path().join("sock"));
        std::fs::create_dir_all(&socket_dir).unwrap();
        if is_root() {
            run(
                {
                    let mut c = Command::new("chown");
                    c.args(["-R", "postgres:postgres"]).arg(dir.path());
                    c
                },
                "chown the cluster's directory",
            );
        }
        let mut init = as_owner(&pg_bin("initdb"));
        init.arg("-D").arg(&data).args(["-A", "trust", "-U", "hub", "-E", "UTF8", "--no-sync"]);
        run(init, "initdb");
        let mut start = as_owner(&pg_bin("pg_ctl"));
        let options = format!("-k {} -c listen_addresses='' -p 5432 -c fsync=off", socket_dir.display());
        start.arg("-D").arg(&data).args(["-o", &options, "-w", "-t", &SETUP_LIMIT.as_secs().to_string(), "-l"]).arg(dir.path().join("server.log")).arg("start");
        run(start, "pg_ctl start");
        let pg = Postgres { dir, data, socket_dir };
        pg.createdb("hub");
        pg
    }

    /// A new, empty database.
    pub fn createdb(&self, name: &str) {
        let mut c = Command::new(pg_bin("createdb"));
        c.arg("-h").arg(&self.socket_dir).args(["-p", "5432", "-U", "hub", name]);
        run(c, "createdb");
    }

    pub fn url(&self, db: &str) -> String {
        format!("postgres:///{db}?host={}&port=5432&user=hub", self.socket_dir.display())
    }

    /// One value from SQL run with psql.
    pub fn psql(&self, db: &str, sql: &str) -> String {
        let mut c = Command::new(pg_bin("psql"));
        c.arg("-h").arg(&self.socket_dir).args(["-p", "5432", "-U", "hub", "-d", db, "-At", "-c", sql]);
        String::from_utf8_lossy(&run(c, &format!("psql {sql}")).stdout).trim().to_string()
    }

    pub fn stop(&self) {
        let mut c = as_owner(&pg_bin("pg_ctl"));
        c.arg("-D").arg(&self.data).args(["-m", "fast", "-w", "stop"]);
        let _ = c.output();
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        let mut c = as_owner(&pg_bin("pg_ctl"));
        c.arg("-D").arg(&self.data).args(["-m", "immediate", "stop"]);
        let _ = c.stdout(Stdio::null()).stderr(Stdio::null()).status();
    }
}

/// The hub binary: cargo's for the hub's own tests; beside the test binary's target dir for
/// tests of other packages (built by `cargo test --workspace`).
pub fn hub_bin() -> PathBuf {
    if let Some(p) = option_env!("CARGO_BIN_EXE_apprentice-hub") {
        return PathBuf::from(p);
    }
    let exe = std::env::current_exe().expect("the test binary's path");
    let bin = exe.parent().and_then(Path::parent).map(|d| d.join("apprentice-hub")).expect("a target directory");
    assert!(bin.exists(), "{} is not built: run `cargo build -p apprentice-hub` (the test suite builds it)", bin.display());
    bin
}

/// Every file under `dir`, as paths relative to it, sorted.
pub fn files_under(dir: &Path) -> Vec<String> {
    let mut out = vec![];
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if let Ok(rel) = p.strip_prefix(dir) {
                out.push(rel.display().to_string());
            }
        }
    }
    out.sort();
    out
}

/// Waits for `cond`, up to [`SETUP_LIMIT`]; the message says what was awaited.
pub fn wait_for(what: &str, mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + SETUP_LIMIT;
    while !cond() {
        assert!(Instant::now() < deadline, "timed out after {SETUP_LIMIT:?} waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// `apprentice-hub ARGS`, waited for.
pub fn hub_cli(args: &[&str]) -> Output {
    Command::new(hub_bin()).args(args).env_remove("APPRENTICE_HUB").env_remove("APPRENTICE_HUB_TOKEN").output().expect("apprentice-hub")
}

pub fn ok(out: Output) -> String {
    assert!(out.status.success(), "failed: {}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

pub fn fails(out: Output) -> String {
    assert!(!out.status.success(), "succeeded but should not have: {}", String::from_utf8_lossy(&out.stdout));
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// A running `apprentice-hub serve` on a free port.
pub struct Hub {
    child: Child,
    pub url: String,
    store: Option<tempfile::TempDir>,
    store_dir: PathBuf,
    /// Where this hub's signing key lives.
    _key_dir: tempfile::TempDir,
}

impl Hub {
    /// Serving `db_url`, with a store directory of its own.
    pub fn start(db_url: &str) -> Hub {
        let store = tempfile::tempdir().unwrap();
        let mut hub = Self::start_at(db_url, store.path(), 0);
        hub.store = Some(store);
        hub
    }

    /// Serving `db_url` with the store directory `store` (shared: it outlives this hub), on
    /// `port` (0: any free one).
    pub fn start_at(db_url: &str, store: &Path, port: u16) -> Hub {
        Self::spawn(Command::new(hub_bin()).args(["serve", "--db", db_url, "--listen", &format!("127.0.0.1:{port}"), "--store"]).arg(format!("file://{}", store.display())), store)
    }

    /// Serving `db_url` with an S3 store.
    pub fn start_s3(db_url: &str, s3: &S3Server, bucket_url: &str) -> Hub {
        let mut c = Command::new(hub_bin());
        c.args(["serve", "--db", db_url, "--listen", "127.0.0.1:0", "--store", bucket_url, "--s3-endpoint", &s3.endpoint]);
        c.env("AWS_ACCESS_KEY_ID", S3Server::ACCESS_KEY).env("AWS_SECRET_ACCESS_KEY", S3Server::SECRET_KEY).env("AWS_REGION", "us-east-1");
        Self::spawn(&mut c, s3.root.path())
    }

    fn spawn(cmd: &mut Command, store: &Path) -> Hub {
        let key_dir = tempfile::tempdir().expect("tmp");
        cmd.env("APPRENTICE_HUB_KEY", key_dir.path().join("hub.key"));
        let mut child = cmd.stdout(Stdio::null()).stderr(Stdio::piped()).spawn().expect("apprentice-hub serve");
        let stderr = child.stderr.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Some(addr) = line.strip_prefix("listening on ") {
                    let _ = tx.send(Ok(addr.to_string()));
                } else if line.starts_with("apprentice-hub:") {
                    let _ = tx.send(Err(line));
                }
            }
        });
        let addr = match rx.recv_timeout(SETUP_LIMIT) {
            Ok(Ok(addr)) => addr,
            Ok(Err(e)) => panic!("the hub did not start: {e}"),
            Err(_) => panic!("timed out after {SETUP_LIMIT:?} waiting for the hub to listen"),
        };
        Hub { child, url: format!("http://{addr}"), store: None, store_dir: store.to_path_buf(), _key_dir: key_dir }
    }

    /// The directory the store keeps its objects in.
    pub fn store_dir(&self) -> &Path {
        &self.store_dir
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn port(&self) -> u16 {
        self.url.rsplit(':').next().and_then(|p| p.parse().ok()).expect("a port in the hub's URL")
    }

    /// Kills the hub at once (SIGKILL), as a crash would; its store directory, if its own, is
    /// handed over (it outlives the hub).
    pub fn kill(mut self) -> Option<tempfile::TempDir> {
        let _ = self.child.kill();
        let _ = self.child.wait();
        self.store.take()
    }

    /// Stops with SIGTERM and waits (graceful shutdown); true when it exited cleanly.
    pub fn stop(mut self) -> bool {
        // SAFETY: kill with a valid pid of our own child.
        unsafe { libc::kill(self.child.id() as i32, libc::SIGTERM) };
        let deadline = Instant::now() + SETUP_LIMIT;
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                return status.success();
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("the hub did not stop within {SETUP_LIMIT:?} of SIGTERM");
    }
}

impl Drop for Hub {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A fresh cluster with database `hub`, initialised (`apprentice-hub init`) and served, and the
/// first admin's token.
pub fn hub_with_admin() -> (Postgres, Hub, String) {
    let pg = Postgres::start();
    let db = pg.url("hub");
    let out = ok(hub_cli(&["init", "--db", &db, "--json"]));
    let init: serde_json::Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("init's answer {out:?}: {e}"));
    let admin = init["token"].as_str().expect("init prints a token").to_string();
    let hub = Hub::start(&db);
    (pg, hub, admin)
}

/// Joins `key` as `user`'s station named `name` (`POST /api/stations`, signed as a station
/// does): (status, the station).
pub fn join_station(hub: &str, token: &str, user: &str, name: &str, key: &apprentice_core::provenance::keys::StationKey) -> (u16, serde_json::Value) {
    let signature = key.sign(&apprentice_core::provenance::hub::join_message(user, &key.public_hex()));
    request("POST", &format!("{hub}/api/stations"), Some(token), Some(serde_json::json!({ "name": name, "version": "0.1.0", "public_key": key.public_hex(), "signature": signature })))
}

/// An HTTP request to the hub: (status, JSON body).
pub fn request(method: &str, url: &str, token: Option<&str>, body: Option<serde_json::Value>) -> (u16, serde_json::Value) {
    let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).timeout_global(Some(Duration::from_secs(60))).build().into();
    let auth = token.map(|t| format!("Bearer {t}"));
    let result = match (method, body) {
        ("GET", _) => {
            let mut r = agent.get(url);
            if let Some(a) = &auth {
                r = r.header("Authorization", a);
            }
            r.call()
        }
        ("DELETE", _) => {
            let mut r = agent.delete(url);
            if let Some(a) = &auth {
                r = r.header("Authorization", a);
            }
            r.call()
        }
        ("PUT", body) => {
            let mut r = agent.put(url);
            if let Some(a) = &auth {
                r = r.header("Authorization", a);
            }
            r.send_json(body.unwrap_or(serde_json::json!({})))
        }
        (_, body) => {
            let mut r = agent.post(url);
            if let Some(a) = &auth {
                r = r.header("Authorization", a);
            }
            r.send_json(body.unwrap_or(serde_json::json!({})))
        }
    };
    let mut response = result.unwrap_or_else(|e| panic!("{method} {url}: {e}"));
    let status = response.status().as_u16();
    let text = response.body_mut().read_to_string().unwrap_or_default();
    (status, serde_json::from_str(&text).unwrap_or(serde_json::Value::Null))
}

/// A real S3-compatible server: `s3s-fs` (crates.io; scripts/setup installs it) over a directory,
/// on a free port, with one access key.
pub struct S3Server {
    child: Child,
    pub endpoint: String,
    pub root: tempfile::TempDir,
}

impl S3Server {
    pub const ACCESS_KEY: &'static str = "apprentice-test";
    pub const SECRET_KEY: &'static str = "apprentice-test-secret";

    /// Starts the server with `buckets` made.
    pub fn start(buckets: &[&str]) -> S3Server {
        let root = tempfile::tempdir().unwrap();
        for b in buckets {
            std::fs::create_dir_all(root.path().join(b)).unwrap();
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("a free port");
        let child = Command::new("s3s-fs")
            .args(["--host", "127.0.0.1", "--port", &port.to_string(), "--access-key", Self::ACCESS_KEY, "--secret-key", Self::SECRET_KEY])
            .arg(root.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("s3s-fs is installed (scripts/setup: cargo install s3s-fs)");
        let endpoint = format!("http://127.0.0.1:{port}");
        wait_for(&format!("s3s-fs to listen on {endpoint}"), || std::net::TcpStream::connect(("127.0.0.1", port)).is_ok());
        S3Server { child, endpoint, root }
    }

    /// Every object key in `bucket`, as the server keeps them on disk.
    pub fn objects(&self, bucket: &str) -> Vec<String> {
        files_under(&self.root.path().join(bucket))
    }
}

impl Drop for S3Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A finished recording of `task` (campaign c1) sealed by the station key `seed`, with `frames` distinct
/// media files of `frame_bytes` each.
pub fn sealed_recording(lib: &apprentice_core::store::Library, id: &str, task: &str, seed: [u8; 32], frames: u64, frame_bytes: usize) {
    sealed_recording_of(lib, id, task, seed, frames, (96, 64), &|i| (0..frame_bytes).map(|j| ((j as u64 * 31 + i * 7919 + seed[0] as u64) % 251) as u8).chain(id.bytes()).collect())
}

/// As [`sealed_recording`], with frames that are real 96×64 key frames (a different colour and
/// stripe each), so they render: what review and publishing read.
pub fn reviewable_recording(lib: &apprentice_core::store::Library, id: &str, task: &str, seed: [u8; 32], frames: u64) {
    reviewable_recording_sized(lib, id, task, seed, frames, (96, 64));
}

/// As [`reviewable_recording`], with frames of `size` (a benchmark's full-HD screens).
pub fn reviewable_recording_sized(lib: &apprentice_core::store::Library, id: &str, task: &str, seed: [u8; 32], frames: u64, size: (u32, u32)) {
    let salt = id.bytes().fold(0u32, |a, b| a.wrapping_mul(31).wrapping_add(b as u32));
    sealed_recording_of(lib, id, task, seed, frames, size, &|i| {
        let img = image::RgbImage::from_fn(size.0, size.1, |x, y| {
            let stripe = (x / 8) as u64 == i % 12;
            image::Rgb([(i * 40 % 256) as u8, (salt % 256) as u8, if stripe { 255 } else { (y * 3) as u8 }])
        });
        apprentice_core::store::frame_codec::encode_image(&img).expect("a key frame")
    })
}

fn sealed_recording_of(lib: &apprentice_core::store::Library, id: &str, task: &str, seed: [u8; 32], frames: u64, size: (u32, u32), frame: &dyn Fn(u64) -> Vec<u8>) {
    let rec = Recording {
        id: id.into(),
        task: Task { id: Some(task.into()), instruction: format!("instruction of {task}"), campaign: Some("c1".into()) },
        expert_id: None,
        status: RecordingStatus::Recording,
        started_at: "2026-12-02T10:00:00Z".into(),
        duration_us: 0,
        environment: Environment {
            os: "linux".into(),
            os_version: "test".into(),
            display_server: "x11".into(),
            displays: vec![],
            keyboard_layout: "us".into(),
            recorder_version: "0.1.0".into(),
            capture_backend: "test".into(),
        },
        pauses: vec![],
        outcome: Outcome::Unknown,
        outcome_note: None,
        error: None,
    };
    lib.create_recording(&rec).expect("create");
    let (w, join) =
        apprentice_core::store::writer::Writer::spawn_sealed(lib.db_path(), id.into(), Some(std::sync::Arc::new(apprentice_core::provenance::keys::StationKey::ephemeral(seed)))).expect("writer");
    for i in 0..frames {
        // Distinct content per file (a counter spread through it), the size of a busy delta.
        let bytes = frame(i);
        let sha = lib.media().put(&bytes, "webp").expect("media");
        let t = 100_000 * (i + 1);
        w.send(WriteOp::Frame(Frame { seq: i, t, display: 0, width: size.0, height: size.1, reason: FrameReason::Input, encoding: FrameEncoding::Key, sha256: sha, bytes: bytes.len() as u64 }));
        // Each click somewhere else: clicks in one place this close together are one multi-click.
        let (x, y) = (5 + (i as i32 * 17) % 85, 5 + (i as i32 * 11) % 55);
        let ev = |kind, t| InputEvent { t, kind, x, y, button: Some("left".into()), key: None, code: None, text: None, dx: 0, dy: 0, modifiers: Modifiers(0), origin: InputOrigin::Device };
        w.send(WriteOp::Input(ev(InputKind::ButtonPress, t + 10_000)));
        w.send(WriteOp::Input(ev(InputKind::ButtonRelease, t + 20_000)));
    }
    w.send(WriteOp::Note(Note { t: 50_000, text: "first I open the folder".into(), source: NoteSource::Typed }));
    w.send(WriteOp::Finish { status: RecordingStatus::Finished, duration: 100_000 * (frames + 2), health: Health::default(), error: None });
    drop(w);
    join.join().expect("writer thread");
}

pub const SEED_ANN: [u8; 32] = [21; 32];
pub const SEED_BOB: [u8; 32] = [22; 32];

/// What the review tests run against: a hub on S3 with campaign c1 (tasks t1, t2; consent;
/// `reviews` per recording, leases of `lease_seconds`), experts ann and bob with stations that
/// consented, reviewers rita and sam.
pub struct ReviewWorld {
    pub pg: Postgres,
    pub s3: S3Server,
    pub hub: Hub,
    pub admin: String,
    pub rita: String,
    pub sam: String,
    pub ann: ExpertStation,
    pub bob: ExpertStation,
}

/// An expert's station: its hub config, key and library.
pub struct ExpertStation {
    pub cfg: StationConfig,
    pub key: StationKey,
    pub lib: Library,
    _dir: tempfile::TempDir,
}

pub fn review_world(reviews: u32, lease_seconds: u32) -> ReviewWorld {
    let pg = Postgres::start();
    let db = pg.url("hub");
    let init: serde_json::Value = serde_json::from_str(&ok(hub_cli(&["init", "--db", &db, "--json"]))).expect("init's answer");
    let admin = init["token"].as_str().expect("token").to_string();
    let s3 = S3Server::start(&["hub", "out"]);
    let hub = Hub::start_s3(&db, &s3, "s3://hub/store");
    let url = |p: &str| format!("{}{p}", hub.url);
    let add = |name: &str, role: &str| -> String {
        let (status, v) = request("POST", &url("/api/users"), Some(&admin), Some(serde_json::json!({ "name": name, "role": role })));
        assert_eq!(status, 201, "{v}");
        v["token"].as_str().expect("token").to_string()
    };
    let (ann, bob, rita, sam) = (add("ann", "expert"), add("bob", "expert"), add("rita", "reviewer"), add("sam", "reviewer"));
    let tasks = serde_json::json!([{ "id": "t1", "instruction": "Rename the report" }, { "id": "t2", "instruction": "Archive the old invoices" }]);
    let body = serde_json::json!({ "name": "c1", "tasks": tasks, "consent": "I agree to be recorded.", "reviews": reviews, "lease_seconds": lease_seconds });
    let (status, v) = request("POST", &url("/api/campaigns"), Some(&admin), Some(body));
    assert_eq!(status, 201, "{v}");
    for expert in ["ann", "bob"] {
        let (status, v) = request("POST", &url("/api/campaigns/c1/assign"), Some(&admin), Some(serde_json::json!({ "expert": expert })));
        assert_eq!(status, 200, "{v}");
    }
    let station = |token: &str, user: &str, seed: [u8; 32]| -> ExpertStation {
        let key = StationKey::ephemeral(seed);
        let (status, st) = join_station(&hub.url, token, user, &format!("{user}-desk"), &key);
        assert_eq!(status, 201, "{st}");
        let cfg = StationConfig { hub: hub.url.clone(), token: token.to_string(), user: user.to_string(), station_id: st["id"].as_i64().expect("id"), fingerprint: key.fingerprint() };
        let text = apprentice_station::read_consent(&cfg, "c1").expect("consent text");
        apprentice_station::consent(&cfg, &key, &text, ConsentDecision::Accept).expect("accept");
        let dir = tempfile::tempdir().expect("tmp");
        let lib = Library::open(dir.path()).expect("lib");
        ExpertStation { cfg, key, lib, _dir: dir }
    };
    let (ann, bob) = (station(&ann, "ann", SEED_ANN), station(&bob, "bob", SEED_BOB));
    ReviewWorld { pg, s3, hub, admin, rita, sam, ann, bob }
}

/// Records `id` (task `task`, `frames` real frames: one click each) at the station and pushes it.
pub fn record(st: &ExpertStation, seed: [u8; 32], id: &str, task: &str, frames: u64) {
    reviewable_recording(&st.lib, id, task, seed, frames);
    let opts = PushOptions { bytes_per_second: None, retry_for: Duration::from_secs(120) };
    let r = &push::push(&st.lib, &st.cfg, &st.key, &[id.to_string()], &opts, &mut |_| {}).expect("push")[0];
    assert_eq!(r.state, QueueState::Sent, "{r:?}");
}

pub fn remote<'a>(w: &'a ReviewWorld, token: &'a str) -> [&'a str; 4] {
    ["--hub", &w.hub.url, "--token", token]
}

/// `apprentice-hub queue next --campaign c1 --json` as `token`: the lease, or None.
pub fn next_lease(w: &ReviewWorld, token: &str) -> Option<serde_json::Value> {
    let mut args = vec!["queue", "next", "--campaign", "c1", "--json"];
    args.extend(remote(w, token));
    let v: serde_json::Value = serde_json::from_str(&ok(hub_cli(&args))).expect("queue next --json");
    (!v.is_null()).then_some(v)
}

/// `apprentice-hub review submit LEASE --labels FILE` as `token`.
pub fn submit_labels(w: &ReviewWorld, token: &str, lease: i64, labels: &serde_json::Value) -> std::process::Output {
    let file = tempfile::NamedTempFile::new().expect("tmp");
    std::fs::write(file.path(), labels.to_string()).expect("labels file");
    let lease = lease.to_string();
    let mut args = vec!["review", "submit", lease.as_str(), "--labels", file.path().to_str().expect("path"), "--json"];
    args.extend(remote(w, token));
    hub_cli(&args)
}

/// `apprentice-hub publish c1 --format FORMAT --json` against `w`'s database and S3 store,
/// signing with the key at `key`; the caller adds `--to` and any filter.
pub fn publish_command(w: &ReviewWorld, format: &str, key: &Path) -> Command {
    let mut c = Command::new(hub_bin());
    c.args(["publish", "c1", "--format", format, "--json", "--db", &w.pg.url("hub"), "--store", "s3://hub/store", "--s3-endpoint", &w.s3.endpoint]);
    c.arg("--key").arg(key);
    c.env("AWS_ACCESS_KEY_ID", S3Server::ACCESS_KEY).env("AWS_SECRET_ACCESS_KEY", S3Server::SECRET_KEY).env("AWS_REGION", "us-east-1");
    c
}
