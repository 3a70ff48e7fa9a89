// The library list: recordings with task, date, duration, status and outcome.
import { api } from "./api";
import { duration, el } from "./format";

export function mountLibraryList(root: HTMLElement): () => Promise<void> {
  const list = el("ul", { id: "recordings", class: "recordings" });
  root.append(el("h2", {}, "Library"), list);
  const refresh = async () => {
    const recordings = await api.listRecordings();
    list.replaceChildren(
      ...recordings.map((r) =>
        el(
          "li",
          { "data-id": r.id },
          el("span", { class: "task" }, r.task || "(no task)"),
          el("span", { class: `badge ${r.status}` }, r.status),
          el("span", { class: "meta" }, `${new Date(r.started_at).toLocaleString()} · ${duration(r.duration_us)} · ${r.outcome}`),
        ),
      ),
    );
    if (recordings.length === 0) list.append(el("li", { class: "empty" }, "No recordings yet."));
  };
  void refresh();
  return refresh;
}
