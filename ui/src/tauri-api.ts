// The desktop app's backend: the `Api` over the Rust commands in src-tauri/app (keep the names
// and argument shapes in step with the #[tauri::command] functions there), frames and audio over
// the app's `frame://` and `audio://` protocols.
import { invoke } from "@tauri-apps/api/core";
import { listen } from "@tauri-apps/api/event";
import type { Api, AuditEntry, MarkerKind, Outcome, RecorderStatus, RecordingSummary, StepEdit, StepLabel, TrajectoryReview, TrajectoryView, TranscriptionEvent } from "./api";

export const tauriApi: Api = {
  recorderStatus: () => invoke<RecorderStatus | null>("recorder_status"),
  startRecording: (task, taskId, exclusions, audio, pushToTalk) => invoke<RecorderStatus>("start_recording", { task, taskId, exclusions, audio, pushToTalk }),
  stopRecording: () => invoke<string>("stop_recording"),
  setOutcome: (id, outcome: Outcome, comment) => invoke<void>("set_outcome", { id, outcome, comment }),
  pauseRecording: () => invoke<void>("pause_recording"),
  resumeRecording: () => invoke<void>("resume_recording"),
  addNote: (text) => invoke<number>("add_note", { text }),
  addMarker: (kind: MarkerKind, label = null) => invoke<number>("add_marker", { kind, label }),
  listRecordings: () => invoke<RecordingSummary[]>("list_recordings"),
  defaultReviewer: () => invoke<string>("default_reviewer"),
  openTrajectory: (id) => invoke<TrajectoryView>("open_trajectory", { id }),
  setReviewLayout: (reviewing) => invoke<void>("set_review_layout", { reviewing }),
  setStepLabel: (id, step, label: StepLabel, reviewer) => invoke<StepLabel | null>("set_step_label", { id, step, label, reviewer }),
  setTrajectoryReview: (id, review: TrajectoryReview, reviewer) => invoke<TrajectoryReview>("set_trajectory_review", { id, review, reviewer }),
  editStep: (id, edit: StepEdit, reviewer) => invoke<TrajectoryView>("edit_step", { id, edit, reviewer }),
  undoReview: (id) => invoke<TrajectoryView>("undo_review", { id }),
  reviewLog: (id) => invoke<AuditEntry[]>("review_log", { id }),
  deleteRecording: (id) => invoke<void>("delete_recording", { id }),
  resegment: (id) => invoke<number>("resegment", { id }),
  transcribe: (id) => invoke<void>("transcribe", { id }),
  setTranscript: (id, t0, text, reviewer) => invoke<TrajectoryView>("set_transcript", { id, t0, text, reviewer }),
  frameUrl: (recording, seq, thumb = false) => `frame://localhost/${recording}/${seq}${thumb ? "/thumb" : ""}`,
  audioUrl: (recording, t0, t1) => `audio://localhost/${recording}/${t0}-${t1}`,
  onTranscription: (f) => listen<TranscriptionEvent>("transcription", (e) => f(e.payload)),
  onTalking: (f) => listen<boolean>("talking", (e) => f(e.payload)),
  onHotkey: (f) => listen<string>("hotkey", (e) => f(e.payload)),
  onRecordingStopped: (f) => listen<string>("recording-stopped", (e) => f(e.payload)),
};
