import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { healPlans } from "../../db/schema/index.ts";
import { call, INGEST_TOKEN, type TestApp } from "../helpers/app.ts";
import { type BotTestApp, startBotTestApp } from "../helpers/bot-app.ts";
import { fixture } from "../helpers/fixtures.ts";
import {
  type BotMessage,
  pressButton,
  type TelegramClient,
  waitForBotMessage,
} from "../helpers/telegram.ts";

const ADMIN = 3003;
const STRANGER = 8888;

/** One rule: the fixture's HighErrorRate alerts map to an allowlisted, harmless command. */
const TEMPLATES = [
  {
    name: "drain on errors",
    match: ["alertname=HighErrorRate", "severity=critical"],
    kind: "command",
    target: "{{job}}",
    rationale: "{{alertname}} on {{instance}}: drain and retry",
    risk: "low",
  },
];

describe("a fix proposed from an alert's message, decided and run on the bot (emulator)", () => {
  let bot: BotTestApp;
  let t: TestApp;
  let admin: TelegramClient;
  let stranger: TelegramClient;

  const press = (who: TelegramClient, m: BotMessage, data: string) =>
    who.sendCallback(
      who.makeCallbackQuery(data, { message: { message_id: m.messageId, chat: { id: ADMIN } } }),
    );
  const plans = () => t.app.database.db.select().from(healPlans);
  const settle = () => new Promise((r) => setTimeout(r, 400));

  before(async () => {
    bot = await startBotTestApp({
      adminIds: [ADMIN],
      env: {
        HEAL_TEMPLATES: JSON.stringify(TEMPLATES),
        HEAL_COMMANDS: JSON.stringify({
          command: [
            process.execPath,
            "-e",
            "console.log('drained ' + process.argv[1])",
            "{target}",
          ],
        }),
      },
    });
    t = bot.t;
    admin = bot.user(ADMIN, "Ada", "ada");
    stranger = bot.user(STRANGER, "Eve", "eve");
  });
  after(() => bot.stop());

  it("Propose fix → plan message linked to the incident → Approve runs it and the message shows Done", async () => {
    const res = await call(`${t.url}/webhooks/alertmanager`, {
      token: INGEST_TOKEN,
      body: fixture("alertmanager-firing.json"),
    });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    // The fixture's two alerts are one Alertmanager group: its message's member button
    // shows the alert's own message, with Propose fix.
    const groupMsg = await waitForBotMessage(
      admin,
      ADMIN,
      (m) => m.text.startsWith("🔴 2 critical · HighErrorRate"),
      "the group message",
    );
    await pressButton(admin, groupMsg, "HighErrorRate momo-app:80");
    const alertMsg = await waitForBotMessage(
      admin,
      ADMIN,
      (m) => m.text.includes(" · momo-app:80\n") && m.buttons.length > 0,
      "the alert message",
    );
    const fix = alertMsg.buttons.find((b) => b.text === "🩹 Propose fix");
    assert.ok(fix, `Propose fix on the alert (has ${alertMsg.buttons.map((b) => b.text)})`);
    assert.match(fix.callback_data, /^pf:[0-9A-Z]{26}$/);

    await press(stranger, alertMsg, fix.callback_data);
    await settle();
    assert.equal((await plans()).length, 0, "a stranger proposes nothing");

    await press(admin, alertMsg, fix.callback_data);
    const planMsg = await waitForBotMessage(
      admin,
      ADMIN,
      (m) => m.text.includes("Heal plan · Command"),
      "the plan message",
    );
    const [plan, ...more] = await plans();
    assert.ok(plan);
    assert.equal(more.length, 0);
    assert.ok(plan.incidentId, "linked to the alert's incident");
    assert.match(planMsg.text, /Will run the allowlisted command command on momo-app/);
    assert.match(planMsg.text, /Why: HighErrorRate on momo-app:80: drain and retry/);
    assert.match(planMsg.text, /Proposed by Ada · just now/);
    const incident = await t.app.incidents.get(plan.incidentId);
    assert.ok(planMsg.text.includes(`incident #${incident?.number}`), planMsg.text);
    assert.deepEqual(
      planMsg.buttons.map((b) => b.callback_data),
      [`pa:${plan.id}`, `pr:${plan.id}`, `pd:${plan.id}`],
    );
    const [proposed] = await t.app.heal.audit(plan.id);
    assert.equal(proposed?.step, "proposed");
    assert.equal(proposed?.actor, "Ada (@ada, 3003)");

    await press(admin, alertMsg, fix.callback_data);
    await settle();
    assert.equal((await plans()).length, 1, "a second press creates nothing");

    await press(admin, planMsg, `pa:${plan.id}`);
    const done = await waitForBotMessage(
      admin,
      ADMIN,
      (m) => m.messageId === planMsg.messageId && m.text.includes("Done"),
      "the plan message edited to Done",
    );
    await t.app.heal.idle();
    assert.match(done.text, /Decided by Ada at /);
    assert.match(done.text, /command exited 0/);
    assert.equal(done.buttons.length, 0);
    const steps = (await t.app.heal.audit(plan.id)).map((a) => a.step);
    assert.deepEqual(steps, [
      "proposed",
      "approved",
      "running",
      "command",
      "command_result",
      "succeeded",
    ]);
    const result = (await t.app.heal.audit(plan.id)).find((a) => a.step === "command_result");
    assert.match(String(result?.detail.output), /drained momo-app/);
  });
});
