// The side-by-side comparison screen of the hub's review page: two recordings of one task by
// different experts, their steps aligned row by row (a step only one expert took stands alone),
// each with its before screen (loaded when scrolled to) and what the expert said; the reviewer
// may prefer one step of an aligned pair, judges each criterion and the whole (A, tie or B), says
// why, and submits, or skips with a reason. It shows one lease the hub gave and sends the
// judgement back through `hub` (http-api.ts); it knows nothing of queues or other reviewers.
import type { Action } from "../api";
import type { ComparedRecording, ComparisonChoice_Deserialize as ComparisonChoice, ComparisonLease, Preference, StepChoice_Deserialize as StepChoice } from "../bindings";
import { duration, el, messageLine } from "../format";
import { hub } from "../http-api";
import { target } from "../review/step-list";

/** A step of one side as the lease carries it. */
interface ComparedStep {
  step: number;
  t_start: number;
  action: Action;
  reasoning: string[];
  frame: number | null;
  app: string | null;
}

const CHOICES: [Preference, string][] = [
  ["a", "A"],
  ["tie", "="],
  ["b", "B"],
];

/** A/=/B buttons of which at most one is on; pressing the one that is on turns it off. */
function preferenceButtons(name: string, label: string, changed: () => void): { root: HTMLElement; value: () => Preference | null; set: (p: Preference | null) => void } {
  let current: Preference | null = null;
  const buttons = CHOICES.map(([p, text]) => {
    const b = el("button", { type: "button", class: "prefer", "data-prefer": p, "aria-pressed": "false", title: p === "tie" ? "as good as each other" : `${text} is better` }, text);
    b.addEventListener("click", () => {
      set(current === p ? null : p);
      changed();
    });
    return b;
  });
  const set = (p: Preference | null) => {
    current = p;
    for (const b of buttons) b.setAttribute("aria-pressed", String(b.dataset.prefer === p));
  };
  return { root: el("div", { class: "prefer-group", role: "group", "aria-label": label, "data-name": name }, ...buttons), value: () => current, set };
}

function stepCell(lease: ComparisonLease, side: "a" | "b", s: ComparedStep | undefined): HTMLElement {
  if (!s) return el("div", { class: "compare-step none" }, el("span", { class: "muted" }, "—"));
  const parts: (Node | string)[] = [el("div", { class: "action-line" }, el("b", {}, `${s.step}. ${s.action.kind.replace("_", " ")}`), ` ${target(s.action)}`, el("span", { class: "muted" }, ` · ${duration(s.t_start)}${s.app ? ` · ${s.app}` : ""}`))];
  if (s.frame !== null) {
    const url = `/api/comparisons/${lease.id}/${side}/frames/${s.frame}`;
    const img = el("img", { class: "compare-frame", loading: "lazy", alt: `the screen before step ${s.step} of ${side.toUpperCase()}`, src: `${url}?thumb=true`, tabindex: "0" });
    // A click (or Enter) shows the full frame; again, the thumbnail.
    const toggle = () => {
      const full = img.classList.toggle("full");
      img.src = full ? url : `${url}?thumb=true`;
    };
    img.addEventListener("click", toggle);
    img.addEventListener("keydown", (e) => {
      if (e.key === "Enter") toggle();
    });
    parts.push(img);
  }
  for (const r of s.reasoning) parts.push(el("p", { class: "thought" }, r));
  return el("div", { class: "compare-step", "data-side": side, "data-step": String(s.step) }, ...parts);
}

function sideHead(name: string, r: ComparedRecording): HTMLElement {
  return el("div", { class: "compare-side", "data-side": name.toLowerCase(), "data-recording": r.recording }, el("h3", {}, `${name}: ${r.expert}`), el("p", { class: "meta" }, `${r.steps.length} steps · ${duration(r.duration_us)} · outcome ${r.outcome}`));
}

/** Shows `lease` in `root`; `done` is called with what happened once it is submitted or skipped.
 * Returns a function that unmounts it. */
