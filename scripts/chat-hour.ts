/**
 * `npm run chat:hour` — how much attention one scripted on-call hour costs in the chat.
 *
 * Plays the same hour of alerts against the real app (in-process, in-memory PGlite, a fake
 * clock moved minute by minute) and the `telegram-test-api` emulator behind the strict Bot
 * API layer, then counts what the commander's chat received, from the outbox's own record
 * (`deliveries` rows that were sent): notifying messages (a phone ping each), silent ones
 * (`disable_notification`) and edits. It prints the counts and writes the chat's final
 * transcript (each message as it stands, with its buttons) to CHAT_HOUR_TRANSCRIPT
 * (default `chat-hour.txt` in the temp directory).
 *
 * The hour, in minutes from 09:00 (Asia/Taipei):
 * - 0: one Alertmanager group of 10 alerts (4 critical HighErrorRate on api-1…4, 3 warning
 *   HighLatency on api-5…7, 3 warning DiskFilling on db-1…3); Alertmanager re-sends the
 *   whole group every minute while it fires (its `group_interval`), 60 webhooks in all;
 * - 5–9: 10 distinct alerts through `POST /api/events`, one every 30 s (5 critical, 5 warning);
 * - 12: the commander presses Acknowledge on the first critical message;
 * - 15: an agent proposes a heal plan (restart api-1, medium risk) linked to no incident;
 * - 20: 2 alerts of the group resolve; 30: 5 of the distinct alerts resolve;
 * - 45: the commander sends /status; 60: everything resolves.
 * Default configuration otherwise (no NOTIFY_ROUTES, dedup window 600 s).
 *
 * Exit status 0 when the hour played through, 1 when a step failed (named).
 */
import { writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sql } from "drizzle-orm";
import { call, INGEST_TOKEN } from "../test/helpers/app.ts";
import { startBotTestApp } from "../test/helpers/bot-app.ts";
import { fakeClock } from "../test/helpers/clock.ts";
import { botMessages, pressButton } from "../test/helpers/telegram.ts";

const ADMIN = 424242;
const START = "2026-11-23T01:00:00.000Z";
const MINUTE = 60_000;
const OUT = process.env.CHAT_HOUR_TRANSCRIPT ?? join(tmpdir(), "chat-hour.txt");

type Alert = { name: string; severity: string; instance: string };
const GROUP: Alert[] = [
  ...[1, 2, 3, 4].map((i) => ({
    name: "HighErrorRate",
    severity: "critical",
    instance: `api-${i}`,
  })),
  ...[5, 6, 7].map((i) => ({ name: "HighLatency", severity: "warning", instance: `api-${i}` })),
  ...[1, 2, 3].map((i) => ({ name: "DiskFilling", severity: "warning", instance: `db-${i}` })),
];
const DISTINCT: Alert[] = Array.from({ length: 10 }, (_, i) => ({
  name: ["QueueBacklog", "CertExpiring", "PodRestarts", "SlowQueries", "WorkerDown"][
    i % 5
  ] as string,
  severity: i < 5 ? "critical" : "warning",
  instance: `svc-${i + 1}`,
}));

function webhook(alerts: Alert[], status: (a: Alert) => "firing" | "resolved", at: Date) {
  return {
    version: "4",
    receiver: "commandpost",
    status: alerts.some((a) => status(a) === "firing") ? "firing" : "resolved",
    groupKey: '{}:{job="api"}',
    groupLabels: { job: "api" },
    commonLabels: { job: "api" },
    commonAnnotations: {},
    externalURL: "http://alertmanager.example:9093",
    alerts: alerts.map((a) => ({
      status: status(a),
      labels: { alertname: a.name, severity: a.severity, instance: a.instance, job: "api" },
      annotations: { summary: `${a.name} on ${a.instance}` },
      startsAt: START,
      endsAt: status(a) === "resolved" ? at.toISOString() : "0001-01-01T00:00:00Z",
    })),
  };
}

