// A campaign's own questions (its rubric) of one scope — a step's or the trajectory's — each
// with the control its kind wants: yes / no, one of its options, 1–5, or text. It shows the
// answers given and reports the answers wanted; saving them is the label's or the review's job.
import type { Answer, RubricQuestion } from "../api";
import { el } from "../format";

export type Answers = Record<string, Answer>;

export interface RubricBox {
  el: HTMLElement;
  /** Shows `questions` (none hides the box) with the answers given. */
  render(questions: RubricQuestion[], answers: Partial<Answers> | undefined): void;
  /** The answers as the controls now stand. */
  answers(): Answers;
}

/** `changed` runs when the reviewer changes an answer. */
export function rubricBox(changed: () => void): RubricBox {
  const root = el("div", { class: "rubric", hidden: "" });
  let shown: RubricQuestion[] = [];
  let current: Answers = {};
  const set = (id: string, a: Answer | undefined) => {
    if (a === undefined || current[id] === a) delete current[id];
    else current[id] = a;
    changed();
  };

  const control = (q: RubricQuestion): HTMLElement => {
    const value = current[q.id];
    const chips = (choices: [string, Answer][]) =>
      el(
        "div",
        { class: "chips" },
        ...choices.map(([text, a]) => {
          const b = el("button", { "data-answer": String(a), class: value === a ? "on" : "" }, text);
          b.addEventListener("click", () => set(q.id, a));
          return b;
        }),
      );
    switch (q.kind) {
      case "yes_no":
        return chips([
          ["yes", true],
          ["no", false],
        ]);
      case "choice":
        return chips((q.options ?? []).map((o) => [o, o]));
      case "scale": {
        const sel = el("select", {}, el("option", { value: "" }, "—"), ...[1, 2, 3, 4, 5].map((v) => el("option", { value: String(v) }, String(v))));
        sel.value = typeof value === "number" ? String(value) : "";
        sel.addEventListener("change", () => set(q.id, sel.value ? Number(sel.value) : undefined));
        return sel;
      }
      case "text": {
        const input = el("input", { placeholder: "Answer" });
        input.value = typeof value === "string" ? value : "";
        input.addEventListener("change", () => set(q.id, input.value.trim() || undefined));
        return input;
      }
    }
  };

  return {
    el: root,
    render(questions, answers) {
      // A text answer being typed survives a re-render caused by another change.
      if (root.contains(document.activeElement) && document.activeElement instanceof HTMLInputElement) return;
      shown = questions;
      current = Object.fromEntries(Object.entries(answers ?? {}).filter((e): e is [string, Answer] => e[1] !== undefined));
      root.hidden = questions.length === 0;
      root.replaceChildren(...questions.map((q) => el("div", { class: "question", "data-question": q.id }, el("span", { class: "question-text" }, q.text), control(q))));
    },
    answers() {
      return Object.fromEntries(Object.entries(current).filter(([id]) => shown.some((q) => q.id === id)));
    },
  };
}
