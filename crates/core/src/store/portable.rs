//! One recording as a library of its own, to move it between machines: a station extracts a
//! finished recording (every row of every table, its capture chain and seal, its review) into a
//! fresh `library.sqlite`, and lists the media files its frames use; the receiver (the hub)
//! lays those out as a library directory and opens it with [`Library::open_received`], so the
//! same core code verifies, segments and renders it. Not its job: moving the bytes (the hub
//! client and server), or deciding whether to trust them (`verify`).

use std::path::{Path, PathBuf};

use rusqlite::params;

use super::{Library, StoreError, DB_FILE};

/// Tables that belong to this station, not to the recording: never extracted.
const STATION_TABLES: &[&str] = &["upload_queue"];

/// A media file a recording's frames use: where the receiver puts it is
/// `media/<sha256[..2]>/<sha256>.<ext>` under the library root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaFile {
    pub sha256: String,
    pub ext: String,
    pub bytes: u64,
    pub path: PathBuf,
}

impl MediaFile {
    /// The file's path inside a library root (what a receiver recreates).
    pub fn library_path(&self) -> String {
        format!("media/{}/{}.{}", self.sha256.get(..2).unwrap_or("xx"), self.sha256, self.ext)
    }
}

/// What [`extract`] made: the one-recording database, and the media it needs.
#[derive(Debug)]
pub struct Extract {
    pub recording_id: String,
    pub db: PathBuf,
    pub media: Vec<MediaFile>,
}

/// Writes recording `id` of `lib` as a one-recording library database `dest/library.sqlite`
/// (created; it must not exist). A recording still being recorded is refused.
pub fn extract(lib: &Library, id: &str, dest: &Path) -> Result<Extract, StoreError> {
    let rec = lib.recording(id)?;
    if rec.status.is_live() {
        return Err(StoreError::Busy(rec.id));
    }
    super::private::create_dir_all(dest).map_err(|e| StoreError::io(dest, e))?;
    let db = dest.join(DB_FILE);
    if db.exists() {
        return Err(StoreError::io(&db, std::io::Error::new(std::io::ErrorKind::AlreadyExists, "an extract is already there")));
    }
    // A fresh library gives the destination the same schema, migrations included.
    drop(Library::open_received(dest)?);
    let conn = &lib.conn;
    let err = |e| StoreError::db(&db, e);
    copy_attached(conn, &db, "extract", || {
        conn.execute("INSERT INTO extract.recordings SELECT * FROM main.recordings WHERE id = ?1", [&rec.id])?;
        for t in names(conn, "SELECT name FROM main.sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")?
            .iter()
            .filter(|t| t.as_str() != "recordings" && !STATION_TABLES.contains(&t.as_str()))
        {
            let has_recording: bool = conn.query_row(&format!("SELECT EXISTS (SELECT 1 FROM pragma_table_info('{t}') WHERE name = 'recording_id')"), [], |r| r.get(0))?;
            if has_recording {
                conn.execute(&format!("INSERT INTO extract.\"{t}\" SELECT * FROM main.\"{t}\" WHERE recording_id = ?1"), params![rec.id])?;
            }
        }
        Ok(())
    })?;
    // One compact file: nothing left in a WAL beside it.
    let out = super::open_connection(&db)?;
    out.execute_batch("PRAGMA wal_checkpoint(TRUNCATE); PRAGMA journal_mode = DELETE;").map_err(err)?;
    drop(out);
    for side in ["-wal", "-shm"] {
        let _ = std::fs::remove_file(dest.join(format!("{DB_FILE}{side}")));
    }
    let media = media_of(lib, &rec.id)?;
    Ok(Extract { recording_id: rec.id, db, media })
}

