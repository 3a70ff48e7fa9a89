// The review view's keyboard, as data: which key runs which command, and the help line each
// shows. The view listens on its own root (never the document), so two views side by side each
// keep their keys; keys typed into a text box are that box's.

export type ReviewCommand =
  | "next"
  | "previous"
  | "first"
  | "last"
  | "flip"
  | "play"
  | "faster"
  | "slower"
  | "comment"
  | "reasoning"
  | "listen"
  | "delete"
  | "merge"
  | "split"
  | "fix"
  | "undo"
  | "approve"
  | "clear-label"
  | "back"
  | "correct"
  | "incorrect"
  | "redundant"
  | "mistake"
  | "recovery"
  | "unsafe"
  | "env-success"
  | "env-partial"
  | "env-failure";

export interface KeyBinding {
  keys: string[];
  command: ReviewCommand;
  /** Needs Ctrl held (every other binding needs it not held). */
  ctrl?: boolean;
  help: string;
}

export const REVIEW_KEYS: KeyBinding[] = [
  { keys: ["j", "ArrowDown", "ArrowRight"], command: "next", help: "next step" },
  { keys: ["k", "ArrowUp", "ArrowLeft"], command: "previous", help: "previous step" },
  { keys: ["Home"], command: "first", help: "first step" },
  { keys: ["End"], command: "last", help: "last step" },
  { keys: [" "], command: "flip", help: "before / after" },
  { keys: ["p"], command: "play", help: "play / pause" },
  { keys: ["]"], command: "faster", help: "faster" },
  { keys: ["["], command: "slower", help: "slower" },
  { keys: ["1"], command: "correct", help: "correct" },
  { keys: ["2"], command: "incorrect", help: "incorrect" },
  { keys: ["3"], command: "redundant", help: "redundant" },
  { keys: ["4"], command: "mistake", help: "mistake" },
  { keys: ["5"], command: "recovery", help: "recovery" },
  { keys: ["6"], command: "unsafe", help: "unsafe" },
  { keys: ["7"], command: "env-success", help: "environment: success" },
  { keys: ["8"], command: "env-partial", help: "environment: partial" },
  { keys: ["9"], command: "env-failure", help: "environment: failure" },
  { keys: ["0"], command: "clear-label", help: "clear the step's label" },
  { keys: ["c"], command: "comment", help: "comment on the step" },
  { keys: ["r"], command: "reasoning", help: "correct the reasoning" },
  { keys: ["l"], command: "listen", help: "play what was said" },
  { keys: ["x"], command: "delete", help: "delete the step" },
  { keys: ["m"], command: "merge", help: "merge with the next step" },
  { keys: ["s"], command: "split", help: "split the step" },
  { keys: ["f"], command: "fix", help: "fix the action" },
  { keys: ["u"], command: "undo", help: "undo" },
  { keys: ["z"], command: "undo", ctrl: true, help: "undo" },
  { keys: ["a"], command: "approve", help: "approve the trajectory" },
  { keys: ["Escape"], command: "back", help: "back to the library" },
];

/** The command a key press runs, if any (never while typing in a text box or Alt is held). */
export function commandFor(e: KeyboardEvent, bindings: KeyBinding[] = REVIEW_KEYS): ReviewCommand | null {
  if (e.altKey) return null;
  const found = bindings.find((b) => b.keys.includes(e.key) && !!b.ctrl === e.ctrlKey);
  return found?.command ?? null;
}

/** The key to show beside a command in a tooltip (its first binding). */
export function keyOf(command: ReviewCommand, bindings: KeyBinding[] = REVIEW_KEYS): string {
  const b = bindings.find((k) => k.command === command);
  return b ? (b.ctrl ? `Ctrl+${b.keys[0]}` : b.keys[0] === " " ? "space" : b.keys[0]) : "";
}
