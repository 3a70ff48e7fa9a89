// What the current step says besides its frames: the action, the window it was aimed at, the
// reasoning (spoken reasoning with a button to hear it and one to correct its transcript),
// markers and the sub-task.
import type { Step } from "../api";
import { duration, el } from "../format";
import { keyOf } from "./keymap";
import { target } from "./step-list";

export interface StepInfoHandlers {
  /** Plays [t0, t1) of the recording's audio. */
  play(t0: number, t1: number): void;
  /** The reviewer's transcript for the utterance at t0 (null: restore the model's). */
  correct(t0: number, text: string | null): void;
}

export interface StepInfo {
  el: HTMLElement;
  render(s: Step): void;
  /** Plays the step's first spoken reasoning, if it has one. */
  listen(): void;
}

export function stepInfo(h: StepInfoHandlers): StepInfo {
  const info = el("div", { class: "step-info" });
  let shown: Step | undefined;

  const editTranscript = (quote: HTMLElement, t0: number, text: string) => {
    const input = el("input", { class: "transcript-edit", value: text });
    quote.replaceChildren(input);
    input.focus();
    input.select();
    input.addEventListener("keydown", (ev) => {
      ev.stopPropagation();
      if (ev.key === "Escape" && shown) render(shown);
      if (ev.key !== "Enter") return;
      const corrected = input.value.trim();
      h.correct(t0, corrected && corrected !== text ? corrected : null);
    });
  };

  const render = (s: Step) => {
    shown = s;
    const parts: (Node | string)[] = [el("div", { class: "action-line" }, el("b", {}, s.action.kind.replace("_", " ")), ` ${target(s.action)}`, el("span", { class: "muted" }, ` · ${duration(s.t_start)} · ${((s.t_end - s.t_start) / 1000).toFixed(0)} ms`))];
    if (s.window) parts.push(el("div", { class: "window" }, `in ${s.window.app} — ${s.window.title}`));
    if (s.action.origin !== "device") parts.push(el("div", { class: `origin ${s.action.origin}` }, s.action.origin === "unknown" ? "input origin unknown" : `input ${s.action.origin === "mixed" ? "partly injected" : "injected"} by software, not made on a device`));
    for (const r of s.reasoning) {
      const quote = el("blockquote", { class: `thought ${r.source}` }, r.text, r.author ? el("span", { class: "muted" }, ` — ${r.author}`) : "");
      if (r.source === "spoken") {
        const play = el("button", { class: "play", title: `Play what was said (${keyOf("listen")})` }, "▶");
        play.addEventListener("click", () => h.play(r.t0, r.t1));
        const fix = el("button", { class: "fix-transcript", title: "Correct the transcript" }, "✎");
        fix.addEventListener("click", () => editTranscript(quote, r.t0, r.text));
        quote.prepend(play, fix);
      }
      parts.push(quote);
    }
    for (const m of s.markers) parts.push(el("div", { class: "marker" }, `⚑ ${m.kind}${m.label ? `: ${m.label}` : ""}`));
    if (s.subtask) parts.push(el("div", { class: "muted" }, `sub-task ${s.subtask.index}${s.subtask.label ? `: ${s.subtask.label}` : ""}`));
    info.replaceChildren(...parts);
  };

  return {
    el: info,
    render,
    listen() {
      const spoken = shown?.reasoning.find((r) => r.source === "spoken");
      if (spoken) h.play(spoken.t0, spoken.t1);
    },
  };
}
