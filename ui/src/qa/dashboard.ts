// Entry point of the hub's QA dashboard (served at /qa): an admin signs in, picks a campaign
// and sees its totals and every chart of `GET /api/campaigns/{name}/qa` drawn with Chart.js, each
// with its table (for screen readers and for checking a figure) and a CSV download of the same
// table from the hub. The page computes nothing: each chart is a table the hub made.
import { BarController, BarElement, CategoryScale, Chart, Legend, LinearScale, LineController, LineElement, PointElement, Tooltip } from "chart.js";
import type { QaChart, QaReport_Serialize as QaReport } from "../bindings";
import { el, messageLine } from "../format";
import { hub } from "../http-api";
import { notSignedIn, signInScreen } from "../hub-sign-in";

Chart.register(BarController, BarElement, CategoryScale, LinearScale, LineController, LineElement, PointElement, Legend, Tooltip);
Chart.defaults.color = "#9aa1b2";
Chart.defaults.borderColor = "#2c3140";

const TITLE = "Apprentice QA dashboard: sign in";
const PALETTE = ["#3b82f6", "#22a35a", "#e0a100", "#dc3912", "#a855f7", "#14b8a6", "#f472b6", "#94a3b8"];
const app = document.getElementById("app");

function cell(v: unknown): string {
  return v === null || v === undefined ? "—" : String(v);
}

function table(c: QaChart): HTMLTableElement {
  const head = el("tr", {}, ...c.columns.map((h) => el("th", { scope: "col" }, h)));
  const body = c.rows.map((r) => el("tr", {}, ...(r as unknown[]).map((v, i) => el(i === 0 ? "th" : "td", i === 0 ? { scope: "row" } : {}, cell(v)))));
  return el("table", { class: "qa-table" }, el("thead", {}, head), el("tbody", {}, ...body));
}

function draw(canvas: HTMLCanvasElement, c: QaChart): Chart {
  const labels = c.rows.map((r) => cell((r as unknown[])[0]));
  const datasets = c.series.map((name, k) => {
    const i = c.columns.indexOf(name);
    const color = PALETTE[k % PALETTE.length];
    return { label: name.replace(/_/g, " "), data: c.rows.map((r) => ((r as unknown[])[i] as number | null) ?? null), backgroundColor: color, borderColor: color, spanGaps: true };
  });
  const type = c.kind === "line" ? "line" : "bar";
  return new Chart(canvas, {
    type,
    data: { labels, datasets },
    options: { animation: false, responsive: true, maintainAspectRatio: false, scales: { y: { beginAtZero: true, title: { display: true, text: c.unit } } }, plugins: { legend: { position: "bottom" } } },
  });
}

function totals(r: QaReport): HTMLElement {
  const t = r.totals;
  const tile = (label: string, value: string) => el("div", { class: "qa-total" }, el("span", { class: "value" }, value), el("span", { class: "label" }, label));
  return el(
    "div",
    { id: "qa-totals", class: "qa-totals" },
    tile("recordings", String(t.recordings)),
    tile("hours recorded", (t.hours ?? 0).toFixed(2)),
    tile("steps", String(t.steps)),
    tile("steps with reasoning", t.reasoning_coverage === null || t.reasoning_coverage === undefined ? "—" : `${Math.round(t.reasoning_coverage * 100)}%`),
    tile("reviewed", String(t.reviewed)),
    tile("approved", String(t.approved)),
    tile("reviews", String(t.reviews)),
    tile("comparisons", String(t.comparisons)),
  );
}

function dashboard(root: HTMLElement, me: { name: string }): void {
  const campaign = el("select", { id: "campaign", "aria-label": "Campaign" });
  const refresh = el("button", { id: "refresh", class: "primary" }, "Show");
  const signOut = el("button", { id: "sign-out" }, "Sign out");
  const message = el("p", { id: "qa-message", class: "message" });
  const { say, fail } = messageLine(message);
  const board = el("div", { id: "qa-board", class: "qa-board" });
  let charts: Chart[] = [];
  root.replaceChildren(el("section", { id: "qa" }, el("header", {}, el("h2", {}, "QA dashboard"), el("span", { class: "meta" }, `signed in as ${me.name}`)), el("div", { class: "row" }, campaign, refresh, signOut), message), board);

  const show = () => {
    const name = campaign.value;
    if (!name) return;
    say(`loading ${name}…`);
    hub
      .qa(name)
      .then((r) => {
        for (const c of charts) c.destroy();
        charts = [];
        const sections = r.charts.map((c) => {
          const canvas = el("canvas", { "aria-label": c.title, role: "img" });
          const csv = el("a", { class: "csv", href: hub.qaCsvUrl(r.campaign, c.id), download: `${r.campaign}-${c.id}.csv` }, "Download CSV");
          const section = el("section", { class: "qa-chart", "data-chart": c.id }, el("header", {}, el("h3", {}, c.title), csv), el("div", { class: "qa-canvas" }, canvas), el("details", {}, el("summary", {}, "Table"), table(c)));
          return { section, canvas, c };
        });
        board.replaceChildren(totals(r), ...sections.map((s) => s.section));
        for (const s of sections) {
          charts.push(draw(s.canvas, s.c));
          s.section.dataset.drawn = "1";
        }
        say(`${r.campaign}: ${r.charts.length} charts`);
      })
      .catch(fail);
  };
  refresh.addEventListener("click", show);
  campaign.addEventListener("change", show);
  signOut.addEventListener("click", () => {
    void hub.signOut().finally(() => signInScreen(root, TITLE, () => boot(root)));
  });
  hub
    .campaigns()
    .then((list) => {
      campaign.replaceChildren(...list.map((c) => el("option", { value: c.name }, c.name)));
      if (list.length) show();
      else say("no campaigns yet");
    })
    .catch(fail);
}

function boot(root: HTMLElement): void {
  hub
    .me()
    .then((me) => (me.role === "admin" ? dashboard(root, me) : signInScreen(root, TITLE, () => boot(root), `${me.name} is a ${me.role}: the QA dashboard is for admins`)))
    .catch((e) => signInScreen(root, TITLE, () => boot(root), notSignedIn(e)));
}

if (app) boot(app);
