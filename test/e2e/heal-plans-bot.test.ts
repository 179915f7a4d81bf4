import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { call, INGEST_TOKEN, type TestApp } from "../helpers/app.ts";
import { type BotTestApp, startBotTestApp } from "../helpers/bot-app.ts";
import {
  type HealthServer,
  healEnv,
  makeTestRepo,
  startHealthServer,
  type TestRepo,
} from "../helpers/heal.ts";
import { type BotMessage, type TelegramClient, waitForBotMessage } from "../helpers/telegram.ts";

const ADMIN = 1001;
const STRANGER = 6666;

describe("heal plans on the bot end to end (telegram-test-api emulator)", () => {
  let bot: BotTestApp;
  let t: TestApp;
  let admin: TelegramClient;
  let stranger: TelegramClient;
  let repo: TestRepo;
  let health: HealthServer;

  const propose = async (rationale: string) => {
    const res = await call(`${t.url}/api/heal-plans`, {
      token: INGEST_TOKEN,
      body: {
        kind: "code_fix",
        target: "services/app.py",
        rationale,
        proposed_by: "agent-7",
        risk: "medium",
      },
    });
    assert.equal(res.status, 201);
    return res.body.id as string;
  };
  const planMessage = (id: string, match: (m: BotMessage) => boolean, what: string) =>
    waitForBotMessage(
      admin,
      ADMIN,
      (m) => m.buttons.some((b) => b.callback_data.endsWith(id)) || match(m),
      what,
    );
  const press = (client: TelegramClient, m: BotMessage, data: string) =>
    client.sendCallback(
      client.makeCallbackQuery(data, {
        message: { message_id: m.messageId, chat: { id: ADMIN } },
      }),
    );

  before(async () => {
    repo = await makeTestRepo();
    health = await startHealthServer();
    bot = await startBotTestApp({
      adminIds: [ADMIN],
      env: healEnv(repo, health),
    });
    t = bot.t;
    admin = bot.user(ADMIN, "Ada", "ada");
    stranger = bot.user(STRANGER, "Eve", "eve");
  });
  after(async () => {
    try {
      await bot.t.app.heal.idle(); // a plan still running would probe the health server below
      await bot.stop();
    } finally {
      await health.stop();
      repo.remove();
    }
  });

  it("refuses a stranger's Approve; the admin's Approve runs the fix and edits the message to Done", async () => {
    const id = await propose("fix the crash lines=2");
    const msg = await planMessage(id, () => false, "the plan message");
    assert.match(msg.text, /Heal plan · Code fix/);
    assert.match(msg.text, /risk medium/);
    assert.deepEqual(
      msg.buttons.map((b) => b.text),
      ["✅ Approve", "✋ Reject", "ℹ️ Details"],
    );

    await press(admin, msg, `pd:${id}`);
    const details = await waitForBotMessage(
      admin,
      ADMIN,
      (m) => m.messageId === msg.messageId && m.text.includes("Audit (1 step)"),
      "the details, in the plan's message",
    );
    assert.match(details.text, /Content [0-9a-f]{12} \(a decision is bound to it\)/);
    assert.match(details.text, /proposed · agent-7/);
    await press(admin, msg, `pb:${id}`);
    await waitForBotMessage(
      admin,
      ADMIN,
      (m) => m.messageId === msg.messageId && m.text.includes("Waiting for a decision"),
      "back to the plan",
    );

    await press(stranger, msg, `pa:${id}`);
    await new Promise((r) => setTimeout(r, 300));
    assert.equal((await t.app.heal.store.get(id))?.status, "pending", "a stranger decides nothing");

    await press(admin, msg, `pa:${id}`);
    await press(admin, msg, `pa:${id}`);
    const done = await waitForBotMessage(
      admin,
      ADMIN,
      (m) => m.messageId === msg.messageId && m.text.includes("Done"),
      "the Done edit",
    );
    await t.app.heal.idle();
    assert.match(done.text, /Decided by Ada at /);
    assert.equal(done.buttons.length, 0);
    const steps = (await t.app.heal.audit(id)).map((a) => a.step);
    assert.equal(steps.filter((s) => s === "running").length, 1, "double press → one execution");
    assert.match((await repo.remoteLog())[0] ?? "", /^heal: fix the crash/);
  });

  it("Reject asks for a reason; the answer rejects the plan and shows the reason", async () => {
    const id = await propose("another fix lines=1");
    const msg = await planMessage(id, () => false, "the second plan message");
    await press(admin, msg, `pr:${id}`);
    await waitForBotMessage(admin, ADMIN, (m) => m.text.includes("Why?"), "the reason question");
    await admin.sendMessage(admin.makeMessage("not during the release"));
    await waitForBotMessage(
      admin,
      ADMIN,
      (m) => m.text.includes("Rejected: not during the release"),
      "the rejection reply",
    );
    const edited = await waitForBotMessage(
      admin,
      ADMIN,
      (m) => m.messageId === msg.messageId && m.text.includes("Reason: not during the release"),
      "the rejected plan message",
    );
    assert.equal(edited.buttons.length, 0);
    const plan = await t.app.heal.store.get(id);
    assert.equal(plan?.status, "rejected");
    assert.match(plan?.decidedBy ?? "", /Ada/);
  });

  it("lists pending and recent plans on /plans", async () => {
    await propose("pending one lines=1");
    await admin.sendCommand(admin.makeCommand("/plans"));
    const reply = await waitForBotMessage(
      admin,
      ADMIN,
      (m) => m.text.startsWith("🩺 Heal plans"),
      "/plans reply",
    );
    assert.match(reply.text, /1 pending/);
    assert.match(reply.text, /succeeded/);
    assert.match(reply.text, /rejected/);
    assert.equal((reply.text.match(/· pending ·/g) ?? []).length, 1, "each plan listed once");
    assert.deepEqual(
      reply.buttons.map((b) => b.text),
      ["🩺 Code fix services/app.py", "↻ Refresh", "🏠 Status"],
    );
  });
});
