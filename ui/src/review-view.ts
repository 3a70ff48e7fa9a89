// Replay and review of one trajectory: the step list, a filmstrip, the large *before* frame with
// the action drawn on it and the *after* frame a key away, reasoning, markers and window; labels
// per step, scores and a verdict for the whole; edits (delete, merge, split) with undo and the
// audit log. Keyboard-first: j/k or arrows move, space flips before/after, p plays (1–8×, idle
// time skipped), number keys label, x/m/s/f edit, u undoes, Esc goes back. Frames load as files over the
// `frame://` protocol; neighbours are prefetched so stepping stays instant.
import { errorMessage, type ActionKind, type Api, type DisplayInfo, type Scores, type Step, type StepEdit, type StepLabel, type StepLabelInput, type TrajectoryReviewInput, type TrajectoryView, type Verdict } from "./api";
import { duration, el } from "./format";

const SVG = "http://www.w3.org/2000/svg";
const SPEEDS = [1, 2, 4, 8];
const ACTION_KINDS: ActionKind[] = ["click", "double_click", "triple_click", "right_click", "middle_click", "drag", "scroll", "type", "key", "hotkey", "move"];
/** Idle time between steps is cut to this when playing. */
const MAX_PLAY_GAP_MS = 1000;

/** Timing figures the UI tests and the benchmark read (see tests/python/drive_app.py). */
export const metrics = { openMs: 0, stepMs: [] as number[] };
(window as unknown as { apprenticeMetrics: typeof metrics }).apprenticeMetrics = metrics;

function svg<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number>): SVGElementTagNameMap[K] {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  return e;
}

function target(s: Step): string {
  const a = s.action;
  if (a.kind === "type") return JSON.stringify(a.text ?? "");
  if (a.kind === "key" || a.kind === "hotkey") return (a.keys ?? []).join("+");
  if (a.kind === "scroll") return `${a.scroll_dy > 0 ? "up" : a.scroll_dy < 0 ? "down" : a.scroll_dx > 0 ? "right" : "left"} ${Math.abs(a.scroll_dy || a.scroll_dx)}`;
  return a.x !== undefined ? `(${a.x}, ${a.y})` : "";
}

/** How long the expert spent on step i: until the next step began (or the recording ended). */
function spent(v: TrajectoryView, i: number): string {
  const end = v.steps[i + 1]?.t_start ?? v.recording.duration_us;
  const ms = Math.max(0, end - v.steps[i].t_start) / 1000;
  return ms < 1000 ? `${ms.toFixed(0)} ms` : `${(ms / 1000).toFixed(1)} s`;
}

function labelTags(l: StepLabel | undefined): string[] {
  if (!l) return [];
  return [l.correctness, l.mistake && "mistake", l.recovery && "recovery", l.unsafe && "unsafe", l.env_response && `env ${l.env_response}`].filter((t): t is string => !!t);
}

