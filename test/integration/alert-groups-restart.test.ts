import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { openDatabase } from "../../db/client.ts";
import { alerts } from "../../db/schema/index.ts";
import { call, INGEST_TOKEN, startTestApp } from "../helpers/app.ts";
import { freshPostgres, testDatabases } from "../helpers/db.ts";
import { fixture } from "../helpers/fixtures.ts";
import { recordingSender, waitFor } from "../helpers/sender.ts";

const CHAT = 424242;
const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** Opens the same database again and again: on-disk PGlite, or one Postgres database. */
async function reopenable(kind: "pglite" | "postgres") {
  if (kind === "postgres") {
    const pg = await freshPostgres("cp_grp");
    if (!pg) return undefined;
    return { open: () => openDatabase({ url: pg.url, maxConnections: 3 }), drop: pg.drop };
  }
  const dir = mkdtempSync(join(tmpdir(), "cp-grp-db-"));
  dirs.push(dir);
  return { open: () => openDatabase({ dataDir: dir }), drop: async () => {} };
}

/** The fixture's Alertmanager group with one more alert, on `instance`. */
function oneMore(instance: string) {
  const body = fixture<{ alerts: { labels: Record<string, string>; fingerprint?: string }[] }>(
    "alertmanager-firing.json",
  );
  const [first] = body.alerts;
  assert.ok(first);
  return {
    ...body,
    alerts: [{ ...first, labels: { ...first.labels, instance }, fingerprint: "99aa00bb11cc22dd" }],
  };
}

for (const { name } of testDatabases()) {
  describe(`alert groups survive a restart (${name})`, () => {
    it("an alert of the group after the restart joins the message sent before it", async () => {
      const db = await reopenable(name);
      assert.ok(db);
      const env = { TELEGRAM_ALERT_CHAT_IDS: String(CHAT) };
      const sender = recordingSender();
      const first = await startTestApp(await db.open(), env, { sender });
      await call(`${first.url}/webhooks/alertmanager`, {
        token: INGEST_TOKEN,
        body: fixture("alertmanager-firing.json"),
      });
      await waitFor(() => sender.messages.length === 1, 5000, "the group message");
      await first.stop();

      const second = await startTestApp(await db.open(), env, { sender });
      try {
        const res = await call(`${second.url}/webhooks/alertmanager`, {
          token: INGEST_TOKEN,
          body: oneMore("momo-app:82"),
        });
        assert.equal(res.status, 200);
        const [group] = sender.messages;
        await waitFor(() => group?.text.includes("momo-app:82"), 5000, "the joined member");
        assert.equal(group?.text.split("\n")[0], "🔴 3 critical · <b>HighErrorRate</b>");
        assert.equal(sender.messages.length, 1, "an edit of the message sent before the restart");
        const rows = await second.app.database.db.select().from(alerts);
        assert.equal(rows.length, 3);
        assert.equal(new Set(rows.map((r) => r.groupId)).size, 1);
      } finally {
        await second.stop();
        await db.drop();
      }
    });
  });
}
