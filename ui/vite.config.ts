import { defineConfig } from "vite";

// Three pages: the desktop app's (index.html; the Tauri shell loads ui/dist, tauri.conf.json:
// build.frontendDist), the hub's review page (review.html) and its QA dashboard (qa.html), both
// compiled into apprentice-hub.
export default defineConfig({
  root: ".",
  clearScreen: false,
  build: { outDir: "dist", emptyOutDir: true, target: "es2021", rollupOptions: { input: { main: "index.html", review: "review.html", qa: "qa.html" } } },
});
