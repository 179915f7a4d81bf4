import assert from "node:assert/strict";
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { call, INGEST_TOKEN, type TestApp } from "../helpers/app.ts";
import { type BotTestApp, startBotTestApp } from "../helpers/bot-app.ts";
import { stopChild } from "../helpers/processes.ts";
import { waitFor } from "../helpers/sender.ts";
import {
  botMessages,
  freePort,
  pressButton,
  type TelegramClient,
  waitForBotMessage,
} from "../helpers/telegram.ts";

const ADMIN = 7007;

/** Debian's `prometheus-alertmanager` (ALERTMANAGER_BIN overrides), or `alertmanager`. */
function findAlertmanager(): string | undefined {
  const candidates = [process.env.ALERTMANAGER_BIN, "prometheus-alertmanager", "alertmanager"];
  for (const bin of candidates) {
    if (bin && spawnSync(bin, ["--version"], { stdio: "ignore" }).status === 0) return bin;
  }
  return undefined;
}
const binary = findAlertmanager();

interface ApiSilence {
  id: string;
  status: { state: string };
  createdBy: string;
  comment: string;
  matchers: { name: string; value: string; isRegex: boolean; isEqual?: boolean }[];
}

describe("mutes become silences of a real Alertmanager", {
  skip: binary
    ? false
    : "prometheus-alertmanager is not installed (apt-get install prometheus-alertmanager)",
}, () => {
  let bot: BotTestApp;
  let t: TestApp;
  let am: ChildProcess;
  let amUrl: string;
  let admin: TelegramClient;
  const dir = mkdtempSync(join(tmpdir(), "cp-amsil-"));
  const silences = async (): Promise<ApiSilence[]> =>
    (await fetch(`${amUrl}/api/v2/silences`)).json() as Promise<ApiSilence[]>;

  before(async () => {
    writeFileSync(
      join(dir, "alertmanager.yml"),
      "route:\n  receiver: none\nreceivers:\n  - name: none\n",
    );
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
    bot = await startBotTestApp({ adminIds: [ADMIN], env: { ALERTMANAGER_URL: amUrl } });
    t = bot.t;
    admin = bot.user(ADMIN, "Ada", "ada");
  });
  after(async () => {
    if (process.env.TRANSCRIPTS) {
      const msgs = await botMessages(admin, ADMIN);
      console.log(
        `--- admin ${ADMIN}\n${msgs.map((m) => `#${m.messageId} ${m.text}${m.buttons.length ? `\n  [${m.buttons.map((b) => b.text).join("] [")}]` : ""}`).join("\n")}`,
      );
    }
    await bot?.stop();
    await stopChild(am);
    rmSync(dir, { recursive: true, force: true });
  });

  it("the Mute 1 h button makes a silence Alertmanager shows; Unmute expires it", async () => {
    const res = await call(`${t.url}/webhooks/alertmanager`, {
      token: INGEST_TOKEN,
      body: {
        version: "4",
        status: "firing",
        externalURL: amUrl,
        alerts: [
          {
            status: "firing",
            labels: {
              alertname: "TargetDown",
              job: "node",
              instance: "n1:9100",
              severity: "warning",
            },
            annotations: { summary: "node exporter down" },
            startsAt: new Date(Date.now() - 60_000).toISOString(),
          },
        ],
      },
    });
    assert.equal(res.status, 200);
    const alert = await waitForBotMessage(
      admin,
      ADMIN,
      (m) => m.text.includes("TargetDown"),
      "alert",
    );
    await pressButton(admin, alert, "Mute 1 h");
    const muted = await waitForBotMessage(
      admin,
      ADMIN,
      (m) => m.messageId === alert.messageId && m.text.includes("Muted until"),
      "alert shows the mute",
    );
    const made = (await silences()).filter((s) => s.status.state === "active");
    assert.equal(made.length, 1, JSON.stringify(made));
    const silence = made[0] as ApiSilence;
    assert.equal(silence.createdBy, "Ada (@ada, 7007)");
    assert.equal(silence.comment, "from the alert TargetDown");
    assert.deepEqual(silence.matchers.map((m) => `${m.name}=${m.value}`).sort(), [
      "alertname=TargetDown",
      "instance=n1:9100",
      "job=node",
      "severity=warning",
    ]);
    const stored = await t.app.mutes.listActive();
    assert.equal(stored[0]?.silenceId, silence.id);

    await pressButton(admin, muted, "Unmute");
    await waitFor(
      async () => (await silences()).find((s) => s.id === silence.id)?.status.state === "expired",
      8000,
      "the silence expired in Alertmanager",
    );
    const unmuted = await waitForBotMessage(
      admin,
      ADMIN,
      (m) => m.messageId === alert.messageId && !m.text.includes("Muted until"),
      "the alert message without the mute",
    );
    assert.ok(unmuted.buttons.some((b) => b.text === "🔕 Mute 1 h"));
  });

  it("/mute takes Alertmanager's braces and amtool's shorthand; the reply says what it did", async () => {
    await admin.sendCommand(
      admin.makeCommand('/mute {alertname="TargetDown", env=~"prod.*"} 2h upgrade'),
    );
    const reply = await waitForBotMessage(
      admin,
      ADMIN,
      (m) => m.text.startsWith("🔕 Muted alertname=TargetDown"),
      "/mute reply",
    );
    assert.match(reply.text, /Muted alertname=TargetDown env=~"prod\.\*"\nfor 2h 00m, until /);
    assert.match(reply.text, /Matches 0 firing alerts now\./, "no firing alert has env=prod…");
    assert.match(reply.text, /Alertmanager silence [0-9a-f-]{36} created\./);
    const made = (await silences()).find((s) => s.comment === "upgrade");
    assert.ok(made);
    assert.deepEqual(
      made.matchers.map((m) => [m.name, m.value, m.isRegex]),
      [
        ["alertname", "TargetDown", false],
        ["env", "prod.*", true],
      ],
    );

    await admin.sendCommand(admin.makeCommand("/mute TargetDown 30m"));
    const short = await waitForBotMessage(
      admin,
      ADMIN,
      (m) => m.text.startsWith("🔕 Muted alertname=TargetDown\nfor 30m 00s"),
      "/mute shorthand reply",
    );
    assert.match(short.text, /Matches 1 firing alert now\./);
    assert.ok(short.buttons.some((b) => b.text === "🔔 Unmute"));
  });

  it("/mutes also lists silences made in Alertmanager itself", async () => {
    const now = Date.now();
    const res = await fetch(`${amUrl}/api/v2/silences`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        matchers: [{ name: "job", value: "batch", isRegex: false, isEqual: true }],
        startsAt: new Date(now).toISOString(),
        endsAt: new Date(now + 3_600_000).toISOString(),
        createdBy: "someone in the UI",
        comment: "maintenance window",
      }),
    });
    assert.equal(res.status, 200);
    await admin.sendCommand(admin.makeCommand("/mutes"));
    const list = await waitForBotMessage(
      admin,
      ADMIN,
      (m) => m.text.includes("Made in Alertmanager"),
      "/mutes",
    );
    assert.match(list.text, /A1\. 🔕 job=batch\nuntil .* by someone in the UI\nmaintenance window/);
    assert.ok(list.buttons.some((b) => b.text === "🔔 Expire A1"));
    assert.doesNotMatch(
      list.text,
      /Made in Alertmanager \([2-9]/,
      "our own silences are not listed twice",
    );
  });
});
