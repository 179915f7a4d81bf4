import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { loadConfig } from "../../src/config.ts";
import { deriveWebhookSecret } from "../../src/config-secrets.ts";
import { ConfigError } from "../../src/errors.ts";

const STRONG = "k3Jd9_x2LmQ7vB4nR8tY1wZ6";
const OTHER = "Pq5sT0uV2wX4yZ6aB8cD0eF2";
const names = (variable: string) => (err: unknown) =>
  err instanceof ConfigError && err.variable === variable;

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

  it("reads agent classes and the watchdog interval", () => {
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

  it("reads HEAL_TEMPLATES into heal plan templates", () => {
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

  for (const [variable, value, why] of [
    ["ADMIN_TOKEN", "x", /too short \(1 characters; at least 24/],
    ["INGEST_TOKEN", "short-token", /too short/],
    ["ADMIN_TOKEN", "a".repeat(40), /too few different characters/],
    ["INGEST_TOKEN", `${STRONG} x`, /whitespace/],
    ["TELEGRAM_WEBHOOK_SECRET", "abc", /too short/],
    ["TELEGRAM_WEBHOOK_SECRET", `${STRONG}!`, /A-Z a-z 0-9 _ -/],
  ] as const) {
    it(`refuses a weak ${variable} (${value.slice(0, 12)}…), naming it`, () => {
      assert.throws(
        () => loadConfig({ [variable]: value }),
        (err: unknown) => names(variable)(err) && why.test((err as Error).message),
      );
    });
  }

  it("refuses ADMIN_TOKEN equal to INGEST_TOKEN", () => {
    assert.throws(
      () => loadConfig({ ADMIN_TOKEN: STRONG, INGEST_TOKEN: STRONG }),
      (err: unknown) =>
        names("ADMIN_TOKEN")(err) && /must differ from INGEST_TOKEN/.test(String(err)),
    );
    const c = loadConfig({ ADMIN_TOKEN: STRONG, INGEST_TOKEN: OTHER });
    assert.deepEqual([c.adminToken, c.ingestToken], [STRONG, OTHER]);
  });

  it("derives the webhook secret from the bot token in webhook mode unless one is given", () => {
    const token = "123456:AAHfakefakefakefakefakefakefakefake";
    const hook = { TELEGRAM_BOT_TOKEN: token, TELEGRAM_WEBHOOK_URL: "https://x.example/hook" };
    assert.equal(loadConfig(hook).telegram.webhookSecret, deriveWebhookSecret(token));
    assert.notEqual(deriveWebhookSecret(token), deriveWebhookSecret(`${token}x`));
    assert.equal(
      loadConfig({ ...hook, TELEGRAM_WEBHOOK_SECRET: STRONG }).telegram.webhookSecret,
      STRONG,
    );
    assert.equal(loadConfig({ TELEGRAM_BOT_TOKEN: token }).telegram.webhookSecret, undefined);
  });

  it("reads SHUTDOWN_GRACE_S (default 15 s)", () => {
    assert.equal(loadConfig({}).shutdownGraceMs, 15_000);
    assert.equal(loadConfig({ SHUTDOWN_GRACE_S: "3" }).shutdownGraceMs, 3000);
  });

  describe("secrets from files (<NAME>_FILE, Docker secrets)", () => {
    const dir = mkdtempSync(join(tmpdir(), "cp-secrets-"));
    after(() => rmSync(dir, { recursive: true, force: true }));
    const file = (name: string, content: string) => {
      const path = join(dir, name);
      writeFileSync(path, content);
      return path;
    };

    it("reads each secret variable from its file, without the trailing newline", () => {
      const key = "ab".repeat(32);
      const c = loadConfig({
        ADMIN_TOKEN_FILE: file("admin", `${STRONG}\n`),
        INGEST_TOKEN_FILE: file("ingest", OTHER),
        ENCRYPTION_KEY_FILE: file("key", `${key}\n`),
        DATABASE_URL_FILE: file("db", "postgres://app:s3cret@db:5432/app\n"),
        TELEGRAM_BOT_TOKEN_FILE: file("bot", "123456:AAHfakefakefakefakefakefakefakefake\n"),
        TELEGRAM_WEBHOOK_SECRET_FILE: file("hook", `${OTHER}x\n`),
      });
      assert.equal(c.adminToken, STRONG);
      assert.equal(c.ingestToken, OTHER);
      assert.equal(c.encryptionKeyHex, key);
      assert.equal(c.databaseUrl, "postgres://app:s3cret@db:5432/app");
      assert.equal(c.telegram.token, "123456:AAHfakefakefakefakefakefakefakefake");
      assert.equal(c.telegram.webhookSecret, `${OTHER}x`);
    });

    it("names the _FILE variable when its file cannot be read or is empty", () => {
      assert.throws(
        () => loadConfig({ ADMIN_TOKEN_FILE: join(dir, "missing") }),
        (err: unknown) => names("ADMIN_TOKEN_FILE")(err) && /ENOENT/.test(String(err)),
      );
      assert.throws(
        () => loadConfig({ INGEST_TOKEN_FILE: file("empty", "\n") }),
        names("INGEST_TOKEN_FILE"),
      );
    });

    it("refuses a variable given both directly and as a file", () => {
      assert.throws(
        () => loadConfig({ ADMIN_TOKEN: STRONG, ADMIN_TOKEN_FILE: file("both", STRONG) }),
        (err: unknown) => names("ADMIN_TOKEN")(err) && /not both/.test(String(err)),
      );
    });

    it("checks a secret read from a file like one given directly", () => {
      assert.throws(
        () => loadConfig({ ADMIN_TOKEN_FILE: file("weak", "x\n") }),
        names("ADMIN_TOKEN"),
      );
    });
  });
});
