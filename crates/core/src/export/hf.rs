//! Hugging Face dataset: Parquet shards that `datasets.load_dataset(DIR)` loads as they are.
//!
//! ```text
//! OUT/README.md                                  dataset card: fields, statistics, config
//! OUT/data/train-00000-of-00002.parquet, …       shards of at most --shard-mb
//! ```
//! **One row per step** (a trainer groups by `recording_id` and orders by `step` to rebuild a
//! trajectory). Images are `struct<bytes: binary, path: string>` PNG columns, declared as
//! `datasets` `Image` features in the Parquet schema's `huggingface` metadata and in the card,
//! so they decode to PIL images. Coordinates in `action` are physical pixels of the display
//! (`screen_width` × `screen_height`); `code` is pyautogui with coordinates normalised to [0, 1].
//! Review labels fill `correct`, `redundant`, `label` and the trajectory's `verdict`/`review`.

use std::borrow::Borrow;
use std::collections::{BTreeMap, BTreeSet};
use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use parquet::basic::Compression;
use parquet::data_type::{BoolType, ByteArray, ByteArrayType, Int32Type, Int64Type};
use parquet::file::metadata::KeyValue;
use parquet::file::properties::{EnabledStatistics, WriterProperties};
use parquet::file::writer::SerializedFileWriter;
use parquet::schema::types::ColumnPath;
use serde_json::json;

use super::{pyautogui, write_file, ExportError, ExportSource};
use crate::model::*;
use crate::store::Library;

/// Rows per row group: small enough that a reader holds a group of PNGs comfortably.
const ROWS_PER_GROUP: usize = 256;

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Str,
    OptStr,
    I32,
    I64,
    OptBool,
    Image,
}

/// The columns, in order, with what the card says of each.
const FIELDS: &[(&str, Kind, &str)] = &[
    ("recording_id", Kind::Str, "The recording (one trajectory) the step belongs to."),
    ("task_id", Kind::OptStr, "The task's id in the vendor's catalog, if given."),
    ("instruction", Kind::Str, "The task instruction the expert performed."),
    ("outcome", Kind::Str, "The expert's outcome: success, failure, infeasible or unknown."),
    ("step", Kind::I32, "Index of the step in its trajectory, from 0."),
    ("steps", Kind::I32, "Number of steps in the trajectory."),
    ("t_start_us", Kind::I64, "When the action began, µs since the recording started."),
    ("t_end_us", Kind::I64, "When the action ended, µs since the recording started."),
    ("action_type", Kind::Str, "click, double_click, triple_click, right_click, middle_click, drag, scroll, type, key, hotkey or move."),
    ("action", Kind::Str, "The action as JSON (Apprentice canonical: physical pixels, pyautogui key names, scroll notches with dy > 0 = up)."),
    ("code", Kind::Str, "The action as pyautogui code, coordinates normalised to [0, 1] (4 decimals)."),
    ("input_origin", Kind::Str, "Who produced the action's input: device (a person), injected (software such as XTEST), mixed, or unknown where the platform could not tell."),
    ("thought", Kind::Str, "The expert's own reasoning for the step (typed or spoken, plus reviewer corrections); empty when none was given."),
    ("reasoning", Kind::Str, "Reasoning items as JSON: [{source, text, t0, t1, author?}]."),
    ("markers", Kind::Str, "The expert's markers on the step as JSON (mistake, recovery, subtask…)."),
    ("app", Kind::OptStr, "The focused window's application (WM_CLASS)."),
    ("window_title", Kind::OptStr, "The focused window's title."),
    ("screen_width", Kind::I32, "Width of the display the step happened on, in pixels."),
    ("screen_height", Kind::I32, "Height of that display, in pixels."),
    ("before_image", Kind::Image, "The screen before the action (the last frame captured before its first event), PNG."),
    ("after_image", Kind::Image, "The screen after it settled (the last frame before the next action), PNG."),
    ("correct", Kind::OptBool, "Whether the step was right: from its review label, or false when the expert marked it a mistake; null when nobody judged."),
    ("redundant", Kind::OptBool, "Whether a reviewer judged the step redundant; null when unreviewed."),
    ("label", Kind::OptStr, "The step's review label as JSON (correctness, mistake, recovery, unsafe, env_response, comment, reasoning, answers to the campaign rubric's step questions, reviewer)."),
    ("verdict", Kind::OptStr, "The trajectory's review verdict: approved, needs_edit or rejected; null when unreviewed."),
    (
        "review",
        Kind::OptStr,
        "The trajectory review as JSON (scores 1-5: goal_completion, efficiency, error_handling, safety; comment; answers to the campaign rubric's trajectory questions; reviewer).",
    ),
];