export function mountReviewView(root: HTMLElement, api: Api, id: string, back: () => void): () => void {
  let view: TrajectoryView | null = null;
  let cur = 0;
  let showAfter = false;
  let speed = 1;
  let playTimer: number | undefined;
  let reviewer = "reviewer";
  const opened = performance.now();
  let navStarted = 0;

  const title = el("h1", { id: "review-title" });
  const meta = el("p", { class: "meta", id: "review-meta" });
  const reviewerInput = el("input", { id: "reviewer", class: "reviewer", title: "Reviewer id" });
  const backBtn = el("button", { id: "back", title: "Back to the library (Esc)" }, "← Library");
  const stepList = el("ol", { id: "steps", class: "steps" });
  const strip = el("div", { id: "filmstrip", class: "filmstrip" });
  const img = el("img", { id: "frame", alt: "screen" });
  const overlay = svg("svg", { id: "overlay", preserveAspectRatio: "none" });
  const which = el("span", { id: "which", class: "which" }, "before");
  const stage = el("div", { class: "stage" }, img, which);
  stage.append(overlay);
  const slider = el("input", { id: "before-after", type: "range", min: "0", max: "1", step: "1", value: "0", title: "Before / after (space)" });
  const playBtn = el("button", { id: "play", title: "Play (p)" }, "▶ Play");
  const speedSel = el("select", { id: "speed", title: "Speed ([ and ])" }, ...SPEEDS.map((s) => el("option", { value: String(s) }, `${s}×`)));
  const position = el("span", { id: "position", class: "position" });
  const info = el("div", { id: "step-info", class: "step-info" });
  const message = el("p", { id: "review-message", class: "message" });

  // Step label controls.
  const corr = (["correct", "incorrect", "redundant"] as const).map((c, i) => el("button", { "data-correctness": c, title: `${i + 1}` }, `${i + 1} ${c}`));
  const flags = (["mistake", "recovery", "unsafe"] as const).map((f, i) => el("button", { "data-flag": f, title: `${i + 4}` }, `${i + 4} ${f}`));
  const envs = (["success", "partial", "failure"] as const).map((e, i) => el("button", { "data-env": e, title: `${i + 7}` }, `${i + 7} ${e}`));
  const comment = el("input", { id: "step-comment", placeholder: "Comment on this step (c)" });
  const reasoning = el("textarea", { id: "step-reasoning", rows: "2", placeholder: "Corrected or added reasoning (r)" });
  const labelBox = el(
    "section",
    { id: "label", class: "label-box" },
    el("h2", {}, "Step label"),
    el("div", { class: "chips" }, ...corr),
    el("div", { class: "chips" }, ...flags),
    el("div", { class: "chips" }, ...envs),
    comment,
    reasoning,
  );

  // Edits.
  const delBtn = el("button", { id: "edit-delete", title: "Delete the step (x)" }, "Delete step");
  const mergeBtn = el("button", { id: "edit-merge", title: "Merge with the next step (m)" }, "Merge with next");
  const splitBtn = el("button", { id: "edit-split", title: "Split the step in the middle (s)" }, "Split");
  const undoBtn = el("button", { id: "undo", title: "Undo the last change (u)" }, "Undo");
  const fixBtn = el("button", { id: "edit-fix", title: "Correct what the action was (f)" }, "Fix action…");
  const fixKind = el("select", { id: "fix-kind" }, ...ACTION_KINDS.map((k) => el("option", { value: k }, k.replace("_", " "))));
  const fixX = el("input", { id: "fix-x", type: "number", placeholder: "x" });
  const fixY = el("input", { id: "fix-y", type: "number", placeholder: "y" });
  const fixText = el("input", { id: "fix-text", placeholder: "text (type)" });
  const fixKeys = el("input", { id: "fix-keys", placeholder: "keys: ctrl,s" });
  const fixSave = el("button", { id: "fix-save", type: "submit" }, "Save fix");
  const fixForm = el("form", { id: "fix-form", class: "fix-form", hidden: "" }, fixKind, el("div", { class: "row" }, fixX, fixY), fixText, fixKeys, fixSave);
  const log = el("ol", { id: "audit-log", class: "audit" });
  const editBox = el("section", { class: "edit-box" }, el("h2", {}, "Edit"), el("div", { class: "chips" }, delBtn, mergeBtn, splitBtn, fixBtn, undoBtn), fixForm, el("details", {}, el("summary", {}, "Audit log"), log));

  // Trajectory review.
  const scoreNames = ["goal_completion", "efficiency", "error_handling", "safety"] as const;
  const scoreSel = scoreNames.map((n) => el("select", { id: `score-${n}`, "data-score": n }, el("option", { value: "" }, "—"), ...[1, 2, 3, 4, 5].map((v) => el("option", { value: String(v) }, String(v)))));
  const verdicts = (["approved", "needs_edit", "rejected"] as Verdict[]).map((v) => el("button", { "data-verdict": v }, v.replace("_", " ")));
  const trajComment = el("input", { id: "trajectory-comment", placeholder: "Comment on the trajectory" });
  const verdictNow = el("span", { id: "verdict", class: "badge" }, "unreviewed");
  const trajBox = el(
    "section",
    { id: "trajectory-review", class: "traj-box" },
    el("h2", {}, "Trajectory ", verdictNow),
    el("div", { class: "scores" }, ...scoreNames.flatMap((n, i) => [el("label", { for: `score-${n}` }, n.replace("_", " ")), scoreSel[i]])),
    trajComment,
    el("div", { class: "chips" }, ...verdicts),
  );

  // Plays spoken reasoning (a span of the recording's audio, served as WAV by `audio://`).
  const player = el("audio", { id: "player", preload: "none" }) as HTMLAudioElement;
  root.replaceChildren(
    player,
    el("header", { class: "review-head" }, backBtn, el("div", { class: "titles" }, title, meta), reviewerInput),
    el(
      "div",
      { class: "review-body" },
      el("aside", { class: "step-col" }, stepList),
      el("div", { class: "center" }, stage, el("div", { class: "controls" }, playBtn, speedSel, el("span", { class: "ba" }, "before", slider, "after"), position), strip, info),
      el("aside", { class: "side-col" }, labelBox, editBox, trajBox, message),
    ),
  );

  const fail = (e: unknown) => {
    message.textContent = errorMessage(e);
    message.className = "message error";
  };
  const say = (t: string) => {
    message.textContent = t;
    message.className = "message";
  };

  const display = (s: Step): DisplayInfo => {
    const ds = view?.recording.environment.displays ?? [];
    return ds.find((d) => d.id === s.before?.display) ?? ds[0] ?? { id: 0, x: 0, y: 0, width: img.naturalWidth || 1, height: img.naturalHeight || 1 };
  };

  /** Lays the overlay exactly over the image as drawn (it is letterboxed inside the stage). */
  const fitOverlay = () => {
    overlay.style.left = `${img.offsetLeft}px`;
    overlay.style.top = `${img.offsetTop}px`;
    overlay.style.width = `${img.offsetWidth}px`;
    overlay.style.height = `${img.offsetHeight}px`;
  };
  window.addEventListener("resize", fitOverlay);

  const drawOverlay = (s: Step) => {
    const d = display(s);
    fitOverlay();
    overlay.setAttribute("viewBox", `0 0 ${d.width} ${d.height}`);
    overlay.replaceChildren();
    if (showAfter) return;
    const a = s.action;
    const r = Math.max(8, Math.round(Math.max(d.width, d.height) / 90));
    if (a.kind === "drag" && a.path && a.path.length > 1) {
      overlay.append(svg("polyline", { class: "drag", points: a.path.map((p) => `${p.x - d.x},${p.y - d.y}`).join(" ") }));
      const end = a.path[a.path.length - 1];
      overlay.append(svg("circle", { class: "end", cx: end.x - d.x, cy: end.y - d.y, r }));
    }
    if (a.x !== undefined && a.y !== undefined) {
      const x = a.x - d.x;
      const y = a.y - d.y;
      if (a.kind === "scroll") {
        const dx = Math.sign(a.scroll_dx) * r * 5;
        const dy = -Math.sign(a.scroll_dy) * r * 5;
        overlay.append(svg("line", { class: "scroll", x1: x, y1: y, x2: x + dx, y2: y + dy }));
        overlay.append(svg("polygon", { class: "scroll-head", points: `${x + dx - r * 0.8},${y + dy} ${x + dx + r * 0.8},${y + dy} ${x + dx},${y + dy + Math.sign(dy || 1) * r * 1.4}` }));
      }
      overlay.append(svg("circle", { class: `click ${a.kind}`, cx: x, cy: y, r }));
    }
    const bubble = a.kind === "type" ? `⌨ ${a.text ?? ""}` : a.kind === "key" || a.kind === "hotkey" ? `⌨ ${(a.keys ?? []).join("+")}` : "";
    if (bubble) {
      const size = Math.max(16, Math.round(d.height / 28));
      const t = svg("text", { class: "bubble", x: size, y: d.height - size, "font-size": size });
      t.textContent = bubble;
      overlay.append(t);
    }
  };

  const prefetch = () => {
    if (!view) return;
    // Forward only: the server rebuilds frames from a cursor that moves forward cheaply.
    for (const i of [cur + 1, cur + 2, cur + 3]) {
      const s = view.steps[i];
      for (const o of [s?.before, s?.after]) if (o) new Image().src = api.frameUrl(view.recording.id, o.frame_seq);
    }
  };

  const showFrame = () => {
    if (!view) return;
    const s = view.steps[cur];
    if (!s) return;
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
    drawOverlay(s);
  };

  const frameShown = () => {
    fitOverlay();
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

  const renderLabel = (s: Step) => {
    const l = s.label;
    corr.forEach((b) => b.classList.toggle("on", l?.correctness === b.dataset.correctness));
    flags.forEach((b) => b.classList.toggle("on", !!l && !!l[b.dataset.flag as "mistake" | "recovery" | "unsafe"]));
    envs.forEach((b) => b.classList.toggle("on", l?.env_response === b.dataset.env));
    if (document.activeElement !== comment) comment.value = l?.comment ?? "";
    if (document.activeElement !== reasoning) reasoning.value = l?.reasoning ?? "";
  };

  const playSpan = (id: string, t0: number, t1: number) => {
    player.src = api.audioUrl(id, t0, t1);
    void player.play().catch((e) => fail(`cannot play the audio: ${e}`));
  };
  const editTranscript = (quote: HTMLElement, id: string, t0: number, text: string) => {
    const input = el("input", { class: "transcript-edit", value: text }) as HTMLInputElement;
    quote.replaceChildren(input);
    input.focus();
    input.select();
    input.addEventListener("keydown", (ev) => {
      ev.stopPropagation();
      if (ev.key === "Escape") renderInfo(view!.steps[cur]);
      if (ev.key !== "Enter") return;
      const corrected = input.value.trim();
      void api
        .setTranscript(id, t0, corrected && corrected !== text ? corrected : null, reviewer)
        .then((v) => {
          load(v, cur);
          say("transcript corrected");
        })
        .catch(fail);
    });
  };

  const renderInfo = (s: Step) => {
    const parts: (Node | string)[] = [el("div", { class: "action-line" }, el("b", {}, s.action.kind.replace("_", " ")), ` ${target(s)}`, el("span", { class: "muted" }, ` · ${duration(s.t_start)} · ${((s.t_end - s.t_start) / 1000).toFixed(0)} ms`))];
    if (s.window) parts.push(el("div", { class: "window" }, `in ${s.window.app} — ${s.window.title}`));
    for (const r of s.reasoning) {
      const quote = el("blockquote", { class: `thought ${r.source}` }, r.text, r.author ? el("span", { class: "muted" }, ` — ${r.author}`) : "");
      if (r.source === "spoken" && view) {
        // Spoken reasoning: play what was said, and correct what transcription heard.
        const id = view.recording.id;
        const play = el("button", { class: "play", title: "Play what was said (l)" }, "▶");
        play.addEventListener("click", () => playSpan(id, r.t0, r.t1));
        const fix = el("button", { class: "fix-transcript", title: "Correct the transcript" }, "✎");
        fix.addEventListener("click", () => editTranscript(quote, id, r.t0, r.text));
        quote.prepend(play, fix);
      }
      parts.push(quote);
    }
    for (const m of s.markers) parts.push(el("div", { class: "marker" }, `⚑ ${m.kind}${m.label ? `: ${m.label}` : ""}`));
    if (s.subtask) parts.push(el("div", { class: "muted" }, `sub-task ${s.subtask.index}${s.subtask.label ? `: ${s.subtask.label}` : ""}`));
    info.replaceChildren(...parts);
  };

  const renderList = () => {
    if (!view) return;
    const v = view;
    stepList.replaceChildren(
      ...v.steps.map((s, i) =>
        el(
          "li",
          { "data-step": String(i), class: i === cur ? "current" : "" },
          el("span", { class: "n" }, `${i}`),
          el("span", { class: "kind" }, s.action.kind.replace("_", " ")),
          el("span", { class: "target" }, target(s)),
          el("span", { class: "dur", title: "time until the next step" }, spent(v, i)),
          el("span", { class: "tags" }, ...labelTags(s.label).map((t) => el("span", { class: `tag ${t.split(" ")[0]}` }, t)), s.reasoning.length ? el("span", { class: "tag thought" }, "thought") : ""),
        ),
      ),
    );
    strip.replaceChildren(
      ...v.steps.map((s, i) => {
        const thumb = el("img", { loading: "lazy", "data-step": String(i), alt: `step ${i}`, class: i === cur ? "current" : "" });
        if (s.before) thumb.src = api.frameUrl(v.recording.id, s.before.frame_seq, true);
        return thumb;
      }),
    );
  };

  const renderTrajectory = () => {
    if (!view) return;
    const r = view.review;
    scoreSel.forEach((sel) => (sel.value = String(r?.scores[sel.dataset.score as keyof Scores] ?? "")));
    if (document.activeElement !== trajComment) trajComment.value = r?.comment ?? "";
    verdictNow.textContent = (r?.verdict ?? "unreviewed").replace("_", " ");
    verdictNow.className = `badge verdict ${r?.verdict ?? "unreviewed"}`;
    verdicts.forEach((b) => b.classList.toggle("on", r?.verdict === b.dataset.verdict));
    log.replaceChildren(
      ...[...view.log].reverse().map((e) =>
        el("li", { class: e.undone ? "undone" : "" }, `#${e.seq} ${e.reviewer}: ${e.change === "edit" ? `${e.edit?.op} step at ${((e.edit?.step ?? 0) / 1e6).toFixed(1)} s` : e.change === "label" ? `label on step at ${((e.step ?? 0) / 1e6).toFixed(1)} s` : e.change === "transcript" ? `transcript at ${((e.utterance ?? 0) / 1e6).toFixed(1)} s` : "trajectory review"}${e.undone ? " (undone)" : ""}`),
      ),
    );
    if (view.stale_edits.length) say(`${view.stale_edits.length} edit(s) no longer apply (the recording was re-segmented)`);
  };

  const select = (i: number, after = false) => {
    if (!view || view.steps.length === 0) return;
    navStarted = performance.now();
    cur = Math.max(0, Math.min(view.steps.length - 1, i));
    showAfter = after;
    const s = view.steps[cur];
    stepList.querySelector(".current")?.classList.remove("current");
    const li = stepList.children[cur] as HTMLElement | undefined;
    li?.classList.add("current");
    li?.scrollIntoView({ block: "nearest" });
    strip.querySelector(".current")?.classList.remove("current");
    const th = strip.children[cur] as HTMLElement | undefined;
    th?.classList.add("current");
    th?.scrollIntoView({ block: "nearest", inline: "center" });
    position.textContent = `step ${cur + 1} of ${view.steps.length}`;
    root.dataset.step = String(cur);
    showFrame();
    renderInfo(s);
    renderLabel(s);
    prefetch();
  };

  const load = (v: TrajectoryView, keep = cur) => {
    view = v;
    title.textContent = v.recording.task.instruction || "(no task)";
    meta.textContent = `${v.recording.id} · ${new Date(v.recording.started_at).toLocaleString()} · ${duration(v.recording.duration_us)} · outcome ${v.recording.outcome} · ${v.steps.length} steps · ${v.quality.actions_per_minute?.toFixed(1) ?? "–"} actions/min · reasoning on ${v.quality.reasoning_coverage === null ? "–" : (v.quality.reasoning_coverage * 100).toFixed(0)}% of steps`;
    renderList();
    renderTrajectory();
    select(keep, showAfter);
  };

  // The audit log as the library holds it (entries carry their ids and times), never made up here.
  const refreshLog = (v: TrajectoryView) =>
    api.reviewLog(v.recording.id).then((log) => {
      v.log = log;
      renderTrajectory();
    });

  const saveLabel = (change: (l: StepLabelInput) => StepLabelInput) => {
    if (!view) return;
    const s = view.steps[cur];
    const next = change({ mistake: false, recovery: false, unsafe: false, ...s.label });
    const v = view;
    api
      .setStepLabel(v.recording.id, s.t_start, next, reviewer)
      .then((saved) => {
        s.label = saved ?? undefined;
        renderLabel(s);
        renderList();
        say(saved ? `step ${cur} labelled` : `step ${cur} label cleared`);
        return refreshLog(v);
      })
      .catch(fail);
  };

  const edit = (e: StepEdit) => {
    if (!view) return;
    api.editStep(view.recording.id, e, reviewer).then((v) => {
      load(v, Math.min(cur, v.steps.length - 1));
      say(`${e.op} done; ${v.steps.length} steps`);
    }).catch(fail);
  };

  const saveTrajectory = (verdict?: Verdict) => {
    if (!view) return;
    const scores: NonNullable<TrajectoryReviewInput["scores"]> = {};
    scoreSel.forEach((sel) => {
      if (sel.value) scores[sel.dataset.score as keyof typeof scores] = Number(sel.value);
    });
    const r: TrajectoryReviewInput = { scores, verdict: verdict ?? view.review?.verdict, comment: trajComment.value.trim() || undefined };
    const v = view;
    api.setTrajectoryReview(v.recording.id, r, reviewer).then((saved) => {
      v.review = saved;
      say(saved.verdict ? `trajectory ${saved.verdict.replace("_", " ")}` : "scores saved");
      return refreshLog(v);
    }).catch(fail);
  };

  const stop = () => {
    window.clearTimeout(playTimer);
    playTimer = undefined;
    playBtn.textContent = "▶ Play";
  };
  const playNext = () => {
    if (!view || cur >= view.steps.length - 1) return stop();
    const gap = Math.min(MAX_PLAY_GAP_MS, Math.max(150, (view.steps[cur + 1].t_start - view.steps[cur].t_start) / 1000));
    playTimer = window.setTimeout(() => {
      select(cur + 1);
      playNext();
    }, gap / speed);
  };
  const togglePlay = () => {
    if (playTimer !== undefined) return stop();
    playBtn.textContent = "⏸ Pause";
    playNext();
  };

  // Wiring.
  backBtn.addEventListener("click", back);
  reviewerInput.addEventListener("change", () => (reviewer = reviewerInput.value.trim() || reviewer));
  slider.addEventListener("input", () => select(cur, slider.value === "1"));
  playBtn.addEventListener("click", togglePlay);
  speedSel.addEventListener("change", () => (speed = Number(speedSel.value)));
  stepList.addEventListener("click", (e) => {
    const li = (e.target as HTMLElement).closest("li");
    if (li?.dataset.step) select(Number(li.dataset.step));
  });
  strip.addEventListener("click", (e) => {
    const t = e.target as HTMLElement;
    if (t.dataset.step) select(Number(t.dataset.step));
  });
  corr.forEach((b) => b.addEventListener("click", () => saveLabel((l) => ({ ...l, correctness: l.correctness === b.dataset.correctness ? undefined : (b.dataset.correctness as StepLabel["correctness"]) }))));
  flags.forEach((b) => b.addEventListener("click", () => saveLabel((l) => ({ ...l, [b.dataset.flag as string]: !l[b.dataset.flag as "mistake"] }))));
  envs.forEach((b) => b.addEventListener("click", () => saveLabel((l) => ({ ...l, env_response: l.env_response === b.dataset.env ? undefined : (b.dataset.env as StepLabel["env_response"]) }))));
  comment.addEventListener("change", () => saveLabel((l) => ({ ...l, comment: comment.value.trim() || undefined })));
  reasoning.addEventListener("change", () => saveLabel((l) => ({ ...l, reasoning: reasoning.value.trim() || undefined })));
  delBtn.addEventListener("click", () => view && edit({ op: "delete", step: view.steps[cur].t_start }));
  mergeBtn.addEventListener("click", () => view && edit({ op: "merge", step: view.steps[cur].t_start }));
  splitBtn.addEventListener("click", () => {
    if (!view) return;
    const s = view.steps[cur];
    edit({ op: "split", step: s.t_start, at: Math.round((s.t_start + s.t_end) / 2) });
  });
  // Fix: the form opens with the recorded action; only what the reviewer changed is sent.
  fixBtn.addEventListener("click", () => {
    if (!view) return;
    const a = view.steps[cur].action;
    fixKind.value = a.kind;
    fixX.value = a.x === undefined ? "" : String(a.x);
    fixY.value = a.y === undefined ? "" : String(a.y);
    fixText.value = a.text ?? "";
    fixKeys.value = (a.keys ?? []).join(",");
    fixForm.hidden = !fixForm.hidden;
    if (!fixForm.hidden) fixKind.focus();
  });
  fixForm.addEventListener("submit", (ev) => {
    ev.preventDefault();
    if (!view) return;
    const a = view.steps[cur].action;
    const fix: Extract<StepEdit, { op: "fix_action" }>["fix"] = {};
    if (fixKind.value !== a.kind) fix.kind = fixKind.value as ActionKind;
    if (fixX.value !== "" && Number(fixX.value) !== a.x) fix.x = Number(fixX.value);
    if (fixY.value !== "" && Number(fixY.value) !== a.y) fix.y = Number(fixY.value);
    if (fixText.value !== (a.text ?? "") && fixText.value !== "") fix.text = fixText.value;
    const keys = fixKeys.value.split(",").map((k) => k.trim()).filter(Boolean);
    if (keys.join(",") !== (a.keys ?? []).join(",") && keys.length) fix.keys = keys;
    if (Object.keys(fix).length === 0) return fail("nothing changed");
    fixForm.hidden = true;
    edit({ op: "fix_action", step: a.t_start, fix });
  });
  undoBtn.addEventListener("click", () => {
    if (!view) return;
    api.undoReview(view.recording.id).then((v) => {
      load(v, Math.min(cur, v.steps.length - 1));
      say("undone");
    }).catch(fail);
  });
  scoreSel.forEach((sel) => sel.addEventListener("change", () => saveTrajectory()));
  trajComment.addEventListener("change", () => saveTrajectory());
  verdicts.forEach((b) => b.addEventListener("click", () => saveTrajectory(b.dataset.verdict as Verdict)));

  const keys = (e: KeyboardEvent) => {
    const typing = e.target instanceof HTMLInputElement || e.target instanceof HTMLTextAreaElement || e.target instanceof HTMLSelectElement;
    if (typing) {
      if (e.key === "Escape") (e.target as HTMLElement).blur();
      return;
    }
    const k = e.key;
    const act: Record<string, () => void> = {
      j: () => select(cur + 1),
      ArrowDown: () => select(cur + 1),
      ArrowRight: () => select(cur + 1),
      k: () => select(cur - 1),
      ArrowUp: () => select(cur - 1),
      ArrowLeft: () => select(cur - 1),
      Home: () => select(0),
      End: () => select(Number.MAX_SAFE_INTEGER),
      " ": () => select(cur, !showAfter),
      p: togglePlay,
      "]": () => (speedSel.value = String((speed = SPEEDS[Math.min(SPEEDS.length - 1, SPEEDS.indexOf(speed) + 1)]))),
      "[": () => (speedSel.value = String((speed = SPEEDS[Math.max(0, SPEEDS.indexOf(speed) - 1)]))),
      c: () => comment.focus(),
      r: () => reasoning.focus(),
      l: () => (info.querySelector("button.play") as HTMLButtonElement | null)?.click(),
      x: () => delBtn.click(),
      m: () => mergeBtn.click(),
      s: () => splitBtn.click(),
      u: () => undoBtn.click(),
      f: () => fixBtn.click(),
      a: () => saveTrajectory("approved"),
      0: () => saveLabel(() => ({ mistake: false, recovery: false, unsafe: false })),
      Escape: back,
    };
    const n = Number(k);
    if (k >= "1" && k <= "3") corr[n - 1].click();
    else if (k >= "4" && k <= "6") flags[n - 4].click();
    else if (k >= "7" && k <= "9") envs[n - 7].click();
    else if (k === "z" && e.ctrlKey) undoBtn.click();
    else if (act[k] && !e.ctrlKey && !e.altKey) act[k]();
    else return;
    e.preventDefault();
  };
  document.addEventListener("keydown", keys);

  void api.defaultReviewer().then((r) => {
    reviewer = r;
    reviewerInput.value = r;
  });
  api.openTrajectory(id).then((v) => load(v, 0)).catch(fail);

  return () => {
    stop();
    document.removeEventListener("keydown", keys);
    window.removeEventListener("resize", fitOverlay);
  };
}
