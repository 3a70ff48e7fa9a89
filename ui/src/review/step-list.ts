// The trajectory's steps twice over: a list (kind, target, time spent, label tags, whether it
// has a thought) and a filmstrip of *before* thumbnails. Both pick a step when clicked; neither
// knows labels or edits beyond showing them.
import type { Action, Api, StepLabel, TrajectoryView } from "../api";
import { el } from "../format";

/** What an action was aimed at, in a few characters. */
export function target(a: Action): string {
  if (a.kind === "type") return JSON.stringify(a.text ?? "");
  if (a.kind === "key" || a.kind === "hotkey") return (a.keys ?? []).join("+");
  if (a.kind === "scroll") return `${a.scroll_dy > 0 ? "up" : a.scroll_dy < 0 ? "down" : a.scroll_dx > 0 ? "right" : "left"} ${Math.abs(a.scroll_dy || a.scroll_dx)}`;
  return a.x !== undefined ? `(${a.x}, ${a.y})` : "";
}

/** How long the expert spent on step i: until the next step began (or the recording ended). */
function spent(v: TrajectoryView, i: number): string {
  const end = v.steps[i + 1]?.t_start ?? v.recording.duration_us;
  const ms = Math.max(0, end - v.steps[i].t_start) / 1000;
  return ms < 1000 ? `${ms.toFixed(0)} ms` : `${(ms / 1000).toFixed(1)} s`;
}

function labelTags(l: StepLabel | undefined): string[] {
  if (!l) return [];
  return [l.correctness, l.mistake && "mistake", l.recovery && "recovery", l.unsafe && "unsafe", l.env_response && `env ${l.env_response}`].filter((t): t is string => !!t);
}

export interface StepList {
  list: HTMLOListElement;
  strip: HTMLDivElement;
  render(v: TrajectoryView, cur: number): void;
  /** Marks step `cur` as the current one and scrolls it into view. */
  mark(cur: number): void;
}

export function stepList(api: Api, pick: (i: number) => void): StepList {
  const list = el("ol", { class: "steps" });
  const strip = el("div", { class: "filmstrip" });
  list.addEventListener("click", (e) => {
    const li = (e.target as HTMLElement).closest("li");
    if (li?.dataset.step) pick(Number(li.dataset.step));
  });
  strip.addEventListener("click", (e) => {
    const t = e.target as HTMLElement;
    if (t.dataset.step) pick(Number(t.dataset.step));
  });
  const mark = (cur: number) => {
    for (const [parent, inline] of [[list, "nearest"], [strip, "center"]] as const) {
      parent.querySelector(".current")?.classList.remove("current");
      const item = parent.children[cur] as HTMLElement | undefined;
      item?.classList.add("current");
      item?.scrollIntoView({ block: "nearest", inline });
    }
  };
  return {
    list,
    strip,
    mark,
    render(v, cur) {
      list.replaceChildren(
        ...v.steps.map((s, i) =>
          el(
            "li",
            { "data-step": String(i), class: i === cur ? "current" : "" },
            el("span", { class: "n" }, `${i}`),
            el("span", { class: "kind" }, s.action.kind.replace("_", " ")),
            el("span", { class: "target" }, target(s.action)),
            el("span", { class: "dur", title: "time until the next step" }, spent(v, i)),
            el("span", { class: "tags" }, ...labelTags(s.label).map((t) => el("span", { class: `tag ${t.split(" ")[0]}` }, t)), s.reasoning.length ? el("span", { class: "tag thought" }, "thought") : "", s.action.origin === "injected" || s.action.origin === "mixed" ? el("span", { class: "tag injected", title: "Input injected by software (XTEST), not made on a device" }, s.action.origin) : ""),
          ),
        ),
      );
      strip.replaceChildren(
        ...v.steps.map((s, i) => {
          const thumb = el("img", { loading: "lazy", "data-step": String(i), alt: `step ${i}`, class: i === cur ? "current" : "" });
          if (s.before) thumb.src = api.frameUrl(v.recording.id, s.before.frame_seq, true);
          return thumb;
        }),
      );
    },
  };
}
