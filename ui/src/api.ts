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
  audio: "off" | "live" | "no_microphone" | "lost";
  audio_message?: string;
  audio_level_db?: number;
  audio_us: number;
  audio_bytes: number;
}

/** Progress of transcribing a recording's think-aloud audio (on this machine). */
export interface TranscriptionEvent {
  id: string;
  state: "running" | "done" | "failed";
  done_us: number;
  total_us: number;
  utterances: number;
  /** Why it failed; when done, a warning (damaged audio skipped). */
  error?: string;
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
  steps: number | null;
  verdict: Verdict | null;
}

export type ActionKind = "click" | "double_click" | "triple_click" | "right_click" | "middle_click" | "drag" | "scroll" | "type" | "key" | "hotkey" | "move";
export type Correctness = "correct" | "incorrect" | "redundant";
export type EnvResponse = "success" | "partial" | "failure";
export type Verdict = "approved" | "needs_edit" | "rejected";

export interface Action {
  kind: ActionKind;
  t_start: number;
  t_end: number;
  x?: number;
  y?: number;
  button?: string;
  modifiers: string[];
  keys?: string[];
  text?: string;
  path?: { x: number; y: number; t: number }[];
  scroll_dx: number;
  scroll_dy: number;
}

export interface Observation {
  frame_seq: number;
  t: number;
  display: number;
}

export interface StepLabel {
  correctness?: Correctness;
  mistake: boolean;
  recovery: boolean;
  unsafe: boolean;
  env_response?: EnvResponse;
  comment?: string;
  reasoning?: string;
  reviewer?: string;
  updated_at?: string;
}

export interface Step {
  index: number;
  t_start: number;
  t_end: number;
  action: Action;
  before: Observation | null;
  after: Observation | null;
  window?: { app: string; title: string };
  reasoning: { source: "typed" | "spoken" | "review"; text: string; t0: number; t1: number; audio?: string; author?: string }[];
  markers: { t: number; kind: MarkerKind; label?: string }[];
  subtask?: { index: number; label?: string };
  label?: StepLabel;
}

export interface Scores {
  goal_completion?: number;
  efficiency?: number;
  error_handling?: number;
  safety?: number;
}

export interface TrajectoryReview {
  scores: Scores;
  verdict?: Verdict;
  comment?: string;
  reviewer?: string;
  updated_at?: string;
}

export type StepEdit =
  | { op: "delete"; step: number }
  | { op: "merge"; step: number }
  | { op: "split"; step: number; at: number }
  | { op: "fix_action"; step: number; fix: Partial<Pick<Action, "kind" | "x" | "y" | "text" | "keys">> };

export interface AuditEntry {
  seq: number;
  at: string;
  reviewer: string;
  change: "label" | "trajectory" | "edit" | "transcript";
  step?: number;
  utterance?: number;
  edit?: StepEdit;
  undone: boolean;
}

export interface Display {
  id: number;
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface TrajectoryView {
  recording: { id: string; task: { instruction: string; id: string | null }; status: RecordingStatus; outcome: Outcome; started_at: string; duration_us: number; environment: { displays: Display[] } };
  steps: Step[];
  quality: { steps: number; actions_per_minute: number; reasoning_coverage: number; idle_us: number };
  review: TrajectoryReview | null;
  stale_edits: StepEdit[];
  log: AuditEntry[];
}

/** Where the webview loads a frame from (served by the `frame://` protocol, not as JSON). */
export const frameUrl = (recording: string, seq: number, thumb = false) => `frame://localhost/${recording}/${seq}${thumb ? "/thumb" : ""}`;

/** Where the webview plays a span of a recording's audio from (the `audio://` protocol, WAV). */
export const audioUrl = (recording: string, t0: number, t1: number) => `audio://localhost/${recording}/${t0}-${t1}`;

export const api = {
  recorderStatus: () => invoke<RecorderStatus | null>("recorder_status"),
  startRecording: (task: string, taskId: string | null, exclusions: string[], audio: boolean, pushToTalk: boolean) =>
    invoke<RecorderStatus>("start_recording", { task, taskId, exclusions, audio, pushToTalk }),
  /** Stops and saves the recording; its outcome stays `unknown` until `setOutcome`. */
  stopRecording: () => invoke<string>("stop_recording"),
  setOutcome: (id: string, outcome: Outcome, comment: string | null) => invoke<void>("set_outcome", { id, outcome, comment }),
  pauseRecording: () => invoke<void>("pause_recording"),
  resumeRecording: () => invoke<void>("resume_recording"),
  addNote: (text: string) => invoke<number>("add_note", { text }),
  addMarker: (kind: MarkerKind, label: string | null = null) => invoke<number>("add_marker", { kind, label }),
  listRecordings: () => invoke<RecordingSummary[]>("list_recordings"),
  defaultReviewer: () => invoke<string>("default_reviewer"),
  openTrajectory: (id: string) => invoke<TrajectoryView>("open_trajectory", { id }),
  setReviewLayout: (reviewing: boolean) => invoke<void>("set_review_layout", { reviewing }),
  setStepLabel: (id: string, step: number, label: StepLabel, reviewer: string) => invoke<StepLabel | null>("set_step_label", { id, step, label, reviewer }),
  setTrajectoryReview: (id: string, review: TrajectoryReview, reviewer: string) => invoke<TrajectoryReview>("set_trajectory_review", { id, review, reviewer }),
  editStep: (id: string, edit: StepEdit, reviewer: string) => invoke<TrajectoryView>("edit_step", { id, edit, reviewer }),
  undoReview: (id: string) => invoke<TrajectoryView>("undo_review", { id }),
  deleteRecording: (id: string) => invoke<void>("delete_recording", { id }),
  resegment: (id: string) => invoke<number>("resegment", { id }),
  transcribe: (id: string) => invoke<void>("transcribe", { id }),
  /** Corrects the transcript of the utterance starting at t0 (null restores the model's). */
  setTranscript: (id: string, t0: number, text: string | null, reviewer: string) => invoke<TrajectoryView>("set_transcript", { id, t0, text, reviewer }),
  onTranscription: (f: (e: TranscriptionEvent) => void): Promise<UnlistenFn> => listen<TranscriptionEvent>("transcription", (e) => f(e.payload)),
  onTalking: (f: (held: boolean) => void): Promise<UnlistenFn> => listen<boolean>("talking", (e) => f(e.payload)),
  /** A recorder hotkey (Ctrl+Alt+R/P/N/M/V/S/E) was pressed; the backend already acted on P and the markers. */
  onHotkey: (f: (key: string) => void): Promise<UnlistenFn> => listen<string>("hotkey", (e) => f(e.payload)),
  onRecordingStopped: (f: (id: string) => void): Promise<UnlistenFn> => listen<string>("recording-stopped", (e) => f(e.payload)),
};
