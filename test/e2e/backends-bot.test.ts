import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import OpenAI from "openai";
import { kv } from "../../db/schema/index.ts";
import { ADMIN_TOKEN, call, type TestApp } from "../helpers/app.ts";
import { type BotTestApp, startBotTestApp } from "../helpers/bot-app.ts";
import { waitFor } from "../helpers/sender.ts";
import {
  type BotMessage,
  botMessages,
  freePort,
  type TelegramClient,
  waitForBotMessage,
} from "../helpers/telegram.ts";
import { startTestUpstream, type TestUpstream } from "../helpers/upstream.ts";

const ADMIN = 2002;

describe("/backends and /usage on the emulator", () => {
  let bot: BotTestApp;
  let t: TestApp;
  let up: TestUpstream;
  let admin: TelegramClient;
  let list: BotMessage;

  const press = async (m: BotMessage, label: RegExp) => {
    const button = m.buttons.find((b) => label.test(b.text));
    assert.ok(button, `button ${label} in ${JSON.stringify(m.buttons.map((b) => b.text))}`);
    await admin.sendCallback(
      admin.makeCallbackQuery(button.callback_data, {
        message: { message_id: m.messageId, chat: { id: ADMIN } },
      }),
    );
  };
  const screen = (match: (m: BotMessage) => boolean, what: string) =>
    waitForBotMessage(admin, ADMIN, (m) => m.messageId === list.messageId && match(m), what);

  before(async () => {
    up = await startTestUpstream();
    bot = await startBotTestApp({ adminIds: [ADMIN] });
    t = bot.t;
    admin = bot.user(ADMIN, "Ada", "ada");
    for (const [name, pool] of [
      ["nv-primary-1", "primary"],
      ["or-fallback", "fallback"],
    ]) {
      const res = await call(`${t.url}/api/admin/backends`, {
        token: ADMIN_TOKEN,
        body: {
          name,
          pool,
          base_url: up.url,
          api_key: `nvapi-${name}-secret-abcd`,
          rpm_limit: 40,
          models: [
            {
              canonical: "llama-3.3-70b",
              native: "meta/llama-3.3-70b-instruct",
              input_cost_per_token: 0.0000006,
              output_cost_per_token: 0.0000006,
            },
          ],
        },
      });
      assert.equal(res.status, 201);
    }
    const agent = await call(`${t.url}/api/admin/agents`, {
      token: ADMIN_TOKEN,
      body: { name: "architect" },
    });
    const client = new OpenAI({ baseURL: `${t.url}/v1`, apiKey: agent.body.key, maxRetries: 0 });
    await client.chat.completions.create({
      model: "llama-3.3-70b",
      messages: [{ role: "user", content: "hi" }],
    });
  });
  after(async () => {
    try {
      await bot.stop();
    } finally {
      await up.close();
    }
  });

  it("lists backends by pool with state and RPM use", async () => {
    await admin.sendCommand(admin.makeCommand("/backends"));
    list = await waitForBotMessage(admin, ADMIN, (m) => m.text.startsWith("Backends"), "/backends");
    assert.match(list.text, /primary\n🟢 nv-primary-1 · healthy · RPM \d+% of 40/);
    assert.match(list.text, /fallback\n🟢 or-fallback · healthy · RPM 0% of 40/);
    assert.deepEqual(
      list.buttons.map((b) => b.text),
      ["🟢 nv-primary-1", "🟢 or-fallback", "↻ Refresh"],
    );
    assert.ok(list.buttons.every((b) => Buffer.byteLength(b.callback_data) <= 64));
  });

  it("opens a backend with its models and today's usage, edited in place", async () => {
    await press(list, /nv-primary-1/);
    const detail = await screen((m) => m.text.includes("Models"), "detail screen");
    assert.match(
      detail.text,
      /llama-3.3-70b → meta\/llama-3.3-70b-instruct · \$0.60 \/ \$0.60 per 1M/,
    );
    assert.match(detail.text, /Today\n1 req · 9 in \/ 4 out/);
    assert.match(detail.text, /Key: nvapi-…abcd/);
    assert.ok(!detail.text.includes("secret"), "the key is never shown");
    list = detail;
  });

  it("disables and re-enables a backend from its screen", async () => {
    await press(list, /Disable/);
    list = await screen((m) => m.text.includes("State: disabled"), "disabled");
    assert.equal(
      (await t.app.proxyModule.backends.list()).find((b) => b.name === "nv-primary-1")?.enabled,
      false,
    );
    await press(list, /Enable/);
    list = await screen((m) => m.text.includes("State: healthy"), "enabled again");
  });

  it("moves a backend to the other pool", async () => {
    await press(list, /Move to fallback/);
    list = await screen((m) => m.text.includes("(fallback)"), "moved");
    assert.equal(
      (await t.app.proxyModule.backends.list()).find((b) => b.name === "nv-primary-1")?.pool,
      "fallback",
    );
  });

  it("answers every press once; « Back and an unchanged ↻ Refresh redraw without an error", async () => {
    const strict = bot.emulator.strict;
    const answeredBefore = strict.answered.size;
    await press(list, /« Back/);
    list = await screen(
      (m) => m.text.startsWith("Backends") && m.buttons.some((b) => b.text === "↻ Refresh"),
      "the list again, with its keyboard",
    );
    await press(list, /Refresh/);
    await waitFor(() => strict.answered.size === answeredBefore + 2, 5000, "the refresh answered");
    await press(list, /Refresh/);
    await waitFor(() => strict.answered.size === answeredBefore + 3, 5000, "again answered");
    // Whether the list changed in between (RPM use decays) or not ("message is not
    // modified", which the bot takes as success), a refresh never ends in an apology.
    const texts = (await botMessages(admin, ADMIN)).map((m) => m.text);
    assert.ok(!texts.some((t) => t.includes("went wrong")), "no apology: the refresh succeeded");
    await press(list, /nv-primary-1/);
    list = await screen((m) => m.text.includes("Models"), "detail again");
    assert.ok(list.buttons.some((b) => b.text === "« Back"));
  });

  it("deletes only after confirmation", async () => {
    await press(list, /Delete/);
    list = await screen((m) => m.text.includes("Delete backend nv-primary-1?"), "confirmation");
    assert.equal((await t.app.proxyModule.backends.list()).length, 2, "nothing deleted yet");
    await press(list, /Yes, delete/);
    list = await screen(
      (m) => m.text.startsWith("Backends") && !m.text.includes("nv-primary-1"),
      "list without it",
    );
    assert.equal((await t.app.proxyModule.backends.list()).length, 1);
  });

  it("shows today's usage by backend and by agent on /usage", async () => {
    await admin.sendCommand(admin.makeCommand("/usage"));
    const usage = await waitForBotMessage(
      admin,
      ADMIN,
      (m) => m.text.startsWith("Usage today"),
      "/usage",
    );
    assert.match(usage.text, /By backend\nnv-primary-1: 1 req · 9 in \/ 4 out · \$0.0000/);
    assert.match(usage.text, /By agent\narchitect: 1 req/);
  });

  const say = async (text: string) => {
    await admin.sendMessage(admin.makeMessage(text));
  };
  const kvRows = () => t.app.database.db.select().from(kv);
  const botSays = (re: RegExp, what: string) =>
    waitForBotMessage(admin, ADMIN, (m) => re.test(m.text), what);

  it("adds a backend through /addbackend, deleting the key message and probing first", async () => {
    await admin.sendCommand(admin.makeCommand("/addbackend"));
    await botSays(/New backend — name\?/, "name question");
    await say("bad name!");
    await botSays(/name: 1-63 characters/, "name error");
    await say("nv-chat-added");
    await botSays(/Base URL/, "URL question");
    await say(up.url);
    await botSays(/API key\?/, "key question");
    await say("nvapi-typed-in-chat-secret-9876");
    await botSays(/Key nvapi-…9876 received/, "key acknowledged");
    const history = JSON.stringify(await admin.getUpdatesHistory());
    assert.ok(
      !history.includes("nvapi-typed-in-chat-secret-9876"),
      "the message holding the key is deleted",
    );
    // The conversation's state (every update of the flow) is in the kv table: no key there.
    const midFlow = await kvRows();
    assert.ok(
      midFlow.some((r) => r.key.startsWith("conversation:")),
      "the flow's state is stored",
    );
    assert.ok(!JSON.stringify(midFlow).includes("typed-in-chat-secret"), "no plaintext key in kv");
    assert.ok(
      midFlow.some((r) => r.key.startsWith("secret:")),
      "the key is kept sealed apart",
    );
    const poolQ = await botSays(/Pool\?/, "pool question with buttons");
    assert.deepEqual(
      poolQ.buttons.map((b) => b.text),
      ["primary", "fallback"],
    );
    await press(poolQ, /^primary$/);
    await waitForBotMessage(
      admin,
      ADMIN,
      (m) =>
        m.messageId === poolQ.messageId && m.text.includes("→ primary") && m.buttons.length === 0,
      "the pool question shows the choice",
    );
    const rpmQ = await botSays(/Requests per minute/, "RPM question");
    await press(rpmQ, /^60 \(default\)$/);
    await botSays(/Models, one per line/, "models question");
    await say("llama-3.3-70b=meta/llama-3.3-70b-instruct 0.6 0.6");
    const done = await botSays(/Backend nv-chat-added added/, "saved");
    assert.match(done.text, /probe ok/);
    const all = await botMessages(admin, ADMIN);
    assert.ok(
      !all.some((m) => m.text.startsWith("Probing")),
      "the Probing message was edited into the result",
    );
    assert.ok(
      all.some(
        (m) => m.messageId === done.messageId && m.text.includes("Backend nv-chat-added added"),
      ),
    );

    await answer("/addbackend", /New backend — name\?/);
    await answer("nv-chat-added", /A backend named nv-chat-added exists already/);
    await answer("/cancel", /Cancelled; no backend was added/);
    const saved = (await t.app.proxyModule.backends.list()).find((b) => b.name === "nv-chat-added");
    assert.equal(saved?.rpm_limit, 60);
    assert.equal(saved?.models[0]?.input_cost_per_token, 0.0000006);
    assert.equal(saved?.api_key, "nvapi-…9876");
    // The flow drops the sealed key right after its last reply.
    await waitFor(
      async () => !(await kvRows()).some((r) => r.key.startsWith("secret:")),
      5000,
      "the sealed key dropped at the end",
    );
  });

  /**
   * Sends `text` and waits for a new bot message matching `re`: the emulator delivers each
   * message to the webhook without waiting for the previous delivery, so answers sent back to
   * back can reach the bot out of order.
   */
  const answer = async (text: string, re: RegExp) => {
    const seen = new Set((await botMessages(admin, ADMIN)).map((m) => m.messageId));
    await (text.startsWith("/")
      ? admin.sendCommand(admin.makeCommand(text))
      : admin.sendMessage(admin.makeMessage(text)));
    await waitForBotMessage(
      admin,
      ADMIN,
      (m) => !seen.has(m.messageId) && re.test(m.text),
      `${re}`,
    );
  };

  it("says what failed when the probe fails, and saves nothing on no", async () => {
    const closed = await freePort();
    await answer("/addbackend", /New backend — name\?/);
    await answer("dead-backend", /Base URL/);
    await answer(`http://127.0.0.1:${closed}/v1`, /API key\?/);
    await answer("sk-dead-backend-key-000000", /Key sk-dea…0000 received/);
    await answer("fallback", /Requests per minute/);
    await answer("10", /Models, one per line/);
    await say("m=n");
    await botSays(/The probe of .* failed: GET \/models failed: .*ECONNREFUSED/, "probe failure");
    const saveQ = await botSays(/Save it anyway\?/, "save question");
    await press(saveQ, /^No$/);
    await botSays(/Not saved\. Check the URL and key/, "not saved");
    assert.ok(!(await t.app.proxyModule.backends.list()).some((b) => b.name === "dead-backend"));
  });
});
