import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { and, asc, count, eq, like, sql } from "drizzle-orm";
import { openDatabase } from "../../db/client.ts";
import {
  aiderEvents,
  aiderFileTouches,
  aiderSessions,
  alerts,
  deliveries,
  events,
  incidents,
  kv,
} from "../../db/schema/index.ts";
import { ROUTE_KEY_PREFIX } from "../../src/aider/aider-route-queue.ts";
import { createAiderService } from "../../src/aider/aider-service.ts";
import type { EventInput } from "../../src/events/event.ts";
import { createPublisher } from "../../src/notifications/publisher.ts";
import { createOutboxRepository } from "../../src/outbox/outbox-repository.ts";
import {
  aiderFixture,
  fixtureSession,
  RAW_ONLY,
  sessionFacts,
  shuffled,
  storedEvents,
  storedSession,
  storedTouches,
  type WireEvent,
} from "../helpers/aider-session.ts";
import { call, INGEST_TOKEN, startTestApp, type TestApp } from "../helpers/app.ts";
import { fakeClock } from "../helpers/clock.ts";
import { testDatabases } from "../helpers/db.ts";
import { testLogger } from "../helpers/logger.ts";
import {
  type RecordingSender,
  recordingSender,
  type SentMessage,
  waitFor,
} from "../helpers/sender.ts";

const CHAT = 424242;

