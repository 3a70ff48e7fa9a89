//! Compiles the browser review UI (ui/dist, built by `npm run build --prefix ui`) into the hub,
//! as a table of (path, bytes) the hub serves: one binary to deploy. Without a built UI the table
//! is empty and the hub says how to build it.

use std::path::{Path, PathBuf};

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            files(&p, out);
        } else {
            out.push(p);
        }
    }
}

fn main() {
    let dist = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../ui/dist");
    println!("cargo:rerun-if-changed={}", dist.display());
    let mut found = vec![];
    files(&dist, &mut found);
    found.sort();
    let mut table = String::from("/// The built review UI: (path under ui/dist, bytes).\npub static UI_FILES: &[(&str, &[u8])] = &[\n");
    for f in &found {
        println!("cargo:rerun-if-changed={}", f.display());
        let rel = f.strip_prefix(&dist).map(|r| r.to_string_lossy().replace('\\', "/")).unwrap_or_default();
        table += &format!("    ({rel:?}, include_bytes!({:?})),\n", f.display().to_string());
    }
    table += "];\n";
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("OUT_DIR")).join("ui_files.rs");
    std::fs::write(out, table).expect("write ui_files.rs");
}
