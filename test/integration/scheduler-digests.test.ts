import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { like } from "drizzle-orm";
import postgres from "postgres";
import { type Database, openDatabase } from "../../db/client.ts";
import { deliveries, scheduleRuns } from "../../db/schema/index.ts";
import { startTestApp, type TestApp } from "../helpers/app.ts";
import { fakeClock } from "../helpers/clock.ts";
import { type RecordingSender, recordingSender, waitFor } from "../helpers/sender.ts";

const CHATS = [818181, 828282];
/** Sunday 2026-11-22 23:50 in Asia/Taipei: the daily report slot (the weekly was at 22:00). */
const DAILY_SLOT = new Date("2026-11-22T15:50:00Z");
const WEEKLY_SLOT = new Date("2026-11-22T14:00:00Z");

/** One database that several app instances open in turn or together. */
interface SharedDb {
  name: string;
  open(): Promise<Database>;
  drop(): Promise<void>;
}

function sharedPglite(): SharedDb {
  const dir = mkdtempSync(join(tmpdir(), "cp-sched-"));
  return {
    name: "pglite",
    open: () => openDatabase({ dataDir: dir }),
    drop: async () => rmSync(dir, { recursive: true, force: true }),
  };
}

async function sharedPostgres(base: string): Promise<SharedDb> {
  const name = `cp_sched_${randomBytes(5).toString("hex")}`;
  const admin = postgres(base, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${name}`);
  const u = new URL(base);
  u.pathname = `/${name}`;
  return {
    name: "postgres",
    open: () => openDatabase({ url: u.toString(), maxConnections: 4 }),
    drop: async () => {
      await admin.unsafe(`drop database if exists ${name} with (force)`);
      await admin.end();
    },
  };
}

async function startOn(db: SharedDb, sender: RecordingSender): Promise<TestApp> {
  return startTestApp(
    await db.open(),
    { TELEGRAM_ALERT_CHAT_IDS: CHATS.join(",") },
    { sender, clock: fakeClock(DAILY_SLOT), outboxPacing: { perChatMs: 10 } },
  );
}

async function digestRows(t: TestApp, period: string) {
  return t.app.database.db
    .select()
    .from(deliveries)
    .where(like(deliveries.dedupKey, `digest:${period}:%`));
}

async function shared(): Promise<SharedDb[]> {
  const url = process.env.TEST_DATABASE_URL;
  return url ? [sharedPglite(), await sharedPostgres(url)] : [sharedPglite()];
}

describe("digests across restarts and replicas", () => {
  it("does not send a digest twice when the app restarts on the same database", async () => {
    for (const db of await shared()) {
      const first = recordingSender();
      const a = await startOn(db, first);
      try {
        const ran = await a.app.schedules.scheduler.runJob("daily_report", DAILY_SLOT);
        assert.equal(ran.status, "ran", db.name);
        await waitFor(() => first.messages.length === CHATS.length, 5000, "the daily report");
        assert.match(first.messages[0]?.text ?? "", /Daily report<\/b> · 2026-11-22/);
      } finally {
        await a.stop();
      }
      const second = recordingSender();
      const b = await startOn(db, second);
      try {
        const again = await b.app.schedules.scheduler.runJob("daily_report", DAILY_SLOT);
        assert.deepEqual(again, { status: "claimed", periodKey: "daily:2026-11-22" }, db.name);
        // Even a digest queued again for the same period is one delivery per chat.
        await b.app.schedules.digests.report("daily", DAILY_SLOT, {
          chatIds: CHATS,
          dedupBase: "digest:daily:2026-11-22",
        });
        assert.equal((await digestRows(b, "daily:2026-11-22")).length, CHATS.length);
        await new Promise((r) => setTimeout(r, 200));
        assert.equal(second.messages.length, 0, `${db.name}: nothing sent after the restart`);
        const runs = await b.app.database.db.select().from(scheduleRuns);
        assert.deepEqual(
          runs.map((r) => `${r.periodKey}:${r.outcome}`),
          ["daily:2026-11-22:ok"],
        );
      } finally {
        await b.stop();
        await db.drop();
      }
    }
  });

  it("lets only one of two app instances on one Postgres run each job", {
    skip: !process.env.TEST_DATABASE_URL && "needs TEST_DATABASE_URL",
  }, async () => {
    const db = await sharedPostgres(process.env.TEST_DATABASE_URL as string);
    const senders = [recordingSender(), recordingSender()];
    const apps = await Promise.all(senders.map((s) => startOn(db, s)));
    try {
      for (const [job, slot] of [
        ["daily_report", DAILY_SLOT],
        ["weekly_report", WEEKLY_SLOT],
        ["smoke", DAILY_SLOT],
      ] as const) {
        const results = await Promise.all(
          apps.map((t) => t.app.schedules.scheduler.runJob(job, slot)),
        );
        assert.deepEqual(
          results.map((r) => r.status).sort(),
          ["claimed", "ran"],
          `${job}: one runs, the other finds the period claimed`,
        );
      }
      const sent = () => senders.flatMap((s) => s.messages);
      await waitFor(() => sent().length === 2 * CHATS.length, 5000, "both digests");
      await new Promise((r) => setTimeout(r, 200));
      const texts = sent()
        .map((m) => `${m.chatId}:${m.text.split("\n")[0]}`)
        .sort();
      assert.deepEqual(texts, [
        "818181:📈 <b>Weekly report</b> · 2026-11-15 – 2026-11-22",
        "818181:📊 <b>Daily report</b> · 2026-11-22",
        "828282:📈 <b>Weekly report</b> · 2026-11-15 – 2026-11-22",
        "828282:📊 <b>Daily report</b> · 2026-11-22",
      ]);
      const [one] = apps;
      const smokeRuns = await one?.app.schedules.smoke.store.between(
        new Date(0),
        new Date(DAILY_SLOT.getTime() + 1),
      );
      assert.equal(smokeRuns?.length, 1, "one smoke run for the slot");
    } finally {
      await Promise.all(apps.map((t) => t.stop()));
      await db.drop();
    }
  });
});