export function mountCompareView(root: HTMLElement, lease: ComparisonLease, done: (news: string) => void): () => void {
  const steps = { a: lease.a.steps as unknown as ComparedStep[], b: lease.b.steps as unknown as ComparedStep[] };
  const message = el("p", { id: "compare-message", class: "message" });
  const { say, fail } = messageLine(message);
  const submit = el("button", { id: "compare-submit", class: "primary", type: "button" }, "Submit comparison");
  const ready = () => {
    const missing = [overall.value() ? "" : "which is better overall", rationale.value.trim() ? "" : "why"].filter(Boolean);
    submit.disabled = missing.length > 0;
    submit.title = missing.length ? `still to say: ${missing.join(", ")}` : "";
  };

  const stepPrefs: { a: ComparedStep; b: ComparedStep; group: ReturnType<typeof preferenceButtons> }[] = [];
  const rows = lease.rows.map((r, i) => {
    const a = r.a ? steps.a[r.a - 1] : undefined;
    const b = r.b ? steps.b[r.b - 1] : undefined;
    let middle: HTMLElement;
    if (a && b) {
      const group = preferenceButtons(`row-${i}`, `which of step ${a.step} of A and step ${b.step} of B is better`, ready);
      stepPrefs.push({ a, b, group });
      middle = el("div", { class: "compare-mid" }, el("span", { class: "similarity", title: "how alike the two steps are (action and screen)" }, `${Math.round((r.similarity ?? 0) * 100)}% alike`), group.root);
    } else {
      middle = el("div", { class: "compare-mid" }, el("span", { class: "muted" }, a ? "only A" : "only B"));
    }
    return el("div", { class: "compare-row", "data-row": String(i) }, stepCell(lease, "a", a), middle, stepCell(lease, "b", b));
  });

  const criteria = lease.criteria.map((c) => ({ id: c.id, group: preferenceButtons(c.id, c.text, ready), text: c.text }));
  const overall = preferenceButtons("overall", "which trajectory is better overall", ready);
  const rationale = el("textarea", { id: "rationale", rows: "3", placeholder: "why one is better (what a lab should learn from it)", "aria-label": "Rationale" });
  rationale.addEventListener("input", ready);
  const reason = el("input", { id: "compare-skip-reason", placeholder: "why you skip it", "aria-label": "Reason to skip" });
  const skip = el("button", { id: "compare-skip", type: "button" }, "Skip");
  const judged = el(
    "section",
    { class: "compare-judgement" },
    el("h3", {}, "Which is better?"),
    ...criteria.map((c) => el("div", { class: "criterion", "data-criterion": c.id }, el("span", {}, c.text), c.group.root)),
    el("div", { class: "criterion overall" }, el("b", {}, "Overall"), overall.root),
    rationale,
    el("div", { class: "row" }, submit, reason, skip),
    message,
  );

  const view = el(
    "div",
    { class: "compare-view", "data-comparison": String(lease.id) },
    el("header", { class: "compare-head" }, el("h2", {}, `Compare: ${lease.instruction}`), el("p", { class: "meta" }, `task ${lease.task_id} · ${lease.campaign} · comparison ${lease.id} · until ${new Date(lease.expires_at).toLocaleTimeString()}`)),
    el("div", { class: "compare-row heads" }, sideHead("A", lease.a), el("div", { class: "compare-mid" }), sideHead("B", lease.b)),
    el("div", { class: "compare-rows" }, ...rows),
    judged,
  );

  submit.addEventListener("click", () => {
    const choice: ComparisonChoice = {
      overall: overall.value() ?? "tie",
      rationale: rationale.value,
      criteria: Object.fromEntries(criteria.flatMap((c) => (c.group.value() ? [[c.id, c.group.value() as Preference]] : []))),
      steps: stepPrefs.flatMap(({ a, b, group }): StepChoice[] => (group.value() ? [{ a: a.t_start, b: b.t_start, prefer: group.value() as Preference }] : [])),
    };
    submit.disabled = true;
    hub
      .submitComparison(lease.id, choice)
      .then(() => done(`comparison ${lease.id} submitted`))
      .catch((e) => {
        fail(e);
        ready();
      });
  });
  skip.addEventListener("click", () => {
    hub
      .skipComparison(lease.id, reason.value)
      .then(() => done(`comparison ${lease.id} skipped`))
      .catch(fail);
  });
  ready();
  say("");
  root.replaceChildren(view);
  return () => view.remove();
}