for (const kind of testDatabases()) {
  describe(`aider session watch over POST /api/aider/events on ${kind.name}`, () => {
    let t: TestApp;
    let sender: RecordingSender;
    const clock = fakeClock();
    const db = () => t.app.database.db;
    const post = (body: unknown, token: string | null = INGEST_TOKEN) =>
      call(`${t.url}/api/aider/events`, { token: token ?? undefined, body });
    const accept = async (body: unknown) => {
      const res = await post(body);
      assert.equal(res.status, 202, JSON.stringify(res.body));
      return res.body as { accepted: number; duplicates: number };
    };
    const session = async (id: string) =>
      (await storedSession(db(), id)) ?? assert.fail(`no session ${id}`);
    const sessionDeliveries = (id: string) =>
      db()
        .select()
        .from(deliveries)
        .where(eq(deliveries.subject, `aider:${id}`))
        .orderBy(asc(deliveries.createdAt), asc(deliveries.id));
    /** Session messages (not alert messages, which show the session id as instance). */
    const messageOf = (id: string) =>
      sender.messages.filter((m) => m.text.includes("<b>aider</b> · ") && m.text.includes(id));
    /** Waits for the message of session `id` to satisfy `match`. */
    const waitMessage = async (
      id: string,
      match: (m: SentMessage) => boolean,
      what: string,
    ): Promise<SentMessage> =>
      (await waitFor(() => messageOf(id).find(match), 5000, what)) ?? assert.fail(what);
    const routerEvents = (id: string) =>
      db()
        .select()
        .from(events)
        .where(and(eq(events.source, "aider"), sql`${events.labels}->>'session_id' = ${id}`))
        .orderBy(asc(events.receivedAt), asc(events.id));
    const alertsOf = (id: string) => sql`${alerts.labels}->>'session_id' = ${id}`;
    /** The summary columns a replay must not change, `updatedAt` included. */
    const summary = async (id: string) => {
      const { id: _, updatedAt: __, ...rest } = await session(id);
      return rest;
    };
    const snapshot = async (id: string) => ({
      session: await session(id),
      events: (await db().select({ n: count() }).from(aiderEvents))[0]?.n,
      touches: (await db().select({ n: count() }).from(aiderFileTouches))[0]?.n,
      deliveries: (await db().select().from(deliveries)).map((d) => [d.id, d.status, d.text]),
      router: (await db().select({ n: count() }).from(events))[0]?.n,
      alerts: (await db().select().from(alerts)).map((a) => [a.id, a.status, a.eventCount]),
      incidents: (await db().select({ n: count() }).from(incidents))[0]?.n,
      pendingRoutes: (
        await db()
          .select()
          .from(kv)
          .where(like(kv.key, `${ROUTE_KEY_PREFIX}%`))
      ).length,
      sent: sender.calls.length,
    });

    before(async () => {
      sender = recordingSender();
      t = await startTestApp(
        await kind.open(),
        { TELEGRAM_ALERT_CHAT_IDS: String(CHAT) },
        { sender, clock, outboxPacing: { perChatMs: 10 } },
      );
    });
    after(() => t.stop());

    const S1 = "01JS1AAAAAAAAAAAAAAAAAAAAA";
    const s1 = fixtureSession(S1);

    it("stores a realistic session in sessions, events and file touches with the fixture's figures", async () => {
      const f = sessionFacts();
      assert.deepEqual(await accept(s1[0]), { accepted: 1, duplicates: 0 });
      const first = await waitMessage(S1, () => true, "the session message");
      assert.match(first.text, /🚀 <b>aider<\/b> · <b>awoooi<\/b>/);
      assert.match(first.text, /⏳ running/);
      assert.deepEqual(await accept(s1.slice(1, 3)), { accepted: 2, duplicates: 0 });
      await waitFor(() => messageOf(S1)[0]?.text.includes("Silences"), 5000, "an edit");
      assert.deepEqual(await accept(s1.slice(3)), { accepted: 5, duplicates: 0 });

      const s = await session(S1);
      assert.equal(s.cwd, "/Users/dev/awoooi");
      assert.equal(s.model, "openrouter/openrouter/elephant-alpha");
      assert.equal(s.cliVersion, "0.86.2");
      assert.equal(s.host, "ogt-mac");
      assert.equal(s.aiderPid, 12345);
      assert.equal(s.startedAt.toISOString(), "2026-04-19T14:05:33.000Z");
      assert.equal(s.endedAt?.toISOString(), "2026-04-19T14:11:05.000Z");
      assert.equal(s.durationSec, 332);
      assert.equal(s.tokensSent, 12_000);
      assert.equal(s.tokensRecv, 1_400);
      assert.equal(s.costUsd, f.costUsd);
      assert.equal(s.costUsd, 0.0031);
      assert.equal(s.filesChanged, 2);
      assert.equal(s.errorCount, 1);
      assert.equal(s.exitCode, 0);

      const stored = await storedEvents(db(), S1);
      assert.deepEqual(
        stored.map((e) => e.type),
        s1.map((e) => e.type),
      );
      const raw = stored.find((e) => e.type === "raw");
      assert.equal(raw?.payload.chunk, aiderFixture("stdout-session.txt"), "raw is stored whole");
      const touches = await storedTouches(db(), S1);
      assert.deepEqual(
        touches.map((x) => [x.id, x.path, x.linesAdded, x.linesDeleted, x.isNewFile]),
        [
          [`${S1}-04`, "routes/auth.py", 4, 1, false],
          [`${S1}-05`, "tests/test_auth.py", 4, 0, false],
        ],
      );
    });

    it("keeps ONE message for the session, sent once and edited to the session_end summary", async () => {
      const msg = await waitMessage(
        S1,
        (m) => m.text.includes("session ended"),
        "the final summary",
      );
      assert.equal(messageOf(S1).length, 1, "one message");
      assert.ok(msg.edits >= 1, "edited in place");
      const rows = await sessionDeliveries(S1);
      assert.equal(rows.filter((r) => r.kind === "send").length, 1);
      assert.ok(rows.some((r) => r.kind === "edit"));
      assert.ok(rows.every((r) => r.chatId === CHAT));
      for (const s of [
        "📁 <code>/Users/dev/awoooi</code>",
        "<code>openrouter/openrouter/elephant-alpha</code> · aider 0.86.2",
        "✏️ <b>Files</b> (2)",
        "• routes/auth.py (+4 −1)",
        "• tests/test_auth.py (+4 −0)",
        "• <code>9e4b2f1</code> fix: return 401 when the Authorization header is missing",
        "• api_rate_limit — litellm.RateLimitError: RateLimitError: OpenrouterException",
        '• 2m00s idle (last: "Retrying in 0.2 seconds...")',
        "⏱️ 5m32s | 🎯 exit=0",
        "📊 12k↑ / 1.4k↓ tokens | $0.0031",
        "📝 2 files changed | ❌ 1 error",
      ]) {
        assert.ok(msg.text.includes(s), `message has ${s}:\n${msg.text}`);
      }
      const everything = (await db().select().from(deliveries)).map((d) => d.text).join("\n");
      for (const r of RAW_ONLY) {
        assert.ok(!everything.includes(r), `raw output "${r}" reached a delivery`);
        assert.ok(!sender.messages.some((m) => m.text.includes(r)));
      }
    });

    it("keeps the rate limit and the silence as lines of the session message, not alerts", async () => {
      const routed = await routerEvents(S1);
      // Only the end-of-session resolutions (for alerts older versions raised): recorded.
      assert.deepEqual(routed.map((e) => [e.type, e.severity, e.status, e.labels.kind]).sort(), [
        ["aider_error", "warning", "resolved", "api_rate_limit"],
        ["aider_silence", "warning", "resolved", "silent_timeout"],
      ]);
      assert.ok(routed.every((e) => e.outcome === "recorded"));
      const msg = await waitMessage(S1, (m) => m.text.includes("session ended"), "S1's summary");
      assert.match(msg.text, /❌ <b>Errors<\/b> \(1\)\n• api_rate_limit/);
      assert.match(msg.text, /⏸️ <b>Silences<\/b> \(1\)/);
      assert.equal(
        sender.messages.filter((m) => m.text.includes(S1)).length,
        1,
        "one message about the session",
      );
      const rows = await db().select().from(alerts).where(eq(alerts.source, "aider"));
      assert.equal(rows.length, 0);
      const pending = await db()
        .select()
        .from(kv)
        .where(like(kv.key, `${ROUTE_KEY_PREFIX}%`));
      assert.equal(pending.length, 0, "nothing left to route");
    });

    it("changes nothing when the same events come again, whole, shuffled or one by one", async () => {
      await waitFor(async () => (await t.app.outbox.stats(clock.now())).pending === 0);
      const before = await snapshot(S1);
      assert.deepEqual(await accept(s1), { accepted: 0, duplicates: s1.length });
      assert.deepEqual(await accept(shuffled(s1)), { accepted: 0, duplicates: s1.length });
      for (const e of s1) assert.deepEqual(await accept(e), { accepted: 0, duplicates: 1 });
      await new Promise((r) => setTimeout(r, 150));
      assert.deepEqual(await snapshot(S1), before);
    });

    it("derives the same summary whatever order the events arrive in", async () => {
      const S2 = "01JS2AAAAAAAAAAAAAAAAAAAAA";
      const s2 = fixtureSession(S2);
      assert.deepEqual(await accept(shuffled(s2, 3)), { accepted: 8, duplicates: 0 });
      assert.deepEqual(await summary(S2), await summary(S1));

      // The end first, the rest later (a flush after a crash): same summary, warnings resolved.
      const S3 = "01JS3AAAAAAAAAAAAAAAAAAAAA";
      const s3 = fixtureSession(S3);
      const end = s3.filter((e) => e.type === "session_end");
      await accept(end);
      const early = await session(S3);
      assert.equal(early.cwd, null, "no start yet");
      assert.equal(early.tokensSent, 12_000);
      await accept(s3.filter((e) => e.type !== "session_end").reverse());
      assert.deepEqual(await summary(S3), await summary(S1));
      const s3Alerts = await db().select().from(alerts).where(alertsOf(S3));
      assert.equal(s3Alerts.length, 0, "late warnings are lines of the message too");
      const msg = await waitMessage(
        S3,
        (m) => m.text.includes("session ended") && m.text.includes("Files"),
        "S3's final message",
      );
      assert.match(msg.text, /awoooi/);
    });

    it("refuses a bad event with 400 naming the field and stores nothing of its batch", async () => {
      const S4 = "01JS4AAAAAAAAAAAAAAAAAAAAA";
      const s4: WireEvent[] = fixtureSession(S4);
      const bad = structuredClone(s4);
      (bad[3] as WireEvent).payload.lines_added = "4";
      const res = await post(bad);
      assert.equal(res.status, 400);
      assert.equal(res.body.error.field, "3.payload.lines_added");
      assert.match(res.body.error.message, /^3\.payload\.lines_added: /);
      const unknownKind = await post({ ...s4[1], payload: { ...s4[1]?.payload, kind: "boom" } });
      assert.equal(unknownKind.body.error.field, "payload.kind");
      const anon = await post(s4, null);
      assert.equal(anon.status, 401);
      const stored = [
        await db().select().from(aiderEvents).where(eq(aiderEvents.sessionId, S4)),
        await db().select().from(aiderFileTouches).where(eq(aiderFileTouches.sessionId, S4)),
        await db().select().from(aiderSessions).where(eq(aiderSessions.id, S4)),
      ];
      assert.deepEqual(
        stored.map((rows) => rows.length),
        [0, 0, 0],
      );
      assert.equal((await sessionDeliveries(S4)).length, 0);
      assert.equal((await routerEvents(S4)).length, 0);
    });

    it("turns an api_auth error into a critical event and an incident, deduplicated per session", async () => {
      const S5 = "01JS5AAAAAAAAAAAAAAAAAAAAA";
      const authLine = /^(litellm\.AuthenticationError: .+)$/m.exec(
        aiderFixture("stdout-auth-error.txt"),
      )?.[1] as string;
      const [start] = fixtureSession(S5, "/Users/dev/momo-app");
      const authError = (n: number): WireEvent => ({
        id: `${S5}-auth-${n}`,
        ts: `2026-04-19T23:00:0${n}+08:00`,
        session_id: S5,
        type: "error",
        payload: { kind: "api_auth", message: authLine, context_50chars: "No auth credentials" },
      });
      await accept([start, authError(1)]);
      await accept(authError(2));
      await accept({
        id: `${S5}-end`,
        ts: "2026-04-19T23:00:09+08:00",
        session_id: S5,
        type: "session_end",
        payload: {
          duration_sec: 9,
          tokens_sent: 0,
          tokens_received: 0,
          cost_usd: 0,
          files_changed: 0,
          error_count: 2,
          exit_code: 1,
        },
      });
      const routed = await routerEvents(S5);
      assert.deepEqual(
        routed.map((e) => [e.severity, e.status, e.outcome]),
        [
          ["critical", "firing", "notified"],
          ["critical", "firing", "deduplicated"],
        ],
        "a critical is not resolved by the end of its session",
      );
      const [alert] = await db().select().from(alerts).where(alertsOf(S5));
      assert.equal(alert?.status, "firing");
      assert.equal(alert?.eventCount, 2);
      assert.equal(alert?.title, "aider api_auth · momo-app");
      const [incident] = await db()
        .select()
        .from(incidents)
        .where(eq(incidents.id, alert?.incidentId ?? ""));
      assert.equal(incident?.status, "open");
      assert.equal(incident?.title, "aider api_auth · momo-app");
      const s = await session(S5);
      assert.equal(s.errorCount, 2);
      assert.equal(s.exitCode, 1);
      const msg = await waitMessage(S5, (m) => m.text.includes("exit=1"), "S5's summary");
      assert.match(msg.text, /^⚠️ /, "a failed session is marked");
      assert.match(msg.text, /❌ <b>Errors<\/b> \(2\)/);
      const linked = await waitMessage(
        S5,
        (m) => m.text.includes(`🚨 Incident #${incident?.number} (open) · api_auth`),
        "S5's message links its incident",
      );
      assert.equal(linked.messageId, msg.messageId, "the same message, edited");
    });

    it("adds the aider section to the daily report: sessions, time, tokens, cost, errors, top files", async () => {
      const data = await t.app.schedules.reports.build(
        "daily",
        new Date("2026-04-20T00:00:00+08:00"),
      );
      const section = data.current.sections.find((s) => s.title === "aider sessions");
      assert.ok(section, "the aider section is there");
      assert.deepEqual(section.lines, [
        "4 sessions · 16m45s · 36k↑ / 4.2k↓ tokens · $0.0093 · 5 errors",
        "top files",
        "• routes/auth.py ×3 (+12 −3)",
        "• tests/test_auth.py ×3 (+12 −0)",
      ]);
    });

    it("summarises a session whole when parts of it arrive concurrently, and a racing replay once", async () => {
      const S6 = "01JS6AAAAAAAAAAAAAAAAAAAAA";
      const s6 = fixtureSession(S6);
      const parts = [s6.slice(0, 3), s6.slice(3, 6), s6.slice(6)];
      const results = await Promise.all([...parts, ...parts].map((p) => accept(p)));
      assert.equal(
        results.reduce((n, r) => n + r.accepted, 0),
        s6.length,
        "each event stored once",
      );
      assert.equal(
        results.reduce((n, r) => n + r.duplicates, 0),
        s6.length,
      );
      assert.deepEqual(await summary(S6), await summary(S1));
      assert.equal((await sessionDeliveries(S6)).filter((d) => d.kind === "send").length, 1);
      const routed = await routerEvents(S6);
      assert.equal(routed.length, 2, "2 resolutions: none twice");
    });
  });
}

