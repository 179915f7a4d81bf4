import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { and, count, eq } from "drizzle-orm";
import type { Database } from "../../db/client.ts";
import { agentBeats, agentStates, alerts, events, incidents } from "../../db/schema/index.ts";
import {
  type AgentClass,
  DEFAULT_AGENT_CLASSES,
  roundsWarnAt,
} from "../../src/heartbeats/agent-classes.ts";
import { type AGENT_ALERTS, agentAlertFingerprint } from "../../src/heartbeats/heartbeat-events.ts";
import { call, INGEST_TOKEN, startTestApp, type TestApp } from "../helpers/app.ts";
import { fakeClock } from "../helpers/clock.ts";
import { testDatabases } from "../helpers/db.ts";
import {
  type RecordingSender,
  recordingSender,
  type SentMessage,
  waitFor,
} from "../helpers/sender.ts";

const CHAT = 808080;
const NIGHTLY = { period_s: 600, stall_s: 1200, escalate_s: 2400, max_rounds: 5 };
const CLASSES: AgentClass[] = [
  ...Object.values(DEFAULT_AGENT_CLASSES),
  { name: "nightly", periodS: 600, stallS: 1200, escalateS: 2400, maxRounds: 5 },
];

/** Helpers over one running app. */
function harness(get: () => { t: TestApp; sender: RecordingSender }) {
  const beat = (agent: string, body: unknown, token = INGEST_TOKEN) =>
    call(`${get().t.url}/api/heartbeats/${agent}`, { token, body });
  const ok = async (agent: string, body: Record<string, unknown>) => {
    const res = await beat(agent, body);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return res.body as { action: string; reason?: string };
  };
  const db = () => get().t.app.database.db;
  const alertOf = async (kind: keyof typeof AGENT_ALERTS, agent: string, task: string | null) => {
    const fp = agentAlertFingerprint(kind, agent, task);
    const [row] = await db().select().from(alerts).where(eq(alerts.fingerprint, fp));
    return row;
  };
  const eventsOf = async (type: string) => {
    const [r] = await db().select({ n: count() }).from(events).where(eq(events.type, type));
    return r?.n ?? 0;
  };
  const message = async (text: string, also: (m: string) => boolean = () => true) =>
    (await waitFor(
      () => get().sender.messages.find((m) => m.text.includes(text) && also(m.text)),
      5000,
      `a message with "${text}"`,
    )) as SentMessage;
  return { beat, ok, db, alertOf, eventsOf, message, sender: () => get().sender };
}

