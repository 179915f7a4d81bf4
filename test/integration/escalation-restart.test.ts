import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { eq } from "drizzle-orm";
import { openDatabase } from "../../db/client.ts";
import { deliveries } from "../../db/schema/index.ts";
import { renderMuteCreated } from "../../src/bot/views/mute-message.ts";
import { createSilenceClient } from "../../src/mutes/alertmanager-silences.ts";
import { createMuteService } from "../../src/mutes/mute-service.ts";
import { parseMuteLine } from "../../src/mutes/mute-spec.ts";
import { ISSUE_ROUTES } from "../fixtures/notify-routes.ts";
import { call, INGEST_TOKEN, startTestApp } from "../helpers/app.ts";
import { fakeClock } from "../helpers/clock.ts";
import { freshPostgres, testDatabases } from "../helpers/db.ts";
import { fixture } from "../helpers/fixtures.ts";
import { waitFor } from "../helpers/sender.ts";
import { freePort, plain } from "../helpers/telegram.ts";

const MIN = 60_000;
const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** Opens the same database again and again: on-disk PGlite, or one Postgres database. */
async function reopenable(kind: "pglite" | "postgres") {
  if (kind === "postgres") {
    const pg = await freshPostgres("cp_esc");
    if (!pg) return undefined;
    return { open: () => openDatabase({ url: pg.url, maxConnections: 3 }), drop: pg.drop };
  }
  const dir = mkdtempSync(join(tmpdir(), "cp-esc-db-"));
  dirs.push(dir);
  return { open: () => openDatabase({ dataDir: dir }), drop: async () => {} };
}

for (const { name } of testDatabases()) {
  describe(`escalations survive a restart (${name})`, () => {
    it("a critical announced before the restart escalates after it, by the stored timer", async () => {
      const db = await reopenable(name);
      assert.ok(db);
      const clock = fakeClock("2026-11-23T01:00:00Z");
      const env = { NOTIFY_ROUTES: JSON.stringify(ISSUE_ROUTES), NOTIFY_TICK_S: "3600" };
      const first = await startTestApp(await db.open(), env, { clock });
      const res = await call(`${first.url}/webhooks/alertmanager`, {
        token: INGEST_TOKEN,
        body: fixture("alertmanager-firing.json"),
      });
      assert.equal(res.status, 200);
      await first.stop();

      clock.advance(15 * MIN);
      const second = await startTestApp(await db.open(), env, { clock });
      try {
        // The replica that takes the watchdog role ticks at once: what fell due while no
        // process ran is escalated without waiting for the next period.
        const leadsRows = () =>
          second.app.database.db.select().from(deliveries).where(eq(deliveries.chatId, 515151));
        await waitFor(async () => (await leadsRows()).length === 2, 8000, "two escalated copies");
        const toLeads = await leadsRows();
        assert.deepEqual(await second.app.escalations.tick(), {
          escalated: 0,
          repeated: 0,
          stopped: 0,
        });
        assert.ok(
          toLeads.every((d) => d.replyMarkup?.flat().some((b) => b.text.includes("Acknowledge"))),
        );
        const topic = await second.app.database.db
          .select()
          .from(deliveries)
          .where(eq(deliveries.chatId, -1001234567890));
        // The fixture's two alerts are one Alertmanager group: oncall's topic got one group
        // message; each member escalated on its own, with its own copy in leads.
        assert.ok(topic.length >= 1 && topic.every((d) => d.threadId === 42));
        assert.ok(topic.some((d) => plain(d.text).startsWith("🔴 2 critical · HighErrorRate")));
        const leads = await leadsRows();
        assert.ok(leads.every((d) => plain(d.text).includes("Escalated to leads at 09:15")));
      } finally {
        await second.stop();
        await db.drop();
      }
    });
  });

  describe(`a mute while Alertmanager is unreachable (${name})`, () => {
    it("is stored and applies here; the reply says Alertmanager did not take it", async () => {
      const kind = testDatabases().find((k) => k.name === name);
      const database = await kind?.open();
      assert.ok(database);
      try {
        const closedPort = await freePort();
        const mutes = await createMuteService({
          db: database.db,
          clock: fakeClock(),
          silences: createSilenceClient({ baseUrl: `http://127.0.0.1:${closedPort}` }),
        });
        const spec = parseMuteLine('{alertname="TargetDown", env=~"prod.*"} 2h upgrade');
        const mute = await mutes.create({ ...spec, createdBy: "Ada" });
        assert.equal(mute.silence.state, "failed");
        assert.equal(mute.silenceId, null);
        assert.ok(mutes.match({ alertname: "TargetDown", env: "prod-eu" }, fakeClock().now()));
        const reply = plain(renderMuteCreated(mute, 0, "UTC").text);
        assert.match(reply, /⚠️ Alertmanager unreachable \(ECONNREFUSED\): muted here only\./);
        assert.equal(
          (await mutes.foreignSilences()) &&
            "failed" in ((await mutes.foreignSilences()) as object),
          true,
        );
        const lifted = await mutes.lift(mute.id, "Ada");
        assert.equal(lifted.changed, true);
      } finally {
        await database.close();
      }
    });
  });
}
