import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { type BrowserContext, chromium, type Page } from "playwright-core";
import { type BotTestApp, startBotTestApp } from "../helpers/bot-app.ts";
import { fakeClock } from "../helpers/clock.ts";
import { seedDashboard } from "../helpers/dashboard-seed.ts";
import { launchData } from "../helpers/init-data.ts";
import { recordingSender } from "../helpers/sender.ts";
import { waitForBotMessage } from "../helpers/telegram.ts";

/** Debian's Chromium (`apt-get install chromium`, done by .ci/run). */
const CHROMIUM = process.env.CHROMIUM_BIN ?? "/usr/bin/chromium";
const SKIP = existsSync(CHROMIUM)
  ? false
  : `no Chromium at ${CHROMIUM}: install Debian's "chromium" package (.ci/run does) or set CHROMIUM_BIN`;

const ADMIN = { id: 424242, first_name: "Ada", username: "ada_ops" };
const STRANGER = { id: 777001, first_name: "Mallory" };
const PAGES = ["overview", "proxy", "incidents", "agents"] as const;
const WAIT_MS = 30_000;

/** Theme parameters as Telegram's Android client sends them (day and night themes). */
const THEMES = {
  light: {
    bg_color: "#ffffff",
    secondary_bg_color: "#efeff3",
    text_color: "#000000",
    hint_color: "#999999",
    link_color: "#2481cc",
    button_color: "#2481cc",
    button_text_color: "#ffffff",
    accent_text_color: "#2481cc",
    destructive_text_color: "#ff3b30",
  },
  dark: {
    bg_color: "#212121",
    secondary_bg_color: "#181818",
    text_color: "#ffffff",
    hint_color: "#aaaaaa",
    link_color: "#8774e1",
    button_color: "#8774e1",
    button_text_color: "#ffffff",
    accent_text_color: "#8774e1",
    destructive_text_color: "#ff595a",
  },
} as const;

/** Viewports, and the least width a chart must get there (one column, or two). */
const VIEWPORTS = {
  phone: { width: 375, height: 812, chartWidth: 300 },
  desktop: { width: 1280, height: 900, chartWidth: 450 },
} as const;

/** What the page says about each chart canvas: data points above zero and painted pixels. */
interface CanvasReport {
  label: string;
  points: number;
  width: number;
  painted: number;
  colors: number;
}

/**
 * Runs in the page (as source text: the test's type check has no DOM types): each chart
 * canvas with its `data-points`, CSS width, and non-transparent pixels (every 5th sampled)
 * and how many colours they have.
 */
const CANVAS_REPORT = `[...document.querySelectorAll("canvas")].map((c) => {
  const d = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
  let painted = 0;
  const colors = new Set();
  for (let i = 0; i < d.length; i += 4 * 5) {
    if (d[i + 3] === 0) continue;
    painted++;
    colors.add((d[i] << 16) | (d[i + 1] << 8) | d[i + 2]);
  }
  return { label: c.getAttribute("aria-label") || "", points: Number(c.dataset.points),
    width: c.clientWidth, painted, colors: colors.size };
})`;

async function canvases(page: Page): Promise<CanvasReport[]> {
  return (await page.evaluate(CANVAS_REPORT)) as CanvasReport[];
}

/** Evaluates an expression in the page. */
const inPage = async <T>(page: Page, expression: string): Promise<T> =>
  (await page.evaluate(expression)) as T;

function assertChartsDrawn(reports: CanvasReport[], where: string, minWidth: number): void {
  assert.ok(reports.length >= 2, `${where}: charts on the page (${reports.length})`);
  for (const r of reports) {
    const what = `${where} "${r.label}"`;
    assert.ok(r.points > 0, `${what}: has data points`);
    assert.ok(r.painted > 500, `${what}: painted pixels (${r.painted})`);
    assert.ok(r.colors >= 3, `${what}: more than a background (${r.colors} colours)`);
    assert.ok(r.width >= minWidth, `${what}: ${r.width}px wide`);
  }
}

/**
 * The part of the page's DOM the waits read. Waits take functions, not source text: polling
 * source text needs eval, which the app's Content Security Policy forbids.
 */
type PageState = { document: { body: { dataset: Record<string, string | undefined> } } };

const ready = (page: Page, name: string) =>
  page.waitForFunction(
    (n) => {
      const body = (globalThis as unknown as PageState).document.body.dataset;
      return body.state === "ready" && body.page === n;
    },
    name,
    { timeout: WAIT_MS },
  );

const failed = (page: Page) =>
  page.waitForFunction(
    () => (globalThis as unknown as PageState).document.body.dataset.state === "error",
    null,
    { timeout: WAIT_MS },
  );

