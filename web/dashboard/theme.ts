import type { ThemeParams } from "./telegram.ts";

/** Telegram theme parameter → the CSS variable of app.css it sets. */
const VARS: [string, string][] = [
  ["bg_color", "--bg"],
  ["secondary_bg_color", "--card"],
  ["text_color", "--text"],
  ["hint_color", "--hint"],
  ["link_color", "--link"],
  ["button_color", "--button"],
  ["button_text_color", "--button-text"],
  ["accent_text_color", "--accent"],
  ["destructive_text_color", "--danger"],
];

/** Colours the charts draw with, read from the applied theme. */
export interface ChartTheme {
  dark: boolean;
  text: string;
  hint: string;
  grid: string;
  card: string;
}

/** Series colours: distinguishable on light and dark backgrounds (Tableau 10 hues). */
export const SERIES_COLORS = [
  "#4e79a7",
  "#f28e2b",
  "#59a14f",
  "#e15759",
  "#76b7b2",
  "#edc948",
  "#b07aa1",
  "#ff9da7",
  "#9c755f",
  "#bab0ac",
];

/** Status colours (ok, warning, critical). */
export const STATUS_COLORS = { ok: "#59a14f", warning: "#edc948", critical: "#e15759" };

function rgb(color: string): [number, number, number] | undefined {
  const m = /^#?([0-9a-f]{6})$/i.exec(color.trim());
  if (m?.[1]) {
    const n = Number.parseInt(m[1], 16);
    return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
  }
  const f = /rgba?\((\d+),\s*(\d+),\s*(\d+)/.exec(color);
  return f ? [Number(f[1]), Number(f[2]), Number(f[3])] : undefined;
}

/** Whether a colour is dark (relative luminance, WCAG 2 definition, below 0.4). */
export function isDark(color: string): boolean {
  const c = rgb(color);
  if (!c) return false;
  const [r, g, b] = c.map((v) => {
    const s = v / 255;
    return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  }) as [number, number, number];
  return 0.2126 * r + 0.7152 * g + 0.0722 * b < 0.4;
}

/**
 * Applies Telegram's theme parameters as CSS variables (app.css falls back to the browser's
 * light or dark scheme without them) and marks the document `data-scheme="dark|light"`.
 */
export function applyTheme(theme: ThemeParams | undefined): void {
  const root = document.documentElement;
  for (const [param, cssVar] of VARS) {
    const v = theme?.[param];
    if (v && /^#[0-9a-f]{6}$/i.test(v)) root.style.setProperty(cssVar, v);
    else root.style.removeProperty(cssVar);
  }
  const bg = getComputedStyle(root).getPropertyValue("--bg");
  root.dataset.scheme = isDark(bg) ? "dark" : "light";
}

/** The chart colours of the theme now applied. */
export function chartTheme(): ChartTheme {
  const css = getComputedStyle(document.documentElement);
  const get = (v: string) => css.getPropertyValue(v).trim();
  const dark = document.documentElement.dataset.scheme === "dark";
  return {
    dark,
    text: get("--text"),
    hint: get("--hint"),
    grid: dark ? "rgba(255,255,255,0.12)" : "rgba(0,0,0,0.08)",
    card: get("--card"),
  };
}
