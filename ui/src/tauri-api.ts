// The desktop app's backend: the `Api` over the generated Tauri commands and events
// (bindings.ts, from src-tauri/app), frames and audio over the app's `frame://` and `audio://`
// protocols.
import { getCurrentWindow } from "@tauri-apps/api/window";
import { commands, events } from "./bindings";
import type { Api } from "./api";

const done = async (p: Promise<null>): Promise<void> => {
  await p;
};

export const tauriApi: Api = {
  recorderStatus: () => commands.recorderStatus(),
  startRecording: (request) => commands.startRecording(request),
  stopRecording: () => commands.stopRecording(),
  setOutcome: (id, outcome, comment) => done(commands.setOutcome(id, outcome, comment)),
  privacyCheck: (id) => commands.privacyCheck(id),
  pauseRecording: () => done(commands.pauseRecording()),
  resumeRecording: () => done(commands.resumeRecording()),
  addNote: (text) => commands.addNote(text),
  addMarker: (kind, label = null) => commands.addMarker(kind, label),
  listRecordings: () => commands.listRecordings(),
  preflight: () => commands.preflight(),
  hubTasks: () => commands.hubTasks(),
  syncStatus: () => commands.syncStatus(),
  defaultReviewer: () => commands.defaultReviewer(),
  openTrajectory: (id) => commands.openTrajectory(id),
  setReviewLayout: (reviewing) => done(commands.setReviewLayout(reviewing)),
  setStepLabel: (id, step, label, reviewer) => commands.setStepLabel(id, step, label, reviewer),
  setTrajectoryReview: (id, review, reviewer) => commands.setTrajectoryReview(id, review, reviewer),
  editStep: (id, edit, reviewer) => commands.editStep(id, edit, reviewer),
  undoReview: (id) => commands.undoReview(id),
  reviewLog: (id) => commands.reviewLog(id),
  deleteRecording: (id) => done(commands.deleteRecording(id)),
  resegment: (id) => commands.resegment(id),
  transcribe: (id) => done(commands.transcribe(id)),
  setTranscript: (id, t0, text, reviewer) => commands.setTranscript(id, t0, text, reviewer),
  frameUrl: (recording, seq, thumb = false) => `frame://localhost/${recording}/${seq}${thumb ? "/thumb" : ""}`,
  audioUrl: (recording, t0, t1) => `audio://localhost/${recording}/${t0}-${t1}`,
  onTranscription: (f) => events.transcription.listen((e) => f(e.payload)),
  onTalking: (f) => events.talking.listen((e) => f(e.payload)),
  onHotkey: (f) => events.hotkey.listen((e) => f(e.payload)),
  onRecordingStopped: (f) => events.recordingStopped.listen((e) => f(e.payload)),
  setWindowTitle: (title) => getCurrentWindow().setTitle(title),
  bringToFront: async () => {
    const w = getCurrentWindow();
    await w.show();
    await w.setFocus();
  },
};