#[derive(Clone)]
enum Cell {
    Str(Option<String>),
    I32(i32),
    I64(i64),
    Bool(Option<bool>),
    Image(Option<(Vec<u8>, String)>),
}

/// What an export wrote.
#[derive(Debug, Clone, serde::Serialize)]
pub struct HfSummary {
    pub shards: Vec<PathBuf>,
    pub rows: usize,
    pub trajectories: usize,
}

fn schema_message() -> String {
    let mut m = String::from("message apprentice_step {\n");
    for (name, kind, _) in FIELDS {
        m += &match kind {
            Kind::Str => format!("  REQUIRED BYTE_ARRAY {name} (UTF8);\n"),
            Kind::OptStr => format!("  OPTIONAL BYTE_ARRAY {name} (UTF8);\n"),
            Kind::I32 => format!("  REQUIRED INT32 {name};\n"),
            Kind::I64 => format!("  REQUIRED INT64 {name};\n"),
            Kind::OptBool => format!("  OPTIONAL BOOLEAN {name};\n"),
            Kind::Image => format!("  OPTIONAL group {name} {{\n    OPTIONAL BYTE_ARRAY bytes;\n    OPTIONAL BYTE_ARRAY path (UTF8);\n  }}\n"),
        };
    }
    m + "}\n"
}

/// The `datasets` features of the columns.
fn features() -> serde_json::Value {
    let map: serde_json::Map<String, serde_json::Value> = FIELDS
        .iter()
        .map(|(name, kind, _)| {
            let f = match kind {
                Kind::Str | Kind::OptStr => json!({ "dtype": "string", "_type": "Value" }),
                Kind::I32 => json!({ "dtype": "int32", "_type": "Value" }),
                Kind::I64 => json!({ "dtype": "int64", "_type": "Value" }),
                Kind::OptBool => json!({ "dtype": "bool", "_type": "Value" }),
                Kind::Image => json!({ "_type": "Image" }),
            };
            (name.to_string(), f)
        })
        .collect();
    serde_json::Value::Object(map)
}

fn parquet_err(path: &Path, e: parquet::errors::ParquetError) -> ExportError {
    ExportError::io(path, std::io::Error::other(e.to_string()))
}

struct Shards {
    dir: PathBuf,
    limit: u64,
    props: Arc<WriterProperties>,
    schema: Arc<parquet::schema::types::Type>,
    open: Option<(PathBuf, SerializedFileWriter<BufWriter<File>>)>,
    done: Vec<PathBuf>,
}

