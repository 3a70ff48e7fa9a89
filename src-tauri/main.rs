//! The `apprentice` binary: the desktop app when started without a command (or with `gui`), the
//! command line otherwise. This is the one place that knows both shells; neither knows the other.

use clap::Parser;

#[cfg(feature = "gui")]
mod app;

fn main() {
    // Whatever this process writes — the library, its logs, exports, models — is its user's
    // alone, whatever umask it was started with (on a shared station a recorded screen is nobody
    // else's). `export --world-readable` shares an export on purpose.
    // SAFETY: umask only sets the process's file mode creation mask.
    unsafe { libc::umask(0o077) };
    let cli = apprentice_cli::Cli::parse();
    let dir = apprentice_cli::library_dir(&cli);
    apprentice_cli::init_logging(&dir);
    let result = match cli.command {
        None | Some(apprentice_cli::Command::Gui) => open_desktop(dir),
        Some(_) => apprentice_cli::run(cli),
    };
    if let Err(e) = result {
        eprintln!("apprentice: {e:#}");
        std::process::exit(1);
    }
}

#[cfg(feature = "gui")]
fn open_desktop(dir: std::path::PathBuf) -> anyhow::Result<()> {
    app::run(dir)
}

#[cfg(not(feature = "gui"))]
fn open_desktop(_dir: std::path::PathBuf) -> anyhow::Result<()> {
    anyhow::bail!("this build has no desktop app (built without the `gui` feature); see `apprentice --help` for the commands")
}
