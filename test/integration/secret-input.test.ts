import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Database } from "../../db/client.ts";
import { kv } from "../../db/schema/index.ts";
import type { BotContext } from "../../src/bot/context.ts";
import { createSecretInbox, SECRET_REF_PREFIX } from "../../src/bot/secret-input.ts";
import { createKeyCipher } from "../../src/proxy/key-crypto.ts";
import { fakeClock } from "../helpers/clock.ts";
import { testDatabases } from "../helpers/db.ts";

const KEY = "sk-live-typed-into-the-chat-0042";

/** The parts of a grammY context the inbox reads: one text message from user 7 in chat 9. */
function textUpdate(text: string) {
  const deleted: number[] = [];
  const message = { message_id: 5, text, entities: [] as unknown[] };
  const ctx = {
    message,
    chatId: 9,
    from: { id: 7 },
    deleteMessage: async () => void deleted.push(message.message_id),
  } as unknown as BotContext;
  return { ctx, message, deleted };
}

for (const kind of testDatabases()) {
  describe(`secrets typed into the chat stay out of conversation state on ${kind.name}`, () => {
    let database: Database;
    const clock = fakeClock();
    const inbox = () =>
      createSecretInbox({
        db: database.db,
        cipher: createKeyCipher(Buffer.alloc(32, 3)),
        clock,
        keepMs: 60_000,
      });
    const rows = () => database.db.select().from(kv);

    before(async () => {
      database = await kind.open();
    });
    after(() => database.close());

    it("takes the armed user's next message: deleted, sealed apart, replaced by a ref", async () => {
      const secrets = inbox();
      await secrets.arm(9, 7);
      const u = textUpdate(`  ${KEY} `);
      let passedOn = "";
      await secrets.middleware(u.ctx, async () => {
        passedOn = u.message.text;
      });
      assert.deepEqual(u.deleted, [5], "the message is deleted from the chat");
      assert.ok(passedOn.startsWith(SECRET_REF_PREFIX), passedOn);
      assert.ok(!JSON.stringify(await rows()).includes("typed-into-the-chat"), "sealed at rest");
      const ref = passedOn.slice(SECRET_REF_PREFIX.length);
      assert.equal(await secrets.hint(ref), "sk-liv…0042");
      assert.equal(await secrets.reveal(ref), KEY);
      await secrets.drop(ref);
      assert.equal(await secrets.reveal(ref), undefined);
    });

    it("leaves other users, unarmed users and commands alone", async () => {
      const secrets = inbox();
      await secrets.arm(9, 8);
      const other = textUpdate(KEY);
      await secrets.middleware(other.ctx, async () => {});
      assert.equal(other.message.text, KEY, "user 7 was not armed");
      await secrets.arm(9, 7);
      const cancel = textUpdate("/cancel");
      await secrets.middleware(cancel.ctx, async () => {});
      assert.equal(cancel.message.text, "/cancel");
      const next = textUpdate(KEY);
      await secrets.middleware(next.ctx, async () => {});
      assert.equal(next.message.text, KEY, "the prompt was used up by /cancel");
    });

    it("expires a secret its flow never dropped (a flow that timed out)", async () => {
      const secrets = inbox();
      await secrets.arm(9, 7);
      const u = textUpdate(KEY);
      await secrets.middleware(u.ctx, async () => {});
      const ref = u.message.text.slice(SECRET_REF_PREFIX.length);
      clock.advance(61_000);
      assert.equal(await secrets.reveal(ref), undefined, "expired");
      await secrets.sweep();
      assert.ok(!(await rows()).some((r) => r.key === `secret:${ref}`), "and deleted");
    });
  });
}
