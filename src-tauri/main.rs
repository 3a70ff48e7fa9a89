//! The `apprentice` binary: the desktop app when started without a command (in a GUI build),
//! the command line otherwise.

use clap::Parser;

fn main() {
    let cli = apprentice::cli::Cli::parse();
    let dir = apprentice::cli::library_dir(&cli);
    apprentice::cli::init_logging(&dir);
    #[cfg(feature = "gui")]
    let cli = match cli.command {
        None => apprentice::cli::Cli { command: Some(apprentice::cli::Command::Gui), ..cli },
        Some(_) => cli,
    };
    if let Err(e) = apprentice::cli::run(cli) {
        eprintln!("apprentice: {e:#}");
        std::process::exit(1);
    }
}