describe("the dashboard in a real headless Chromium", { skip: SKIP }, () => {
  let b: BotTestApp;
  let context: BrowserContext;
  let profile: string;
  let shots: string;
  const clock = fakeClock(new Date());

  before(async () => {
    b = await startBotTestApp({
      adminIds: [ADMIN.id],
      options: { clock, sender: recordingSender() },
    });
    await seedDashboard(b.t.app, clock, new Date());
    profile = mkdtempSync(join(tmpdir(), "cp-chromium-"));
    shots = process.env.DASHBOARD_SHOTS_DIR ?? mkdtempSync(join(tmpdir(), "cp-shots-"));
    mkdirSync(shots, { recursive: true });
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    });
  });
  after(async () => {
    await context?.close();
    await b?.stop();
    if (profile) rmSync(profile, { recursive: true, force: true });
    if (shots && !process.env.DASHBOARD_SHOTS_DIR) rmSync(shots, { recursive: true, force: true });
  });

  for (const [device, viewport] of Object.entries(VIEWPORTS)) {
    for (const scheme of ["light", "dark"] as const) {
      it(`${device} (${viewport.width} px), ${scheme} theme: every page loads with launch data and draws its charts`, async (t) => {
        const page = await context.newPage();
        await page.setViewportSize({ width: viewport.width, height: viewport.height });
        const fragment = new URLSearchParams({
          tgWebAppData: launchData(ADMIN, { authDate: clock.now() }),
          tgWebAppVersion: "8.0",
          tgWebAppPlatform: "android",
          tgWebAppThemeParams: JSON.stringify(THEMES[scheme]),
        });
        await page.goto(`${b.t.url}/app/#${fragment}`);
        for (const name of PAGES) {
          if (name !== "overview") await page.click(`#tabs a[data-page="${name}"]`);
          await ready(page, name);
          assert.equal(await inPage(page, "document.documentElement.dataset.scheme"), scheme);
          const bg = await inPage(page, "getComputedStyle(document.body).backgroundColor");
          assert.equal(bg, scheme === "light" ? "rgb(255, 255, 255)" : "rgb(33, 33, 33)");
          const overflow = await inPage<number>(page, "document.documentElement.scrollWidth");
          assert.ok(overflow <= viewport.width, `${name}: no sideways scrolling (${overflow} px)`);
          assertChartsDrawn(
            await canvases(page),
            `${device}/${scheme}/${name}`,
            viewport.chartWidth,
          );
          const file = join(shots, `${device}-${scheme}-${name}.png`);
          await page.screenshot({ path: file, fullPage: true });
          t.diagnostic(`screenshot ${file}`);
        }
        await page.close();
      });
    }
  }

  it("the Proxy page switches to 30 days and to agents and draws them", async () => {
    const page = await context.newPage();
    await page.setViewportSize({ width: 1280, height: 900 });
    const fragment = new URLSearchParams({
      tgWebAppData: launchData(ADMIN, { authDate: clock.now() }),
    });
    await page.goto(`${b.t.url}/app/#${fragment}`);
    await ready(page, "overview");
    await page.click('#tabs a[data-page="proxy"]');
    await ready(page, "proxy");
    await page.click("text=30 days");
    await ready(page, "proxy");
    await page.click("text=by agent");
    await ready(page, "proxy");
    const legend = await inPage(page, `document.querySelector(".seg button.active").textContent`);
    assert.equal(legend, "30 days");
    assertChartsDrawn(await canvases(page), "proxy/30d/agents", 300);
    await page.screenshot({
      path: join(shots, "desktop-light-proxy-30d-agents.png"),
      fullPage: true,
    });
    await page.close();
  });

  it("a desktop browser signs in with the one-time link of /dashboard (dark by its own preference), once", async (t) => {
    const admin = b.user(ADMIN.id, ADMIN.first_name, ADMIN.username);
    await admin.sendCommand(admin.makeCommand("/dashboard"));
    const m = await waitForBotMessage(
      admin,
      ADMIN.id,
      (x) => x.text.includes("one-time link"),
      "/dashboard",
    );
    t.diagnostic(m.text);
    assert.match(m.text, /Set PUBLIC_URL to this server's https address/);
    const loginUrl = /http:\/\/127\.0\.0\.1:\d+\/app\/login\?token=[\w-]+/.exec(m.text)?.[0] ?? "";
    assert.ok(loginUrl.startsWith(b.t.url), `the link points at this server: ${loginUrl}`);
    const entry = { loginUrl };
    const page = await context.newPage();
    await page.setViewportSize({ width: 1280, height: 900 });
    await page.emulateMedia({ colorScheme: "dark" });
    await page.goto(entry.loginUrl);
    await page.click("text=Open the dashboard");
    await ready(page, "overview");
    assert.equal(page.url(), `${b.t.url}/app/`);
    assert.match((await page.textContent("#who")) ?? "", /browser session/);
    assert.equal(await inPage(page, "document.documentElement.dataset.scheme"), "dark");
    assertChartsDrawn(await canvases(page), "login/overview", 300);
    const cookies = await context.cookies(b.t.url);
    const session = cookies.find((c) => c.name === "cp_dashboard");
    assert.equal(session?.httpOnly, true);
    assert.equal(session?.sameSite, "Strict");
    assert.equal(await inPage(page, `document.cookie.includes("cp_dashboard")`), false);
    await page.screenshot({ path: join(shots, "desktop-dark-login-overview.png"), fullPage: true });

    const again = await context.newPage();
    await again.goto(entry.loginUrl);
    await again.click("text=Open the dashboard");
    await again.waitForSelector("text=Link expired", { timeout: WAIT_MS });
    await again.close();

    await page.click("text=Sign out");
    await failed(page);
    assert.match((await page.textContent("#page")) ?? "", /Not signed in/);
    await page.close();
  });

  it("a stranger's launch data is refused and shows no data", async () => {
    const page = await context.newPage();
    const fragment = new URLSearchParams({
      tgWebAppData: launchData(STRANGER, { authDate: clock.now() }),
    });
    await page.goto(`${b.t.url}/app/#${fragment}`);
    await failed(page);
    assert.match((await page.textContent("#page")) ?? "", /Only the commanders of this bot/);
    assert.equal((await canvases(page)).length, 0);
    await page.close();
  });
});
