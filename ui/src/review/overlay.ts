// Draws a step's action over its *before* frame: a circle where it clicked, the path of a drag,
// an arrow for a scroll, the keys typed. Coordinates are the recording's (physical pixels of
// the X screen), made relative to the frame's display. Nothing here loads frames.
import type { DisplayInfo, Step } from "../api";

const SVG = "http://www.w3.org/2000/svg";

export function svg<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number>): SVGElementTagNameMap[K] {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  return e;
}

export interface ActionOverlay {
  el: SVGSVGElement;
  /** Lays the overlay exactly over the image as drawn (it is letterboxed inside its stage). */
  fit(img: HTMLImageElement): void;
  draw(s: Step, d: DisplayInfo, showAfter: boolean): void;
}

export function actionOverlay(): ActionOverlay {
  const overlay = svg("svg", { class: "overlay", preserveAspectRatio: "none" });
  return {
    el: overlay,
    fit(img) {
      overlay.style.left = `${img.offsetLeft}px`;
      overlay.style.top = `${img.offsetTop}px`;
      overlay.style.width = `${img.offsetWidth}px`;
      overlay.style.height = `${img.offsetHeight}px`;
    },
    draw(s, d, showAfter) {
      overlay.setAttribute("viewBox", `0 0 ${d.width} ${d.height}`);
      overlay.replaceChildren();
      if (showAfter) return;
      const a = s.action;
      const r = Math.max(8, Math.round(Math.max(d.width, d.height) / 90));
      if (a.kind === "drag" && a.path && a.path.length > 1) {
        overlay.append(svg("polyline", { class: "drag", points: a.path.map((p) => `${p.x - d.x},${p.y - d.y}`).join(" ") }));
        const end = a.path[a.path.length - 1];
        overlay.append(svg("circle", { class: "end", cx: end.x - d.x, cy: end.y - d.y, r }));
      }
      if (a.x !== undefined && a.y !== undefined) {
        const x = a.x - d.x;
        const y = a.y - d.y;
        if (a.kind === "scroll") {
          const dx = Math.sign(a.scroll_dx) * r * 5;
          const dy = -Math.sign(a.scroll_dy) * r * 5;
          overlay.append(svg("line", { class: "scroll", x1: x, y1: y, x2: x + dx, y2: y + dy }));
          overlay.append(svg("polygon", { class: "scroll-head", points: `${x + dx - r * 0.8},${y + dy} ${x + dx + r * 0.8},${y + dy} ${x + dx},${y + dy + Math.sign(dy || 1) * r * 1.4}` }));
        }
        overlay.append(svg("circle", { class: `click ${a.kind}`, cx: x, cy: y, r }));
      }
      const bubble = a.kind === "type" ? `⌨ ${a.text ?? ""}` : a.kind === "key" || a.kind === "hotkey" ? `⌨ ${(a.keys ?? []).join("+")}` : "";
      if (bubble) {
        const size = Math.max(16, Math.round(d.height / 28));
        const t = svg("text", { class: "bubble", x: size, y: d.height - size, "font-size": size });
        t.textContent = bubble;
        overlay.append(t);
      }
    },
  };
}
