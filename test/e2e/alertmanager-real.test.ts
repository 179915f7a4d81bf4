import assert from "node:assert/strict";
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { INGEST_TOKEN, type TestApp } from "../helpers/app.ts";
import { type BotTestApp, startBotTestApp } from "../helpers/bot-app.ts";
import { stopChild } from "../helpers/processes.ts";
import { waitFor } from "../helpers/sender.ts";
import {
  botMessages,
  freePort,
  type TelegramClient,
  waitForBotMessage,
} from "../helpers/telegram.ts";

const CHAT = 5005;

/** The Alertmanager binary: Debian's `prometheus-alertmanager`, or `alertmanager` on PATH. */
function findAlertmanager(): string | undefined {
  for (const bin of ["prometheus-alertmanager", "alertmanager"]) {
    if (spawnSync(bin, ["--version"], { stdio: "ignore" }).status === 0) return bin;
  }
  return undefined;
}

const binary = findAlertmanager();

/** Alertmanager's own config: one webhook receiver pointing at the app, fast grouping. */
function alertmanagerConfig(appUrl: string): string {
  return `
route:
  receiver: commandpost
  group_by: [alertname, instance]
  group_wait: 1s
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: commandpost
    webhook_configs:
      - url: ${appUrl}/webhooks/alertmanager
        send_resolved: true
        http_config:
          authorization:
            credentials: ${INGEST_TOKEN}
`;
}

describe("a real Alertmanager posting to the app", {
  skip: binary
    ? false
    : "prometheus-alertmanager is not installed (apt-get install prometheus-alertmanager)",
}, () => {
  let bot: BotTestApp;
  let t: TestApp;
  let am: ChildProcess;
  let amUrl: string;
  let client: TelegramClient;
  const dir = mkdtempSync(join(tmpdir(), "cp-am-"));
  const alert = (endsAt?: string) => [
    {
      labels: { alertname: "RealAlertmanager", instance: "am-host:9100", severity: "critical" },
      annotations: { summary: "posted through Alertmanager's API v2" },
      generatorURL: "http://prometheus.example/graph",
      startsAt: new Date(Date.now() - 60_000).toISOString(),
      ...(endsAt && { endsAt }),
    },
  ];
  const postToAlertmanager = async (body: unknown) => {
    const res = await fetch(`${amUrl}/api/v2/alerts`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    assert.equal(res.status, 200, await res.text());
  };

  before(async () => {
    bot = await startBotTestApp({ adminIds: [CHAT] });
    t = bot.t;
    client = bot.user(CHAT, "Ops");
    writeFileSync(join(dir, "alertmanager.yml"), alertmanagerConfig(t.url));
    const amPort = await freePort();
    amUrl = `http://127.0.0.1:${amPort}`;
    am = spawn(
      binary as string,
      [
        `--config.file=${join(dir, "alertmanager.yml")}`,
        `--storage.path=${join(dir, "data")}`,
        `--web.listen-address=127.0.0.1:${amPort}`,
        "--cluster.listen-address=",
        "--log.level=warn",
      ],
      { stdio: ["ignore", "ignore", "pipe"] },
    );
    let stderr = "";
    am.stderr?.on("data", (d) => {
      stderr += d;
    });
    await waitFor(
      async () => (await fetch(`${amUrl}/-/ready`).catch(() => null))?.ok,
      15_000,
      `Alertmanager ready (${stderr.slice(-300)})`,
    );
  });
  after(async () => {
    await Promise.all([stopChild(am), bot?.stop()]);
    rmSync(dir, { recursive: true, force: true });
  });

  it("delivers an alert added through its API as one message, edited when it resolves", async () => {
    await postToAlertmanager(alert());
    const msg = await waitForBotMessage(
      client,
      CHAT,
      (m) => m.text.includes("RealAlertmanager"),
      "the alert via Alertmanager",
      15_000,
    );
    assert.match(msg.text, /CRITICAL · RealAlertmanager/);
    assert.match(msg.text, / · am-host:9100\n/);
    assert.ok(msg.buttons.some((b) => b.text.includes("Acknowledge")));

    await postToAlertmanager(alert(new Date(Date.now() - 1000).toISOString()));
    const resolved = await waitForBotMessage(
      client,
      CHAT,
      (m) => m.messageId === msg.messageId && m.text.includes("RESOLVED"),
      "the resolved edit",
      15_000,
    );
    assert.equal(resolved.buttons.length, 0);
    const all = (await botMessages(client, CHAT)).filter((m) =>
      m.text.includes("RealAlertmanager"),
    );
    assert.equal(all.length, 1, "one message for the alert's whole life");
  });
});
