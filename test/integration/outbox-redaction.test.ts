import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { deliveries } from "../../db/schema/index.ts";
import { ADMIN_TOKEN, call, INGEST_TOKEN, startTestApp, type TestApp } from "../helpers/app.ts";
import { testDatabases } from "../helpers/db.ts";
import { capturingLogger } from "../helpers/logger.ts";
import { waitFor } from "../helpers/sender.ts";
import { freePort } from "../helpers/telegram.ts";

/** A token shaped like Telegram's: bot id, colon, 35 characters. */
const TOKEN = "7312345678:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw7";
const SECRET_PART = TOKEN.split(":")[1] ?? "";
const CHAT = 818181;

for (const kind of testDatabases()) {
  describe(`a Bot API network error does not leak the bot token on ${kind.name}`, () => {
    let t: TestApp;
    const { logger, lines } = capturingLogger("debug");

    before(async () => {
      // Nothing listens on this port: every Bot API call fails with ECONNREFUSED, and the
      // error names the request URL, which holds the token.
      const closed = await freePort();
      t = await startTestApp(
        await kind.open(),
        {
          TELEGRAM_BOT_TOKEN: TOKEN,
          TELEGRAM_API_ROOT: `http://127.0.0.1:${closed}`,
          TELEGRAM_ALERT_CHAT_IDS: String(CHAT),
          TELEGRAM_WEBHOOK_URL: "https://bot.example.invalid/telegram/webhook",
        },
        { logger },
      );
    });
    after(() => t.stop());

    it("redacts it in deliveries.last_error, GET /api/admin/deliveries and the log", async () => {
      const res = await call(`${t.url}/api/events`, {
        token: INGEST_TOKEN,
        body: { source: "svc", type: "Leak", severity: "warning", title: "leak probe" },
      });
      assert.equal(res.status, 202);
      const row = await waitFor(
        async () => (await t.app.database.db.select().from(deliveries)).find((r) => r.lastError),
        10_000,
        "a failed send",
      );
      assert.match(row?.lastError ?? "", /ECONNREFUSED/, "the network error is kept");
      assert.match(row?.lastError ?? "", /bot7312345678:<redacted>\/sendMessage/);
      assert.ok(!row?.lastError?.includes(SECRET_PART), "not in the database");

      const api = await call(`${t.url}/api/admin/deliveries`, { token: ADMIN_TOKEN });
      assert.equal(api.status, 200);
      assert.match(api.body.deliveries[0].last_error, /ECONNREFUSED/);
      assert.ok(!JSON.stringify(api.body).includes(SECRET_PART), "not in the admin API");

      const log = lines.join("");
      assert.match(log, /Bot API unreachable/);
      assert.ok(!log.includes(SECRET_PART), "not in the log");
    });
  });
}
