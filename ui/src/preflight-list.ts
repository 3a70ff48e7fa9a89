// The check list above Start: what a recording needs from this machine (display and its
// extensions, window manager, microphone, speech model, library, disk), checked when the panel
// opens and again after each recording, with each problem's fix in one line. Only problems are
// listed; when there are none, one line says so. The checks are the backend's (`apprentice
// doctor`); this only shows them.
import { errorMessage, type Api, type Check } from "./api";
import { el } from "./format";

const NAMES: Record<string, string> = {
  display: "Display",
  input: "Input",
  shared_memory: "Screen grabbing",
  window_manager: "Window manager",
  microphone: "Microphone",
  speech_model: "Speech model",
  library: "Library",
  disk: "Disk",
};

export interface PreflightList {
  element: HTMLElement;
  /** Runs the checks again and shows them. */
  refresh: () => Promise<void>;
}

export function mountPreflightList(api: Api): PreflightList {
  const list = el("ul", { class: "checks" });
  const again = el("button", { type: "button", class: "link" }, "Check again");
  const element = el("section", { class: "preflight", "aria-live": "polite" }, list, again);
  const item = (c: Check) =>
    el("li", { class: `check ${c.status}`, "data-check": c.id }, el("strong", {}, `${NAMES[c.id] ?? c.id}: `), c.summary, ...(c.fix ? [el("span", { class: "fix" }, `Fix: ${c.fix}`)] : []));
  const refresh = async () => {
    list.replaceChildren(el("li", { class: "check" }, "Checking this machine…"));
    try {
      const checks = await api.preflight();
      const problems = checks.filter((c) => c.status !== "ok");
      // Failures first: they stop a recording, or a part of it.
      problems.sort((a, b) => (a.status === b.status ? 0 : a.status === "fail" ? -1 : 1));
      list.replaceChildren(...(problems.length ? problems.map(item) : [el("li", { class: "check ok" }, `Ready to record: ${checks.length} checks passed.`)]));
    } catch (e) {
      list.replaceChildren(el("li", { class: "check fail" }, `The checks did not run: ${errorMessage(e)}`));
    }
  };
  again.addEventListener("click", () => void refresh());
  return { element, refresh };
}
