//! The desktop's link to a hub (when this station joined one with `apprentice station join`):
//! the expert's assigned tasks for the panel, the recording's task bound to the hub's, the
//! upload queue's state, and the background sender (`apprentice_station::sync`) woken when a
//! recording is queued. Thin: everything is the station crate's.

use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::sync::mpsc::Sender;
use std::sync::{Arc, Mutex};

use tauri::State;

use super::error::CommandError;
use super::{AppState, CmdResult};
use apprentice_core::model::Task;
use apprentice_core::store::Library;
use apprentice_station::sync::SyncSummary;
use apprentice_station::{config, StationError};

impl From<StationError> for CommandError {
    fn from(e: StationError) -> Self {
        match e {
            StationError::Store(s) => s.into(),
            StationError::Task(m) => CommandError::invalid(m),
            other => CommandError::unavailable(other.to_string()),
        }
    }
}

/// A task the hub assigned the expert, as the panel lists it.
#[derive(Debug, Clone, serde::Serialize, specta::Type)]
pub struct HubTask {
    pub campaign: String,
    pub id: String,
    pub instruction: String,
}

/// The background sender: started once, woken after each recording is queued.
pub struct Uploader {
    wake: Mutex<Sender<()>>,
    _stop: Arc<AtomicBool>,
}

impl Uploader {
    pub fn start(library: PathBuf) -> Uploader {
        let (wake, rx) = std::sync::mpsc::channel();
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        if let Err(e) = std::thread::Builder::new().name("apprentice-sync".into()).spawn(move || apprentice_station::sync::run(library, rx, flag)) {
            tracing::warn!(error = %e, "no background upload: recordings wait for `apprentice push`");
        }
        Uploader { wake: Mutex::new(wake), _stop: stop }
    }
    pub fn wake(&self) {
        if let Ok(w) = self.wake.lock() {
            let _ = w.send(());
        }
    }
}

/// The task a recording is made for, with the exclusion rules it adds: the hub's assigned task
/// `task_id` (and its campaign's exclusions) on a joined station, else the task as typed.
pub fn bind_task(instruction: String, task_id: Option<String>) -> CmdResult<apprentice_station::HubTask> {
    match (&task_id, config::load()?) {
        (Some(id), Some(_)) => Ok(apprentice_station::find_task(&config::required()?, id, None)?),
        _ => Ok(apprentice_station::HubTask { task: Task { id: task_id, instruction, campaign: None }, ..Default::default() }),
    }
}

/// Queues a hub task's recording and wakes the sender.
pub fn queue(state: &AppState, id: &str) -> CmdResult<()> {
    let lib = Library::open(&state.library_dir)?;
    let rec = lib.recording(id)?;
    if rec.task.campaign.is_some() {
        if let Some(cfg) = config::load()? {
            lib.queue_upload(id, &cfg.hub)?;
            state.sync.wake();
        }
    }
    Ok(())
}

/// The tasks assigned to this station's expert (none when it joined no hub).
#[tauri::command]
#[specta::specta]
pub async fn hub_tasks() -> CmdResult<Vec<HubTask>> {
    if config::load()?.is_none() {
        return Ok(vec![]);
    }
    let tasks = apprentice_station::tasks(&config::required()?)?;
    Ok(tasks.into_iter().map(|t| HubTask { campaign: t.campaign, id: t.task.id, instruction: t.task.instruction }).collect())
}

/// The upload queue: how many recordings wait, were sent, were refused, and the last error.
#[tauri::command]
#[specta::specta]
pub fn sync_status(state: State<'_, AppState>) -> CmdResult<SyncSummary> {
    Ok(apprentice_station::sync::summary(&Library::open(&state.library_dir)?)?)
}