impl Shards {
    fn write_group(&mut self, rows: &[Vec<Cell>]) -> Result<(), ExportError> {
        let size: u64 = rows
            .iter()
            .flatten()
            .map(|c| match c {
                Cell::Str(s) => s.as_ref().map_or(0, |s| s.len() as u64),
                Cell::Image(i) => i.as_ref().map_or(0, |(b, _)| b.len() as u64),
                _ => 8,
            })
            .sum();
        if self.open.as_ref().is_some_and(|(_, w)| w.bytes_written() as u64 + size > self.limit) {
            self.close()?;
        }
        if self.open.is_none() {
            let path = self.dir.join(format!("train-{:05}.parquet.partial", self.done.len()));
            let file = File::create(&path).map_err(|e| ExportError::io(&path, e))?;
            let writer = SerializedFileWriter::new(BufWriter::new(file), self.schema.clone(), self.props.clone()).map_err(|e| parquet_err(&path, e))?;
            self.open = Some((path, writer));
        }
        let Some((path, writer)) = self.open.as_mut() else { return Ok(()) };
        let err = |e| parquet_err(path, e);
        let mut group = writer.next_row_group().map_err(err)?;
        for (f, (_, kind, _)) in FIELDS.iter().enumerate() {
            let leaves: &[usize] = if *kind == Kind::Image { &[0, 1] } else { &[0] };
            for &leaf in leaves {
                let mut col = group.next_column().map_err(err)?.ok_or_else(|| err(parquet::errors::ParquetError::General("schema has fewer columns than fields".into())))?;
                let cells = rows.iter().map(|r| &r[f]);
                match kind {
                    Kind::Str | Kind::OptStr => {
                        let vals: Vec<ByteArray> = cells.clone().filter_map(|c| if let Cell::Str(Some(s)) = c { Some(ByteArray::from(s.as_str())) } else { None }).collect();
                        let defs: Vec<i16> = cells.map(|c| matches!(c, Cell::Str(Some(_))) as i16).collect();
                        col.typed::<ByteArrayType>().write_batch(&vals, (*kind == Kind::OptStr).then_some(&defs[..]), None).map_err(err)?;
                    }
                    Kind::I32 => {
                        let vals: Vec<i32> = cells.map(|c| if let Cell::I32(v) = c { *v } else { 0 }).collect();
                        col.typed::<Int32Type>().write_batch(&vals, None, None).map_err(err)?;
                    }
                    Kind::I64 => {
                        let vals: Vec<i64> = cells.map(|c| if let Cell::I64(v) = c { *v } else { 0 }).collect();
                        col.typed::<Int64Type>().write_batch(&vals, None, None).map_err(err)?;
                    }
                    Kind::OptBool => {
                        let vals: Vec<bool> = cells.clone().filter_map(|c| if let Cell::Bool(b) = c { *b } else { None }).collect();
                        let defs: Vec<i16> = cells.map(|c| matches!(c, Cell::Bool(Some(_))) as i16).collect();
                        col.typed::<BoolType>().write_batch(&vals, Some(&defs), None).map_err(err)?;
                    }
                    Kind::Image => {
                        // Levels: 0 = no image, 2 = the leaf is set (both leaves are set when there is one).
                        let images: Vec<Option<&(Vec<u8>, String)>> = cells.map(|c| if let Cell::Image(i) = c { i.as_ref() } else { None }).collect();
                        let vals: Vec<ByteArray> = images.iter().flatten().map(|(bytes, path)| if leaf == 0 { ByteArray::from(bytes.clone()) } else { ByteArray::from(path.as_str()) }).collect();
                        let defs: Vec<i16> = images.iter().map(|i| if i.is_some() { 2 } else { 0 }).collect();
                        col.typed::<ByteArrayType>().write_batch(&vals, Some(&defs), None).map_err(err)?;
                    }
                }
                col.close().map_err(err)?;
            }
        }
        group.close().map_err(err)?;
        Ok(())
    }

    fn close(&mut self) -> Result<(), ExportError> {
        if let Some((path, writer)) = self.open.take() {
            writer.close().map_err(|e| parquet_err(&path, e))?;
            self.done.push(path);
        }
        Ok(())
    }
}

/// Writes `sources` as a Hugging Face Parquet dataset into `dir`.
pub fn export<S: Borrow<ExportSource>>(lib: &Library, sources: impl IntoIterator<Item = Result<S, ExportError>>, dir: &Path, shard_bytes: u64) -> Result<HfSummary, ExportError> {
    super::ensure_empty_dir(dir)?;
    let data = dir.join("data");
    std::fs::create_dir_all(&data).map_err(|e| ExportError::io(&data, e))?;
    let metadata = json!({ "info": { "features": features() } }).to_string();
    let mut props = WriterProperties::builder()
        .set_compression(Compression::UNCOMPRESSED) // PNGs are compressed already; text is small
        .set_statistics_enabled(EnabledStatistics::None)
        .set_max_row_group_row_count(Some(ROWS_PER_GROUP))
        .set_key_value_metadata(Some(vec![KeyValue::new("huggingface".into(), metadata)]));
    for (name, _, _) in FIELDS.iter().filter(|f| f.1 == Kind::Image) {
        props = props.set_column_dictionary_enabled(ColumnPath::new(vec![name.to_string(), "bytes".into()]), false);
    }
    let schema = parquet::schema::parser::parse_message_type(&schema_message()).map_err(|e| parquet_err(dir, e))?;
    let mut shards = Shards { dir: data.clone(), limit: shard_bytes, props: Arc::new(props.build()), schema: Arc::new(schema), open: None, done: vec![] };
    let mut stats = Stats::default();
    let mut group: Vec<Vec<Cell>> = Vec::with_capacity(ROWS_PER_GROUP);
    for source in sources {
        let source = source?;
        let source = source.borrow();
        let steps = &source.segmentation.steps;
        let wanted: BTreeSet<u64> = source.referenced_frames();
        let pngs = super::frame_pngs(lib, source, &wanted)?;
        stats.add(source);
        for st in steps {
            group.push(row(source, st, &pngs)?);
            if group.len() == ROWS_PER_GROUP {
                shards.write_group(&group)?;
                group.clear();
            }
        }
        // A shard boundary may fall inside a trajectory; rows carry recording_id and step.
    }
    if !group.is_empty() {
        shards.write_group(&group)?;
    }
    shards.close()?;
    // Name the shards the way the Hub does, now that their number is known.
    let n = shards.done.len();
    let mut final_paths = Vec::with_capacity(n);
    for (i, partial) in shards.done.iter().enumerate() {
        let path = data.join(format!("train-{i:05}-of-{n:05}.parquet"));
        std::fs::rename(partial, &path).map_err(|e| ExportError::io(&path, e))?;
        final_paths.push(path);
    }
    write_file(&dir.join("README.md"), card(&stats).as_bytes())?;
    Ok(HfSummary { shards: final_paths, rows: stats.rows, trajectories: stats.trajectories })
}

