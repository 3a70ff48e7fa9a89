// Replay and review of one trajectory, composed of its parts: the step list and filmstrip
// (step-list.ts), the large *before* frame with the action drawn on it (overlay.ts) and the
// *after* frame a key away, what the step says (step-info.ts), its label (label-box.ts), edits
// with undo and the audit log (edit-box.ts), scores and the verdict (trajectory-box.ts), playing
// (playback.ts) and the keyboard (keymap.ts). This module holds the state (which trajectory,
// which step, before or after) and is the only one that calls the backend. Everything lives under
// `root`: no element ids, no document-wide listeners, so two views can be mounted side by side.
// Frames load as files from `api.frameUrl`; the next steps are prefetched so stepping stays
// instant.
import type { Api, DisplayInfo, RubricQuestion, RubricScope, Step, StepEdit, StepLabelInput, TrajectoryView, Verdict } from "../api";
import { duration, el, messageLine } from "../format";
import { editBox } from "./edit-box";
import { commandFor, keyOf, type ReviewCommand } from "./keymap";
import { labelBox } from "./label-box";
import { actionOverlay } from "./overlay";
import { playback } from "./playback";
import { stepInfo } from "./step-info";
import { stepList } from "./step-list";
import { trajectoryBox } from "./trajectory-box";

/** Timing figures the UI tests and the benchmark read (see tests/python/drive_app.py). */
export const metrics = { openMs: 0, stepMs: [] as number[] };
(window as unknown as { apprenticeMetrics: typeof metrics }).apprenticeMetrics = metrics;

/** Mounts the review view of recording `id` in `root`, at step `start` (0-based; the first
 * when none). */
