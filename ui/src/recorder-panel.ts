// The recorder panel: the task, start / pause / resume / stop, elapsed time, live health, a note
// box and markers, also from anywhere with global hotkeys (Ctrl+Alt+R start/stop, P pause,
// N note, M mistake, V recovery, S/E sub-task start/end, K push-to-talk held). After stop, however
// it was stopped (button, hotkey, `apprentice stop`), the panel asks the outcome. Think aloud records the microphone (continuously, or while push-to-talk is
// held) with a level meter; after stop the audio is transcribed on this machine, with progress
// shown here. The panel's own window is excluded from capture by the backend, so working here is
// never part of the demonstration. On a station that joined a hub, the expert picks one of
// their assigned tasks (its instruction and id fill the task), and a line says how the uploads
// of finished recordings stand (they are sent in the background).
import type { Api, HubTask, MarkerKind, RecorderStatus } from "./api";
import { bytes, duration, el, messageLine } from "./format";
import { mountOutcomePrompt, type OutcomePrompt } from "./outcome-prompt";
import { mountPreflightList } from "./preflight-list";

export function mountRecorderPanel(root: HTMLElement, api: Api, onChange: () => void, review: (id: string, step: number) => void): OutcomePrompt {
  const taskInput = el("textarea", { id: "task", rows: "3", placeholder: "What task are you about to perform?" });
  const taskId = el("input", { id: "task-id", placeholder: "Task id (optional)" });
  const exclusions = el("input", { id: "exclusions", placeholder: "Exclude: class:KeePassXC, title:*Bitwarden*" });
  const startBtn = el("button", { id: "start", type: "submit", class: "primary" }, "Start recording");
  const audioBox = el("input", { id: "audio", type: "checkbox", checked: "" });
  const pttBox = el("input", { id: "push-to-talk", type: "checkbox" });
  const audioOpts = el(
    "div",
    { class: "row audio-options" },
    el("label", {}, audioBox, " Think aloud (microphone)"),
    el("label", { title: "Keep audio only while Ctrl+Alt+K is held" }, pttBox, " push-to-talk"),
  );
  const preflight = mountPreflightList(api);
  const hubTask = el("select", { id: "hub-task", hidden: "" });
  const setup = el("form", { id: "setup" }, el("label", { for: "task" }, "Task"), hubTask, taskInput, taskId, exclusions, audioOpts, preflight.element, startBtn);

  const state = el("span", { id: "state", class: "badge" }, "idle");
  const elapsed = el("span", { id: "elapsed", class: "elapsed" }, "00:00");
  const task = el("p", { id: "current-task", class: "task" });
  const pauseBtn = el("button", { id: "pause" }, "Pause");
  const stopBtn = el("button", { id: "stop", class: "danger" }, "Stop");
  const health = el("dl", { id: "health", class: "health" });
  const meterFill = el("span", { class: "fill" });
  const meter = el("div", { id: "level", class: "level", title: "microphone level" }, meterFill);
  const audioNote = el("p", { id: "audio-note", class: "hint" });
  const noteInput = el("input", { id: "note", placeholder: "Why are you doing this? (Enter to add)" });
  const noteForm = el("form", { id: "note-form" }, noteInput);
  const markers = el(
    "div",
    { class: "markers" },
    ...(["mistake", "recovery", "subtask-start", "subtask-end"] as MarkerKind[]).map((k) => {
      const b = el("button", { "data-marker": k }, k.replace("-", " "));
      b.addEventListener("click", () => void api.addMarker(k).then(() => flash(`marked ${k}`)).catch(showError));
      return b;
    }),
  );
  const hint = el("p", { class: "hint" }, "Anywhere: Ctrl+Alt+R stop · P pause · N note · M mistake · V recovery · S/E sub-task · hold K to talk");
  const live = el("section", { id: "live", hidden: "" }, el("header", {}, state, elapsed), task, el("div", { class: "row" }, pauseBtn, stopBtn), meter, audioNote, health, noteForm, markers, hint);
  const message = el("p", { id: "message", class: "message" });
  const uploads = el("p", { id: "uploads", class: "hint", hidden: "" });
  root.append(setup, live, message, uploads);
  const outcome = mountOutcomePrompt(
    root,
    api,
    (id, o) => {
      flash(`Outcome of ${id.slice(0, 8)}: ${o}`);
      onChange();
    },
    review,
  );

  let timer: number | undefined;
  let talking = false;
  let pushToTalk = false;
  const { say: flash, fail: showError } = messageLine(message);

  // The state in the window's title ("Apprentice — recording"), set when it changes; "ready" once
  // the task box has focus, so it also says the panel can be typed into.
  let shownTitle = "";
  const showTitle = (s: RecorderStatus | null) => {
    const lost = s?.health.audio === "lost" ? ", microphone lost" : s?.health.audio === "no_microphone" ? ", no microphone" : "";
    const title = `Apprentice — ${s ? `${s.state}${lost}` : "ready"}`;
    if (title !== shownTitle) {
      shownTitle = title;
      void api.setWindowTitle(title).catch(showError);
    }
  };
  const render = (s: RecorderStatus | null) => {
    if (s || shownTitle) showTitle(s);
    setup.hidden = s !== null;
    live.hidden = s === null;
    if (!s) return;
    state.textContent = s.state;
    state.className = `badge ${s.state}`;
    elapsed.textContent = duration(s.elapsed_us);
    task.textContent = s.task;
    pauseBtn.textContent = s.state === "paused" ? "Resume" : "Pause";
    const h = s.health;
    const rows: [string, string][] = [
      ["frames", `${h.frames_stored} stored / ${h.frames_captured} taken`],
      ["dropped", `${h.frames_dropped} frames, ${h.input_dropped} input`],
      ["last frame", h.last_frame_age_ms === null ? "—" : `${h.last_frame_age_ms} ms ago`],
      ["input", `${h.input_events} events (${h.input_excluded} excluded${h.input_injected ? `, ${h.input_injected} injected` : ""})`],
      ["on disk", bytes(h.media_bytes)],
    ];
    if (h.audio !== "off") rows.push(["audio", `${duration(h.audio_us)} (${bytes(h.audio_bytes)})`]);
    meter.hidden = h.audio !== "live";
    // -60 dBFS … 0 dBFS across the bar.
    const level = h.audio_level_db ?? -100;
    meterFill.style.width = `${Math.max(0, Math.min(100, ((level + 60) / 60) * 100)).toFixed(0)}%`;
    meter.classList.toggle("talking", talking);
    audioNote.textContent = h.audio === "live" ? (pushToTalk ? (talking ? "talking — audio kept" : "hold Ctrl+Alt+K to talk") : "microphone on") : h.audio_message ?? "";
    audioNote.className = h.audio === "no_microphone" || h.audio === "lost" ? "hint error" : "hint";
    health.replaceChildren(...rows.flatMap(([k, v]) => [el("dt", {}, k), el("dd", {}, v)]));
  };

  const poll = async () => {
    try {
      render(await api.recorderStatus());
    } catch (e) {
      showError(e);
    }
  };
  const startPolling = () => {
    window.clearInterval(timer);
    timer = window.setInterval(() => void poll(), 500);
  };

  setup.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const text = taskInput.value.trim();
    if (!text) return showError("Describe the task first.");
    const rules = exclusions.value.split(",").map((r) => r.trim()).filter(Boolean);
    pushToTalk = audioBox.checked && pttBox.checked;
    api
      .startRecording({ task: text, task_id: taskId.value.trim() || null, exclusions: rules, audio: audioBox.checked, push_to_talk: pushToTalk })
      .then((s) => {
        flash(`Recording ${s.id}`);
        render(s);
        startPolling();
        noteInput.focus();
        onChange();
      })
      .catch(showError);
  });
  // Enter starts; Shift+Enter adds a line to the task.
  taskInput.addEventListener("keydown", (ev) => {
    if (ev.key === "Enter" && !ev.shiftKey) {
      ev.preventDefault();
      setup.requestSubmit();
    }
  });
  pauseBtn.addEventListener("click", () => {
    const paused = state.textContent === "paused";
    void (paused ? api.resumeRecording() : api.pauseRecording()).then(poll).catch(showError);
  });
  // Assigned tasks (a hub's): choosing one fills the task and its id.
  let assigned: HubTask[] = [];
  const loadTasks = async () => {
    try {
      assigned = await api.hubTasks();
    } catch (e) {
      showError(e);
      return;
    }
    hubTask.hidden = assigned.length === 0;
    hubTask.replaceChildren(
      el("option", { value: "" }, `Assigned tasks (${assigned.length})…`),
      ...assigned.map((t, i) => el("option", { value: String(i) }, `${t.campaign} · ${t.id} — ${t.instruction}`)),
    );
  };
  hubTask.addEventListener("change", () => {
    const t = assigned[Number(hubTask.value)];
    if (!hubTask.value || !t) return;
    taskInput.value = t.instruction;
    taskId.value = t.id;
    taskInput.focus();
  });
  const showUploads = async () => {
    try {
      const s = await api.syncStatus();
      uploads.hidden = !s.hub;
      uploads.className = s.last_error && s.queued + s.refused > 0 ? "hint error" : "hint";
      uploads.textContent = s.hub
        ? `Uploads to ${s.hub}: ${s.queued} waiting · ${s.sent} sent${s.refused ? ` · ${s.refused} refused` : ""}${s.last_error && s.queued + s.refused > 0 ? ` — ${s.last_error}` : ""}`
        : "";
    } catch (e) {
      showError(e);
    }
  };
  window.setInterval(() => void showUploads(), 5000);

  const stopped = (id: string) => {
    window.clearInterval(timer);
    render(null);
    void preflight.refresh();
    void showUploads();
    flash(`Saved recording ${id}`);
    outcome.ask(id, task.textContent ?? "");
    onChange();
  };
  stopBtn.addEventListener("click", () => {
    void api.stopRecording().then(stopped).catch(showError);
  });
  noteForm.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const text = noteInput.value.trim();
    if (!text) return;
    void api.addNote(text).then(() => {
      noteInput.value = "";
      flash("note added");
    }).catch(showError);
  });
  // Global hotkeys: Ctrl+Alt+R starts (with the task typed here) or stops (then the outcome is
  // asked here); Ctrl+Alt+N opens the note box. Pause and markers were done by the backend.
  // The panel comes to the front only once the right box has focus, so what the expert types
  // from the first key lands there.
  void api.onHotkey((key) => {
    if (key === "r") {
      if (live.hidden) {
        if (taskInput.value.trim()) setup.requestSubmit();
        else taskInput.focus();
      } else stopBtn.click();
      void api.bringToFront().catch(showError);
    } else if (key === "n" && !live.hidden) {
      noteInput.focus();
      void api.bringToFront().catch(showError);
    } else {
      const names: Record<string, string> = { p: "paused / resumed", m: "marked mistake", v: "marked recovery", s: "marked subtask start", e: "marked subtask end" };
      flash(names[key] ?? key);
      void poll();
    }
  });
  void api.onTalking((held) => {
    talking = held;
    void poll();
  });
  // Transcription runs after stop on a worker; its progress shows here.
  const transcription = el("p", { id: "transcription", class: "hint" });
  root.append(transcription);
  void api.onTranscription((t) => {
    transcription.className = t.state === "failed" ? "hint error" : "hint";
    transcription.textContent =
      t.state === "running"
        ? `Transcribing ${t.id.slice(0, 8)}… ${duration(t.done_us)} / ${duration(t.total_us)} of speech`
        : t.state === "done"
          ? `Transcribed ${t.id.slice(0, 8)}: ${t.utterances} utterances${t.error ? ` (${t.error})` : ""}`
          : `Not transcribed: ${t.error}`;
    if (t.state !== "running") onChange();
  });
  void api.onRecordingStopped(stopped);

  void preflight.refresh();
  void loadTasks();
  void showUploads();
  void poll().then(() => {
    if (!live.hidden) startPolling();
    taskInput.focus();
    if (live.hidden) showTitle(null);
  });
  return outcome;
}
