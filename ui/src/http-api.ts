// The hub's backend of the UI: the `Api` over the hub's HTTP API (docs/hub-openapi.json) for a
// reviewer signed in with a session cookie. A recording is opened by its lease (the hub answers
// only a reviewer's own leases); later calls name the recording, and are sent to its lease.
// Frames and audio load from the hub's lease endpoints (cached by the browser). What only a
// recording station does (recording, transcribing, deleting) is refused with a clear error.
import type { Api, AuditEntry, CommandError, StepLabel, TrajectoryReview, TrajectoryView } from "./api";
import type { CampaignSummary_Serialize as CampaignSummary, ComparisonChoice_Deserialize as ComparisonChoice, ComparisonLease, Lease, Me, QaReport_Serialize as QaReport } from "./bindings";

/** Sent with every change: the hub refuses a change asked with a cookie alone. */
const REQUEST_HEADER = "x-apprentice-request";

async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { [REQUEST_HEADER]: "1" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const res = await fetch(path, { method, headers, credentials: "same-origin", body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  const parsed: unknown = text ? JSON.parse(text) : null;
  if (!res.ok) {
    const message = typeof parsed === "object" && parsed && "error" in parsed ? String((parsed as { error: unknown }).error) : `${res.status} ${res.statusText}`;
    const kind = res.status === 404 ? "not_found" : res.status === 409 ? "wrong_state" : res.status === 422 || res.status === 400 ? "invalid" : "internal";
    throw { kind, message } as CommandError;
  }
  return parsed as T;
}

const notHere = (what: string) => (): Promise<never> => Promise.reject({ kind: "invalid", message: `${what} happens at a recording station, not on the hub` } as CommandError);
const unlisten = () => Promise.resolve(() => undefined);

/** The `Api` for one signed-in reviewer; `pseudonym` is who their changes are signed as. */
export function httpApi(pseudonym: string): Api & { leaseOf(recording: string): string } {
  const leases = new Map<string, string>();
  const lease = (recording: string): string => leases.get(recording) ?? recording;
  const path = (recording: string, rest = "") => `/api/leases/${encodeURIComponent(lease(recording))}${rest}`;
  return {
    leaseOf: lease,
    recorderStatus: () => Promise.resolve(null),
    startRecording: notHere("recording"),
    stopRecording: notHere("recording"),
    setOutcome: notHere("answering an outcome"),
    privacyCheck: notHere("the privacy check at stop"),
    pauseRecording: notHere("recording"),
    resumeRecording: notHere("recording"),
    addNote: notHere("noting"),
    addMarker: notHere("marking"),
    listRecordings: () => Promise.resolve([]),
    preflight: () => Promise.resolve([]),
    hubTasks: () => Promise.resolve([]),
    syncStatus: notHere("uploading"),
    defaultReviewer: () => Promise.resolve(pseudonym),
    openTrajectory: async (id) => {
      const view = await call<TrajectoryView>("GET", `/api/leases/${encodeURIComponent(id)}/trajectory`);
      leases.set(view.recording.id, id);
      return view;
    },
    setReviewLayout: () => Promise.resolve(),
    setStepLabel: (id, step, label) => call<StepLabel | null>("PUT", path(id, `/steps/${step}/label`), label),
    setTrajectoryReview: (id, review) => call<TrajectoryReview>("PUT", path(id, "/review"), review),
    editStep: (id, edit) => call<TrajectoryView>("POST", path(id, "/edits"), edit),
    undoReview: (id) => call<TrajectoryView>("POST", path(id, "/undo"), {}),
    reviewLog: (id) => call<AuditEntry[]>("GET", path(id, "/log")),
    deleteRecording: notHere("deleting a recording"),
    resegment: notHere("re-segmenting"),
    transcribe: notHere("transcribing"),
    setTranscript: (id, t0, text) => call<TrajectoryView>("PUT", path(id, `/transcripts/${t0}`), { text }),
    frameUrl: (recording, seq, thumb = false) => path(recording, `/frames/${seq}${thumb ? "?thumb=true" : ""}`),
    audioUrl: (recording, t0, t1) => path(recording, `/audio?t0=${t0}&t1=${t1}`),
    onTranscription: unlisten,
    onTalking: unlisten,
    onHotkey: unlisten,
    onRecordingStopped: unlisten,
    setWindowTitle: (title) => {
      document.title = title;
      return Promise.resolve();
    },
    bringToFront: () => Promise.resolve(),
  };
}

/** The hub's API beside the `Api`: who is signed in, the queues, ending a lease or comparison. */
export const hub = {
  me: () => call<Me>("GET", "/api/me"),
  signIn: (token: string) => call<Me>("POST", "/api/session", { token }),
  signOut: () => call<null>("DELETE", "/api/session"),
  campaigns: () => call<CampaignSummary[]>("GET", "/api/campaigns"),
  next: (campaign: string) => call<Lease | null>("POST", `/api/campaigns/${encodeURIComponent(campaign)}/queue/next`, {}),
  submit: (lease: number) => call<Lease>("POST", `/api/leases/${lease}/submit`, {}),
  skip: (lease: number, reason: string) => call<Lease>("POST", `/api/leases/${lease}/skip`, { reason }),
  nextComparison: (campaign: string) => call<ComparisonLease | null>("POST", `/api/campaigns/${encodeURIComponent(campaign)}/comparisons/next`, {}),
  submitComparison: (id: number, choice: ComparisonChoice) => call<ComparisonLease>("POST", `/api/comparisons/${id}/submit`, choice),
  skipComparison: (id: number, reason: string) => call<ComparisonLease>("POST", `/api/comparisons/${id}/skip`, { reason }),
  qa: (campaign: string) => call<QaReport>("GET", `/api/campaigns/${encodeURIComponent(campaign)}/qa`),
  /** Where a QA chart downloads from as CSV. */
  qaCsvUrl: (campaign: string, chart: string) => `/api/campaigns/${encodeURIComponent(campaign)}/qa/${encodeURIComponent(chart)}.csv`,
};
