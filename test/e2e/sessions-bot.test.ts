import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { fixtureSession, RAW_ONLY, type WireEvent } from "../helpers/aider-session.ts";
import { call, INGEST_TOKEN, type TestApp } from "../helpers/app.ts";
import { type BotTestApp, startBotTestApp } from "../helpers/bot-app.ts";
import {
  type BotMessage,
  botMessages,
  pressButton,
  type TelegramClient,
  waitForBotMessage,
} from "../helpers/telegram.ts";

const ADMIN = 3003;
const SESSION = "01JSE2E0000000000000000000";

/** A session message (not an alert about the session, not a list). */
const isSessionMessage = (m: BotMessage, id: string) =>
  / aider · /.test(m.text.split("\n")[0] ?? "") && m.text.includes(id);

describe("aider sessions in the chat end to end (telegram-test-api emulator)", () => {
  let bot: BotTestApp;
  let t: TestApp;
  let admin: TelegramClient;

  const post = async (body: WireEvent | WireEvent[]) => {
    const res = await call(`${t.url}/api/aider/events`, { token: INGEST_TOKEN, body });
    assert.equal(res.status, 202, JSON.stringify(res.body));
    return res.body;
  };
  const sessionMessages = async (id: string) =>
    (await botMessages(admin, ADMIN)).filter((m) => isSessionMessage(m, id));
  const waitSession = (id: string, match: (m: BotMessage) => boolean, what: string) =>
    waitForBotMessage(admin, ADMIN, (m) => isSessionMessage(m, id) && match(m), what);
  const reply = (match: (m: BotMessage) => boolean, what: string) =>
    waitForBotMessage(admin, ADMIN, match, what);
  const press = (m: BotMessage, label: string) => pressButton(admin, m, label, true);

  before(async () => {
    bot = await startBotTestApp({
      adminIds: [ADMIN],
    });
    t = bot.t;
    admin = bot.user(ADMIN, "Ada", "ada");
  });
  after(async () => {
    await bot.stop();
  });

  it("shows ONE message for a session, sent at its start and edited to the final summary", async () => {
    const events = fixtureSession(SESSION);
    await post(events[0] as WireEvent);
    const started = await waitSession(SESSION, (m) => m.text.includes("running"), "the start");
    assert.match(started.text, /^🚀 aider · awoooi\n📁 \/Users\/dev\/awoooi\n/);

    await post(events.slice(1, 3));
    await waitSession(
      SESSION,
      (m) => m.text.includes("Silences (1)"),
      "the error and silence edit",
    );
    assert.deepEqual(await post(events.slice(3)), { accepted: 5, duplicates: 0 });
    const final = await waitSession(
      SESSION,
      (m) => m.text.includes("session ended"),
      "the final summary",
    );
    assert.equal(final.messageId, started.messageId, "edited in place");
    assert.deepEqual(await post(events), { accepted: 0, duplicates: events.length });
    await new Promise((r) => setTimeout(r, 400));
    const mine = await sessionMessages(SESSION);
    assert.equal(mine.length, 1, "one message for the whole session");
    assert.equal(mine[0]?.text, final.text, "a replay changed nothing");
    for (const s of [
      "✏️ Files (2)\n• routes/auth.py (+4 −1)\n• tests/test_auth.py (+4 −0)",
      "📌 Commits (1)\n• 9e4b2f1 fix: return 401 when the Authorization header is missing",
      "❌ Errors (1)\n• api_rate_limit — litellm.RateLimitError",
      "⏱️ 5m32s | 🎯 exit=0\n📊 12k↑ / 1.4k↓ tokens | $0.0031\n📝 2 files changed | ❌ 1 error",
    ]) {
      assert.ok(final.text.includes(s), `final message has ${JSON.stringify(s)}`);
    }
    const chat = (await botMessages(admin, ADMIN)).map((m) => m.text).join("\n");
    for (const r of RAW_ONLY) assert.ok(!chat.includes(r), `raw output "${r}" in the chat`);
    console.log(`\n--- final session message as the emulator shows it ---\n${final.text}\n---`);
    const sessionAlerts = async () =>
      (await botMessages(admin, ADMIN)).filter(
        (m) => m.text.includes(SESSION) && !isSessionMessage(m, SESSION),
      );
    // The rate limit and the silence are warnings: lines of the session message, no alert.
    // Barrier: once a later message is in the chat, the outbox has passed this session.
    // (The first of the next test's sessions, posted the same way: that post is then a duplicate.)
    const barrier = "01JSE2E0000000000000000001";
    const [start] = fixtureSession(barrier, "/srv/repo-1");
    await post({ ...(start as WireEvent), ts: "2026-04-20T01:00:00+08:00" });
    await waitSession(barrier, () => true, "a later session's message");
    assert.equal((await sessionAlerts()).length, 0, "no alert message about the session");
    assert.equal((await sessionMessages(SESSION)).length, 1, "still one message");
  });

  it("lists sessions with /sessions, pages in place, and Details shows one session's summary", async () => {
    // Five more (shorter) sessions, started later: the fixture session lands on page 2.
    for (let i = 1; i <= 5; i++) {
      const id = `01JSE2E000000000000000000${i}`;
      const [start] = fixtureSession(id, `/srv/repo-${i}`);
      await post({ ...(start as WireEvent), ts: `2026-04-20T0${i}:00:00+08:00` });
    }
    await admin.sendCommand(admin.makeCommand("/sessions"));
    const list = await reply((m) => m.text.startsWith("aider sessions (6; page 1/2)"), "the list");
    assert.match(
      list.text,
      /^Times in Asia\/Taipei$[\s\S]*1\. repo-5 · 20 Apr( 2026)? 05:00 \(\d+d ago\)/m,
    );
    assert.ok(!list.text.includes("awoooi"), "the oldest session is on page 2");
    await press(list, "▶");
    const page2 = await reply(
      (m) => m.messageId === list.messageId && m.text.includes("page 2/2"),
      "page 2 in the same message",
    );
    assert.match(
      page2.text,
      /6\. awoooi · 19 Apr( 2026)? 22:05 \(\d+d ago\) · openrouter\/openrouter\/elephant-alpha\n🏁 5m32s · exit 0 · 2 files · 1 error · \$0\.0031/,
    );
    await press(page2, "ℹ️ 6");
    const details = await reply(
      (m) => m.messageId === list.messageId && m.text.includes("session ended"),
      "the details in place",
    );
    const [final] = await sessionMessages(SESSION);
    assert.equal(details.text, final?.text, "details show the session's own summary");
    await press(details, "◀ Back to the list");
    await reply(
      (m) => m.messageId === list.messageId && m.text.includes("page 2/2"),
      "back on page 2",
    );
  });
});
