// Typed calls to the Rust commands in src-tauri/app/mod.rs. Keep the names and shapes in step
// with the #[tauri::command] functions there (types mirror src-tauri/model and capture/recorder).
import { invoke } from "@tauri-apps/api/core";
import { listen, type UnlistenFn } from "@tauri-apps/api/event";

export type RecordingStatus = "recording" | "paused" | "finished" | "interrupted";
export type Outcome = "success" | "failure" | "infeasible" | "unknown";
export type MarkerKind = "mistake" | "recovery" | "subtask-start" | "subtask-end" | "custom";

export interface Health {
  frames_captured: number;
  frames_stored: number;
  frames_unchanged: number;
  frames_dropped: number;
  frames_excluded: number;
  input_events: number;
  input_dropped: number;
  input_excluded: number;
  encode_queue: number;
  write_queue: number;
  last_frame_age_ms: number | null;
  media_bytes: number;
}

export interface RecorderStatus {
  id: string;
  task: string;
  state: RecordingStatus;
  elapsed_us: number;
  health: Health;
}

export interface RecordingSummary {
  id: string;
  task: string;
  task_id: string | null;
  status: RecordingStatus;
  started_at: string;
  duration_us: number;
  outcome: Outcome;
}

export const api = {
  recorderStatus: () => invoke<RecorderStatus | null>("recorder_status"),
  startRecording: (task: string, taskId: string | null, exclusions: string[]) =>
    invoke<RecorderStatus>("start_recording", { task, taskId, exclusions }),
  stopRecording: (outcome: Outcome, comment: string | null) => invoke<string>("stop_recording", { outcome, comment }),
  pauseRecording: () => invoke<void>("pause_recording"),
  resumeRecording: () => invoke<void>("resume_recording"),
  addNote: (text: string) => invoke<number>("add_note", { text }),
  addMarker: (kind: MarkerKind, label: string | null = null) => invoke<number>("add_marker", { kind, label }),
  listRecordings: () => invoke<RecordingSummary[]>("list_recordings"),
  onRecordingStopped: (f: (id: string) => void): Promise<UnlistenFn> => listen<string>("recording-stopped", (e) => f(e.payload)),
};
