import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { type BotTestApp, startBotTestApp } from "../helpers/bot-app.ts";
import { BOT_TOKEN, type TelegramClient, waitForBotMessage } from "../helpers/telegram.ts";

const ADMIN = 3003;
const STRANGER = 4004;
const GROUP = -100_555;
const PUBLIC = "https://ops.example.test";

/** Inline buttons of the bot's messages in a chat, as sent (web_app and url included). */
async function rawButtons(client: TelegramClient, chatId: number) {
  const history = (await client.getUpdatesHistory()) as unknown as {
    message: {
      chat_id?: number | string;
      reply_markup?: {
        inline_keyboard?: { text: string; web_app?: { url: string }; url?: string }[][];
      };
    };
  }[];
  return history
    .filter((u) => Number(u.message?.chat_id) === chatId && u.message.reply_markup)
    .map((u) => (u.message.reply_markup?.inline_keyboard ?? []).flat());
}

describe("/dashboard on the bot end to end (telegram-test-api emulator)", () => {
  let b: BotTestApp;
  let admin: TelegramClient;

  before(async () => {
    b = await startBotTestApp({ adminIds: [ADMIN], env: { PUBLIC_URL: `${PUBLIC}/` } });
    admin = b.user(ADMIN, "Ada", "ada");
  });
  after(() => b?.stop());

  it("answers an admin in a private chat with a web_app button and a one-time login link that works once", async (t) => {
    await admin.sendCommand(admin.makeCommand("/dashboard"));
    const m = await waitForBotMessage(
      admin,
      ADMIN,
      (x) => x.text.includes("Dashboard"),
      "/dashboard",
    );
    t.diagnostic(m.text);
    assert.match(m.text, /Open it here with the button below/);
    assert.match(m.text, /it works once, until \d\d:\d\d Asia\/Taipei/);
    const [buttons] = await rawButtons(admin, ADMIN);
    const app = buttons?.find((x) => x.web_app);
    assert.equal(app?.web_app?.url, `${PUBLIC}/app/`);
    const login = buttons?.find((x) => x.url);
    assert.match(
      login?.url ?? "",
      /^https:\/\/ops\.example\.test\/app\/login\?token=[A-Za-z0-9_-]{43}$/,
    );

    // The public address is not this test's: post the same token to the app directly.
    const token = new URL(login?.url ?? "").searchParams.get("token") ?? "";
    const post = () =>
      fetch(`${b.t.url}/app/login`, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: `token=${token}`,
        redirect: "manual",
      });
    const first = await post();
    assert.equal(first.status, 303);
    const cookie = first.headers.get("set-cookie") ?? "";
    assert.match(
      cookie,
      /HttpOnly; SameSite=Strict; Secure$/,
      "Secure: the public address is https",
    );
    const me = await fetch(`${b.t.url}/api/app/me`, {
      headers: { cookie: cookie.split(";")[0] ?? "" },
    });
    assert.equal(((await me.json()) as { user_id: number }).user_id, ADMIN);
    assert.equal((await post()).status, 401);
  });

  it("in a group, says to ask in a private chat and gives no link", async () => {
    const group = b.emulator.server.getClient(BOT_TOKEN, {
      userId: ADMIN,
      chatId: GROUP,
      firstName: "Ada",
      userName: "ada",
      type: "group",
    });
    await group.sendCommand(group.makeCommand("/dashboard"));
    const m = await waitForBotMessage(
      group,
      GROUP,
      (x) => x.text.includes("private chat"),
      "the refusal",
    );
    assert.doesNotMatch(m.html, /token=/);
    assert.deepEqual(await rawButtons(group, GROUP), []);
  });

  it("a stranger gets the bot's refusal and no link", async () => {
    const stranger = b.user(STRANGER, "Mallory");
    await stranger.sendCommand(stranger.makeCommand("/dashboard"));
    const m = await waitForBotMessage(
      stranger,
      STRANGER,
      (x) => x.text.includes("only answers its commanders"),
      "the refusal",
    );
    assert.doesNotMatch(m.html, /token=/);
  });
});
