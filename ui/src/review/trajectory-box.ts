// The reviewer's judgement of the whole trajectory: four 1–5 scores, the answers to the campaign
// rubric's trajectory questions (rubric-box.ts), a comment and the verdict.
// It reports the review wanted; saving it is the view's job.
import type { RubricQuestion, Scores, TrajectoryReview, TrajectoryReviewInput, Verdict } from "../api";
import { el } from "../format";
import { rubricBox } from "./rubric-box";

const SCORES = ["goal_completion", "efficiency", "error_handling", "safety"] as const;
const VERDICTS: Verdict[] = ["approved", "needs_edit", "rejected"];

export interface TrajectoryBox {
  el: HTMLElement;
  /** Shows the review, with the rubric's trajectory `questions`. */
  render(r: TrajectoryReview | null, questions: RubricQuestion[]): void;
  /** The review as the controls now stand, with `verdict` if given (else the one shown). */
  wanted(verdict?: Verdict): TrajectoryReviewInput;
}

export function trajectoryBox(save: (verdict?: Verdict) => void): TrajectoryBox {
  const selects = SCORES.map((n) => el("select", { class: `score-${n}`, "data-score": n }, el("option", { value: "" }, "—"), ...[1, 2, 3, 4, 5].map((v) => el("option", { value: String(v) }, String(v)))));
  const verdicts = VERDICTS.map((v) => el("button", { "data-verdict": v }, v.replace("_", " ")));
  const comment = el("input", { class: "trajectory-comment", placeholder: "Comment on the trajectory" });
  const now = el("span", { class: "verdict badge" }, "unreviewed");
  let shown: Verdict | undefined;
  const rubric = rubricBox(() => save());

  selects.forEach((sel) => sel.addEventListener("change", () => save()));
  comment.addEventListener("change", () => save());
  verdicts.forEach((b) => b.addEventListener("click", () => save(b.dataset.verdict as Verdict)));

  return {
    el: el(
      "section",
      { class: "traj-box" },
      el("h2", {}, "Trajectory ", now),
      el("div", { class: "scores" }, ...SCORES.flatMap((n, i) => [el("label", {}, n.replace("_", " "), selects[i])])),
      rubric.el,
      comment,
      el("div", { class: "chips" }, ...verdicts),
    ),
    render(r, questions) {
      rubric.render(questions, r?.answers);
      shown = r?.verdict ?? undefined;
      selects.forEach((sel) => (sel.value = String(r?.scores[sel.dataset.score as keyof Scores] ?? "")));
      if (document.activeElement !== comment) comment.value = r?.comment ?? "";
      now.textContent = (r?.verdict ?? "unreviewed").replace("_", " ");
      now.className = `verdict badge ${r?.verdict ?? "unreviewed"}`;
      verdicts.forEach((b) => b.classList.toggle("on", r?.verdict === b.dataset.verdict));
    },
    wanted(verdict) {
      const scores: NonNullable<TrajectoryReviewInput["scores"]> = {};
      selects.forEach((sel) => {
        if (sel.value) scores[sel.dataset.score as keyof typeof scores] = Number(sel.value);
      });
      return { scores, verdict: verdict ?? shown, comment: comment.value.trim() || undefined, answers: rubric.answers() };
    },
  };
}
