// The label of the current step: correctness, the mistake / recovery / unsafe flags, how the
// environment responded, a comment, corrected reasoning and the answers to the campaign rubric's
// step questions (rubric-box.ts). It reports the label the reviewer
// wants; saving it is the view's job.
import type { RubricQuestion, StepLabel, StepLabelInput } from "../api";
import { el } from "../format";
import { keyOf, type ReviewCommand } from "./keymap";
import { rubricBox } from "./rubric-box";

const CORRECTNESS = ["correct", "incorrect", "redundant"] as const;
const FLAGS = ["mistake", "recovery", "unsafe"] as const;
const ENV = ["success", "partial", "failure"] as const;

export interface LabelBox {
  el: HTMLElement;
  comment: HTMLInputElement;
  reasoning: HTMLTextAreaElement;
  /** Shows the label, with the rubric's step `questions`. */
  render(l: StepLabel | undefined, questions: RubricQuestion[]): void;
  /** Runs a label command (a number key): the same as clicking its button. */
  run(c: ReviewCommand): boolean;
}

/** `change` turns the current label into the one wanted; the view saves it. */
export function labelBox(change: (f: (l: StepLabelInput) => StepLabelInput) => void): LabelBox {
  const chip = (attr: string, value: string, command: ReviewCommand, text: string) => el("button", { [attr]: value, title: keyOf(command) }, `${keyOf(command)} ${text}`);
  const corr = CORRECTNESS.map((c) => chip("data-correctness", c, c, c));
  const flags = FLAGS.map((f) => chip("data-flag", f, f, f));
  const envs = ENV.map((e) => chip("data-env", e, `env-${e}`, e));
  const comment = el("input", { class: "step-comment", placeholder: `Comment on this step (${keyOf("comment")})` });
  const reasoning = el("textarea", { class: "step-reasoning", rows: "2", placeholder: `Corrected or added reasoning (${keyOf("reasoning")})` });
  const rubric = rubricBox(() => change((l) => ({ ...l, answers: rubric.answers() })));

  corr.forEach((b) => b.addEventListener("click", () => change((l) => ({ ...l, correctness: l.correctness === b.dataset.correctness ? undefined : (b.dataset.correctness as StepLabel["correctness"]) }))));
  flags.forEach((b) => b.addEventListener("click", () => change((l) => ({ ...l, [b.dataset.flag as string]: !l[b.dataset.flag as (typeof FLAGS)[number]] }))));
  envs.forEach((b) => b.addEventListener("click", () => change((l) => ({ ...l, env_response: l.env_response === b.dataset.env ? undefined : (b.dataset.env as StepLabel["env_response"]) }))));
  comment.addEventListener("change", () => change((l) => ({ ...l, comment: comment.value.trim() || undefined })));
  reasoning.addEventListener("change", () => change((l) => ({ ...l, reasoning: reasoning.value.trim() || undefined })));

  const buttons = new Map<ReviewCommand, HTMLButtonElement>([
    ...CORRECTNESS.map((c, i) => [c, corr[i]] as const),
    ...FLAGS.map((f, i) => [f, flags[i]] as const),
    ...ENV.map((e, i) => [`env-${e}` as ReviewCommand, envs[i]] as const),
  ]);
  return {
    el: el("section", { class: "label-box" }, el("h2", {}, "Step label"), el("div", { class: "chips" }, ...corr), el("div", { class: "chips" }, ...flags), el("div", { class: "chips" }, ...envs), rubric.el, comment, reasoning),
    comment,
    reasoning,
    render(l, questions) {
      rubric.render(questions, l?.answers);
      corr.forEach((b) => b.classList.toggle("on", l?.correctness === b.dataset.correctness));
      flags.forEach((b) => b.classList.toggle("on", !!l && !!l[b.dataset.flag as (typeof FLAGS)[number]]));
      envs.forEach((b) => b.classList.toggle("on", l?.env_response === b.dataset.env));
      if (document.activeElement !== comment) comment.value = l?.comment ?? "";
      if (document.activeElement !== reasoning) reasoning.value = l?.reasoning ?? "";
    },
    run(c) {
      if (c === "clear-label") {
        change(() => ({ mistake: false, recovery: false, unsafe: false }));
        return true;
      }
      const b = buttons.get(c);
      b?.click();
      return !!b;
    },
  };
}
