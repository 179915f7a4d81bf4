import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type {
  AgentsResponse,
  IncidentsResponse,
  OverviewResponse,
  ProxyResponse,
} from "../../src/dashboard/api-types.ts";
import { type BotTestApp, startBotTestApp } from "../helpers/bot-app.ts";
import { fakeClock, REFERENCE_TIME } from "../helpers/clock.ts";
import { type DashboardSeed, seedDashboard } from "../helpers/dashboard-seed.ts";
import { testDatabases } from "../helpers/db.ts";
import { launchData } from "../helpers/init-data.ts";
import { recordingSender } from "../helpers/sender.ts";

const ADMIN = { id: 424242, first_name: "Ada", username: "ada_ops" };
const STRANGER = { id: 777001, first_name: "Mallory" };
const PATHS = ["me", "overview", "proxy", "incidents", "agents"];
const NOW = new Date(REFERENCE_TIME);

// biome-ignore lint/suspicious/noExplicitAny: the tests read JSON bodies ad hoc
type Json = any;

async function get(url: string, headers: Record<string, string> = {}) {
  const res = await fetch(url, { headers, redirect: "manual" });
  const text = await res.text();
  let body: Json = text;
  try {
    body = JSON.parse(text);
  } catch {
    /* HTML or empty */
  }
  return { status: res.status, body, headers: res.headers };
}

const tma = (raw: string) => ({ authorization: `tma ${raw}` });
const series = (n: number) => (a: unknown[]) => assert.equal(a.length, n);
const sum = (xs: (number | null)[]) => xs.reduce<number>((a, b) => a + (b ?? 0), 0);

