//! Build script: in GUI builds, tauri-build reads tauri.conf.json and capabilities/.

fn main() {
    #[cfg(feature = "gui")]
    tauri_build::build();
}