/// Copies the one recording of `received` (a library directory laid out from an extract, as
/// the hub keeps them) into `lib`: every row of it, and the media its frames use. The inverse
/// of [`extract`], for gathering many received recordings into one library (to export them
/// together). A recording `lib` already holds is refused, not merged. Returns its id.
pub fn import(lib: &Library, received: &Path) -> Result<String, StoreError> {
    let src = Library::open_received(received)?;
    let ids: Vec<String> = src.list()?.into_iter().map(|r| r.id).collect();
    let [id] = ids.as_slice() else {
        return Err(StoreError::Corrupt { path: src.db_path(), reason: format!("a received library holds one recording, this one {}", ids.len()) });
    };
    let media = media_of(&src, id)?;
    drop(src);
    if lib.recording(id).is_ok() {
        return Err(StoreError::io(&lib.db_path(), std::io::Error::new(std::io::ErrorKind::AlreadyExists, format!("recording {id} is already in this library"))));
    }
    for m in &media {
        let dest = lib.media().path_of(&m.sha256, &m.ext);
        if dest.exists() {
            continue;
        }
        super::private::create_dir_all(dest.parent().unwrap_or(lib.media().dir())).map_err(|e| StoreError::io(&dest, e))?;
        // A hard link where both are on one file system, else a copy (made owner-only).
        if std::fs::hard_link(&m.path, &dest).is_err() {
            std::fs::copy(&m.path, &dest).map_err(|e| StoreError::io(&dest, e))?;
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&dest, std::fs::Permissions::from_mode(super::private::FILE_MODE)).map_err(|e| StoreError::io(&dest, e))?;
        }
    }
    let db = received.join(DB_FILE);
    let conn = &lib.conn;
    copy_attached(conn, &db, "received", || {
        let tables = names(conn, "SELECT name FROM received.sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")?;
        // The recording first (other tables refer to it), then every table that names it.
        for t in std::iter::once("recordings").chain(tables.iter().map(String::as_str).filter(|t| *t != "recordings" && !STATION_TABLES.contains(t))) {
            let cols = names(conn, &format!("SELECT name FROM pragma_table_info('{t}')"))?;
            if t != "recordings" && !cols.iter().any(|c| c == "recording_id") {
                continue;
            }
            let cols = cols.iter().map(|c| format!("\"{c}\"")).collect::<Vec<_>>().join(", ");
            conn.execute(&format!("INSERT INTO main.\"{t}\" ({cols}) SELECT {cols} FROM received.\"{t}\""), [])?;
        }
        Ok(())
    })?;
    Ok(id.clone())
}

/// The first column of every row `sql` answers (table or column names).
fn names(conn: &rusqlite::Connection, sql: &str) -> rusqlite::Result<Vec<String>> {
    let mut stmt = conn.prepare(sql)?;
    let names = stmt.query_map([], |r| r.get::<_, String>(0))?.collect();
    names
}

/// Attaches the database `db` as `alias`, runs `copy` in one transaction (rolled back if it
/// fails), and detaches it again whatever happened.
fn copy_attached(conn: &rusqlite::Connection, db: &Path, alias: &str, copy: impl FnOnce() -> rusqlite::Result<()>) -> Result<(), StoreError> {
    let err = |e| StoreError::db(db, e);
    conn.execute(&format!("ATTACH DATABASE ?1 AS {alias}"), [db.to_string_lossy()]).map_err(err)?;
    let copied = conn.execute_batch("BEGIN").and_then(|()| copy()).and_then(|()| conn.execute_batch("COMMIT"));
    if copied.is_err() {
        let _ = conn.execute_batch("ROLLBACK");
    }
    let detached = conn.execute_batch(&format!("DETACH DATABASE {alias}"));
    copied.map_err(err)?;
    detached.map_err(err)
}

