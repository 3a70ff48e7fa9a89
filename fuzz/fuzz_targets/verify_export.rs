//! `apprentice verify DIR` reads what strangers send: manifest.json, manifest.sig, and in each
//! canonical bundle seal.json, chain.json, review-log.json and events.jsonl. This target builds
//! an export directory from the fuzzer's bytes (see `unpack`) and verifies it: whatever the
//! files hold, verify must report problems, never panic, hang or write outside the directory.
#![no_main]

use libfuzzer_sys::fuzz_target;

/// The input is a sequence of files, each `path` NUL `length (u32 LE)` `bytes`; `fuzz/pack-seed`
/// writes a real export directory in this form. Paths that would leave the directory (absolute,
/// `..`, empty parts) are skipped, as are files past the 64th.
fn unpack(mut data: &[u8], dir: &std::path::Path) {
    for _ in 0..64 {
        let Some(nul) = data.iter().position(|&b| b == 0) else { return };
        let Ok(path) = std::str::from_utf8(&data[..nul]) else { return };
        let rest = &data[nul + 1..];
        let Some(len) = rest.get(..4).map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize) else { return };
        let body = &rest[4..];
        let content = &body[..len.min(body.len())];
        data = &body[content.len()..];
        let safe = !path.is_empty() && path.len() < 200 && !path.starts_with('/') && path.split('/').all(|c| !c.is_empty() && c != "." && c != "..");
        if !safe {
            continue;
        }
        let target = dir.join(path);
        if let Some(parent) = target.parent() {
            if std::fs::create_dir_all(parent).is_err() {
                continue;
            }
        }
        let _ = std::fs::write(target, content);
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(tmp) = tempfile::tempdir() else { return };
    unpack(data, tmp.path());
    let report = apprentice_core::verify::directory(tmp.path(), &[]);
    // A report that says ok has no problems, and one with problems never says ok.
    assert_eq!(report.ok, report.problems.is_empty());
});
