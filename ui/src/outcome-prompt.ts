// Asks the expert how a stopped recording ended: success, failure or infeasible, with a comment.
// The answer is the expert's, never a default: until it is given the recording's outcome stays
// `unknown` (the library shows "outcome needed", and every export says unknown). It can be
// answered at once after stop, or later from the library. Not its job: stopping the recording.
import { errorMessage, type Api, type Outcome } from "./api";
import { el } from "./format";

export interface OutcomePrompt {
  /** Shows the question for recording `id` (its task shown as a reminder). */
  ask: (id: string, task: string) => void;
}

export function mountOutcomePrompt(root: HTMLElement, api: Api, onAnswered: (id: string, outcome: Outcome) => void): OutcomePrompt {
  const taskLine = el("p", { class: "task" });
  const comment = el("input", { class: "outcome-comment", placeholder: "Comment on the outcome (optional)" });
  const choices = (["success", "failure", "infeasible"] as Outcome[]).map((o) => el("button", { "data-outcome": o, class: `outcome-choice ${o}` }, o));
  const later = el("button", { class: "outcome-later", title: "The library keeps asking until you answer" }, "Answer later");
  const message = el("p", { class: "message" });
  const box = el(
    "section",
    { class: "outcome-prompt", hidden: "", role: "dialog", "aria-label": "How did it end?" },
    el("h2", {}, "How did it end?"),
    taskLine,
    el("div", { class: "row outcome-choices" }, ...choices),
    comment,
    el("div", { class: "row" }, later),
    message,
  );
  root.append(box);
  let current: string | null = null;

  for (const b of choices) {
    b.addEventListener("click", () => {
      const id = current;
      if (!id) return;
      const outcome = b.dataset.outcome as Outcome;
      api
        .setOutcome(id, outcome, comment.value.trim() || null)
        .then(() => {
          box.hidden = true;
          current = null;
          onAnswered(id, outcome);
        })
        .catch((e) => {
          message.textContent = errorMessage(e);
          message.className = "message error";
        });
    });
  }
  later.addEventListener("click", () => {
    box.hidden = true;
    current = null;
  });

  return {
    ask: (id, task) => {
      current = id;
      box.dataset.id = id;
      taskLine.textContent = task;
      comment.value = "";
      message.textContent = "";
      box.hidden = false;
      choices[0].focus();
    },
  };
}
