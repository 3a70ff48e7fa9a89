//! WebDataset shards: tar files of at most a configurable size (default [`DEFAULT_SHARD_BYTES`]),
//! one sample per step, for streaming training.
//!
//! ```text
//! OUT/shard-000000.tar, shard-000001.tar, …
//!   <key>.png        the screen before the action
//!   <key>.after.png  the screen after it (when one was captured)
//!   <key>.json       the step: task, action (with pyautogui code and normalised coordinates),
//!                    reasoning, markers, window, recording and step ids
//! ```
//! `<key>` is `<recording id>_<step index, 5 digits>` (no dots, as WebDataset requires). A sample
//! never spans two shards; a shard is closed before it would pass the size limit.

use std::borrow::Borrow;
use std::collections::BTreeSet;
use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};

use serde_json::json;

use super::{pyautogui, ExportError, ExportSource};
use crate::store::Library;

pub const DEFAULT_SHARD_BYTES: u64 = 1 << 30;

/// What an export wrote.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ShardSummary {
    pub shards: Vec<PathBuf>,
    pub samples: usize,
}

struct ShardWriter {
    dir: PathBuf,
    limit: u64,
    index: usize,
    bytes: u64,
    tar: Option<tar::Builder<BufWriter<File>>>,
    shards: Vec<PathBuf>,
}

impl ShardWriter {
    fn sample(&mut self, files: &[(String, Vec<u8>)]) -> Result<(), ExportError> {
        // Each tar entry costs a 512-byte header plus its data padded to 512 bytes.
        let size: u64 = files.iter().map(|(_, d)| 512 + (d.len() as u64).div_ceil(512) * 512).sum();
        if self.tar.is_some() && self.bytes + size > self.limit {
            self.close()?;
        }
        if self.tar.is_none() {
            let path = self.dir.join(format!("shard-{:06}.tar", self.index));
            let file = File::create(&path).map_err(|e| ExportError::io(&path, e))?;
            self.tar = Some(tar::Builder::new(BufWriter::new(file)));
            self.shards.push(path);
            self.index += 1;
            self.bytes = 1024; // the end-of-archive blocks
        }
        let path = self.shards.last().cloned().unwrap_or_default();
        let tar = self.tar.as_mut().ok_or_else(|| ExportError::io(&path, std::io::Error::other("no open shard")))?;
        for (name, data) in files {
            let mut header = tar::Header::new_gnu();
            header.set_size(data.len() as u64);
            header.set_mode(0o644);
            header.set_mtime(0);
            header.set_cksum();
            tar.append_data(&mut header, name, data.as_slice()).map_err(|e| ExportError::io(&path, e))?;
        }
        self.bytes += size;
        Ok(())
    }

    fn close(&mut self) -> Result<(), ExportError> {
        if let Some(tar) = self.tar.take() {
            let path = self.shards.last().cloned().unwrap_or_default();
            let mut inner = tar.into_inner().map_err(|e| ExportError::io(&path, e))?;
            std::io::Write::flush(&mut inner).map_err(|e| ExportError::io(&path, e))?;
        }
        Ok(())
    }
}

/// Writes `sources` as WebDataset shards of at most `shard_bytes` each into `dir`.
pub fn export<S: Borrow<ExportSource>>(lib: &Library, sources: impl IntoIterator<Item = Result<S, ExportError>>, dir: &Path, shard_bytes: u64) -> Result<ShardSummary, ExportError> {
    super::ensure_empty_dir(dir)?;
    let mut shards = ShardWriter { dir: dir.to_path_buf(), limit: shard_bytes, index: 0, bytes: 0, tar: None, shards: vec![] };
    let mut samples = 0;
    for source in sources {
        let source = source?;
        let source = source.borrow();
        let rec = &source.recording;
        let steps = &source.segmentation.steps;
        // Frames are rebuilt in sequence order; each step needs two, so hold the encoded PNGs of
        // one recording's shown frames (a few hundred KB each), not the raw images.
        let wanted: BTreeSet<u64> = steps.iter().flat_map(|s| [s.before.as_ref(), s.after.as_ref()]).flatten().map(|o| o.frame_seq).collect();
        let pngs = super::frame_pngs(lib, source, &wanted)?;
        for st in steps {
            let key = format!("{}_{:05}", rec.id, st.index);
            let display = &source.display_of(st);
            let meta = json!({
                "recording_id": rec.id,
                "task_id": rec.task.id,
                "instruction": rec.task.instruction,
                "outcome": rec.outcome.as_str(),
                "step": st.index,
                "steps": steps.len(),
                "t_start_us": st.t_start,
                "t_end_us": st.t_end,
                "action": st.action,
                "code": pyautogui::code(&st.action, display),
                "display": display,
                "reasoning": st.reasoning,
                "markers": st.markers,
                "window": st.window,
                "label": st.label,
                "review": source.review,
                "rubric": source.rubric,
            });
            let mut files = vec![(format!("{key}.json"), serde_json::to_vec(&meta).map_err(|e| ExportError::Json { what: "sample".into(), source: e })?)];
            if let Some(b) = st.before.as_ref().and_then(|o| pngs.get(&o.frame_seq)) {
                files.push((format!("{key}.png"), b.clone()));
            }
            if let Some(a) = st.after.as_ref().and_then(|o| pngs.get(&o.frame_seq)) {
                files.push((format!("{key}.after.png"), a.clone()));
            }
            shards.sample(&files)?;
            samples += 1;
        }
    }
    shards.close()?;
    Ok(ShardSummary { shards: shards.shards, samples })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_close_before_the_size_limit_and_samples_never_split() {
        let dir = tempfile::tempdir().unwrap();
        let mut w = ShardWriter { dir: dir.path().to_path_buf(), limit: 8 * 1024, index: 0, bytes: 0, tar: None, shards: vec![] };
        for i in 0..10 {
            w.sample(&[(format!("k{i:02}.json"), vec![b'x'; 1000]), (format!("k{i:02}.png"), vec![b'y'; 2000])]).unwrap();
        }
        w.close().unwrap();
        assert!(w.shards.len() >= 4, "{} shards", w.shards.len());
        let mut keys = vec![];
        for path in &w.shards {
            assert!(std::fs::metadata(path).unwrap().len() <= 8 * 1024 + 10240, "{} is too big", path.display());
            let mut archive = tar::Archive::new(File::open(path).unwrap());
            let names: Vec<String> = archive.entries().unwrap().map(|e| e.unwrap().path().unwrap().display().to_string()).collect();
            assert_eq!(names.len() % 2, 0, "both files of a sample are in one shard: {names:?}");
            keys.extend(names);
        }
        assert_eq!(keys.len(), 20);
    }
}
