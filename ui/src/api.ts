// What the UI needs from a backend: the types it exchanges (they mirror apprentice-core's model
// and apprentice-capture's recorder status) and the `Api` interface every screen is given. The
// desktop app implements it with Tauri commands (tauri-api.ts); a server can implement it over
// HTTP, so the same screens run in a browser. No screen calls a backend any other way.

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
  /** Globally unique (UUIDv7). */
  id: string;
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

/** Stops listening to an event. */
export type Unlisten = () => void;

/** A backend of the UI. */
export interface Api {
  recorderStatus(): Promise<RecorderStatus | null>;
  startRecording(task: string, taskId: string | null, exclusions: string[], audio: boolean, pushToTalk: boolean): Promise<RecorderStatus>;
  /** Stops and saves the recording; its outcome stays `unknown` until `setOutcome`. */
  stopRecording(): Promise<string>;
  setOutcome(id: string, outcome: Outcome, comment: string | null): Promise<void>;
  pauseRecording(): Promise<void>;
  resumeRecording(): Promise<void>;
  addNote(text: string): Promise<number>;
  addMarker(kind: MarkerKind, label?: string | null): Promise<number>;
  listRecordings(): Promise<RecordingSummary[]>;
  defaultReviewer(): Promise<string>;
  openTrajectory(id: string): Promise<TrajectoryView>;
  /** The review view wants the whole screen; the recorder panel is small. */
  setReviewLayout(reviewing: boolean): Promise<void>;
  setStepLabel(id: string, step: number, label: StepLabel, reviewer: string): Promise<StepLabel | null>;
  setTrajectoryReview(id: string, review: TrajectoryReview, reviewer: string): Promise<TrajectoryReview>;
  editStep(id: string, edit: StepEdit, reviewer: string): Promise<TrajectoryView>;
  undoReview(id: string): Promise<TrajectoryView>;
  /** The audit log as stored, oldest first. */
  reviewLog(id: string): Promise<AuditEntry[]>;
  deleteRecording(id: string): Promise<void>;
  resegment(id: string): Promise<number>;
  transcribe(id: string): Promise<void>;
  /** Corrects the transcript of the utterance starting at t0 (null restores the model's). */
  setTranscript(id: string, t0: number, text: string | null, reviewer: string): Promise<TrajectoryView>;
  /** Where a frame is loaded from, as an image URL (never shipped as JSON). */
  frameUrl(recording: string, seq: number, thumb?: boolean): string;
  /** Where a span of a recording's audio plays from (WAV). */
  audioUrl(recording: string, t0: number, t1: number): string;
  onTranscription(f: (e: TranscriptionEvent) => void): Promise<Unlisten>;
  onTalking(f: (held: boolean) => void): Promise<Unlisten>;
  /** A recorder hotkey (Ctrl+Alt+R/P/N/M/V/S/E) was pressed; the backend already acted on P and the markers. */
  onHotkey(f: (key: string) => void): Promise<Unlisten>;
  onRecordingStopped(f: (id: string) => void): Promise<Unlisten>;
}