export function mountReviewView(root: HTMLElement, api: Api, id: string, back: () => void, start = 0): () => void {
  let view: TrajectoryView | null = null;
  let cur = start;
  let showAfter = false;
  let reviewer = "reviewer";
  const opened = performance.now();
  let navStarted = 0;

  const message = el("p", { class: "review-message message" });
  const { say, fail } = messageLine(message);
  const current = (): Step | undefined => view?.steps[cur];
  /** The campaign rubric's questions of one scope. */
  const questions = (scope: RubricScope): RubricQuestion[] => view?.rubric?.questions.filter((q) => q.scope === scope) ?? [];

  const title = el("h1", { class: "review-title" });
  const meta = el("p", { class: "meta review-meta" });
  const reviewerInput = el("input", { class: "reviewer", title: "Reviewer id" });
  const backBtn = el("button", { class: "back", title: `Back to the library (${keyOf("back")})` }, "← Library");
  const img = el("img", { class: "frame", alt: "screen" });
  const overlay = actionOverlay();
  const which = el("span", { class: "which" }, "before");
  const stage = el("div", { class: "stage" }, img, which);
  stage.append(overlay.el);
  const slider = el("input", { class: "before-after", type: "range", min: "0", max: "1", step: "1", value: "0", title: `Before / after (${keyOf("flip")})` });
  const position = el("span", { class: "position" });
  // Plays spoken reasoning (a span of the recording's audio, as WAV from `api.audioUrl`).
  const player = el("audio", { class: "player", preload: "none" });

  const steps = stepList(api, (i) => select(i));
  const info = stepInfo({
    play: (t0, t1) => {
      if (!view) return;
      player.src = api.audioUrl(view.recording.id, t0, t1);
      void player.play().catch((e) => fail(`cannot play the audio: ${e}`));
    },
    correct: (t0, text) => {
      if (!view) return;
      void api
        .setTranscript(view.recording.id, t0, text, reviewer)
        .then((v) => {
          load(v, cur);
          say("transcript corrected");
        })
        .catch(fail);
    },
  });
  const label = labelBox((change) => saveLabel(change));
  const undo = () => {
    if (!view) return;
    api
      .undoReview(view.recording.id)
      .then((v) => {
        load(v, Math.min(cur, v.steps.length - 1));
        say("undone");
      })
      .catch(fail);
  };
  const edits = editBox({ current, edit: (e) => edit(e), undo, fail });
  const trajectory = trajectoryBox((verdict) => saveTrajectory(verdict));
  const play = playback(
    () => (view && cur < view.steps.length - 1 ? view.steps[cur + 1].t_start - view.steps[cur].t_start : null),
    () => select(cur + 1),
  );

  root.classList.add("review-view");
  root.tabIndex = -1;
  root.replaceChildren(
    player,
    el("header", { class: "review-head" }, backBtn, el("div", { class: "titles" }, title, meta), reviewerInput),
    el(
      "div",
      { class: "review-body" },
      el("aside", { class: "step-col" }, steps.list),
      el("div", { class: "center" }, stage, el("div", { class: "controls" }, play.button, play.speed, el("span", { class: "ba" }, "before", slider, "after"), position), steps.strip, info.el),
      el("aside", { class: "side-col" }, label.el, edits.el, trajectory.el, message),
    ),
  );

  const display = (s: Step): DisplayInfo => {
    const ds = view?.recording.environment.displays ?? [];
    return ds.find((d) => d.id === s.before?.display) ?? ds[0] ?? { id: 0, name: "", x: 0, y: 0, width: img.naturalWidth || 1, height: img.naturalHeight || 1, scale: null, primary: true };
  };
  const fit = () => overlay.fit(img);
  const resized = new ResizeObserver(fit);
  resized.observe(stage);

  const prefetch = () => {
    if (!view) return;
    // Forward only: the server rebuilds frames from a cursor that moves forward cheaply.
    for (const i of [cur + 1, cur + 2, cur + 3]) {
      const s = view.steps[i];
      for (const o of [s?.before, s?.after]) if (o) new Image().src = api.frameUrl(view.recording.id, o.frame_seq);
    }
  };

  const frameShown = () => {
    fit();
    const now = performance.now();
    if (!metrics.openMs) metrics.openMs = now - opened;
    else if (navStarted) metrics.stepMs.push(now - navStarted);
    navStarted = 0;
    root.dataset.shown = String(cur) + (showAfter ? "a" : "b");
  };
  img.addEventListener("load", frameShown);
  img.addEventListener("error", () => {
    fail("this frame could not be loaded");
    frameShown();
  });

  const showFrame = (s: Step) => {
    if (!view) return;
    const o = showAfter ? s.after : s.before;
    which.textContent = showAfter ? "after" : "before";
    slider.value = showAfter ? "1" : "0";
    if (o) {
      const url = api.frameUrl(view.recording.id, o.frame_seq);
      if (img.getAttribute("src") !== url) img.src = url;
      else if (img.complete) frameShown();
      img.classList.remove("missing");
    } else {
      img.removeAttribute("src");
      img.classList.add("missing");
      frameShown();
    }
    fit();
    overlay.draw(s, display(s), showAfter);
  };

  /** Keys reach the view while focus is inside it; a re-render that removed the focused element gives it back. */
  const keepFocus = () => {
    if (!root.contains(document.activeElement)) root.focus({ preventScroll: true });
  };

  const select = (i: number, after = false) => {
    if (!view || view.steps.length === 0) return;
    navStarted = performance.now();
    cur = Math.max(0, Math.min(view.steps.length - 1, i));
    showAfter = after;
    const s = view.steps[cur];
    steps.mark(cur);
    position.textContent = `step ${cur + 1} of ${view.steps.length}`;
    root.dataset.step = String(cur);
    showFrame(s);
    info.render(s);
    label.render(s.label, questions("step"));
    prefetch();
    keepFocus();
  };

  const renderTrajectory = (v: TrajectoryView) => {
    trajectory.render(v.review, questions("trajectory"));
    edits.renderLog(v.log);
    if (v.stale_edits.length) say(`${v.stale_edits.length} edit(s) no longer apply (the recording was re-segmented)`);
    keepFocus();
  };

  const load = (v: TrajectoryView, keep = cur) => {
    view = v;
    const q = v.quality;
    title.textContent = v.recording.task.instruction || "(no task)";
    meta.textContent = `${v.recording.id} · ${new Date(v.recording.started_at).toLocaleString()} · ${duration(v.recording.duration_us)} · outcome ${v.recording.outcome} · ${v.steps.length} steps · ${q.actions_per_minute?.toFixed(1) ?? "–"} actions/min · reasoning on ${q.reasoning_coverage === null ? "–" : (q.reasoning_coverage * 100).toFixed(0)}% of steps${q.synthetic_input_share ? ` · injected input on ${(q.synthetic_input_share * 100).toFixed(0)}%` : ""}`;
    steps.render(v, keep);
    renderTrajectory(v);
    select(keep, showAfter);
  };

  // The audit log as the library holds it (entries carry their ids and times), never made up here.
  const refreshLog = (v: TrajectoryView) =>
    api.reviewLog(v.recording.id).then((log) => {
      v.log = log;
      renderTrajectory(v);
    });

  const saveLabel = (change: (l: StepLabelInput) => StepLabelInput) => {
    const s = current();
    if (!view || !s) return;
    const next = change({ mistake: false, recovery: false, unsafe: false, ...s.label });
    const v = view;
    const at = cur;
    api
      .setStepLabel(v.recording.id, s.t_start, next, reviewer)
      .then((saved) => {
        s.label = saved ?? undefined;
        if (at === cur) label.render(s.label, questions("step"));
        steps.render(v, cur);
        say(saved ? `step ${at + 1} labelled` : `step ${at + 1} label cleared`);
        // Re-rendering the label may have removed the control that had the keyboard.
        keepFocus();
        return refreshLog(v);
      })
      .catch(fail);
  };

  const edit = (e: StepEdit) => {
    if (!view) return;
    api
      .editStep(view.recording.id, e, reviewer)
      .then((v) => {
        load(v, Math.min(cur, v.steps.length - 1));
        say(`${e.op} done; ${v.steps.length} steps`);
      })
      .catch(fail);
  };

  const saveTrajectory = (verdict?: Verdict) => {
    if (!view) return;
    const v = view;
    api
      .setTrajectoryReview(v.recording.id, trajectory.wanted(verdict), reviewer)
      .then((saved) => {
        v.review = saved;
        say(saved.verdict ? `trajectory ${saved.verdict.replace("_", " ")}` : "scores saved");
        return refreshLog(v);
      })
      .catch(fail);
  };

  const run = (c: ReviewCommand) => {
    const s = current();
    switch (c) {
      case "next":
        return select(cur + 1);
      case "previous":
        return select(cur - 1);
      case "first":
        return select(0);
      case "last":
        return select(Number.MAX_SAFE_INTEGER);
      case "flip":
        return select(cur, !showAfter);
      case "play":
        return play.toggle();
      case "faster":
        return play.faster(1);
      case "slower":
        return play.faster(-1);
      case "comment":
        return label.comment.focus();
      case "reasoning":
        return label.reasoning.focus();
      case "listen":
        return info.listen();
      case "delete":
        return s && edit({ op: "delete", step: s.t_start });
      case "merge":
        return s && edit({ op: "merge", step: s.t_start });
      case "split":
        return s && edit({ op: "split", step: s.t_start, at: Math.round((s.t_start + s.t_end) / 2) });
      case "fix":
        return s && edits.toggleFix(s);
      case "undo":
        return undo();
      case "approve":
        return saveTrajectory("approved");
      case "back":
        return back();
      default:
        label.run(c);
    }
  };

  backBtn.addEventListener("click", back);
  reviewerInput.addEventListener("change", () => (reviewer = reviewerInput.value.trim() || reviewer));
  slider.addEventListener("input", () => select(cur, slider.value === "1"));
  const keys = (e: KeyboardEvent) => {
    const typing = e.target instanceof HTMLInputElement || e.target instanceof HTMLTextAreaElement || e.target instanceof HTMLSelectElement;
    if (typing) {
      // Esc leaves the box; the view's keys work again.
      if (e.key === "Escape") root.focus({ preventScroll: true });
      return;
    }
    const c = commandFor(e);
    if (!c) return;
    e.preventDefault();
    run(c);
  };
  root.addEventListener("keydown", keys);
  root.focus({ preventScroll: true });

  void api.defaultReviewer().then((r) => {
    reviewer = r;
    reviewerInput.value = r;
  });
  api
    .openTrajectory(id)
    .then((v) => load(v, Math.max(0, Math.min(start, v.steps.length - 1))))
    .catch(fail);

  return () => {
    play.stop();
    resized.disconnect();
    root.removeEventListener("keydown", keys);
    root.classList.remove("review-view");
  };
}
