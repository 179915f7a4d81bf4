import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { GrammyError } from "grammy";
import { renderStatus } from "../../src/bot/views/status-message.ts";
import { ADMIN_TOKEN, call, INGEST_TOKEN, startTestApp, type TestApp } from "../helpers/app.ts";
import { testDatabases } from "../helpers/db.ts";
import { type RecordingSender, recordingSender, waitFor } from "../helpers/sender.ts";

const CHAT = 616161;
const blocked = () =>
  new GrammyError(
    "x",
    { ok: false, error_code: 403, description: "Forbidden: bot was blocked by the user" },
    "sendMessage",
    {},
  );

for (const kind of testDatabases()) {
  describe(`dead deliveries in /status and /api/admin/deliveries on ${kind.name}`, () => {
    let t: TestApp;
    let sender: RecordingSender;
    const deliveriesApi = (query = "") =>
      call(`${t.url}/api/admin/deliveries${query}`, { token: ADMIN_TOKEN });

    before(async () => {
      sender = recordingSender();
      t = await startTestApp(
        await kind.open(),
        { TELEGRAM_ALERT_CHAT_IDS: String(CHAT) },
        { sender },
      );
    });
    after(() => t.stop());

    it("shows a delivery that died, and sends it once an operator retries it", async () => {
      sender.failNext(1, blocked);
      const res = await call(`${t.url}/api/events`, {
        token: INGEST_TOKEN,
        body: { source: "svc", type: "Boom", severity: "critical", title: "Boom" },
      });
      assert.equal(res.status, 202);
      const dead = await waitFor(
        async () => (await deliveriesApi("?status=dead")).body.deliveries[0],
        5000,
        "the dead delivery",
      );
      assert.match(dead.last_error, /403: Forbidden: bot was blocked/);
      assert.equal(dead.attempts, 1);
      const listed = await deliveriesApi();
      assert.equal(listed.body.stats.dead, 1);
      assert.match(renderStatus(await t.app.status.snapshot(), "UTC").text, /<b>1 dead<\/b>/);

      const retried = await call(`${t.url}/api/admin/deliveries/${dead.id}/retry`, {
        method: "POST",
        token: ADMIN_TOKEN,
      });
      assert.equal(retried.status, 200);
      assert.equal(retried.body.status, "pending");
      await waitFor(() => sender.messages.length === 1, 5000, "the retried send");
      const again = await call(`${t.url}/api/admin/deliveries/${dead.id}/retry`, {
        method: "POST",
        token: ADMIN_TOKEN,
      });
      assert.equal(again.status, 409, "only dead deliveries can be retried");
      const missing = await call(`${t.url}/api/admin/deliveries/nope/retry`, {
        method: "POST",
        token: ADMIN_TOKEN,
      });
      assert.equal(missing.status, 404);
    });
  });
}
