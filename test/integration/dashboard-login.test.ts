import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { eq } from "drizzle-orm";
import { dashboardLoginLinks } from "../../db/schema/index.ts";
import { hashToken } from "../../src/dashboard/login-store.ts";
import { startTestApp, type TestApp } from "../helpers/app.ts";
import { fakeClock, REFERENCE_TIME } from "../helpers/clock.ts";
import { testDatabases } from "../helpers/db.ts";

const ADMIN = 424242;
const MIN = 60_000;

/** Posts the login form the way a browser does. */
function redeem(base: string, token: string) {
  return fetch(`${base}/app/login`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ token }).toString(),
    redirect: "manual",
  });
}

const tokenOf = (loginUrl: string) => new URL(loginUrl).searchParams.get("token") ?? "";
const cookieOf = (res: Response) => (res.headers.get("set-cookie") ?? "").split(";")[0] ?? "";

for (const kind of testDatabases()) {
  describe(`dashboard one-time login links on ${kind.name}`, () => {
    let t: TestApp;
    const clock = fakeClock(REFERENCE_TIME);
    const me = (cookie: string) => fetch(`${t.url}/api/app/me`, { headers: { cookie } });

    before(async () => {
      t = await startTestApp(
        await kind.open(),
        { TELEGRAM_ADMIN_IDS: String(ADMIN), DASHBOARD_SESSION_TTL_S: "1800" },
        { clock },
      );
    });
    after(() => t?.stop());

    it("a link points at this server when PUBLIC_URL is unset, and its token is stored hashed", async () => {
      const e = await t.app.dashboard.entry(ADMIN);
      assert.equal(e.appUrl, undefined);
      assert.ok(e.loginUrl.startsWith(`${t.url}/app/login?token=`), e.loginUrl);
      assert.equal(e.expiresAt.getTime(), clock.now().getTime() + 10 * MIN);
      const token = tokenOf(e.loginUrl);
      assert.match(token, /^[A-Za-z0-9_-]{43}$/);
      const rows = await t.app.database.db.select().from(dashboardLoginLinks);
      assert.ok(rows.every((r) => r.tokenHash !== token));
      assert.ok(rows.some((r) => r.tokenHash === hashToken(token)));
    });

    it("opening the link shows a form and uses nothing up; posting it signs the browser in once", async () => {
      const e = await t.app.dashboard.entry(ADMIN);
      const token = tokenOf(e.loginUrl);
      for (let i = 0; i < 2; i++) {
        const page = await fetch(e.loginUrl);
        assert.equal(page.status, 200);
        const html = await page.text();
        assert.match(html, /<form method="post" action="\/app\/login">/);
        assert.ok(html.includes(`value="${token}"`));
      }
      const first = await redeem(t.url, token);
      assert.equal(first.status, 303);
      assert.equal(first.headers.get("location"), "/app/");
      const setCookie = first.headers.get("set-cookie") ?? "";
      assert.match(setCookie, /^cp_dashboard=[A-Za-z0-9_-]{43}; /);
      for (const attr of ["HttpOnly", "SameSite=Strict", "Path=/", "Max-Age=1800"])
        assert.ok(setCookie.includes(attr), `${attr} in ${setCookie}`);
      assert.ok(!setCookie.includes("Secure"), "plain http without an https PUBLIC_URL");
      const who = await me(cookieOf(first));
      assert.equal(who.status, 200);
      assert.deepEqual(await who.json(), {
        user_id: ADMIN,
        name: String(ADMIN),
        via: "session",
        time_zone: "Asia/Taipei",
      });
      const second = await redeem(t.url, token);
      assert.equal(second.status, 401);
      assert.equal(second.headers.get("set-cookie"), null);
      assert.match(await second.text(), /already used or is older than 10 minutes/);
    });

    it("of two simultaneous redemptions exactly one signs in", async () => {
      const token = tokenOf((await t.app.dashboard.entry(ADMIN)).loginUrl);
      const answers = await Promise.all(Array.from({ length: 5 }, () => redeem(t.url, token)));
      assert.deepEqual(answers.map((r) => r.status).sort(), [303, 401, 401, 401, 401]);
    });

    it("a link expires after 10 minutes", async () => {
      const token = tokenOf((await t.app.dashboard.entry(ADMIN)).loginUrl);
      clock.advance(10 * MIN + 1000);
      assert.equal((await redeem(t.url, token)).status, 401);
    });

    it("a session ends after DASHBOARD_SESSION_TTL_S and on sign-out", async () => {
      const a = cookieOf(
        await redeem(t.url, tokenOf((await t.app.dashboard.entry(ADMIN)).loginUrl)),
      );
      const b = cookieOf(
        await redeem(t.url, tokenOf((await t.app.dashboard.entry(ADMIN)).loginUrl)),
      );
      assert.equal((await me(a)).status, 200);
      const out = await fetch(`${t.url}/app/logout`, {
        method: "POST",
        headers: { cookie: b },
        redirect: "manual",
      });
      assert.equal(out.status, 303);
      assert.match(out.headers.get("set-cookie") ?? "", /cp_dashboard=; .*Max-Age=0/);
      assert.equal((await me(b)).status, 401);
      clock.advance(29 * MIN);
      assert.equal((await me(a)).status, 200);
      clock.advance(2 * MIN);
      assert.equal((await me(a)).status, 401);
      assert.equal((await me("cp_dashboard=forged-session-token-value")).status, 401);
    });

    it("a link of someone no longer an admin is refused with 403 and no cookie", async () => {
      const token = tokenOf((await t.app.dashboard.entry(555)).loginUrl);
      const r = await redeem(t.url, token);
      assert.equal(r.status, 403);
      assert.equal(r.headers.get("set-cookie"), null);
    });

    it("a malformed token is a 400 naming the field", async () => {
      const r = await redeem(t.url, "short");
      assert.equal(r.status, 400);
      assert.equal(((await r.json()) as { error: { field: string } }).error.field, "token");
      const missing = await fetch(`${t.url}/app/login`);
      assert.equal(missing.status, 400);
    });

    it("rows of expired links and sessions are swept when a new link is issued", async () => {
      clock.advance(24 * 60 * MIN);
      const e = await t.app.dashboard.entry(ADMIN);
      const rows = await t.app.database.db.select().from(dashboardLoginLinks);
      assert.deepEqual(
        rows.map((r) => r.tokenHash),
        [hashToken(tokenOf(e.loginUrl))],
      );
      const [row] = await t.app.database.db
        .select()
        .from(dashboardLoginLinks)
        .where(eq(dashboardLoginLinks.tokenHash, hashToken(tokenOf(e.loginUrl))));
      assert.equal(row?.userId, ADMIN);
    });
  });
}
