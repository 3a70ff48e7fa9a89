//! A campaign's task file: JSON lines or CSV (by the file's extension, else by its first
//! character), each task with `id` and `instruction` and optionally `app`, `category`,
//! `difficulty`, `tags` (a JSON list, or `;`-separated in CSV), `target` (recordings wanted,
//! default 1), `time_limit` (seconds) and `notes`. Parsing is all or nothing: any problem — not
//! UTF-8, a line that is not a task, a missing instruction, an id twice — fails the whole file
//! with the line that caused it. Not its job: storing tasks (campaigns.rs).

use apprentice_hub_api::check_task;
pub use apprentice_hub_api::TaskSpec;

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum TaskFileError {
    #[error("the task file is not UTF-8 text (invalid bytes at line {line})")]
    Encoding { line: usize },
    #[error("line {line}: {message}")]
    Line { line: usize, message: String },
    #[error("the task file holds no task")]
    Empty,
}

fn line_err(line: usize, message: impl Into<String>) -> TaskFileError {
    TaskFileError::Line { line, message: message.into() }
}

/// Parses a task file; `name` (its file name) picks the format by extension.
pub fn parse(name: &str, bytes: &[u8]) -> Result<Vec<TaskSpec>, TaskFileError> {
    let text = std::str::from_utf8(bytes).map_err(|e| TaskFileError::Encoding { line: 1 + bytes[..e.valid_up_to()].iter().filter(|&&b| b == b'\n').count() })?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let lower = name.to_ascii_lowercase();
    let csv = lower.ends_with(".csv") || (!lower.ends_with(".jsonl") && !lower.ends_with(".json") && !text.trim_start().starts_with('{'));
    let tasks = if csv { parse_csv(text)? } else { parse_jsonl(text)? };
    check(&tasks)?;
    Ok(tasks.into_iter().map(|(_, t)| t).collect())
}

fn parse_jsonl(text: &str) -> Result<Vec<(usize, TaskSpec)>, TaskFileError> {
    let mut out = vec![];
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let value: serde_json::Value = serde_json::from_str(line).map_err(|e| line_err(i + 1, format!("not JSON: {e}")))?;
        if value.get("instruction").is_none() {
            return Err(line_err(i + 1, "no `instruction`"));
        }
        let task: TaskSpec = serde_json::from_value(value).map_err(|e| line_err(i + 1, format!("not a task: {e}")))?;
        out.push((i + 1, task));
    }
    Ok(out)
}

fn parse_csv(text: &str) -> Result<Vec<(usize, TaskSpec)>, TaskFileError> {
    let mut reader = csv::ReaderBuilder::new().trim(csv::Trim::All).from_reader(text.as_bytes());
    let headers: Vec<String> = reader.headers().map_err(|e| line_err(1, format!("not a CSV header: {e}")))?.iter().map(|h| h.to_ascii_lowercase()).collect();
    for needed in ["id", "instruction"] {
        if !headers.iter().any(|h| h == needed) {
            return Err(line_err(1, format!("the header has no `{needed}` column (it has: {})", headers.join(", "))));
        }
    }
    let known = ["id", "instruction", "app", "category", "difficulty", "tags", "target", "time_limit", "notes"];
    if let Some(unknown) = headers.iter().find(|h| !known.contains(&h.as_str())) {
        return Err(line_err(1, format!("unknown column `{unknown}` (known: {})", known.join(", "))));
    }
    let mut out = vec![];
    for record in reader.records() {
        let record = record.map_err(|e| line_err(e.position().map(|p| p.line() as usize).unwrap_or(0), format!("not a CSV row: {e}")))?;
        let line = record.position().map(|p| p.line() as usize).unwrap_or(0);
        let field = |name: &str| headers.iter().position(|h| h == name).and_then(|i| record.get(i)).filter(|v| !v.is_empty()).map(String::from);
        let number =
            |name: &str| -> Result<Option<u32>, TaskFileError> { field(name).map(|v| v.parse::<u32>().map_err(|_| line_err(line, format!("`{name}` must be a whole number, not {v:?}")))).transpose() };
        let task = TaskSpec {
            id: field("id").unwrap_or_default(),
            instruction: field("instruction").ok_or_else(|| line_err(line, "no `instruction`"))?,
            app: field("app"),
            category: field("category"),
            difficulty: field("difficulty"),
            tags: field("tags").map(|t| t.split(';').map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect()).unwrap_or_default(),
            target: number("target")?.unwrap_or(1),
            time_limit: number("time_limit")?,
            notes: field("notes"),
        };
        out.push((line, task));
    }
    Ok(out)
}

fn check(tasks: &[(usize, TaskSpec)]) -> Result<(), TaskFileError> {
    if tasks.is_empty() {
        return Err(TaskFileError::Empty);
    }
    let mut seen = std::collections::HashMap::new();
    for (line, t) in tasks {
        check_task(t).map_err(|m| line_err(*line, m))?;
        if let Some(first) = seen.insert(t.id.as_str(), *line) {
            return Err(line_err(*line, format!("the id {} is used twice (first on line {first})", t.id)));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jsonl_and_csv_give_the_same_tasks() {
        let jsonl = "{\"id\":\"t1\",\"instruction\":\"Rename the file\",\"app\":\"nautilus\",\"tags\":[\"files\",\"easy\"],\"target\":3}\n\n{\"id\":\"t2\",\"instruction\":\"Make a pivot table\",\"time_limit\":600}\n";
        let csv = "id,instruction,app,tags,target,time_limit\nt1,Rename the file,nautilus,files;easy,3,\nt2,\"Make a pivot table\",,,,600\n";
        let a = parse("tasks.jsonl", jsonl.as_bytes()).unwrap();
        let b = parse("tasks.csv", csv.as_bytes()).unwrap();
        assert_eq!(a, b);
        assert_eq!((a[0].target, a[1].target, a[1].time_limit), (3, 1, Some(600)));
        assert_eq!(a[0].tags, ["files", "easy"]);
    }

    #[test]
    fn a_bad_file_fails_whole_naming_the_line() {
        let cases: [(&str, &[u8], &str); 7] = [
            ("a.jsonl", b"{\"id\":\"t1\",\"instruction\":\"ok\"}\n{\"id\":\"t2\",\"instruction\":\"caf\xe9\"}\n", "not UTF-8 text (invalid bytes at line 2)"),
            ("a.jsonl", b"{\"id\":\"t1\",\"instruction\":\"ok\"}\n{\"id\":\"t2\"}\n", "line 2: no `instruction`"),
            ("a.jsonl", b"{\"id\":\"t1\",\"instruction\":\"ok\"}\n{\"id\":\"t1\",\"instruction\":\"again\"}\n", "line 2: the id t1 is used twice (first on line 1)"),
            ("a.jsonl", b"{\"id\":\"t1\",\"instruction\":\"ok\"}\nnot json\n", "line 2: not JSON"),
            ("a.csv", b"id,instruction\nt1,ok\nt2,\n", "line 3: no `instruction`"),
            ("a.csv", b"id,task\nt1,ok\n", "line 1: the header has no `instruction` column"),
            ("a.csv", b"id,instruction,target\nt1,ok,many\n", "line 2: `target` must be a whole number"),
        ];
        for (name, bytes, says) in cases {
            let e = parse(name, bytes).unwrap_err().to_string();
            assert!(e.contains(says), "{name} {:?}: {e}", String::from_utf8_lossy(bytes));
        }
        assert_eq!(parse("a.jsonl", b"\n\n"), Err(TaskFileError::Empty));
    }
}
