// Small display helpers shared by the screens.
import { errorMessage } from "./api";

export function duration(us: number): string {
  const s = Math.floor(us / 1_000_000);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s / 60) % 60);
  const sec = s % 60;
  const pad = (n: number) => String(n).padStart(2, "0");
  return h > 0 ? `${h}:${pad(m)}:${pad(sec)}` : `${pad(m)}:${pad(sec)}`;
}

export function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

/** A screen's message line: `say` shows news, `fail` an error (a backend's `CommandError` or anything thrown). */
export function messageLine(line: HTMLElement): { say: (text: string) => void; fail: (e: unknown) => void } {
  const base = line.className.replace(/\s*\berror\b/, "");
  return {
    say: (text) => {
      line.textContent = text;
      line.className = base;
    },
    fail: (e) => {
      line.textContent = errorMessage(e);
      line.className = `${base} error`;
    },
  };
}

export function el<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string> = {}, ...children: (Node | string)[]): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  e.append(...children);
  return e;
}
