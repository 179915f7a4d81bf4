import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { call, INGEST_TOKEN, type TestApp } from "../helpers/app.ts";
import { type BotTestApp, startBotTestApp } from "../helpers/bot-app.ts";
import { fakeClock } from "../helpers/clock.ts";
import {
  type HealthServer,
  healEnv,
  makeTestRepo,
  startHealthServer,
  type TestRepo,
} from "../helpers/heal.ts";
import {
  type BotMessage,
  botMessages,
  pressButton,
  type TelegramClient,
  waitForBotMessage,
} from "../helpers/telegram.ts";

const ADMIN = 4242;
const MIN = 60_000;

/** An Alertmanager webhook v4 body with one critical alert on `instance`. */
function webhook(instance: string, name = "HighErrorRate") {
  return {
    version: "4",
    receiver: "bot",
    status: "firing",
    alerts: [
      {
        status: "firing",
        labels: { alertname: name, instance, job: "app", severity: "critical" },
        annotations: { summary: `5xx rate above 5% on ${instance}` },
        startsAt: "2026-11-23T00:58:00Z",
        endsAt: "0001-01-01T00:00:00Z",
      },
    ],
  };
}

describe("/status as the home screen, incident numbers and plan decisions (emulator)", () => {
  let bot: BotTestApp;
  let t: TestApp;
  let admin: TelegramClient;
  let repo: TestRepo;
  let health: HealthServer;
  const clock = fakeClock("2026-11-23T01:00:00Z");

  const reply = (match: (m: BotMessage) => boolean, what: string) =>
    waitForBotMessage(admin, ADMIN, match, what);
  const say = (text: string) => admin.sendCommand(admin.makeCommand(text));
  const propose = async (body: Record<string, unknown>) => {
    const res = await call(`${t.url}/api/heal-plans`, {
      token: INGEST_TOKEN,
      body: { proposed_by: "agent-7", risk: "medium", ...body },
    });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    return res.body.id as string;
  };
  const planMessage = (id: string, match: (m: BotMessage) => boolean, what: string) =>
    reply((m) => m.buttons.some((b) => b.callback_data.endsWith(id)) && match(m), what);
  const beat = async (agent: string, body: Record<string, unknown>) => {
    const res = await call(`${t.url}/api/heartbeats/${agent}`, { token: INGEST_TOKEN, body });
    assert.equal(res.status, 200, JSON.stringify(res.body));
  };

  before(async () => {
    repo = await makeTestRepo();
    health = await startHealthServer();
    bot = await startBotTestApp({
      adminIds: [ADMIN],
      env: {
        ...healEnv(repo, health),
        REPORT_TIMEZONE: "Asia/Taipei",
        HEAL_COMMANDS: JSON.stringify({
          restart: [
            process.execPath,
            "-e",
            "console.log('restarted ' + process.argv[1])",
            "{target}",
          ],
        }),
      },
      options: { clock },
    });
    t = bot.t;
    admin = bot.user(ADMIN, "Ada", "ada_ops");
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

  it("says nothing needs you on a quiet system, with the four views and Refresh", async (ctx) => {
    await say("/status");
    const home = await reply((m) => m.text.includes("commandpost status"), "/status");
    ctx.diagnostic(`/status, quiet:\n${home.text}`);
    assert.match(home.text, /✅ Nothing needs you right now\./);
    assert.match(home.text, /Times in Asia\/Taipei/);
    assert.deepEqual(
      home.buttons.map((b) => b.text),
      ["🚨 Incidents", "🩺 Plans", "🤖 Agents", "🔌 Backends", "↻ Refresh"],
    );
  });

  it("shows a pending plan, an unacknowledged incident and an escalated agent first; Refresh and the views edit in place", async (ctx) => {
    await beat("builder", { status: "working", task: "BIZ-7 build", round: 3 });
    clock.advance(50 * MIN);
    await t.app.heartbeats.evaluate();
    const res = await call(`${t.url}/webhooks/alertmanager`, {
      token: INGEST_TOKEN,
      body: webhook("db-1:9100"),
    });
    assert.equal(res.status, 200);
    const planId = await propose({
      kind: "code_fix",
      target: "services/app.py",
      rationale: "fix lines=1",
    });
    await planMessage(planId, () => true, "the plan message");

    await say("/status");
    const home = await reply(
      (m) => m.text.includes("commandpost status") && m.text.includes("Needs you"),
      "/status with things to do",
    );
    ctx.diagnostic(`/status, busy:\n${home.text}`);
    assert.match(home.text, /⏳ Plan awaits approval: Code fix services\/app\.py · risk medium/);
    assert.match(home.text, /#\d+ 🔴 HighErrorRate · db-1:9100 · open just now/);
    assert.match(home.text, /🚨 Agent builder escalated · silent 50m 00s/);
    assert.ok(
      home.text.indexOf("Needs you") < home.text.indexOf("Overview"),
      "what needs a person comes first",
    );
    assert.ok(home.buttons.some((b) => b.text === "🩺 Plans (1)"));
    assert.ok(home.buttons.some((b) => b.text === "🤖 Agents (1)"));

    clock.advance(2 * MIN);
    await pressButton(admin, home, "↻ Refresh");
    const refreshed = await reply(
      (m) => m.messageId === home.messageId && m.text.includes("silent 52m 00s"),
      "the refreshed home screen in the same message",
    );
    assert.match(refreshed.text, /open 2m ago/);

    await pressButton(admin, refreshed, "🚨 Incidents");
    const list = await reply(
      (m) => m.messageId === home.messageId && m.text.startsWith("Incidents"),
      "incidents opened in place",
    );
    ctx.diagnostic(`/incidents from home:\n${list.text}`);
    assert.match(list.text, /#\d+ 🔴 HighErrorRate · db-1:9100 · open 2m ago/);
    const n = /#(\d+) 🔴/.exec(list.text)?.[1];
    assert.ok(
      list.buttons.some((b) => b.text === `✋ #${n}`),
      "buttons named by number",
    );

    await pressButton(admin, list, `✋ #${n}`);
    const acked = await reply(
      (m) => m.messageId === home.messageId && m.text.includes("acknowledged just now"),
      "the list redrawn after the acknowledgement",
    );
    assert.match(
      acked.text,
      new RegExp(`#${n} 🟡 HighErrorRate · db-1:9100 · acknowledged just now`),
    );
    assert.match(acked.text, /👤 Ada(?! \()/, "the person by name, without handle or id");

    await pressButton(admin, acked, "🏠 Status");
    const back = await reply(
      (m) => m.messageId === home.messageId && m.text.includes("commandpost status"),
      "home again",
    );
    assert.doesNotMatch(back.text, /🔴 HighErrorRate/, "an acknowledged incident no longer waits");

    await pressButton(admin, back, "🩺 Plans");
    const plans = await reply(
      (m) => m.messageId === home.messageId && m.text.includes("Heal plans"),
      "plans in place",
    );
    assert.match(plans.text, /1 pending/);
    await pressButton(admin, plans, "🩺 Code fix services/app.py");
    const opened = await reply(
      (m) => m.messageId === home.messageId && m.text.includes("Heal plan · Code fix"),
      "the plan opened from the list",
    );
    assert.deepEqual(
      opened.buttons.map((b) => b.text),
      ["✅ Approve", "✋ Reject", "ℹ️ Details", "« Plans"],
    );

    await pressButton(admin, opened, "« Plans");
    const again = await reply(
      (m) => m.messageId === home.messageId && m.text.includes("Heal plans"),
      "back to the list",
    );
    await pressButton(admin, again, "🏠 Status");
    const homeAgain = await reply(
      (m) => m.messageId === home.messageId && m.text.includes("commandpost status"),
      "home",
    );
    await pressButton(admin, homeAgain, "🤖 Agents");
    const agents = await reply(
      (m) => m.messageId === home.messageId && /Agents \(1/.test(m.text),
      "agents in place",
    );
    assert.match(
      agents.text,
      /Needs you \(1\)\n🔴 builder escalated · silent 52m 00s · BIZ-7 build/,
    );
    assert.equal(agents.buttons[0]?.text, "🔎 builder (escalated)", "its action first");
    await pressButton(admin, agents, "🏠 Status");
    const home3 = await reply(
      (m) => m.messageId === home.messageId && m.text.includes("commandpost status"),
      "home from agents",
    );
    await pressButton(admin, home3, "🔌 Backends");
    const backends = await reply(
      (m) => m.messageId === home.messageId && m.text.startsWith("Backends"),
      "backends in place",
    );
    assert.ok(
      backends.buttons.some((b) => b.text === "↻ Refresh"),
      "the backends menu",
    );
    await t.app.heal.reject(planId, "test", null);
  });

  it("offers no Approve for a plan the guardrails refuse, and says why", async (ctx) => {
    const id = await propose({ kind: "restart", target: "db-primary", rationale: "wedged" });
    const msg = await planMessage(id, () => true, "the protected plan");
    ctx.diagnostic(`protected plan:\n${msg.text}`);
    assert.deepEqual(
      msg.buttons.map((b) => b.text),
      ["✋ Reject", "ℹ️ Details"],
    );
    assert.match(msg.text, /🛑 The guardrails would refuse it: protected resource db-primary/);
    await admin.sendCallback(
      admin.makeCallbackQuery(`pa:${id}`, {
        message: { message_id: msg.messageId, chat: { id: ADMIN } },
      }),
    );
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(
      (await t.app.heal.store.get(id))?.status,
      "pending",
      "a forged press approves nothing",
    );
    await t.app.heal.reject(id, "test", null);
  });

  it("asks a second press for a high-risk plan; Details opens in place; two plans on one target are flagged", async (ctx) => {
    const first = await propose({
      kind: "restart",
      target: "web-1",
      rationale: "memory leak",
      risk: "high",
    });
    const second = await propose({ kind: "restart", target: "web-1", rationale: "again" });
    const flagged = await planMessage(
      first,
      (m) => m.text.includes("1 other plan pending on this target"),
      "the first plan flagged after the second arrived",
    );
    ctx.diagnostic(`high-risk plan, flagged:\n${flagged.text}`);
    assert.match(flagged.text, /Proposed by agent-7/);
    assert.match(flagged.text, /High risk: Approve asks you to confirm/);

    await pressButton(admin, flagged, "ℹ️ Details");
    const details = await reply(
      (m) => m.messageId === flagged.messageId && m.text.includes("Audit"),
      "details in the same message",
    );
    ctx.diagnostic(`details:\n${details.text}`);
    assert.match(details.text, /proposed · agent-7/);
    await pressButton(admin, details, "« Back");
    const plan = await reply(
      (m) => m.messageId === flagged.messageId && m.text.includes("Heal plan · Restart"),
      "back to the plan",
    );

    await pressButton(admin, plan, "⚠️ Approve…");
    const confirm = await reply(
      (m) => m.messageId === flagged.messageId && m.buttons.some((b) => b.text === "⚠️ Yes, run it"),
      "the confirming button",
    );
    assert.equal(
      (await t.app.heal.store.get(first))?.status,
      "pending",
      "one press decides nothing",
    );
    await pressButton(admin, confirm, "⚠️ Yes, run it");
    const done = await reply(
      (m) => m.messageId === flagged.messageId && m.text.includes("✅ Done"),
      "the plan run",
    );
    await t.app.heal.idle();
    ctx.diagnostic(`high-risk plan, done:\n${done.text}`);
    assert.match(done.text, /Decided by Ada at \d\d:\d\d/);
    assert.doesNotMatch(done.text, /@ada_ops|4242/, "the name only; the id stays in the audit");
    assert.match(
      (await t.app.heal.audit(first)).find((a) => a.step === "approved")?.actor ?? "",
      /Ada \(@ada_ops, 4242\)/,
    );
    const secondMsg = await planMessage(
      second,
      (m) => !m.text.includes("other plan pending"),
      "the second plan no longer flagged",
    );
    assert.ok(secondMsg);
    const all = await botMessages(admin, ADMIN);
    assert.equal(
      all.filter((m) => m.text.includes("Content hash")).length,
      0,
      "no separate Details message",
    );
  });
});