describe("aider → EventRouter hand-off when the router fails", () => {
  it("keeps the router events queued until a drain succeeds, then routes each once, in order", async () => {
    const database = await openDatabase({});
    const routed: EventInput[] = [];
    let failing = true;
    const clock = fakeClock();
    const aider = createAiderService({
      db: database.db,
      clock,
      logger: testLogger,
      publisher: createPublisher({ outbox: createOutboxRepository(database.db), clock }),
      router: {
        ingest: async (inputs) => {
          if (failing) throw new Error("database blip");
          routed.push(...inputs);
          return inputs.map(() => ({ id: "x", outcome: "notified" as const }));
        },
      },
      sessionChats: () => [{ chatId: CHAT, threadId: null }],
      timeZone: "Asia/Taipei",
      onQueued: () => {},
    });
    try {
      const s = fixtureSession("01JS7AAAAAAAAAAAAAAAAAAAAA");
      assert.deepEqual(await aider.ingest(s), { accepted: 8, duplicates: 0 }, "stored anyway");
      const queued = await database.db
        .select()
        .from(kv)
        .where(like(kv.key, `${ROUTE_KEY_PREFIX}%`));
      assert.equal(queued.length, 2);
      assert.equal(await aider.drainRoutes(), 0, "still failing: nothing routed, nothing lost");
      failing = false;
      assert.equal(await aider.drainRoutes(), 2);
      assert.deepEqual(
        routed.map((e) => [e.type, e.status]),
        [
          ["aider_error", "resolved"],
          ["aider_silence", "resolved"],
        ],
      );
      assert.ok(routed.every((e) => e.occurredAt instanceof Date));
      assert.deepEqual(await aider.ingest(s), { accepted: 0, duplicates: 8 });
      assert.equal(await aider.drainRoutes(), 0);
      assert.equal(routed.length, 2, "a replay routes nothing again");
    } finally {
      await database.close();
    }
  });
});
