// Asks the expert how a stopped recording ended: success, failure or infeasible, with a comment.
// The answer is the expert's, never a default: until it is given the recording's outcome stays
// `unknown` (the library shows "outcome needed", and every export says unknown). It can be
// answered at once after stop, or later from the library. Beside the question, the privacy
// check's findings (what the recorder said at stop), each a button to that step in the review
// view. Not its job: stopping the recording.
import { errorMessage, type Api, type Outcome } from "./api";
import { el } from "./format";

export interface OutcomePrompt {
  /** Shows the question for recording `id` (its task shown as a reminder). */
  ask: (id: string, task: string) => void;
}

export function mountOutcomePrompt(root: HTMLElement, api: Api, onAnswered: (id: string, outcome: Outcome) => void, review: (id: string, step: number) => void): OutcomePrompt {
  const taskLine = el("p", { class: "task" });
  const comment = el("input", { class: "outcome-comment", placeholder: "Comment on the outcome (optional)" });
  const choices = (["success", "failure", "infeasible"] as Outcome[]).map((o) => el("button", { "data-outcome": o, class: `outcome-choice ${o}` }, o));
  const later = el("button", { class: "outcome-later", title: "The library keeps asking until you answer" }, "Answer later");
  const message = el("p", { class: "message" });
  const privacy = el("div", { class: "privacy-check", hidden: "" });
  const box = el(
    "section",
    { class: "outcome-prompt", hidden: "", role: "dialog", "aria-label": "How did it end?" },
    el("h2", {}, "How did it end?"),
    taskLine,
    el("div", { class: "row outcome-choices" }, ...choices),
    comment,
    el("div", { class: "row" }, later),
    privacy,
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
      privacy.hidden = true;
      privacy.replaceChildren();
      api
        .privacyCheck(id)
        .then((flags) => {
          if (current !== id || !flags.length) return;
          const kinds = new Map<string, number>();
          for (const f of flags) kinds.set(f.kind, (kinds.get(f.kind) ?? 0) + 1);
          const said = [...kinds].map(([k, n]) => `${n} ${k.replace(/_/g, " ")}`).join(", ");
          const items = flags.map((f) =>
            el("li", {}, el("button", { class: "privacy-step", "data-step": String(f.step), title: "Open this step in the review view" }, `step ${f.step}`), ` ${f.field.replace(/_/g, " ")}: ${f.masked}`),
          );
          for (const b of items.map((li) => li.querySelector("button"))) {
            b?.addEventListener("click", () => {
              box.hidden = true;
              review(id, Number(b.dataset.step) - 1);
            });
          }
          privacy.replaceChildren(el("p", { class: "warning" }, `Privacy check: ${flags.length} possible secret${flags.length === 1 ? "" : "s"} or personal data (${said}). Review before upload.`), el("ul", {}, ...items));
          privacy.hidden = false;
        })
        .catch(() => undefined);
      box.dataset.id = id;
      taskLine.textContent = task;
      comment.value = "";
      message.textContent = "";
      box.hidden = false;
      choices[0].focus();
    },
  };
}