for (const kind of testDatabases()) {
  describe(`dashboard data API on ${kind.name}`, () => {
    let b: BotTestApp;
    let seed: DashboardSeed;
    const clock = fakeClock(REFERENCE_TIME);
    const api = (path: string) => `${b.t.url}/api/app/${path}`;
    const admin = () => tma(launchData(ADMIN, { authDate: clock.now() }));

    before(async () => {
      b = await startBotTestApp({
        adminIds: [ADMIN.id],
        database: await kind.open(),
        options: { clock, sender: recordingSender() },
      });
      seed = await seedDashboard(b.t.app, clock, NOW);
    });
    after(() => b?.stop());

    it("answers 401 and no data without credentials, for every endpoint", async () => {
      for (const p of PATHS) {
        const r = await get(api(p));
        assert.equal(r.status, 401, p);
        assert.deepEqual(Object.keys(r.body), ["error"]);
        assert.equal(r.body.error.field, "authorization");
      }
    });

    it("answers 401 to tampered, stale, foreign-bot and malformed initData", async () => {
      const good = launchData(ADMIN, { authDate: clock.now() });
      const tampered = good.replace("424242", "424243");
      const stale = launchData(ADMIN, { authDate: new Date(NOW.getTime() - 3_601_000) });
      const foreign = launchData(ADMIN, { authDate: clock.now(), token: "999:another-bot" });
      for (const raw of [tampered, stale, foreign, "user=1&hash=abc"]) {
        for (const p of PATHS) {
          const r = await get(api(p), tma(raw));
          assert.equal(r.status, 401, `${p} ${raw.slice(0, 30)}`);
          assert.deepEqual(Object.keys(r.body), ["error"]);
        }
      }
      assert.equal((await get(api("me"), { authorization: "Bearer x" })).status, 401);
    });

    it("answers 403 and no data to a stranger's genuine initData", async () => {
      const raw = launchData(STRANGER, { authDate: clock.now() });
      for (const p of PATHS) {
        const r = await get(api(p), tma(raw));
        assert.equal(r.status, 403, p);
        assert.deepEqual(Object.keys(r.body), ["error"]);
      }
    });

    it("tells an admin who they are", async () => {
      const r = await get(api("me"), admin());
      assert.equal(r.status, 200);
      assert.deepEqual(r.body, {
        user_id: ADMIN.id,
        name: "Ada (@ada_ops)",
        via: "telegram",
        time_zone: "Asia/Taipei",
      });
      assert.equal(r.headers.get("cache-control"), "no-store");
    });

    it("overview: open incidents, autonomy index, smoke, replicas, proxy today", async () => {
      const r = await get(api("overview"), admin());
      assert.equal(r.status, 200);
      const o = r.body as OverviewResponse;
      // Day 0's critical is the only incident nobody resolved (acknowledged: day 0 is even).
      assert.equal(o.incidents.acknowledged, 1);
      assert.equal(o.incidents.open, 0, "a stall is a warning: no incident");
      assert.ok(o.incidents.items.some((i) => i.title === "HighErrorRate on momo-app:80"));
      // In the last 24 h: day 0's critical (acknowledged by a person) and warning (nobody).
      assert.deepEqual(
        { notified: o.autonomy.notified, decided: o.autonomy.decided, index: o.autonomy.index },
        { notified: 2, decided: 1, index: 0.5 },
      );
      series(14)(o.autonomy.daily.index);
      assert.equal(o.autonomy.daily.buckets.labels.at(-1), "11-23");
      // Days 1-6, 8-10, 12 and 13 back had a critical and a warning notified; every critical
      // was acknowledged or resolved by a person, so each of those days is at 50 %. Today
      // also has the reviewer's stall warning (at the reference time): 1 of 3 decided.
      const seeded = [1, 2, 3, 4, 5, 6, 8, 9, 10, 12, 13].map((d) => 13 - d);
      o.autonomy.daily.notified.forEach((n, i) => {
        if (i === 13) return;
        assert.equal(n, seeded.includes(i) ? 2 : 0, `day ${i}`);
        assert.equal(o.autonomy.daily.index[i], seeded.includes(i) ? 0.5 : null, `day ${i}`);
      });
      assert.equal(o.autonomy.daily.notified[13], 3);
      assert.equal(o.autonomy.daily.index[13], 2 / 3);
      assert.equal(o.smoke.overall, "ok");
      assert.deepEqual(
        o.smoke.checks.map((c) => c.name),
        ["database", "outbox_backlog", "backends", "heal_plans"],
      );
      series(24)(o.smoke.hourly.ok);
      // The 24 hourly buckets end with the current hour: 2026-11-22T02:00Z up to 02:00 today.
      const inHours = seed.smokeRanAt.filter(
        (t) => t >= new Date(o.smoke.hourly.buckets.starts[0] ?? ""),
      );
      assert.equal(inHours.length, 276);
      assert.equal(
        sum(o.smoke.hourly.ok) + sum(o.smoke.hourly.warning) + sum(o.smoke.hourly.critical),
        276,
      );
      assert.equal(
        sum(o.smoke.hourly.critical),
        inHours.filter((_, i) => (i + 12) % 50 === 7).length,
      );
      assert.equal(o.replicas.length, 1);
      assert.equal(o.replicas[0]?.self, true);
      assert.match(o.replicas[0]?.id ?? "", /:\d+$/);
      assert.ok(o.proxy_today.requests > 0 && o.proxy_today.cost_usd > 0);
    });

    it("proxy, 72 h: hourly series by backend and agent, p95, cooldown log", async () => {
      const r = await get(api("proxy?range=72h"), admin());
      assert.equal(r.status, 200);
      const p = r.body as ProxyResponse;
      assert.equal(p.buckets.bucket, "hour");
      series(72)(p.buckets.labels);
      assert.equal(p.buckets.starts.at(-1), "2026-11-23T01:00:00.000Z");
      assert.equal(p.buckets.labels.at(-1), "11-23 09:00");
      assert.deepEqual(p.by_backend.map((s) => s.key).sort(), [
        "nv-primary-1",
        "openrouter-fallback",
      ]);
      assert.deepEqual(p.by_agent.map((s) => s.key).sort(), ["architect", "builder"]);
      assert.equal(p.totals.requests, seed.requests72h);
      assert.equal(sum(p.by_backend.flatMap((s) => s.requests)), seed.requests72h);
      assert.equal(sum(p.by_agent.flatMap((s) => s.requests)), seed.requests72h);
      for (const s of p.by_backend)
        for (const k of ["requests", "tokens", "cost_usd", "p95_ms"] as const) series(72)(s[k]);
      const nv = p.by_backend.find((s) => s.key === "nv-primary-1");
      assert.ok(
        nv?.p95_ms.every((v) => v === 2500),
        "80 % at 500 ms, 20 % at 2.5 s → p95 2.5 s",
      );
      assert.equal(p.totals.latency_p95_ms, 5000);
      assert.equal(p.cooldowns.length, seed.cooldowns72h);
      assert.equal(sum(p.cooldowns_per_bucket), seed.cooldowns72h);
      assert.ok(p.cooldowns[0] && p.cooldowns[0].started_at > (p.cooldowns[1]?.started_at ?? ""));
      assert.equal(p.cooldowns[0]?.reason, "429 Too Many Requests");
    });

    it("proxy, 30 days: daily series in the report time zone", async () => {
      const r = await get(api("proxy?range=30d"), admin());
      assert.equal(r.status, 200);
      const p = r.body as ProxyResponse;
      assert.equal(p.buckets.bucket, "day");
      series(30)(p.buckets.labels);
      assert.equal(p.buckets.labels.at(-1), "11-23");
      assert.equal(p.buckets.starts.at(-1), "2026-11-22T16:00:00.000Z", "midnight in Asia/Taipei");
      assert.ok(p.by_backend.every((s) => s.requests.filter((n) => n > 0).length >= 29));
      assert.ok(p.totals.requests > seed.requests72h);
      assert.equal(p.cooldowns.length, 7);
    });

    it("proxy: an unknown range is a 400 naming the field", async () => {
      const r = await get(api("proxy?range=1y"), admin());
      assert.equal(r.status, 400);
      assert.equal(r.body.error.field, "range");
    });

    it("incidents: 30-day timeline with MTTA and MTTR", async () => {
      const r = await get(api("incidents"), admin());
      assert.equal(r.status, 200);
      const x = r.body as IncidentsResponse;
      series(30)(x.opened);
      series(30)(x.mttr_min);
      assert.equal(x.summary.opened, seed.incidentDays.length);
      assert.equal(sum(x.opened), seed.incidentDays.length);
      assert.equal(x.summary.resolved, seed.incidentDays.length - 1);
      assert.equal(x.summary.resolved_by_hand, seed.incidentDays.length - 1);
      // Day d's incident was acknowledged after 5 + d minutes (even days).
      const even = seed.incidentDays.filter((d) => d % 2 === 0);
      const mtta = even.reduce((a, d) => a + (5 + d) * 60_000, 0) / even.length;
      assert.equal(x.summary.mtta_ms, Math.round(mtta));
      assert.ok(x.summary.mttr_ms !== null && x.summary.mttr_ms > 40 * 60_000);
      assert.ok(x.summary.unresolved_now >= 1);
      assert.equal(x.items.length, seed.incidentDays.length);
      assert.ok(x.mtta_min.some((m) => m !== null) && x.mttr_min.some((m) => m !== null));
    });

    it("agents: heartbeats, aider sessions and cost", async () => {
      const r = await get(api("agents"), admin());
      assert.equal(r.status, 200);
      const a = r.body as AgentsResponse;
      assert.deepEqual(a.agents.map((g) => g.name).sort(), seed.agents);
      assert.equal(a.agents.find((g) => g.name === "reviewer")?.state, "stalled");
      series(48)(a.beats.buckets.labels);
      assert.deepEqual(
        a.beats.series.map((s) => s.key),
        seed.agents,
      );
      assert.ok(a.beats.series.every((s) => sum(s.counts) > 0));
      assert.equal(a.sessions.totals.sessions, seed.sessions);
      assert.equal(sum(a.sessions.count), seed.sessions);
      assert.ok(a.sessions.totals.cost_usd > 1);
      assert.deepEqual(a.proxy_cost_by_agent.map((c) => c.key).sort(), ["architect", "builder"]);
      assert.equal(a.recent_sessions[0]?.id, "seed-session-0");
    });

    it("serves the app itself without credentials, with its policy headers", async () => {
      const index = await get(`${b.t.url}/app/`);
      assert.equal(index.status, 200);
      assert.match(String(index.body), /<script src="\.\/app\.js" defer><\/script>/);
      assert.match(index.headers.get("content-security-policy") ?? "", /script-src 'self'/);
      const js = await fetch(`${b.t.url}/app/app.js`);
      assert.equal(js.status, 200);
      assert.match(js.headers.get("content-type") ?? "", /javascript/);
      const body = await js.text();
      assert.match(body, /Chart\.js v4/);
      assert.ok(!/https?:\/\/cdn/i.test(body), "nothing from a CDN");
      const etag = js.headers.get("etag") ?? "";
      const again = await fetch(`${b.t.url}/app/app.js`, { headers: { "if-none-match": etag } });
      assert.equal(again.status, 304);
      assert.equal((await get(`${b.t.url}/app`)).status, 308);
    });
  });
}