fn row(source: &ExportSource, st: &Step, pngs: &std::collections::HashMap<u64, Vec<u8>>) -> Result<Vec<Cell>, ExportError> {
    let rec = &source.recording;
    let display = &source.display_of(st);
    let image = |o: Option<&Observation>| o.and_then(|o| pngs.get(&o.frame_seq).map(|b| (b.clone(), format!("{}_{:06}.png", rec.id, o.frame_seq))));
    let thought = super::thought(st);
    Ok(vec![
        Cell::Str(Some(rec.id.clone())),
        Cell::Str(rec.task.id.clone()),
        Cell::Str(Some(rec.task.instruction.clone())),
        Cell::Str(Some(rec.outcome.as_str().into())),
        Cell::I32(st.index as i32),
        Cell::I32(source.segmentation.steps.len() as i32),
        Cell::I64(st.t_start as i64),
        Cell::I64(st.t_end as i64),
        Cell::Str(Some(st.action.kind.as_str().into())),
        Cell::Str(Some(json("action", &st.action)?)),
        Cell::Str(Some(pyautogui::code(&st.action, display))),
        Cell::Str(Some(st.action.origin.as_str().into())),
        Cell::Str(Some(thought)),
        Cell::Str(Some(json("reasoning", &st.reasoning)?)),
        Cell::Str(Some(json("markers", &st.markers)?)),
        Cell::Str(st.window.as_ref().map(|w| w.app.clone())),
        Cell::Str(st.window.as_ref().map(|w| w.title.clone())),
        Cell::I32(display.width as i32),
        Cell::I32(display.height as i32),
        Cell::Image(image(st.before.as_ref())),
        Cell::Image(image(st.after.as_ref())),
        Cell::Bool(super::step_correct(st)),
        Cell::Bool(super::step_redundant(st)),
        Cell::Str(st.label.as_ref().map(|l| json("label", l)).transpose()?),
        Cell::Str(source.review.as_ref().and_then(|r| r.verdict).map(|v| v.as_str().into())),
        Cell::Str(source.review.as_ref().map(|r| json("review", r)).transpose()?),
    ])
}

fn json<T: serde::Serialize>(what: &str, v: &T) -> Result<String, ExportError> {
    serde_json::to_string(v).map_err(|e| ExportError::Json { what: what.into(), source: e })
}

#[derive(Default)]
struct Stats {
    rows: usize,
    trajectories: usize,
    duration_us: u64,
    actions: BTreeMap<String, usize>,
    outcomes: BTreeMap<&'static str, usize>,
    verdicts: BTreeMap<&'static str, usize>,
    with_thought: usize,
    labelled: usize,
    /// The rubric questions asked, by id (the campaigns' own questions, answered in `label` and `review`).
    rubric: BTreeMap<String, RubricQuestion>,
}

impl Stats {
    fn add(&mut self, source: &ExportSource) {
        let steps = &source.segmentation.steps;
        self.rows += steps.len();
        self.trajectories += 1;
        self.duration_us += source.recording.duration_us;
        *self.outcomes.entry(source.recording.outcome.as_str()).or_default() += 1;
        for q in source.rubric.iter().flat_map(|r| &r.questions) {
            self.rubric.entry(q.id.clone()).or_insert_with(|| q.clone());
        }
        *self.verdicts.entry(source.review.as_ref().and_then(|r| r.verdict).map_or("unreviewed", Verdict::as_str)).or_default() += 1;
        for st in steps {
            *self.actions.entry(st.action.kind.as_str().into()).or_default() += 1;
            self.with_thought += (!st.reasoning.is_empty()) as usize;
            self.labelled += st.label.is_some() as usize;
        }
    }
}

