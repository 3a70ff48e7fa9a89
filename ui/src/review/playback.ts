// Playing a trajectory: steps advance on their own at 1–8× the recorded pace, with idle time
// between steps cut to a second. It only decides when to move; the view moves.
import { el } from "../format";
import { keyOf } from "./keymap";

const SPEEDS = [1, 2, 4, 8];
/** Idle time between steps is cut to this when playing. */
const MAX_PLAY_GAP_MS = 1000;

export interface Playback {
  button: HTMLButtonElement;
  speed: HTMLSelectElement;
  toggle(): void;
  stop(): void;
  /** One speed up (+1) or down (-1). */
  faster(by: 1 | -1): void;
}

/** `gapToNext` is the recorded time (µs) from the current step to the next, null at the end. */
export function playback(gapToNext: () => number | null, advance: () => void): Playback {
  const button = el("button", { class: "play-steps", title: `Play (${keyOf("play")})` }, "▶ Play");
  const speed = el("select", { class: "speed", title: `Speed (${keyOf("slower")} and ${keyOf("faster")})` }, ...SPEEDS.map((s) => el("option", { value: String(s) }, `${s}×`)));
  let timer: number | undefined;
  let rate = 1;

  const stop = () => {
    window.clearTimeout(timer);
    timer = undefined;
    button.textContent = "▶ Play";
  };
  const next = () => {
    const gap = gapToNext();
    if (gap === null) return stop();
    timer = window.setTimeout(() => {
      advance();
      next();
    }, Math.min(MAX_PLAY_GAP_MS, Math.max(150, gap / 1000)) / rate);
  };
  const toggle = () => {
    if (timer !== undefined) return stop();
    button.textContent = "⏸ Pause";
    next();
  };
  button.addEventListener("click", toggle);
  speed.addEventListener("change", () => (rate = Number(speed.value)));
  return {
    button,
    speed,
    toggle,
    stop,
    faster(by) {
      rate = SPEEDS[Math.max(0, Math.min(SPEEDS.length - 1, SPEEDS.indexOf(rate) + by))];
      speed.value = String(rate);
    },
  };
}
