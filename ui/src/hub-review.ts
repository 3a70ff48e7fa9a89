// Entry point of the hub's review page (served at /review): sign in with a reviewer's token,
// pick a campaign, lease the next recording and review it in the same review view the desktop
// app uses (review/view.ts, over the hub's HTTP API: http-api.ts), then submit or skip it.
// Or lease the next pair of recordings to compare side by side (compare/view.ts). Labels are
// blind: the hub shows each reviewer only their own lease.
import type { Lease } from "./bindings";
import { el, messageLine } from "./format";
import { mountCompareView } from "./compare/view";
import { notSignedIn, signInScreen } from "./hub-sign-in";
import { hub, httpApi } from "./http-api";
import { mountReviewView } from "./review/view";

const app = document.getElementById("app");

function queueScreen(root: HTMLElement, me: { name: string; pseudonym: string; role: string }): void {
  const api = httpApi(me.pseudonym);
  const campaign = el("select", { id: "campaign", "aria-label": "Campaign" });
  const next = el("button", { id: "next", class: "primary" }, "Next recording");
  const nextPair = el("button", { id: "next-comparison" }, "Compare two recordings");
  const signOut = el("button", { id: "sign-out" }, "Sign out");
  const message = el("p", { id: "queue-message", class: "message" });
  const { say, fail } = messageLine(message);
  const queue = el(
    "section",
    { id: "queue" },
    el("header", {}, el("h2", {}, me.role === "admin" ? "Adjudication queue" : "Review queue"), el("span", { id: "who", class: "meta" }, `signed in as ${me.name} (${me.pseudonym})`)),
    el("div", { class: "row" }, campaign, next, nextPair, signOut),
    message,
  );
  const leaseInfo = el("span", { id: "lease-info", class: "meta" });
  const submit = el("button", { id: "submit", class: "primary" }, "Submit review");
  const reason = el("input", { id: "skip-reason", placeholder: "why you skip it", "aria-label": "Reason to skip" });
  const skip = el("button", { id: "skip" }, "Skip");
  const leaseMessage = el("p", { id: "lease-message", class: "message" });
  const bar = el("section", { id: "lease-bar" }, el("div", { class: "row" }, leaseInfo, submit, reason, skip), leaseMessage);
  const review = el("div", { id: "review" });
  const comparing = el("div", { id: "comparison" });
  bar.hidden = true;
  review.hidden = true;
  comparing.hidden = true;
  root.replaceChildren(queue, bar, review, comparing);

  let current: Lease | null = null;
  let close: (() => void) | null = null;
  const showQueue = (news?: string) => {
    close?.();
    close = null;
    bar.hidden = true;
    review.hidden = true;
    comparing.hidden = true;
    comparing.replaceChildren();
    queue.hidden = false;
    document.body.classList.remove("reviewing");
    if (news) say(news);
  };
  const open = (lease: Lease) => {
    current = lease;
    queue.hidden = true;
    bar.hidden = false;
    review.hidden = false;
    document.body.classList.add("reviewing");
    leaseInfo.dataset.lease = String(lease.id);
    // An adjudicator sees each reviewer's verdict (their step labels are in the lease too).
    const said = (lease.others ?? []).map((o) => {
      const r = o as { reviewer?: string; review?: { verdict?: string } | null };
      return `${r.reviewer}: ${r.review?.verdict ?? "no verdict"}`;
    });
    leaseInfo.textContent = `${lease.kind} lease ${lease.id} · recording ${lease.recording} · ${lease.campaign} · task ${lease.task_id} · by ${lease.expert} · until ${new Date(lease.expires_at).toLocaleTimeString()}${said.length ? ` · reviewers said ${said.join("; ")}` : ""}`;
    messageLine(leaseMessage).say("");
    close = mountReviewView(review, api, String(lease.id), () => showQueue(`lease ${lease.id} kept until ${new Date(lease.expires_at).toLocaleTimeString()}`));
  };

  next.addEventListener("click", () => {
    hub
      .next(campaign.value)
      .then((lease) => (lease ? open(lease) : say(`nothing left to review in ${campaign.value}`)))
      .catch(fail);
  });
  nextPair.addEventListener("click", () => {
    hub
      .nextComparison(campaign.value)
      .then((pair) => {
        if (!pair) return say(`nothing left to compare in ${campaign.value}`);
        queue.hidden = true;
        comparing.hidden = false;
        close = mountCompareView(comparing, pair, showQueue);
      })
      .catch(fail);
  });
  submit.addEventListener("click", () => {
    if (!current) return;
    const id = current.id;
    hub
      .submit(id)
      .then(() => showQueue(`lease ${id} submitted`))
      .catch((e) => messageLine(leaseMessage).fail(e));
  });
  skip.addEventListener("click", () => {
    if (!current) return;
    const id = current.id;
    hub
      .skip(id, reason.value)
      .then(() => {
        reason.value = "";
        showQueue(`lease ${id} skipped`);
      })
      .catch((e) => messageLine(leaseMessage).fail(e));
  });
  signOut.addEventListener("click", () => {
    void hub.signOut().finally(() => signInScreen(root, "Apprentice review: sign in", () => boot(root)));
  });
  hub
    .campaigns()
    .then((list) => {
      campaign.replaceChildren(...list.map((c) => el("option", { value: c.name }, `${c.name} (${c.tasks} tasks)`)));
      if (!list.length) say("no campaigns yet");
    })
    .catch(fail);
}

function boot(root: HTMLElement): void {
  hub
    .me()
    .then((me) => {
      // Reviewers work the review queue; admins the recordings waiting for adjudication.
      if (me.role === "expert") return signInScreen(root, "Apprentice review: sign in", () => boot(root), `${me.name} is an expert: this page is for reviewers and adjudicating admins`);
      queueScreen(root, me);
    })
    // Not signed in (no cookie yet) is no error to show; anything else is.
    .catch((e) => signInScreen(root, "Apprentice review: sign in", () => boot(root), notSignedIn(e)));
}

if (app) boot(app);
