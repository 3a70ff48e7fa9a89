// Entry point: the recorder panel above the library list.
import { mountLibraryList } from "./library-list";
import { mountRecorderPanel } from "./recorder-panel";

const app = document.getElementById("app");
if (app) {
  const panel = document.createElement("section");
  panel.id = "recorder";
  const library = document.createElement("section");
  library.id = "library";
  app.append(panel, library);
  const refresh = mountLibraryList(library);
  mountRecorderPanel(panel, () => void refresh());
}
