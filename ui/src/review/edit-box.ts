// Edits to the steps themselves — delete, merge with the next, split in the middle, fix what the
// action was — with undo, and the audit log as the library holds it. It builds the edit; the
// view sends it.
import type { ActionFix, ActionKind, AuditEntry, Step, StepEdit } from "../api";
import { el } from "../format";
import { keyOf } from "./keymap";

const ACTION_KINDS: ActionKind[] = ["click", "double_click", "triple_click", "right_click", "middle_click", "drag", "scroll", "type", "key", "hotkey", "move"];

export interface EditBox {
  el: HTMLElement;
  /** Opens (or closes) the fix form with the step's recorded action. */
  toggleFix(s: Step): void;
  renderLog(log: AuditEntry[]): void;
}

export interface EditHandlers {
  current(): Step | undefined;
  edit(e: StepEdit): void;
  undo(): void;
  fail(message: string): void;
}

function describe(e: AuditEntry): string {
  const at = (us: number) => `${(us / 1e6).toFixed(1)} s`;
  switch (e.change) {
    case "edit":
      return `${e.edit.op} step at ${at(e.edit.step)}`;
    case "label":
      return `label on step at ${at(e.step)}`;
    case "transcript":
      return `transcript at ${at(e.utterance)}`;
    default:
      return "trajectory review";
  }
}

export function editBox(h: EditHandlers): EditBox {
  const button = (cls: string, title: string, text: string) => el("button", { class: cls, title }, text);
  const delBtn = button("edit-delete", `Delete the step (${keyOf("delete")})`, "Delete step");
  const mergeBtn = button("edit-merge", `Merge with the next step (${keyOf("merge")})`, "Merge with next");
  const splitBtn = button("edit-split", `Split the step in the middle (${keyOf("split")})`, "Split");
  const fixBtn = button("edit-fix", `Correct what the action was (${keyOf("fix")})`, "Fix action…");
  const undoBtn = button("undo", `Undo the last change (${keyOf("undo")})`, "Undo");
  const fixKind = el("select", { class: "fix-kind" }, ...ACTION_KINDS.map((k) => el("option", { value: k }, k.replace("_", " "))));
  const fixX = el("input", { class: "fix-x", type: "number", placeholder: "x" });
  const fixY = el("input", { class: "fix-y", type: "number", placeholder: "y" });
  const fixText = el("input", { class: "fix-text", placeholder: "text (type)" });
  const fixKeys = el("input", { class: "fix-keys", placeholder: "keys: ctrl,s" });
  const fixForm = el("form", { class: "fix-form", hidden: "" }, fixKind, el("div", { class: "row" }, fixX, fixY), fixText, fixKeys, el("button", { class: "fix-save", type: "submit" }, "Save fix"));
  const log = el("ol", { class: "audit-log audit" });

  const onStep = (f: (s: Step) => void) => () => {
    const s = h.current();
    if (s) f(s);
  };
  delBtn.addEventListener("click", onStep((s) => h.edit({ op: "delete", step: s.t_start })));
  mergeBtn.addEventListener("click", onStep((s) => h.edit({ op: "merge", step: s.t_start })));
  splitBtn.addEventListener("click", onStep((s) => h.edit({ op: "split", step: s.t_start, at: Math.round((s.t_start + s.t_end) / 2) })));
  undoBtn.addEventListener("click", () => h.undo());
  const toggleFix = (s: Step) => {
    const a = s.action;
    fixKind.value = a.kind;
    fixX.value = a.x === undefined ? "" : String(a.x);
    fixY.value = a.y === undefined ? "" : String(a.y);
    fixText.value = a.text ?? "";
    fixKeys.value = (a.keys ?? []).join(",");
    fixForm.hidden = !fixForm.hidden;
    if (!fixForm.hidden) fixKind.focus();
  };
  fixBtn.addEventListener("click", onStep(toggleFix));
  // Only what the reviewer changed is sent.
  fixForm.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const s = h.current();
    if (!s) return;
    const a = s.action;
    const fix: ActionFix = {};
    if (fixKind.value !== a.kind) fix.kind = fixKind.value as ActionKind;
    if (fixX.value !== "" && Number(fixX.value) !== a.x) fix.x = Number(fixX.value);
    if (fixY.value !== "" && Number(fixY.value) !== a.y) fix.y = Number(fixY.value);
    if (fixText.value !== (a.text ?? "") && fixText.value !== "") fix.text = fixText.value;
    const keys = fixKeys.value.split(",").map((k) => k.trim()).filter(Boolean);
    if (keys.join(",") !== (a.keys ?? []).join(",") && keys.length) fix.keys = keys;
    if (Object.keys(fix).length === 0) return h.fail("nothing changed");
    fixForm.hidden = true;
    h.edit({ op: "fix_action", step: a.t_start, fix });
  });

  return {
    el: el("section", { class: "edit-box" }, el("h2", {}, "Edit"), el("div", { class: "chips" }, delBtn, mergeBtn, splitBtn, fixBtn, undoBtn), fixForm, el("details", {}, el("summary", {}, "Audit log"), log)),
    toggleFix,
    renderLog(entries) {
      log.replaceChildren(...[...entries].reverse().map((e) => el("li", { class: e.undone ? "undone" : "" }, `#${e.seq} ${e.reviewer}: ${describe(e)}${e.undone ? " (undone)" : ""}`)));
    },
  };
}
