import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { ADMIN_TOKEN, call, INGEST_TOKEN, type TestApp } from "../helpers/app.ts";
import { type BotTestApp, startBotTestApp } from "../helpers/bot-app.ts";
import { fakeClock } from "../helpers/clock.ts";
import {
  type BotMessage,
  botMessages,
  pressButton,
  type TelegramClient,
  waitForBotMessage,
} from "../helpers/telegram.ts";

const ADMIN = 3003;
const MIN = 60_000;

describe("agent heartbeats on the bot end to end (telegram-test-api emulator)", () => {
  let bot: BotTestApp;
  let t: TestApp;
  let admin: TelegramClient;
  const clock = fakeClock("2026-11-23T01:00:00Z");

  const beat = async (agent: string, body: Record<string, unknown>) => {
    const res = await call(`${t.url}/api/heartbeats/${agent}`, { token: INGEST_TOKEN, body });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return res.body as { action: string };
  };
  const reply = (match: (m: BotMessage) => boolean, what: string) =>
    waitForBotMessage(admin, ADMIN, match, what);
  const press = (m: BotMessage, label: string) => pressButton(admin, m, label);

  before(async () => {
    bot = await startBotTestApp({
      adminIds: [ADMIN],
      options: { clock },
    });
    t = bot.t;
    admin = bot.user(ADMIN, "Ada", "ada");
  });
  after(async () => {
    await bot.stop();
  });

  it("an agent beats, goes quiet, its stall alerts arrive, and its next beat edits them to resolved", async (ctx) => {
    const first = { status: "working", task: "OPS-24 schema", round: 12, note: "reviewing" };
    assert.deepEqual(await beat("architect", first), { action: "continue" });
    clock.advance(30 * MIN);
    assert.equal(await t.app.heartbeats.evaluate(), 1);
    const stalled = await reply(
      (m) => m.text.includes("Agent suspected stalled: architect"),
      "the stall warning",
    );
    ctx.diagnostic(`stall alert:\n${stalled.text}`);
    assert.match(stalled.text, /WARNING/);
    assert.match(stalled.text, /Last beat 30m ago/);
    assert.match(stalled.text, /task "OPS-24 schema", round 12\/100/);
    assert.match(stalled.text, / · architect\n/);

    const about = async () =>
      (await botMessages(admin, ADMIN)).filter((m) => m.text.includes("architect"));
    assert.equal((await about()).length, 1, "one message so far");

    clock.advance(15 * MIN);
    assert.equal(await t.app.heartbeats.evaluate(), 1);
    // One alert for the episode: the warning is escalated in place; the rise to critical
    // retires its message and pings once with the escalated one.
    const escalated = await reply(
      (m) =>
        m.messageId !== stalled.messageId &&
        m.text.includes("Agent stalled (escalated from suspected at 01:30 UTC): architect"),
      "the escalation",
    );
    assert.match(escalated.text, /CRITICAL/);
    assert.match(escalated.text, /Incident #\d+: open/);
    const retired = await reply(
      (m) => m.messageId === stalled.messageId && m.text.includes("newer message about it"),
      "the stall warning retired",
    );
    assert.equal(retired.buttons.length, 0);
    assert.equal((await about()).length, 2, "the warning (retired) and the escalation");

    assert.deepEqual(await beat("architect", { status: "working", round: 13, note: "back" }), {
      action: "continue",
    });
    const closed = await reply(
      (m) => m.messageId === escalated.messageId && m.text.includes("RESOLVED"),
      "the escalation edited to resolved",
    );
    ctx.diagnostic(`after the next beat:\n${closed.text}`);
    assert.equal(closed.buttons.length, 0);
    assert.match(closed.text, /Incident #\d+: resolved/);
    const after = await about();
    assert.equal(after.length, 2, "resolving sends no new message");
    assert.equal(after.filter((m) => m.text.includes("RESOLVED")).length, 1, "one RESOLVED edit");
  });

  it("/agents lists agents by class, pages in place, and shows Details with Back", async (ctx) => {
    await beat("coo", { class: "high_frequency", status: "working", task: "triage", round: 41 });
    await beat("lawyer", { class: "business", status: "working", task: "contract", round: 30 });
    await beat("designer", { status: "idle", note: "waiting for specs" });
    for (const n of ["dev-1", "dev-2", "dev-3", "dev-4"])
      await beat(n, { status: "working", task: `task ${n}`, round: 1 });
    await beat("dev-4", { status: "done" });
    await admin.sendCommand(admin.makeCommand("/agents"));
    const list = await reply((m) => /Agents \(8; page 1\/2\)/.test(m.text), "/agents page 1");
    ctx.diagnostic(`/agents page 1:\n${list.text}`);
    assert.match(list.text, /business beat 15m · stall 30m · escalate 45m · max 30/);
    assert.match(list.text, /⏸ lawyer paused · round 30\/30 · just now/);
    assert.match(list.text, /development beat 15m/);
    assert.match(list.text, /🟢 architect ok · round 13\/100 · just now\n +OPS-24 schema/);
    assert.match(list.text, /💤 designer idle · just now/);
    assert.ok(list.text.indexOf("business") < list.text.indexOf("development"), "by class");

    await press(list, "▶");
    const second = await reply(
      (m) => m.messageId === list.messageId && m.text.includes("page 2/2"),
      "page 2 in the same message",
    );
    ctx.diagnostic(`/agents page 2:\n${second.text}`);
    assert.match(second.text, /✅ dev-4 done/);
    assert.match(second.text, /high_frequency beat 10m · stall 20m · escalate 30m · max 50/);
    assert.match(second.text, /🟢 coo ok · round 41\/50/);

    await press(second, "🔎 coo");
    const details = await reply(
      (m) => m.messageId === list.messageId && m.text.includes("Last beats"),
      "Details",
    );
    assert.match(details.text, /coo · ok · class high_frequency/);
    assert.match(details.text, /Round: 41 of 50 \(warns at 40\)/);
    assert.match(details.text, /Proxy: no agent key · today 0 requests, 0 tokens/);
    assert.match(details.text, /Last beat: \d\d:\d\d \(just now\)\nTimes in [\w/]+\n/);
    assert.match(details.text, /Last beats\n• \d\d:\d\d · working/);

    await press(details, "Back");
    const back = await reply(
      (m) => m.messageId === list.messageId && m.text.includes("page 2/2"),
      "back on page 2",
    );
    // The same agent holds a proxy key under its name: /agents shows it with its beats.
    const key = await call(`${t.url}/api/admin/agents`, {
      token: ADMIN_TOKEN,
      body: { name: "architect" },
    });
    assert.equal(key.status, 201, JSON.stringify(key.body));
    const listed = await call(`${t.url}/api/admin/agents`, { token: ADMIN_TOKEN });
    assert.deepEqual(
      listed.body.agents.map((a: { name: string }) => a.name),
      ["architect"],
    );
    await beat("architect", { status: "blocked", note: "needs a DB migration" });
    await press(back, "◀");
    const first = await reply(
      (m) => m.messageId === list.messageId && m.text.includes("page 1/2"),
      "page 1 again",
    );
    await press(first, "🔎 architect");
    const arch = await reply(
      (m) => m.messageId === list.messageId && m.text.includes("architect ·"),
      "architect's details",
    );
    ctx.diagnostic(`Details of architect:\n${arch.text}`);
    assert.match(arch.text, /Status: blocked/);
    assert.match(arch.text, /Note: needs a DB migration/);
    assert.ok(
      arch.text.includes(`Proxy: key ${key.body.key_prefix}… · today 0 requests, 0 tokens`),
      arch.text,
    );
    assert.match(arch.text, /blocked · OPS-24 schema · r13 — needs a DB migration/);
    assert.match(arch.text, /working · OPS-24 schema · r13 — back/);
    assert.match(arch.text, /working · OPS-24 schema · r12 — reviewing/);
  });
});
