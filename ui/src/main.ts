// Entry point: the home screen (recorder panel above the library) and the review screen of one
// recording, switched in place.
import { mountLibraryList } from "./library-list";
import { mountRecorderPanel } from "./recorder-panel";
import { mountReviewView } from "./review/view";
import { tauriApi } from "./tauri-api";

// The desktop app's backend; every screen is handed it.
const api = tauriApi;
const app = document.getElementById("app");
if (app) {
  const home = document.createElement("div");
  home.id = "home";
  const panel = document.createElement("section");
  panel.id = "recorder";
  const library = document.createElement("section");
  library.id = "library";
  home.append(panel, library);
  const review = document.createElement("div");
  review.id = "review";
  review.hidden = true;
  app.append(home, review);

  let closeReview: (() => void) | null = null;
  const showHome = () => {
    closeReview?.();
    closeReview = null;
    review.hidden = true;
    home.hidden = false;
    document.body.classList.remove("reviewing");
    void api.setReviewLayout(false).catch(() => undefined);
    void refresh();
  };
  const openReview = (id: string, step?: number) => {
    home.hidden = true;
    review.hidden = false;
    document.body.classList.add("reviewing");
    void api.setReviewLayout(true).catch(() => undefined);
    closeReview = mountReviewView(review, api, id, showHome, step);
  };
  // The panel asks the outcome at stop; the library asks again for any recording left without.
  let refresh = async () => undefined as void;
  const outcome = mountRecorderPanel(panel, api, () => void refresh(), openReview);
  refresh = mountLibraryList(library, api, openReview, outcome.ask);
  // Starting, stopping and noting happen on the home screen.
  void api.onHotkey((key) => {
    if ((key === "r" || key === "n") && !review.hidden) showHome();
  });
}
