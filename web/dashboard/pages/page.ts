import type { Api } from "../api.ts";
import type { ChartSlot } from "../charts.ts";

/** What a page gets to build itself. */
export interface PageContext {
  api: Api;
  /** Zone of times shown (the server's `REPORT_TIMEZONE`). */
  timeZone: string;
  /** Builds the page again (after a control changed its state). */
  rerender(): void;
}

/** A built page: its nodes, and the charts to draw once they are in the document. */
export interface PageView {
  nodes: HTMLElement[];
  charts: ChartSlot[];
}

/** A page of the dashboard. */
export type Page = (ctx: PageContext) => Promise<PageView>;
