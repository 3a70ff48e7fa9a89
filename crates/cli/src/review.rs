//! `apprentice review …`: label steps, score and judge a trajectory, edit steps, undo, and read
//! the audit log, headless (the desktop app's review view calls the same library functions).
//! Steps are named by their index in the trajectory as reviewed so far (what `show` prints).

use std::io::Write;

use anyhow::{bail, Context, Result};
use clap::Subcommand;

use apprentice_core::model::*;
use apprentice_core::review;
use apprentice_core::store::Library;

#[derive(Debug, Subcommand)]
pub enum ReviewCommand {
    /// Label a step (fields not given are cleared; give none to remove the label).
    Label {
        id: String,
        /// Step index, as `apprentice show` prints it.
        step: u32,
        #[arg(long, value_parser = parse_correctness)]
        correctness: Option<Correctness>,
        #[arg(long)]
        mistake: bool,
        #[arg(long)]
        recovery: bool,
        #[arg(long = "unsafe")]
        is_unsafe: bool,
        /// How the environment responded: success, partial or failure.
        #[arg(long, value_parser = parse_env)]
        env: Option<EnvResponse>,
        #[arg(long)]
        comment: Option<String>,
        /// Corrected or added reasoning for the step.
        #[arg(long)]
        reasoning: Option<String>,
        /// An answer to one of the campaign rubric's step questions, as ID=VALUE (repeatable).
        #[arg(long = "answer", value_name = "ID=VALUE")]
        answers: Vec<String>,
    },
    /// Score the trajectory (1–5 each) and give a verdict.
    Score {
        id: String,
        #[arg(long)]
        goal_completion: Option<u8>,
        #[arg(long)]
        efficiency: Option<u8>,
        #[arg(long)]
        error_handling: Option<u8>,
        #[arg(long)]
        safety: Option<u8>,
        /// approved, needs-edit or rejected.
        #[arg(long, value_parser = super::parse_verdict)]
        verdict: Option<Verdict>,
        #[arg(long)]
        comment: Option<String>,
        /// An answer to one of the campaign rubric's trajectory questions, as ID=VALUE (repeatable).
        #[arg(long = "answer", value_name = "ID=VALUE")]
        answers: Vec<String>,
    },
    /// Delete a step.
    Delete { id: String, step: u32 },
    /// Merge a step with the next one (typing, scrolls, drags or hovers that belong together).
    Merge { id: String, step: u32 },
    /// Split a step's action in two at a recording time.
    Split {
        id: String,
        step: u32,
        /// Recording time (ms) of the cut: events before it form the first action.
        #[arg(long)]
        at_ms: f64,
    },
    /// Correct what a step's action was.
    Fix {
        id: String,
        step: u32,
        #[arg(long, value_parser = parse_kind)]
        kind: Option<ActionKind>,
        #[arg(long)]
        x: Option<i32>,
        #[arg(long)]
        y: Option<i32>,
        #[arg(long)]
        text: Option<String>,
        /// Key names, comma-separated (pyautogui names: ctrl,shift,t).
        #[arg(long, value_delimiter = ',')]
        keys: Option<Vec<String>>,
    },
    /// Correct the transcript of an utterance (index as `apprentice utterances` prints it).
    Transcript {
        id: String,
        utterance: usize,
        /// The corrected text (omit with --restore).
        #[arg(required_unless_present = "restore")]
        text: Option<String>,
        /// Go back to what the model heard.
        #[arg(long)]
        restore: bool,
    },
    /// Undo the most recent review change (it stays in the log, marked undone).
    Undo { id: String },
    /// The audit log of every review change.
    Log {
        id: String,
        #[arg(long)]
        json: bool,
    },
}

impl ReviewCommand {
    fn id(&self) -> &str {
        match self {
            Self::Label { id, .. } | Self::Score { id, .. } | Self::Delete { id, .. } | Self::Merge { id, .. } => id,
            Self::Split { id, .. } | Self::Fix { id, .. } | Self::Undo { id } | Self::Log { id, .. } | Self::Transcript { id, .. } => id,
        }
    }
}

/// `--answer ID=VALUE` arguments as answers to the recording's campaign rubric.
fn parse_answers(lib: &Library, id: &str, scope: RubricScope, given: &[String]) -> Result<Answers> {
    if given.is_empty() {
        return Ok(Answers::new());
    }
    let rubric = lib.rubric_of(&lib.recording(id)?)?.with_context(|| format!("recording {id} has no rubric: its campaign asks no questions of its own"))?;
    given.iter().map(|g| Ok(review::rubric::parse_answer(&rubric, scope, g)?)).collect()
}

