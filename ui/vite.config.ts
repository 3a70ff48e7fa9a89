import { defineConfig } from "vite";

// The Tauri shell loads ui/dist (tauri.conf.json: build.frontendDist).
export default defineConfig({
  root: ".",
  clearScreen: false,
  build: { outDir: "dist", emptyOutDir: true, target: "es2021" },
});
