import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { renderDashboardEntry } from "../../src/bot/dashboard-message.ts";
import { plain } from "../helpers/telegram.ts";

const EXPIRES = new Date("2026-11-23T01:10:00Z");
const TOKEN = "x".repeat(43);

/** Tags of Telegram's HTML subset the message may use, balanced. */
function assertTelegramHtml(html: string): void {
  const stack: string[] = [];
  for (const m of html.matchAll(/<(\/?)([a-z]+)[^>]*>/g)) {
    const [, close, tag] = m as unknown as [string, string, string];
    assert.ok(["b", "code", "a", "i"].includes(tag), `tag <${tag}>`);
    if (close) assert.equal(stack.pop(), tag);
    else stack.push(tag);
  }
  assert.equal(stack.length, 0);
  assert.ok(plain(html).length <= 4096);
}

describe("/dashboard message", () => {
  it("with an https PUBLIC_URL: a web_app button to /app/ and the login link as a URL button", () => {
    const m = renderDashboardEntry(
      {
        appUrl: "https://ops.example.com/app/",
        loginUrl: `https://ops.example.com/app/login?token=${TOKEN}`,
        expiresAt: EXPIRES,
        publicUrl: "https://ops.example.com",
      },
      "Asia/Taipei",
    );
    assert.deepEqual(m.keyboard, [
      [{ text: "📊 Open dashboard", web_app: { url: "https://ops.example.com/app/" } }],
      [
        {
          text: "🖥 Log in from a browser",
          url: `https://ops.example.com/app/login?token=${TOKEN}`,
        },
      ],
    ]);
    assert.match(plain(m.text), /works once, until 09:10 Asia\/Taipei/);
    assertTelegramHtml(m.text);
  });

  it("with an http PUBLIC_URL: says Telegram needs https, keeps the login link button", () => {
    const m = renderDashboardEntry(
      {
        appUrl: undefined,
        loginUrl: `http://ops.lan:8080/app/login?token=${TOKEN}`,
        expiresAt: EXPIRES,
        publicUrl: "http://ops.lan:8080",
      },
      "Asia/Taipei",
    );
    assert.match(
      plain(m.text),
      /PUBLIC_URL is not https: Telegram opens Mini Apps only over https/,
    );
    assert.deepEqual(
      m.keyboard.flat().map((b) => b.text),
      ["🖥 Log in from a browser"],
    );
    assertTelegramHtml(m.text);
  });

  it("without PUBLIC_URL: says what to set and shows the local login link to copy", () => {
    const url = `http://127.0.0.1:8080/app/login?token=${TOKEN}`;
    const m = renderDashboardEntry(
      { appUrl: undefined, loginUrl: url, expiresAt: EXPIRES, publicUrl: undefined },
      "Asia/Taipei",
    );
    assert.match(plain(m.text), /Set PUBLIC_URL to this server's https address/);
    assert.ok(m.text.includes(`<code>${url}</code>`));
    assert.deepEqual(m.keyboard, []);
    assertTelegramHtml(m.text);
  });
});