pub fn run(lib: &Library, cmd: ReviewCommand, reviewer: &str, out: &mut impl Write) -> Result<()> {
    let id = lib.resolve_id(cmd.id())?;
    let step_start = |index: u32| -> Result<Micros> {
        let current = review::load(lib, &id)?;
        let n = current.steps.len();
        current.steps.get(index as usize).map(|s| s.t_start).with_context(|| format!("recording {id} has {n} steps; there is no step {index}"))
    };
    match cmd {
        ReviewCommand::Label { step, correctness, mistake, recovery, is_unsafe, env, comment, reasoning, answers, .. } => {
            let answers = parse_answers(lib, &id, RubricScope::Step, &answers)?;
            let label = StepLabel { correctness, mistake, recovery, is_unsafe, env_response: env, comment, reasoning, answers, ..Default::default() };
            let saved = review::set_step_label(lib, &id, step_start(step)?, label, reviewer)?;
            writeln!(out, "step {step}: {}", if saved.is_some() { "labelled" } else { "label removed" })?;
        }
        ReviewCommand::Score { goal_completion, efficiency, error_handling, safety, verdict, comment, answers, .. } => {
            let answers = parse_answers(lib, &id, RubricScope::Trajectory, &answers)?;
            let r = TrajectoryReview { scores: Scores { goal_completion, efficiency, error_handling, safety }, verdict, comment, answers, ..Default::default() };
            let saved = review::set_trajectory_review(lib, &id, r, reviewer)?;
            writeln!(out, "{}: {}", id, saved.verdict.map(Verdict::as_str).unwrap_or("scored"))?;
        }
        ReviewCommand::Delete { step, .. } => edit(lib, &id, StepEdit::Delete { step: step_start(step)? }, reviewer, out)?,
        ReviewCommand::Merge { step, .. } => edit(lib, &id, StepEdit::Merge { step: step_start(step)? }, reviewer, out)?,
        ReviewCommand::Split { step, at_ms, .. } => {
            // NaN too: not a time.
            if at_ms.is_nan() || at_ms < 0.0 {
                bail!("--at-ms must be a time in the recording");
            }
            edit(lib, &id, StepEdit::Split { step: step_start(step)?, at: (at_ms * 1000.0) as Micros }, reviewer, out)?
        }
        ReviewCommand::Fix { step, kind, x, y, text, keys, .. } => {
            let fix = ActionFix { kind, x, y, text, keys, ..Default::default() };
            if fix == ActionFix::default() {
                bail!("say what to fix: --kind, --x, --y, --text or --keys");
            }
            edit(lib, &id, StepEdit::FixAction { step: step_start(step)?, fix }, reviewer, out)?
        }
        ReviewCommand::Transcript { utterance, text, restore, .. } => {
            let utterances = lib.utterances(&id)?;
            let u = utterances.get(utterance).with_context(|| format!("recording {id} has {} utterances; there is no #{utterance}", utterances.len()))?;
            let text = if restore { None } else { text.map(|t| t.trim().to_string()).filter(|t| !t.is_empty()) };
            if text.is_none() && !restore {
                bail!("give the corrected text, or --restore");
            }
            lib.set_transcript(&id, u.t0, text.as_deref(), reviewer)?;
            writeln!(out, "utterance #{utterance}: {}", text.as_deref().unwrap_or(&u.text))?;
        }
        ReviewCommand::Undo { .. } => match lib.undo_review_change_as(&id, reviewer)? {
            Some(e) => writeln!(out, "undid #{} ({})", e.seq, describe_change(&e.change))?,
            None => writeln!(out, "nothing to undo")?,
        },
        ReviewCommand::Log { json, .. } => {
            let log = lib.review_state(&id)?.log;
            if json {
                writeln!(out, "{}", serde_json::to_string_pretty(&log)?)?;
            }
            for e in log.iter().filter(|_| !json) {
                writeln!(out, "#{:<4} {}  {:<12} {}{}", e.seq, e.at, e.reviewer, describe_change(&e.change), if e.undone { "  (undone)" } else { "" })?;
            }
        }
    }
    Ok(())
}

fn edit(lib: &Library, id: &str, e: StepEdit, reviewer: &str, out: &mut impl Write) -> Result<()> {
    let after = review::edit(lib, id, &e, reviewer)?;
    writeln!(out, "{}; {} steps now", describe_change(&ReviewChange::Edit { edit: e }), after.steps.len())?;
    Ok(())
}

/// One line for a human: what a review change did.
pub fn describe_change(c: &ReviewChange) -> String {
    let ms = |t: Micros| format!("{:.1} s", t as f64 / 1e6);
    match c {
        ReviewChange::Label { step, after: Some(_), .. } => format!("labelled the step at {}", ms(*step)),
        ReviewChange::Label { step, after: None, .. } => format!("removed the label of the step at {}", ms(*step)),
        ReviewChange::Trajectory { after, .. } => format!("trajectory review: {}", after.verdict.map(Verdict::as_str).unwrap_or("scores")),
        ReviewChange::Edit { edit } => match edit {
            StepEdit::Delete { step } => format!("deleted the step at {}", ms(*step)),
            StepEdit::Merge { step } => format!("merged the step at {} with the next", ms(*step)),
            StepEdit::Split { step, at } => format!("split the step at {} at {}", ms(*step), ms(*at)),
            StepEdit::FixAction { step, .. } => format!("fixed the action of the step at {}", ms(*step)),
        },
        ReviewChange::Transcript { utterance, after, .. } => {
            format!("transcript at {}: {}", ms(*utterance), after.as_deref().map(|t| format!("{t:?}")).unwrap_or_else(|| "restored".into()))
        }
    }
}

fn parse_correctness(s: &str) -> Result<Correctness, String> {
    serde_json::from_value(serde_json::Value::String(s.into())).map_err(|_| format!("'{s}': use correct, incorrect or redundant"))
}
fn parse_env(s: &str) -> Result<EnvResponse, String> {
    serde_json::from_value(serde_json::Value::String(s.into())).map_err(|_| format!("'{s}': use success, partial or failure"))
}
fn parse_kind(s: &str) -> Result<ActionKind, String> {
    ActionKind::parse(s).ok_or_else(|| format!("'{s}': use one of {}", ActionKind::ALL.map(ActionKind::as_str).join(", ")))
}