/// The distinct media files recording `id`'s frames use, as they are in `lib`.
pub fn media_of(lib: &Library, id: &str) -> Result<Vec<MediaFile>, StoreError> {
    let shas: Vec<String> = {
        let mut stmt = lib.conn.prepare("SELECT DISTINCT sha256 FROM frames WHERE recording_id = ?1 ORDER BY sha256").map_err(|e| lib.err(e))?;
        let rows = stmt.query_map([id], |r| r.get(0)).map_err(|e| lib.err(e))?;
        rows.collect::<Result<_, _>>().map_err(|e| lib.err(e))?
    };
    shas.into_iter()
        .map(|sha256| {
            let ext = "webp".to_string();
            let path = lib.media().path_of(&sha256, &ext);
            let bytes = std::fs::metadata(&path).map_err(|e| StoreError::io(&path, e))?.len();
            Ok(MediaFile { sha256, ext, bytes, path })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::*;
    use crate::store::writer::{WriteOp, Writer};

    fn recording(lib: &Library, id: &str) {
        let rec = crate::store::tests::sample_recording(id);
        lib.create_recording(&rec).expect("create");
        let (w, join) = Writer::spawn(lib.db_path(), id.into()).expect("writer");
        let sha = lib.media().put(format!("frame of {id}").as_bytes(), "webp").expect("media");
        w.send(WriteOp::Frame(Frame { seq: 0, t: 10, display: 0, width: 4, height: 4, reason: FrameReason::Start, encoding: FrameEncoding::Key, sha256: sha, bytes: 12 }));
        w.send(WriteOp::Note(Note { t: 20, text: format!("note of {id}"), source: NoteSource::Typed }));
        w.send(WriteOp::Finish { status: RecordingStatus::Finished, duration: 30, health: Health::default(), error: None });
        drop(w);
        join.join().expect("writer thread");
    }

    #[test]
    fn an_extract_holds_one_recording_whole_and_opens_as_a_library() {
        let dir = tempfile::tempdir().expect("tmp");
        let lib = Library::open(dir.path().join("lib")).expect("lib");
        recording(&lib, "rec-a");
        recording(&lib, "rec-b");
        lib.queue_upload("rec-b", "http://hub").expect("queue");
        let out = dir.path().join("out");
        let x = extract(&lib, "rec-b", &out).expect("extract");
        assert_eq!(x.recording_id, "rec-b");
        assert_eq!(x.media.len(), 1, "one frame file");
        assert!(x.media[0].path.exists());
        assert!(!out.join("library.sqlite-wal").exists(), "one compact file");
        // Laid out as a library with its media, it is the recording, and only it.
        let dst = dir.path().join("received");
        std::fs::create_dir_all(&dst).expect("dir");
        std::fs::copy(&x.db, dst.join(DB_FILE)).expect("copy db");
        let media_path = dst.join(x.media[0].library_path());
        std::fs::create_dir_all(media_path.parent().expect("parent")).expect("dir");
        std::fs::copy(&x.media[0].path, &media_path).expect("copy media");
        let got = Library::open_received(&dst).expect("open");
        let ids: Vec<String> = got.list().expect("list").into_iter().map(|r| r.id).collect();
        assert_eq!(ids, vec!["rec-b".to_string()]);
        assert_eq!(got.notes("rec-b").expect("notes")[0].text, "note of rec-b");
        assert_eq!(got.recording("rec-b").expect("rec").task.id.as_deref(), Some("T-1"));
        assert_eq!(got.frames("rec-b").expect("frames").len(), 1);
        assert!(got.upload_queue().expect("queue").is_empty(), "the station's queue stays on the station");
        assert_eq!(got.media().get(&x.media[0].sha256, "webp").expect("media"), b"frame of rec-b");
        // The same recording extracts to the same bytes (an upload is named by them).
        let again = extract(&lib, "rec-b", &dir.path().join("again")).expect("extract again");
        assert_eq!(std::fs::read(&again.db).expect("read"), std::fs::read(&x.db).expect("read"));
        // A second extract into the same place is refused, not merged.
        assert!(extract(&lib, "rec-b", &out).is_err());

        // Imported into another library beside another recording, it is whole there too.
        let gathered = Library::open(dir.path().join("gathered")).expect("lib");
        recording(&gathered, "rec-c");
        assert_eq!(import(&gathered, &dst).expect("import"), "rec-b");
        let ids: Vec<String> = gathered.list().expect("list").into_iter().map(|r| r.id).collect();
        assert_eq!(ids.len(), 2, "{ids:?}");
        assert_eq!(gathered.notes("rec-b").expect("notes")[0].text, "note of rec-b");
        assert_eq!(gathered.frames("rec-b").expect("frames").len(), 1);
        assert_eq!(gathered.media().get(&x.media[0].sha256, "webp").expect("media"), b"frame of rec-b");
        assert!(import(&gathered, &dst).is_err(), "a second import is refused, not merged");
        assert_eq!(gathered.notes("rec-b").expect("notes").len(), 1);
    }
}
