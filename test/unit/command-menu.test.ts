import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Bot } from "grammy";
import { publishCommands } from "../../src/bot/bot-lifecycle.ts";
import type { BotContext } from "../../src/bot/context.ts";
import { COMMANDS } from "../../src/bot/create-bot.ts";

describe("command menu scopes", () => {
  it("sets the menu in each admin's chat and for admins in group alert chats, and clears the default", async () => {
    const bot = new Bot<BotContext>("123:abc");
    const calls: { method: string; payload: Record<string, unknown> }[] = [];
    // Records what would go to the Bot API instead of sending it.
    bot.api.config.use(async (_prev, method, payload) => {
      calls.push({ method, payload: payload as Record<string, unknown> });
      return { ok: true, result: true } as never;
    });
    await publishCommands(bot.api, COMMANDS, {
      adminIds: [11, 22],
      alertChatIds: [11, -100500],
    });
    assert.deepEqual(
      calls.map((c) => [c.method, c.payload.scope ?? null]),
      [
        ["deleteMyCommands", null],
        ["setMyCommands", { type: "chat", chat_id: 11 }],
        ["setMyCommands", { type: "chat", chat_id: 22 }],
        ["setMyCommands", { type: "chat_member", chat_id: -100500, user_id: 11 }],
        ["setMyCommands", { type: "chat_member", chat_id: -100500, user_id: 22 }],
      ],
    );
    const list = calls[1]?.payload.commands as { command: string }[];
    assert.ok(list.some((c) => c.command === "status"));
    assert.ok(
      list.every((c) => /^[a-z0-9_]{1,32}$/.test(c.command)),
      "Bot API command names",
    );
  });
});
