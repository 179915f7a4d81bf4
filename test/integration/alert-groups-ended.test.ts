import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { eq } from "drizzle-orm";
import { alertGroups, deliveries } from "../../db/schema/index.ts";
import { call, INGEST_TOKEN, startTestApp, type TestApp } from "../helpers/app.ts";
import { testDatabases } from "../helpers/db.ts";
import { fixture } from "../helpers/fixtures.ts";

const CHAT = 515151;

for (const kind of testDatabases()) {
  // No bot token: deliveries stay queued, so "not sent yet" is a state the test controls.
  describe(`no group message about a group that already ended, on ${kind.name}`, () => {
    let t: TestApp;
    const webhook = (status: "firing" | "resolved") => {
      const body = fixture<{ status: string; alerts: { status: string; endsAt: string }[] }>(
        "alertmanager-firing.json",
      );
      body.status = status;
      for (const a of body.alerts) {
        a.status = status;
        if (status === "resolved") a.endsAt = "2026-11-23T00:43:28Z";
      }
      return body;
    };
    const groupSends = () =>
      t.app.database.db
        .select({ status: deliveries.status, subject: deliveries.subject })
        .from(deliveries)
        .where(eq(deliveries.kind, "send"));

    before(async () => {
      t = await startTestApp(await kind.open(), { TELEGRAM_ALERT_CHAT_IDS: String(CHAT) });
    });
    after(() => t.stop());

    it("every member resolving before the group message went out supersedes it", async () => {
      const post = (body: unknown) =>
        call(`${t.url}/webhooks/alertmanager`, { token: INGEST_TOKEN, body });
      assert.equal((await post(webhook("firing"))).status, 200);
      const queued = await groupSends();
      assert.equal(queued.length, 1, "one group message, no alert messages");
      assert.match(queued[0]?.subject ?? "", /^group:[0-9A-Z]{26}$/);
      assert.equal(queued[0]?.status, "pending");
      assert.equal((await post(webhook("resolved"))).status, 200);
      assert.deepEqual(
        (await groupSends()).map((d) => d.status),
        ["superseded"],
        "the queued group message is never sent",
      );
      const [group] = await t.app.database.db.select().from(alertGroups);
      assert.equal(group?.status, "closed");
    });
  });
}