for (const kind of testDatabases()) {
  describe(`heartbeats over POST /api/heartbeats on ${kind.name}`, () => {
    let t: TestApp;
    let sender: RecordingSender;
    const clock = fakeClock();
    const h = harness(() => ({ t, sender }));

    before(async () => {
      sender = recordingSender();
      t = await startTestApp(
        await kind.open(),
        {
          TELEGRAM_ALERT_CHAT_IDS: String(CHAT),
          AGENT_CLASSES: JSON.stringify({ nightly: NIGHTLY }),
        },
        { sender, clock, outboxPacing: { perChatMs: 5 } },
      );
    });
    after(() => t.stop());

    it("answers continue and stores the beat and the agent's state", async () => {
      const body = { class: "business", status: "working", task: "OPS-24", round: 3, note: "hi" };
      assert.deepEqual(await h.ok("architect", body), { action: "continue" });
      const [state] = await h
        .db()
        .select()
        .from(agentStates)
        .where(eq(agentStates.name, "architect"));
      assert.equal(state?.class, "business");
      assert.equal(state?.task, "OPS-24");
      assert.equal(state?.round, 3);
      assert.equal(state?.lastBeatAt.toISOString(), clock.now().toISOString());
      const beats = await h.db().select().from(agentBeats).where(eq(agentBeats.agent, "architect"));
      assert.deepEqual(
        beats.map((b) => [b.status, b.task, b.round, b.note]),
        [["working", "OPS-24", 3, "hi"]],
      );
      assert.deepEqual(await h.ok("plain", { status: "working" }), { action: "continue" });
      assert.equal(t.app.heartbeats.view("plain")?.cls.name, "development", "default class");
      await h.ok("architect", { status: "done" });
      await h.ok("plain", { status: "done" });
    });

    it("refuses bad input with 400 naming the field, and stores nothing", async () => {
      const [before] = await h.db().select({ n: count() }).from(agentBeats);
      const cases: [string, unknown, string][] = [
        ["Upper", { status: "working" }, "agent"],
        ["-lead", { status: "working" }, "agent"],
        ["a".repeat(64), { status: "working" }, "agent"],
        ["bad.dot", { status: "working" }, "agent"],
        ["a1", {}, "status"],
        ["a1", { status: "sleeping" }, "status"],
        ["a1", { status: "working", class: "astronaut" }, "class"],
        ["a1", { status: "working", class: 7 }, "class"],
        ["a1", { status: "working", round: -1 }, "round"],
        ["a1", { status: "working", round: 1.5 }, "round"],
        ["a1", { status: "working", round: "3" }, "round"],
        ["a1", { status: "working", task: 12 }, "task"],
        ["a1", { status: "working", task: "  " }, "task"],
        ["a1", { status: "working", task: "x".repeat(201) }, "task"],
        ["a1", { status: "working", note: 5 }, "note"],
        ["a1", { status: "working", note: "n".repeat(2001) }, "note"],
        ["a1", [{ status: "working" }], "body"],
        ["a1", '"working"', "body"],
      ];
      for (const [agent, body, field] of cases) {
        const res = await h.beat(agent, body);
        assert.equal(res.status, 400, `${agent} ${JSON.stringify(body)}`);
        assert.equal(res.body.error.field, field, `${agent} ${JSON.stringify(body)}`);
        assert.ok(res.body.error.message.startsWith(`${field}:`), res.body.error.message);
      }
      const broken = await h.beat("a1", "{not json");
      assert.deepEqual([broken.status, broken.body.error.field], [400, "body"]);
      const unknown = await h.beat("a1", { status: "working", class: "astronaut" });
      assert.match(
        unknown.body.error.message,
        /unknown class "astronaut" \(known: business, development, high_frequency, nightly\)/,
      );
      assert.equal((await h.beat("a1", { status: "working" }, "wrong")).status, 401);
      assert.equal((await h.beat("a1", { status: "working" }, "")).status, 401);
      const [afterwards] = await h.db().select({ n: count() }).from(agentBeats);
      assert.equal(afterwards?.n, before?.n, "nothing stored from a refused beat");
      assert.equal(t.app.heartbeats.view("a1"), undefined);
    });

    for (const c of CLASSES) {
      it(`${c.name}: warns at ${c.stallS / 60} min of silence, escalates at ${c.escalateS / 60} min, the next beat resolves both`, async () => {
        const agent = `stall-${c.name.replace("_", "-")}`;
        await h.ok(agent, { class: c.name, status: "working", task: "job-1", round: 3 });
        const stalledEvents = await h.eventsOf("agent_stalled");
        clock.advance(c.stallS * 1000 - 1000);
        assert.equal(await t.app.heartbeats.evaluate(), 0, "not yet");
        clock.advance(1000);
        assert.equal(await t.app.heartbeats.evaluate(), 1, "suspected stalled");
        const warning = await h.alertOf("stalled", agent, null);
        assert.equal(warning?.status, "firing");
        assert.equal(warning?.severity, "warning");
        assert.equal(warning?.incidentId, null, "a warning opens no incident");
        const msg = await h.message(`Agent suspected stalled: ${agent}`);
        assert.match(msg.text, new RegExp(`Last beat ${c.stallS / 60}m ago`));
        assert.match(msg.text, /task "job-1", round 3\//);
        const [row] = await h.db().select().from(agentStates).where(eq(agentStates.name, agent));
        assert.equal(row?.stallLevel, "stalled", "the verdict is stored");

        clock.advance(60_000);
        assert.equal(await t.app.heartbeats.evaluate(), 0, "raised once");
        assert.equal(await h.eventsOf("agent_stalled"), stalledEvents + 1, "no event, no write");

        clock.advance((c.escalateS - c.stallS) * 1000 - 61_000);
        assert.equal(await t.app.heartbeats.evaluate(), 0, "not escalated yet");
        clock.advance(1000);
        assert.equal(await t.app.heartbeats.evaluate(), 1, "escalated");
        const critical = await h.alertOf("escalated", agent, null);
        assert.equal(critical?.id, warning?.id, "the same alert, escalated in place");
        assert.equal(critical?.severity, "critical");
        assert.equal(critical?.type, "agent_stall_escalated");
        assert.ok(critical?.incidentId, "a critical opens an incident");
        const stalledAt = new Date(clock.now().getTime() - (c.escalateS - c.stallS) * 1000);
        const hm = stalledAt.toISOString().slice(11, 16);
        await h.message(`Agent stalled (escalated from suspected at ${hm} UTC): ${agent}`, (m) =>
          m.includes("CRITICAL"),
        );
        assert.equal(t.app.heartbeats.view(agent)?.state, "escalated");
        const about = () => h.sender().messages.filter((m) => m.text.includes(agent));
        await waitFor(() => about().length === 2 || undefined, 5000, "the critical message");
        const live = about().find((m) => !m.text.includes("newer message about it follows below"));
        assert.ok(live, "the warning retired");
        assert.equal(live.disableNotification, false, "one critical ping");
        assert.equal(about().filter((m) => !m.disableNotification).length, 1);

        assert.deepEqual(await h.ok(agent, { status: "working" }), { action: "continue" });
        assert.equal((await h.alertOf("stalled", agent, null))?.status, "resolved");
        const [incident] = await h
          .db()
          .select()
          .from(incidents)
          .where(eq(incidents.id, critical?.incidentId ?? ""));
        assert.equal(incident?.status, "resolved");
        await h.message(`Agent stalled (escalated from suspected at ${hm} UTC): ${agent}`, (m) =>
          m.includes("RESOLVED"),
        );
        assert.equal(about().length, 2, "resolving sends nothing new");
        assert.equal(
          about().filter((m) => m.text.includes("RESOLVED")).length,
          1,
          "one RESOLVED edit (the retired warning keeps its retired text)",
        );
        assert.equal(t.app.heartbeats.view(agent)?.state, "ok");
        await h.ok(agent, { status: "done" });
      });
    }

    for (const c of CLASSES) {
      const warn = roundsWarnAt(c);
      it(`${c.name}: warns once at round ${warn}, pauses at ${c.maxRounds}, a new task starts afresh`, async () => {
        const agent = `rounds-${c.name.replace("_", "-")}`;
        const say = (round: number, task = "t-1") =>
          h.ok(agent, { class: c.name, status: "working", task, round });
        assert.deepEqual(await say(warn - 1), { action: "continue" });
        assert.equal(await h.alertOf("rounds_high", agent, "t-1"), undefined);
        assert.deepEqual(await say(warn), { action: "continue" });
        const high = await h.alertOf("rounds_high", agent, "t-1");
        assert.equal(high?.severity, "warning");
        await h.message(`Agent near max rounds: ${agent}`, (m) =>
          m.includes(`round ${warn}/${c.maxRounds}`),
        );
        const highs = await h.eventsOf("agent_rounds_high");
        await say(warn + (c.maxRounds - warn > 1 ? 1 : 0));
        assert.equal(await h.eventsOf("agent_rounds_high"), highs, "once per task");
        assert.deepEqual(await say(c.maxRounds - 1), { action: "continue" });

        const paused = await say(c.maxRounds);
        assert.equal(paused.action, "pause");
        assert.match(
          paused.reason ?? "",
          new RegExp(`round ${c.maxRounds} of ${c.maxRounds} \\(class ${c.name}\\) on task "t-1"`),
        );
        const max = await h.alertOf("max_rounds", agent, "t-1");
        assert.equal(max?.id, high?.id, "the 80 % warning escalated in place");
        assert.equal(max?.severity, "critical");
        assert.ok(max?.incidentId);
        await h.message(`Agent reached max rounds: ${agent}`, (m) =>
          m.includes("Supersedes the 80 % warning of this task."),
        );
        const about = () => h.sender().messages.filter((m) => m.text.includes(agent));
        await waitFor(() => about().length === 2 || undefined, 5000, "the critical message");
        await waitFor(
          () => about().find((m) => m.text.includes("newer message about it follows below")),
          5000,
          "the 80 % warning retired",
        );
        const maxes = await h.eventsOf("agent_max_rounds");
        assert.equal((await say(c.maxRounds + 1)).action, "pause", "stays paused on the task");
        assert.equal((await h.ok(agent, { status: "blocked" })).action, "pause");
        assert.equal(await h.eventsOf("agent_max_rounds"), maxes, "one critical per task");
        assert.equal(t.app.heartbeats.view(agent)?.state, "paused");

        assert.deepEqual(await say(0, "t-2"), { action: "continue" }, "a new task restarts");
        assert.equal((await h.alertOf("rounds_high", agent, "t-1"))?.status, "resolved");
        await h.message(`Agent reached max rounds: ${agent}`, (m) => m.includes("RESOLVED"));
        assert.equal(about().length, 2, "resolving sends nothing new");
        assert.equal(t.app.heartbeats.view(agent)?.round, 0);
        assert.deepEqual(await say(warn, "t-2"), { action: "continue" });
        assert.equal(
          (await h.alertOf("rounds_high", agent, "t-2"))?.status,
          "firing",
          "warns again",
        );
        await h.ok(agent, { status: "done" });
      });
    }

    it("never flags idle or done agents, and shows them in /metrics", async () => {
      await h.ok("resting", { status: "idle" });
      await h.ok("finished", { status: "done", task: "x" });
      clock.advance(10 * 3_600_000);
      assert.equal(await t.app.heartbeats.evaluate(), 0);
      assert.equal(t.app.heartbeats.view("resting")?.state, "idle");
      assert.equal(t.app.heartbeats.view("finished")?.state, "done");
      const res = await fetch(`${t.url}/metrics`);
      const text = await res.text();
      assert.match(text, /commandpost_agents\{state="idle"\} 1\n/);
      assert.match(text, /commandpost_agents\{state="stalled"\} 0\n/);
      assert.match(text, /commandpost_agent_last_beat_age_seconds\{agent="resting"\} 36000\n/);
    });

    it("reports stalls in the heartbeats smoke check", async () => {
      await h.ok("smoky", { status: "working", task: "s" });
      const check = async () =>
        (await t.app.schedules.smoke.run("command")).results.find((r) => r.name === "heartbeats");
      assert.equal((await check())?.status, "ok");
      clock.advance(30 * 60_000);
      await t.app.heartbeats.evaluate();
      const warning = await check();
      assert.equal(warning?.status, "warning");
      assert.match(warning?.detail ?? "", /1 stalled: smoky \(30m\)/);
      clock.advance(15 * 60_000);
      await t.app.heartbeats.evaluate();
      const escalated = await check();
      assert.equal(escalated?.status, "warning", "the escalation's own incident is enough");
      assert.match(escalated?.detail ?? "", /1 escalated: smoky \(45m\)/);
      await h.ok("smoky", { status: "done" });
      assert.equal((await check())?.status, "ok");
    });

    it("deletes beats older than 7 days and keeps the rest", async () => {
      await h.ok("old-timer", { status: "idle" });
      clock.advance(7 * 86_400_000 + 1000);
      await h.ok("old-timer", { status: "idle", note: "still here" });
      const removed = await t.app.heartbeats.prune();
      assert.ok(removed >= 1);
      const left = await t.app.heartbeats.recentBeats("old-timer", 10);
      assert.deepEqual(
        left.map((b) => b.note),
        ["still here"],
      );
      assert.ok(t.app.heartbeats.view("old-timer"), "the agent itself is kept");
    });
  });

  describe(`the watchdog timer on ${kind.name}`, () => {
    it("evaluates on its own every AGENT_WATCHDOG_INTERVAL_S once started", async () => {
      const clock = fakeClock();
      const sender = recordingSender();
      const t = await startTestApp(
        await kind.open(),
        { TELEGRAM_ALERT_CHAT_IDS: String(CHAT), AGENT_WATCHDOG_INTERVAL_S: "1" },
        { sender, clock, outboxPacing: { perChatMs: 5 } },
      );
      try {
        const h = harness(() => ({ t, sender }));
        await h.ok("timed", { status: "working" });
        clock.advance(30 * 60_000);
        await h.message("Agent suspected stalled: timed"); // no evaluate() call: the timer did it
      } finally {
        await t.stop();
      }
    });
  });

  describe(`heartbeats across a restart on ${kind.name}`, () => {
    let database: Database;
    let t: TestApp;
    let sender: RecordingSender;
    const clock = fakeClock();
    const h = harness(() => ({ t, sender }));
    // AGENT_CLASSES overrides a built-in class: development stalls at 10 min, escalates at 15.
    const env = {
      TELEGRAM_ALERT_CHAT_IDS: String(CHAT),
      AGENT_CLASSES: '{"development":{"period_s":300,"stall_s":600,"escalate_s":900}}',
    };
    const start = (db: Database) =>
      startTestApp(db, env, { sender, clock, outboxPacing: { perChatMs: 5 } });

    before(async () => {
      sender = recordingSender();
      database = await kind.open();
    });
    after(() => t.stop());

    it("remembers agents and raised alerts, and raises no stall for the downtime", async () => {
      t = await start({ ...database, close: async () => {} });
      await h.ok("r-stalled", { status: "working", task: "a" });
      clock.advance(300_000);
      await h.ok("r-work", { status: "working", task: "b", round: 5 });
      await h.ok("r-idle", { status: "idle" });
      assert.equal(
        (await h.ok("r-paused", { class: "business", status: "working", task: "c", round: 30 }))
          .action,
        "pause",
      );
      clock.advance(300_000);
      assert.equal(await t.app.heartbeats.evaluate(), 1, "the override's 10 min stall applies");
      assert.equal(t.app.heartbeats.view("r-stalled")?.state, "stalled");
      await h.message("Agent suspected stalled: r-stalled");
      await t.stop();

      clock.advance(2 * 3_600_000); // commandpost is down for two hours
      t = await start(database);
      const states = Object.fromEntries(t.app.heartbeats.list().map((a) => [a.name, a.state]));
      assert.deepEqual(states, {
        "r-idle": "idle",
        "r-paused": "paused",
        "r-stalled": "stalled",
        "r-work": "ok",
      });
      assert.equal(await t.app.heartbeats.evaluate(), 0, "no stall for the time we were down");
      const firing = await h
        .db()
        .select({ type: alerts.type })
        .from(alerts)
        .where(and(eq(alerts.status, "firing"), eq(alerts.source, "heartbeats")));
      assert.deepEqual(firing.map((a) => a.type).sort(), ["agent_max_rounds", "agent_stalled"]);

      const maxes = await h.eventsOf("agent_max_rounds");
      assert.equal((await h.ok("r-paused", { status: "working", round: 31 })).action, "pause");
      assert.equal(await h.eventsOf("agent_max_rounds"), maxes, "the pause was remembered");

      clock.advance(600_000 - 1000);
      assert.equal(await t.app.heartbeats.evaluate(), 0);
      clock.advance(1000);
      assert.equal(await t.app.heartbeats.evaluate(), 1, "r-work: 10 min after the restart");
      assert.equal(t.app.heartbeats.view("r-work")?.state, "stalled");
      clock.advance(300_000);
      assert.equal(await t.app.heartbeats.evaluate(), 2, "both escalate 15 min after the restart");
      // The escalated message goes out first: an alert that ends before its message was sent
      // is never told about (the unsent send is dropped), which is not what this checks.
      await h.message("Agent stalled (escalated from suspected at", (m) =>
        m.includes("r-stalled</b>"),
      );

      await h.ok("r-stalled", { status: "working" });
      assert.equal((await h.alertOf("stalled", "r-stalled", null))?.status, "resolved");
      // Escalated in place across the restart, then resolved by one edit of its live message.
      await h.message(
        "Agent stalled (escalated from suspected at",
        (m) => m.includes("r-stalled</b>") && m.includes("RESOLVED"),
      );
    });
  });
}
