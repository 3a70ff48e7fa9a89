// The hub's admin views: campaigns with each task's progress, experts' hours, stations (last
// seen, version, queue depth) and recordings, read from the HTTP API with the admin's token
// (kept for this tab only, in sessionStorage). Everything shown is set as text, never as HTML.
"use strict";

const $ = (id) => document.getElementById(id);
const tokenKey = "apprentice-hub-token";

async function api(path) {
  const res = await fetch(path, { headers: { Authorization: `Bearer ${sessionStorage.getItem(tokenKey)}` } });
  const body = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error(`${path}: ${res.status} ${body.error ?? ""}`);
  return body;
}

function cell(text, cls) {
  const td = document.createElement("td");
  td.textContent = String(text);
  if (cls) td.className = cls;
  return td;
}

function rows(table, list, columns) {
  const body = $(table).querySelector("tbody");
  body.replaceChildren(
    ...list.map((item) => {
      const tr = document.createElement("tr");
      tr.append(...columns(item).map((c) => cell(c)));
      return tr;
    }),
  );
}

const hours = (us) => (us / 3.6e9).toFixed(2);
const seconds = (us) => `${(us / 1e6).toFixed(1)} s`;

async function show() {
  const me = await api("/api/me");
  if (me.role !== "admin") throw new Error(`${me.name} is a ${me.role}: these views are for admins`);
  $("who").textContent = `signed in as ${me.name}`;
  const [campaigns, stations, recordings] = await Promise.all([api("/api/campaigns"), api("/api/stations"), api("/api/recordings")]);
  const blocks = await Promise.all(
    campaigns.map(async (c) => {
      const progress = await api(`/api/campaigns/${encodeURIComponent(c.name)}/progress`);
      const section = document.createElement("div");
      section.className = "campaign";
      section.dataset.name = c.name;
      const h = document.createElement("h3");
      h.textContent = `${c.name} — ${c.tasks} tasks, ${c.reviews} review(s) per recording${c.consent_version ? `, consent v${c.consent_version}` : ""}`;
      const table = document.createElement("table");
      table.innerHTML = "<thead><tr><th>Task</th><th>Instruction</th><th>Version</th><th>Target</th><th>Assigned</th><th>Recorded</th></tr></thead><tbody></tbody>";
      table.querySelector("tbody").append(
        ...progress.map((t) => {
          const tr = document.createElement("tr");
          tr.dataset.task = t.id;
          tr.append(cell(t.id), cell(t.instruction, "wrap"), cell(t.version), cell(t.target), cell(t.assigned), cell(t.recorded));
          return tr;
        }),
      );
      section.append(h, table);
      return section;
    }),
  );
  $("campaigns").replaceChildren(...blocks);
  const experts = new Map();
  for (const r of recordings) {
    const e = experts.get(r.expert) ?? { expert: r.expert, recordings: 0, us: 0, steps: 0 };
    e.recordings += 1;
    e.us += r.duration_us;
    e.steps += r.steps;
    experts.set(r.expert, e);
  }
  rows("experts", [...experts.values()], (e) => [e.expert, e.recordings, hours(e.us), e.steps]);
  rows("stations", stations, (s) => [s.user, s.name, s.version, s.fingerprint, s.last_seen, s.queue_depth]);
  rows("recordings", recordings, (r) => [r.id, r.campaign, r.task_id, r.expert, r.steps, seconds(r.duration_us), r.sealed, r.outcome, `${Math.round(r.synthetic_input_share * 100)}%`, r.received_at]);
  $("sign-in").hidden = true;
  $("views").hidden = false;
}

$("sign-in").addEventListener("submit", (ev) => {
  ev.preventDefault();
  sessionStorage.setItem(tokenKey, $("token").value.trim());
  $("error").textContent = "";
  show().catch((e) => {
    sessionStorage.removeItem(tokenKey);
    $("error").textContent = e.message;
  });
});
if (sessionStorage.getItem(tokenKey)) show().catch((e) => ($("error").textContent = e.message));
