// The hub pages' sign-in: a token typed once, exchanged for an HttpOnly session cookie
// (`hub.signIn`); the pages never keep the token themselves. Used by the review page and the QA
// dashboard alike.
import { errorMessage } from "./api";
import { el, messageLine } from "./format";
import { hub } from "./http-api";

/** Shows the sign-in form titled `title` in `root`; `signedIn` runs once the hub accepts the
 * token. `failed` is shown first (why the last attempt or the page refused). */
export function signInScreen(root: HTMLElement, title: string, signedIn: () => void, failed?: string): void {
  const token = el("input", { id: "token", type: "password", autocomplete: "off", placeholder: "aph_…", "aria-label": "Your token" });
  const button = el("button", { id: "sign-in-button", class: "primary", type: "submit" }, "Sign in");
  const message = el("p", { id: "sign-in-message", class: "message" });
  const form = el("form", { id: "sign-in" }, el("h2", {}, title), el("label", { for: "token" }, "Token"), token, button, message);
  if (failed) messageLine(message).fail(failed);
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    hub
      .signIn(token.value)
      .then(signedIn)
      .catch((err) => messageLine(message).fail(err));
  });
  root.replaceChildren(el("section", {}, form));
  token.focus();
}

/** What to say when asking who is signed in failed: nothing when there is simply no session yet. */
export function notSignedIn(e: unknown): string | undefined {
  return errorMessage(e).startsWith("no token") ? undefined : errorMessage(e);
}
