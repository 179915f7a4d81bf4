import {
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  type ChartConfiguration,
  type ChartDataset,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Tooltip,
} from "chart.js";
import { card, h } from "./dom.ts";
import { type ChartTheme, chartTheme, SERIES_COLORS } from "./theme.ts";

Chart.register(
  BarController,
  BarElement,
  CategoryScale,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Legend,
  Tooltip,
);

/** One data series: bars by default, or a line; on the left axis unless `y1`. */
export interface Series {
  label: string;
  data: (number | null)[];
  kind?: "bar" | "line";
  axis?: "y" | "y1";
  color?: string;
}

/** An axis: title, tick format, upper bound; `count` axes tick whole numbers only. */
export interface Axis {
  title?: string;
  format?: (v: number) => string;
  max?: number;
  count?: boolean;
}

/** What a chart shows. */
export interface ChartSpec {
  labels: string[];
  series: Series[];
  stacked?: boolean;
  /** Bars grow sideways (long category names, e.g. agents). */
  horizontal?: boolean;
  y?: Axis;
  y1?: Axis;
}

/** A chart card: appended to the page first, drawn once it has a size. */
export interface ChartSlot {
  el: HTMLElement;
  draw(): Chart;
}

type Config = ChartConfiguration<"bar" | "line", (number | null)[], string>;

function dataset(
  s: Series,
  i: number,
  stacked: boolean,
): ChartDataset<"bar" | "line", (number | null)[]> {
  const color = s.color ?? SERIES_COLORS[i % SERIES_COLORS.length] ?? "#888";
  const line = s.kind === "line";
  return {
    type: line ? "line" : "bar",
    label: s.label,
    data: s.data,
    backgroundColor: color,
    borderColor: color,
    borderWidth: line ? 2 : 0,
    pointRadius: line ? (s.data.length > 40 ? 0 : 2) : 0,
    yAxisID: s.axis ?? "y",
    ...(stacked && !line ? { stack: "all" } : {}),
  } as ChartDataset<"bar" | "line", (number | null)[]>;
}

function axis(t: ChartTheme, a: Axis | undefined, stacked: boolean, right = false) {
  return {
    stacked,
    beginAtZero: true,
    ...(a?.max !== undefined ? { max: a.max } : {}),
    position: right ? ("right" as const) : ("left" as const),
    grid: { color: t.grid, drawOnChartArea: !right },
    ticks: {
      color: t.hint,
      maxTicksLimit: 6,
      ...(a?.count ? { precision: 0 } : {}),
      ...(a?.format ? { callback: (v: string | number) => a.format?.(Number(v)) } : {}),
    },
    title: { display: a?.title !== undefined, text: a?.title ?? "", color: t.hint },
  };
}

function config(spec: ChartSpec, t: ChartTheme): Config {
  const stacked = spec.stacked ?? false;
  const value = { ...axis(t, spec.y, stacked) };
  const category = {
    stacked,
    grid: { display: false },
    ticks: { color: t.hint, maxRotation: 0, autoSkip: true, autoSkipPadding: 12 },
  };
  return {
    type: "bar",
    data: { labels: spec.labels, datasets: spec.series.map((s, i) => dataset(s, i, stacked)) },
    options: {
      animation: false,
      responsive: true,
      maintainAspectRatio: false,
      indexAxis: spec.horizontal ? "y" : "x",
      interaction: { mode: "index", intersect: false },
      plugins: {
        legend: {
          display: spec.series.length > 1,
          position: "bottom",
          labels: { color: t.text, boxWidth: 10, boxHeight: 10, padding: 8 },
        },
        tooltip: { enabled: true },
      },
      scales: {
        x: spec.horizontal ? value : category,
        y: spec.horizontal ? category : value,
        ...(spec.y1 ? { y1: axis(t, spec.y1, false, true) } : {}),
      },
    } as Config["options"],
  };
}

/**
 * A card holding one chart. The canvas records how many values are above zero in
 * `data-points` (the browser test reads it with the pixels).
 */
export function chartCard(title: string, spec: ChartSpec, note?: string): ChartSlot {
  const canvas = h("canvas", { role: "img", "aria-label": title });
  const points = spec.series.reduce(
    (n, s) => n + s.data.filter((v) => v !== null && v > 0).length,
    0,
  );
  canvas.dataset.points = String(points);
  const el = card(
    title,
    h("div", { class: "chart" }, canvas),
    note ? h("p", { class: "hint" }, note) : null,
  );
  return { el, draw: () => new Chart(canvas, config(spec, chartTheme())) };
}

/** Destroys every chart under `root` (before a page is replaced). */
export function destroyCharts(root: HTMLElement): void {
  for (const c of root.querySelectorAll("canvas")) Chart.getChart(c)?.destroy();
}
