// What the UI needs from a backend: the `Api` interface every screen is given, over the types
// the Rust code generates (bindings.ts, from apprentice-core's model and the desktop shell's
// commands; never edited by hand). The desktop app implements it with Tauri commands
// (tauri-api.ts); a server can implement it over HTTP, so the same screens run in a browser. No
// screen calls a backend any other way.

import type * as B from "./bindings";

// Types without a serde difference between the two directions, as generated.
export type { ActionKind, Answer, AnswerKind, RubricScope, CheckStatus, CommandError, Correctness, DisplayInfo, EnvResponse, ErrorKind, HubTask, MarkerKind, Outcome, RecordingStatus, TranscriptionState, Verdict } from "./bindings";

// What the backend sends (every field it always writes is required here)…
export type Action = B.Action_Serialize;
export type Check = B.Check_Serialize;
export type AuditEntry = B.AuditEntry_Serialize;
export type Health = B.Health_Serialize;
export type RecorderStatus = B.RecorderStatus_Serialize;
export type RecordingSummary = B.RecordingSummary_Serialize;
export type Scores = B.Scores_Serialize;
export type RubricQuestion = B.RubricQuestion_Serialize;
export type Step = B.Step_Serialize;
export type SyncSummary = B.SyncSummary_Serialize;
export type StepLabel = B.StepLabel_Serialize;
export type TrajectoryReview = B.TrajectoryReview_Serialize;
export type TrajectoryView = B.TrajectoryView_Serialize;
export type Transcription = B.Transcription_Serialize;
// …and what it accepts (fields it defaults may be left out).
export type RecordingRequest = B.RecordingRequest_Deserialize;
export type StepLabelInput = B.StepLabel_Deserialize;
export type TrajectoryReviewInput = B.TrajectoryReview_Deserialize;
export type StepEdit = B.StepEdit_Deserialize;
export type ActionFix = B.ActionFix_Deserialize;

/** The message of anything a backend call rejected with (a `CommandError`, or a framework error). */
export function errorMessage(e: unknown): string {
  if (typeof e === "object" && e !== null && "message" in e) return String((e as B.CommandError).message);
  return String(e);
}

/** Stops listening to an event. */
export type Unlisten = () => void;

/** A backend of the UI. A failed call rejects with a `CommandError` ({kind, message}). */
export interface Api {
  recorderStatus(): Promise<RecorderStatus | null>;
  startRecording(request: RecordingRequest): Promise<RecorderStatus>;
  /** Stops and saves the recording; its outcome stays `unknown` until `setOutcome`. */
  stopRecording(): Promise<string>;
  setOutcome(id: string, outcome: B.Outcome, comment: string | null): Promise<void>;
  /** The privacy check of a stopped recording: secrets and personal data found in its text. */
  privacyCheck(id: string): Promise<B.Flag[]>;
  pauseRecording(): Promise<void>;
  resumeRecording(): Promise<void>;
  addNote(text: string): Promise<number>;
  addMarker(kind: B.MarkerKind, label?: string | null): Promise<number>;
  listRecordings(): Promise<RecordingSummary[]>;
  /** What a recording needs from this machine, checked now (`apprentice doctor`'s checks). */
  preflight(): Promise<Check[]>;
  /** The tasks a hub assigned this station's expert (none when it joined no hub). */
  hubTasks(): Promise<B.HubTask[]>;
  /** The upload queue to the hub: waiting, sent, refused, the last error. */
  syncStatus(): Promise<SyncSummary>;
  defaultReviewer(): Promise<string>;
  openTrajectory(id: string): Promise<TrajectoryView>;
  /** The review view wants the whole screen; the recorder panel is small. */
  setReviewLayout(reviewing: boolean): Promise<void>;
  setStepLabel(id: string, step: number, label: StepLabelInput, reviewer: string): Promise<StepLabel | null>;
  setTrajectoryReview(id: string, review: TrajectoryReviewInput, reviewer: string): Promise<TrajectoryReview>;
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
  onTranscription(f: (e: Transcription) => void): Promise<Unlisten>;
  onTalking(f: (held: boolean) => void): Promise<Unlisten>;
  /** A recorder hotkey (Ctrl+Alt+R/P/N/M/V/S/E) was pressed; the backend already acted on P and the markers. */
  onHotkey(f: (key: string) => void): Promise<Unlisten>;
  onRecordingStopped(f: (id: string) => void): Promise<Unlisten>;
  /** Shows the recorder's state in the window's title, where the taskbar and window switcher show it. */
  setWindowTitle(title: string): Promise<void>;
  /** Shows the window and gives it the keyboard (a hotkey asked for the panel). */
  bringToFront(): Promise<void>;
}
