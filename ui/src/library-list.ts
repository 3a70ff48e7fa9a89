// The library: recordings with task, date, duration, steps, status and review state; search and
// filter; open one for review, re-segment it, or delete it (asking for confirmation first). A
// recording whose outcome the expert has not given says "outcome needed" and asks for it.
import { errorMessage, type Api, type RecordingSummary } from "./api";
import { duration, el } from "./format";

export function mountLibraryList(root: HTMLElement, api: Api, open: (id: string) => void, askOutcome: (id: string, task: string) => void): () => Promise<void> {
  const search = el("input", { id: "search", type: "search", placeholder: "Search tasks and ids" });
  const status = el("select", { id: "filter-status" }, ...["any status", "finished", "interrupted", "recording"].map((s) => el("option", { value: s }, s)));
  const review = el("select", { id: "filter-review" }, ...["any review", "unreviewed", "approved", "needs_edit", "rejected"].map((s) => el("option", { value: s }, s.replace("_", " "))));
  const list = el("ul", { id: "recordings", class: "recordings" });
  const message = el("p", { class: "message" });
  root.append(el("h2", {}, "Library"), el("div", { class: "row filters" }, search, status, review), list, message);
  let all: RecordingSummary[] = [];

  const item = (r: RecordingSummary) => {
    const verdict = r.verdict ?? "unreviewed";
    const openBtn = el("button", { class: "open", title: "Review (Enter)" }, "Review");
    const resegBtn = el("button", { class: "resegment", title: "Segment again with the current rules" }, "Re-segment");
    const delBtn = el("button", { class: "delete danger" }, "Delete");
    const live = r.status === "recording" || r.status === "paused";
    const needsOutcome = r.outcome === "unknown" && !live;
    const outcomeBtn = el("button", { class: "badge outcome-needed", title: "Say how the task ended" }, "outcome needed");
    outcomeBtn.addEventListener("click", () => askOutcome(r.id, r.task));
    const li = el(
      "li",
      { "data-id": r.id, tabindex: "0" },
      el("span", { class: "task" }, r.task || "(no task)"),
      el(
        "span",
        { class: "badges" },
        el("span", { class: `badge ${r.status}` }, r.status),
        el("span", { class: `badge verdict ${verdict}` }, verdict.replace("_", " ")),
        ...(needsOutcome ? [outcomeBtn] : []),
      ),
      el("span", { class: "meta" }, `${new Date(r.started_at).toLocaleString()} · ${duration(r.duration_us)} · ${r.steps ?? "—"} steps · outcome ${r.outcome}`),
      el("span", { class: "actions" }, openBtn, resegBtn, delBtn),
    );
    for (const b of [openBtn, resegBtn, delBtn]) b.toggleAttribute("disabled", live);
    openBtn.addEventListener("click", () => open(r.id));
    li.addEventListener("keydown", (e) => {
      if (e.key === "Enter" && e.target === li && !live) open(r.id);
    });
    resegBtn.addEventListener("click", () => {
      api.resegment(r.id).then((n) => {
        message.textContent = `${r.id}: ${n} steps`;
        return refresh();
      }).catch((e) => (message.textContent = errorMessage(e)));
    });
    // Deleting cannot be undone: the first click asks, the second deletes.
    delBtn.addEventListener("click", () => {
      if (delBtn.dataset.confirm !== "yes") {
        delBtn.dataset.confirm = "yes";
        delBtn.textContent = "Delete for good?";
        window.setTimeout(() => {
          delBtn.dataset.confirm = "";
          delBtn.textContent = "Delete";
        }, 4000);
        return;
      }
      api.deleteRecording(r.id).then(() => {
        message.textContent = `deleted ${r.id}`;
        return refresh();
      }).catch((e) => (message.textContent = errorMessage(e)));
    });
    return li;
  };

  const render = () => {
    const q = search.value.trim().toLowerCase();
    const shown = all.filter(
      (r) =>
        (!q || r.task.toLowerCase().includes(q) || r.id.includes(q) || (r.task_id ?? "").toLowerCase().includes(q)) &&
        (status.value === "any status" || r.status === status.value) &&
        (review.value === "any review" || (r.verdict ?? "unreviewed") === review.value),
    );
    list.replaceChildren(...shown.map(item));
    if (shown.length === 0) list.append(el("li", { class: "empty" }, all.length ? "Nothing matches." : "No recordings yet."));
  };
  for (const input of [search, status, review]) input.addEventListener("input", render);

  const refresh = async () => {
    all = await api.listRecordings();
    render();
  };
  void refresh();
  return refresh;
}
