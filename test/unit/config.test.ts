import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { loadConfig } from "../../src/config.ts";
import { ConfigError } from "../../src/errors.ts";

describe("loadConfig", () => {
  it("applies the documented defaults to an empty environment", () => {
    const c = loadConfig({});
    assert.equal(c.port, 8080);
    assert.equal(c.host, "127.0.0.1");
    assert.equal(c.dataDir, "./data");
    assert.equal(c.databaseUrl, undefined);
    assert.equal(c.telegram.token, undefined);
    assert.equal(c.telegram.apiRoot, "https://api.telegram.org");
    assert.equal(c.reportTimezone, "Asia/Taipei");
  });

  it("sends alerts to the admins when no alert chats are given", () => {
    const c = loadConfig({ TELEGRAM_ADMIN_IDS: "11, 22" });
    assert.deepEqual(c.telegram.adminIds, [11, 22]);
    assert.deepEqual(c.telegram.alertChatIds, [11, 22]);
    assert.deepEqual(
      loadConfig({ TELEGRAM_ADMIN_IDS: "1", TELEGRAM_ALERT_CHAT_IDS: "-100200" }).telegram
        .alertChatIds,
      [-100200],
    );
  });

  for (const [variable, value] of [
    ["PORT", "eighty"],
    ["PORT", "70000"],
    ["TELEGRAM_ADMIN_IDS", "12,abc"],
    ["ENCRYPTION_KEY", "abc"],
    ["REPORT_TIMEZONE", "Mars/Olympus"],
    ["DATABASE_URL", "not a url"],
    ["TELEGRAM_BOT_TOKEN", "no-colon"],
    ["LOG_LEVEL", "loud"],
  ] as const) {
    it(`names ${variable} when it is invalid (${value})`, () => {
      assert.throws(
        () => loadConfig({ [variable]: value }),
        (err: unknown) =>
          err instanceof ConfigError &&
          err.variable === variable &&
          err.message.startsWith(`${variable}:`),
      );
    });
  }

  it("treats empty strings as unset", () => {
    const c = loadConfig({ DATABASE_URL: "", TELEGRAM_BOT_TOKEN: " ", ENCRYPTION_KEY: "" });
    assert.equal(c.databaseUrl, undefined);
    assert.equal(c.telegram.token, undefined);
    assert.equal(c.encryptionKeyHex, undefined);
  });
});