async function main() {
  const clock = fakeClock(START);
  const bot = await startBotTestApp({
    adminIds: [ADMIN],
    env: { TELEGRAM_ALERT_CHAT_IDS: String(ADMIN) },
    options: { clock },
  });
  const { t } = bot;
  const db = t.app.database.db;
  const admin = bot.user(ADMIN, "Ada", "ada_ops");
  const post = async (path: string, body: unknown, what: string) => {
    const res = await call(`${t.url}${path}`, { token: INGEST_TOKEN, body });
    if (res.status >= 300) throw new Error(`${what}: HTTP ${res.status}`);
  };
  /** Waits until the outbox has nothing left to send (real pacing: 1 message/s per chat). */
  const drained = async (what: string) => {
    const deadline = Date.now() + 180_000;
    for (;;) {
      const rows = await db.execute(
        sql`select count(*)::int as n from deliveries where status in ('pending', 'sending')`,
      );
      const n = Number(rowsOf<{ n: number }>(rows)[0]?.n ?? 0);
      if (n === 0) return;
      if (Date.now() > deadline) throw new Error(`${what}: outbox still holds ${n} deliveries`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  const resolvedGroup = new Set<string>();
  const resolvedDistinct = new Set<string>();
  const key = (a: Alert) => `${a.name}/${a.instance}`;
  try {
    await admin.sendCommand(admin.makeCommand("/start"));
    for (let minute = 0; minute <= 60; minute++) {
      const at = clock.now();
      if (minute === 20) for (const a of GROUP.slice(0, 2)) resolvedGroup.add(key(a));
      if (minute === 60) for (const a of GROUP) resolvedGroup.add(key(a));
      const status = (a: Alert) => (resolvedGroup.has(key(a)) ? "resolved" : "firing");
      await post(
        "/webhooks/alertmanager",
        webhook(GROUP, status, at),
        `group webhook, minute ${minute}`,
      );
      if (minute >= 5 && minute < 10) {
        for (const a of DISTINCT.slice((minute - 5) * 2, (minute - 5) * 2 + 2)) {
          await post("/api/events", event(a, "firing"), `event ${a.instance}`);
        }
      }
      if (minute === 30 || minute === 60) {
        for (const a of minute === 30 ? DISTINCT.slice(0, 5) : DISTINCT) {
          if (resolvedDistinct.has(key(a))) continue;
          resolvedDistinct.add(key(a));
          await post("/api/events", event(a, "resolved"), `resolve ${a.instance}`);
        }
      }
      await drained(`minute ${minute}`);
      if (minute === 12) {
        const msgs = await botMessages(admin, ADMIN);
        const first = msgs.find((m) => m.buttons.some((b) => b.text.includes("Acknowledge")));
        if (!first) throw new Error("minute 12: no message with an Acknowledge button");
        await pressButton(admin, first, "Acknowledge");
        await new Promise((r) => setTimeout(r, 1500));
        await drained("acknowledge");
      }
      if (minute === 15) {
        await post(
          "/api/heal-plans",
          {
            kind: "restart",
            target: "api-1",
            rationale: "HighErrorRate on api-1 for 15 minutes; a restart cleared it last week",
            proposed_by: "agent-7",
            risk: "medium",
          },
          "heal plan proposal",
        );
        await drained("heal plan");
      }
      if (minute === 45) {
        await admin.sendCommand(admin.makeCommand("/status"));
        await new Promise((r) => setTimeout(r, 1500));
        await drained("/status");
      }
      clock.advance(MINUTE);
    }
    const rows = await db.execute(sql`
      select kind, disable_notification as silent, count(*)::int as n
      from deliveries where status = 'sent' and chat_id = ${ADMIN} group by 1, 2 order by 1, 2`);
    const list = rowsOf<{ kind: string; silent: boolean; n: number }>(rows);
    const count = (kind: string, silent?: boolean) =>
      list
        .filter((r) => r.kind === kind && (silent === undefined || r.silent === silent))
        .reduce((s, r) => s + Number(r.n), 0);
    const msgs = await botMessages(admin, ADMIN);
    writeFileSync(
      OUT,
      msgs
        .map(
          (m) =>
            `#${m.messageId} ${m.text}${m.buttons.length ? `\n  [${m.buttons.map((b) => b.text).join("] [")}]` : ""}`,
        )
        .join("\n\n"),
    );
    console.log("chat:hour — one scripted on-call hour (see the header of scripts/chat-hour.ts)");
    console.log(`alert messages sent, notifying (a ping each): ${count("send", false)}`);
    console.log(`alert messages sent, silent:                  ${count("send", true)}`);
    console.log(`edits:                                        ${count("edit")}`);
    console.log(`bot replies to commands (not in the outbox):  ${msgs.length - count("send")}`);
    console.log(`transcript: ${OUT}`);
  } finally {
    await bot.stop();
  }
}

/** Rows of `db.execute`: postgres.js returns an array, PGlite an object with `rows`. */
function rowsOf<T>(result: unknown): T[] {
  return (Array.isArray(result) ? result : (result as { rows: T[] }).rows) as T[];
}

function event(a: Alert, status: "firing" | "resolved") {
  return {
    source: "monitor",
    type: a.name,
    severity: a.severity,
    status,
    title: a.name,
    summary: `${a.name} on ${a.instance}`,
    labels: { instance: a.instance },
  };
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(`chat:hour failed: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