/// The dataset card: YAML front matter the Hub and `datasets` read (config, features, split
/// size), then fields and statistics for people.
fn card(s: &Stats) -> String {
    let mut yaml = String::from("---\nlicense: other\npretty_name: Apprentice computer-use trajectories\ntags:\n- computer-use\n- gui-agent\n- trajectories\n- apprentice\n");
    yaml += "configs:\n- config_name: default\n  data_files:\n  - split: train\n    path: data/train-*\n";
    yaml += "dataset_info:\n  features:\n";
    for (name, kind, _) in FIELDS {
        let dtype = match kind {
            Kind::Str | Kind::OptStr => "string",
            Kind::I32 => "int32",
            Kind::I64 => "int64",
            Kind::OptBool => "bool",
            Kind::Image => "image",
        };
        yaml += &format!("  - name: {name}\n    dtype: {dtype}\n");
    }
    yaml += &format!("  splits:\n  - name: train\n    num_examples: {}\n---\n\n", s.rows);
    let mut md = yaml;
    md += "# Apprentice computer-use trajectories\n\n";
    md += "Demonstrations of real computer work recorded with Apprentice: each row is one step (the screen before an action, the action, the screen after, and the expert's own reasoning). ";
    md += "Group rows by `recording_id` and order them by `step` to rebuild a trajectory.\n\n";
    md += "```python\nfrom datasets import load_dataset\nds = load_dataset(\"path/to/this/folder\", split=\"train\")\nds[0][\"before_image\"]  # a PIL image\n```\n\n";
    md += "## Statistics\n\n";
    md += &format!("- trajectories: {}\n- steps (rows): {}\n- recorded time: {:.1} min\n", s.trajectories, s.rows, s.duration_us as f64 / 60e6);
    md += &format!("- steps with the expert's reasoning: {} ({:.0}%)\n", s.with_thought, 100.0 * s.with_thought as f64 / s.rows.max(1) as f64);
    md += &format!("- steps with a review label: {}\n", s.labelled);
    let list = |m: &BTreeMap<_, usize>| m.iter().map(|(k, v)| format!("{k} {v}")).collect::<Vec<_>>().join(", ");
    md += &format!(
        "- actions: {}\n- outcomes: {}\n- review verdicts: {}\n\n",
        list(&s.actions),
        list(&s.outcomes.iter().map(|(k, v)| (k.to_string(), *v)).collect()),
        list(&s.verdicts.iter().map(|(k, v)| (k.to_string(), *v)).collect())
    );
    if !s.rubric.is_empty() {
        md += "## Rubric\n\nThe campaign's own questions, asked beside the built-in labels; answers are under `answers` in `label` (step questions) and `review` (trajectory questions), by id.\n\n| id | asked of | answer | question |\n|---|---|---|---|\n";
        for q in s.rubric.values() {
            let scope = match q.scope {
                RubricScope::Step => "each step",
                RubricScope::Trajectory => "the trajectory",
            };
            let answer = match q.kind {
                AnswerKind::YesNo => "true / false".to_string(),
                AnswerKind::Scale => "1-5".to_string(),
                AnswerKind::Choice => q.options.join(" / "),
                AnswerKind::Text => "text".to_string(),
            };
            md += &format!("| `{}` | {scope} | {} | {} |\n", q.id, answer.replace('|', "\\|"), q.text.replace('|', "\\|"));
        }
        md += "\n";
    }
    md += "## Fields\n\n| field | type | meaning |\n|---|---|---|\n";
    for (name, kind, doc) in FIELDS {
        let t = match kind {
            Kind::Str => "string",
            Kind::OptStr => "string (nullable)",
            Kind::I32 => "int32",
            Kind::I64 => "int64",
            Kind::OptBool => "bool (nullable)",
            Kind::Image => "image (PNG)",
        };
        md += &format!("| `{name}` | {t} | {doc} |\n");
    }
    md
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_schema_has_a_column_per_field_and_two_per_image() {
        let schema = parquet::schema::parser::parse_message_type(&schema_message()).unwrap();
        let descr = parquet::schema::types::SchemaDescriptor::new(Arc::new(schema));
        let images = FIELDS.iter().filter(|f| f.1 == Kind::Image).count();
        assert_eq!(descr.num_columns(), FIELDS.len() + images);
        assert_eq!(descr.column(FIELDS.iter().position(|f| f.0 == "before_image").unwrap()).max_def_level(), 2);
        assert_eq!(features()["before_image"]["_type"], "Image");
    }
}
