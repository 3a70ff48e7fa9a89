//! What the hub's tests run against: a private PostgreSQL cluster (Debian's binaries, initdb and
//! pg_ctl on a socket directory; as the `postgres` user when the tests run as root, since
//! PostgreSQL refuses root) and `apprentice-hub serve` processes on free ports.

#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

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

pub fn hub_bin() -> &'static str {
    env!("CARGO_BIN_EXE_apprentice-hub")
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
    store: tempfile::TempDir,
}

impl Hub {
    pub fn start(db_url: &str) -> Hub {
        let store = tempfile::tempdir().unwrap();
        let mut child = Command::new(hub_bin())
            .args(["serve", "--db", db_url, "--listen", "127.0.0.1:0", "--store"])
            .arg(format!("file://{}", store.path().display()))
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("apprentice-hub serve");
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
        Hub { child, url: format!("http://{addr}"), store }
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
