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
    ["AGENT_CLASSES", "{not json"],
    ["AGENT_CLASSES", '{"development":{"stall_s":0}}'],
    ["AGENT_WATCHDOG_INTERVAL_S", "0"],
    ["PUBLIC_URL", "ops.example.com"],
    ["PUBLIC_URL", "ftp://ops.example.com"],
    ["DASHBOARD_SESSION_TTL_S", "10"],
    ["HEAL_TEMPLATES", "[{]"],
    ["HEAL_TEMPLATES", '[{"match":{"a":"X"},"kind":"restart","target":"a b"}]'],
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

  it("reads agent classes and the watchdog interval (issue 8)", () => {
    const d = loadConfig({});
    assert.equal(d.heartbeats.watchdogIntervalMs, 15_000);
    assert.equal(d.heartbeats.classes.development?.maxRounds, 100);
    const c = loadConfig({
      AGENT_WATCHDOG_INTERVAL_S: "5",
      AGENT_CLASSES:
        '{"business":{"max_rounds":12},"ops":{"period_s":60,"stall_s":120,"escalate_s":300,"max_rounds":9}}',
    });
    assert.equal(c.heartbeats.watchdogIntervalMs, 5000);
    assert.equal(c.heartbeats.classes.business?.maxRounds, 12);
    assert.equal(c.heartbeats.classes.ops?.escalateS, 300);
  });

  it("reads HEAL_TEMPLATES into heal plan templates (issue 5)", () => {
    const c = loadConfig({
      HEAL_TEMPLATES: JSON.stringify([
        {
          name: "5xx",
          match: { alertname: "HighErrorRate" },
          kind: "restart",
          target: "{{job}}",
          rationale: "errors on {{instance}}",
          risk: "low",
        },
      ]),
    });
    assert.equal(c.heal.templates.length, 1);
    assert.equal(c.heal.templates[0]?.name, "5xx");
    assert.deepEqual(loadConfig({}).heal.templates, []);
  });

  it("reads the dashboard's public URL without a trailing slash, and its session lifetime", () => {
    const c = loadConfig({
      PUBLIC_URL: "https://ops.example.com/",
      DASHBOARD_SESSION_TTL_S: "900",
    });
    assert.deepEqual(c.dashboard, { publicUrl: "https://ops.example.com", sessionTtlMs: 900_000 });
    assert.deepEqual(loadConfig({}).dashboard, { publicUrl: undefined, sessionTtlMs: 3_600_000 });
  });

  it("treats empty strings as unset", () => {
    const c = loadConfig({ DATABASE_URL: "", TELEGRAM_BOT_TOKEN: " ", ENCRYPTION_KEY: "" });
    assert.equal(c.databaseUrl, undefined);
    assert.equal(c.telegram.token, undefined);
    assert.equal(c.encryptionKeyHex, undefined);
  });
});
