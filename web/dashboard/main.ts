/**
 * The commandpost dashboard (Telegram Mini App and browser page). Four pages, chosen by the
 * URL fragment (`#/overview`, `#/proxy`, `#/incidents`, `#/agents`); data from `/api/app/*`.
 * `body[data-state]` says `loading`, `ready` or `error`; `body[data-page]` names the page.
 */
import type { MeResponse } from "../../src/dashboard/api-types.ts";
import { type Api, ApiError, createApi } from "./api.ts";
import { destroyCharts } from "./charts.ts";
import { h } from "./dom.ts";
import { agentsPage } from "./pages/agents.ts";
import { incidentsPage } from "./pages/incidents.ts";
import { overviewPage } from "./pages/overview.ts";
import type { Page } from "./pages/page.ts";
import { proxyPage } from "./pages/proxy.ts";
import { type LaunchParams, onThemeChanged, postEvent, readLaunchParams } from "./telegram.ts";
import { applyTheme } from "./theme.ts";

const PAGES: Record<string, Page> = {
  overview: overviewPage,
  proxy: proxyPage,
  incidents: incidentsPage,
  agents: agentsPage,
};

function explain(err: unknown, launch: LaunchParams): string {
  if (!(err instanceof ApiError)) return `Something went wrong: ${String(err)}`;
  if (err.status === 401 && launch.initData)
    return "Telegram's sign-in for this dashboard is older than an hour or not valid: close it and open it again from /dashboard.";
  if (err.status === 401)
    return "Not signed in. Send /dashboard to the bot and open its one-time login link in this browser.";
  if (err.status === 403) return "Only the commanders of this bot may see the dashboard.";
  return `Could not load the data: ${err.message}`;
}

function footer(me: MeResponse): HTMLElement[] {
  const who = h(
    "span",
    {},
    `Signed in as ${me.name} (${me.via === "telegram" ? "Telegram" : "browser session"}) · times in ${me.time_zone} `,
  );
  if (me.via !== "session") return [who];
  const out = h(
    "form",
    { method: "post", action: "/app/logout", class: "inline" },
    h("button", { type: "submit", class: "button" }, "Sign out"),
  );
  return [who, out];
}

function start(): void {
  const launch = readLaunchParams();
  const root = document.getElementById("page") as HTMLElement;
  const api: Api = createApi(launch.initData);
  let me: MeResponse | undefined;
  let generation = 0;

  async function render(): Promise<void> {
    const mine = ++generation;
    const name = location.hash.replace(/^#\/?/, "") || "overview";
    const page = PAGES[name] ?? overviewPage;
    for (const a of document.querySelectorAll<HTMLAnchorElement>("#tabs a"))
      a.classList.toggle("active", a.dataset.page === (PAGES[name] ? name : "overview"));
    document.body.dataset.state = "loading";
    try {
      me ??= await api<MeResponse>("me");
      const view = await page({ api, timeZone: me.time_zone, rerender: () => void render() });
      if (mine !== generation) return; // a newer render replaced this one
      destroyCharts(root);
      root.replaceChildren(...view.nodes);
      for (const c of view.charts) c.draw();
      document.getElementById("who")?.replaceChildren(...footer(me));
      document.body.dataset.page = name;
      document.body.dataset.state = "ready";
    } catch (err: unknown) {
      if (mine !== generation) return;
      destroyCharts(root);
      root.replaceChildren(h("p", { class: "error" }, explain(err, launch)));
      document.body.dataset.state = "error";
    }
  }

  applyTheme(launch.theme);
  onThemeChanged((theme) => {
    launch.theme = theme;
    applyTheme(theme);
    void render();
  });
  matchMedia("(prefers-color-scheme: dark)").addEventListener("change", () => {
    if (launch.theme) return; // Telegram's theme rules inside Telegram
    applyTheme(undefined);
    void render();
  });
  window.addEventListener("hashchange", () => void render());
  postEvent("web_app_ready");
  postEvent("web_app_expand");
  void render();
}

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
else start();
