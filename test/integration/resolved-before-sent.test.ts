import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { and, eq, like } from "drizzle-orm";
import { deliveries } from "../../db/schema/index.ts";
import { call, INGEST_TOKEN, startTestApp, type TestApp } from "../helpers/app.ts";
import { testDatabases } from "../helpers/db.ts";

const CHAT = 515151;

for (const kind of testDatabases()) {
  // No bot token: deliveries stay queued, so "not sent yet" is a state the test controls.
  describe(`no message about an alert that already ended, on ${kind.name}`, () => {
    let t: TestApp;
    const post = (body: unknown) => call(`${t.url}/api/events`, { token: INGEST_TOKEN, body });
    const event = (type: string, status: "firing" | "resolved") => ({
      source: "momo-app",
      type,
      severity: "critical",
      status,
      title: type,
      summary: `${type} on db-1`,
      labels: { instance: "db-1:9100" },
    });
    const sendsAbout = async (type: string) =>
      t.app.database.db
        .select({ status: deliveries.status, text: deliveries.text })
        .from(deliveries)
        .where(and(eq(deliveries.kind, "send"), like(deliveries.text, `%${type}%`)));

    before(async () => {
      t = await startTestApp(await kind.open(), { TELEGRAM_ALERT_CHAT_IDS: String(CHAT) });
    });
    after(() => t.stop());

    it("a resolve before the first message went out supersedes it", async () => {
      assert.equal((await post(event("DiskGone", "firing"))).status, 202);
      assert.deepEqual(
        (await sendsAbout("DiskGone")).map((d) => d.status),
        ["pending"],
      );
      assert.equal((await post(event("DiskGone", "resolved"))).status, 202);
      assert.deepEqual(
        (await sendsAbout("DiskGone")).map((d) => d.status),
        ["superseded"],
        "the queued message is never sent",
      );
    });

    it("a batch that opens and resolves an alert queues nothing", async () => {
      const res = await post([event("Blip", "firing"), event("Blip", "resolved")]);
      assert.equal(res.status, 202, JSON.stringify(res.body));
      assert.deepEqual(await sendsAbout("Blip"), []);
    });

    it("an alert still firing keeps its queued message", async () => {
      await post(event("StillBad", "firing"));
      await post(event("StillBad", "firing"));
      assert.deepEqual(
        (await sendsAbout("StillBad")).map((d) => d.status),
        ["pending"],
      );
    });
  });
}
