import type { Conversation } from "@grammyjs/conversations";
import { and, eq, like, lt, or, sql } from "drizzle-orm";
import type { Context, MiddlewareFn } from "grammy";
import { z } from "zod";
import type { Db } from "../../db/client.ts";
import { kv } from "../../db/schema/index.ts";
import { ulid } from "../ids.ts";
import { type KeyCipher, maskSecret } from "../proxy/key-crypto.ts";
import type { Clock } from "../types.ts";
import type { AskOptions } from "./ask.ts";
import type { BotContext } from "./context.ts";

/** The text an answer holding a secret is replaced with: this prefix and the secret's ref. */
export const SECRET_REF_PREFIX = "secret-ref:";

const ARMED = "secret-prompt:";
const SEALED = "secret:";

/** Dependencies of {@link createSecretInbox}. */
export interface SecretInboxDeps {
  db: Db;
  /** Seals secrets at rest (the provider-key cipher, AES-256-GCM). */
  cipher: KeyCipher;
  clock: Clock;
  /** How long an armed prompt waits for its answer, in ms (default 11 min). */
  armMs?: number;
  /** How long a taken secret is kept for the flow that asked, in ms (default 60 min). */
  keepMs?: number;
}

/** A chat armed for secret input, until `expiresAt` (epoch ms). */
const armedSchema = z.object({ expiresAt: z.number() });
/** A sealed secret (ciphertext), its masked hint, and when it expires (epoch ms). */
const sealedSchema = z.object({ sealed: z.string(), hint: z.string(), expiresAt: z.number() });
type Armed = z.infer<typeof armedSchema>;
type Sealed = z.infer<typeof sealedSchema>;

/**
 * Keeps secrets typed into the chat (a provider key in /addbackend) out of conversation
 * state, which stores every update of a flow in plain text for as long as the flow lives.
 * A flow arms a prompt for its chat and user; this bot middleware, installed before
 * `conversations()`, takes that user's next text message: deletes it from the chat, seals
 * the text with the key cipher into its own `kv` row, and replaces the update's text with a
 * `secret-ref:<id>` before the conversation sees it. The flow reveals the secret when it
 * needs it and drops it when it ends; a row left behind (a flow that timed out) expires and
 * is deleted with the next sweep.
 */
export function createSecretInbox(deps: SecretInboxDeps) {
  const { db, cipher, clock } = deps;
  const armMs = deps.armMs ?? 11 * 60_000;
  const keepMs = deps.keepMs ?? 60 * 60_000;
  const now = () => clock.now().getTime();

  /** The stored value of `key` when it has `schema`'s shape and has not expired. */
  async function read<T extends { expiresAt: number }>(
    key: string,
    schema: z.ZodType<T>,
  ): Promise<T | undefined> {
    const [row] = await db.select().from(kv).where(eq(kv.key, key));
    const parsed = schema.safeParse(row?.value);
    return parsed.success && parsed.data.expiresAt > now() ? parsed.data : undefined;
  }
  async function write(key: string, value: Armed | Sealed): Promise<void> {
    const at = clock.now();
    await db
      .insert(kv)
      .values({ key, value, updatedAt: at })
      .onConflictDoUpdate({ target: kv.key, set: { value, updatedAt: at } });
  }
  const remove = (key: string) => db.delete(kv).where(eq(kv.key, key));

  /** Deletes expired prompts and secrets. */
  async function sweep(): Promise<void> {
    await db
      .delete(kv)
      .where(
        and(
          or(like(kv.key, `${ARMED}%`), like(kv.key, `${SEALED}%`)),
          lt(sql`(${kv.value}->>'expiresAt')::bigint`, now()),
        ),
      );
  }

  const middleware: MiddlewareFn<BotContext> = async (ctx, next) => {
    const message = ctx.message;
    const text = message?.text;
    if (!message || text === undefined || ctx.chatId === undefined || !ctx.from) return next();
    const armedKey = `${ARMED}${ctx.chatId}:${ctx.from.id}`;
    if (!(await read(armedKey, armedSchema))) return next();
    await remove(armedKey);
    // A command (/cancel, another flow) is not the secret: the flow handles it.
    if (text.trim().startsWith("/")) return next();
    const secret = text.trim();
    const ref = ulid();
    await write(`${SEALED}${ref}`, {
      sealed: cipher.seal(secret),
      hint: maskSecret(secret),
      expiresAt: now() + keepMs,
    });
    await ctx.deleteMessage().catch(() => undefined);
    message.text = `${SECRET_REF_PREFIX}${ref}`;
    delete message.entities;
    return next();
  };

  return {
    middleware,
    /** Takes `userId`'s next text message in `chatId` as a secret (see above). */
    async arm(chatId: number, userId: number): Promise<void> {
      await sweep();
      await write(`${ARMED}${chatId}:${userId}`, { expiresAt: now() + armMs });
    },
    /** The masked secret (`nvapi-…wxyz`), or undefined when it is gone. */
    hint: async (ref: string) => (await read(`${SEALED}${ref}`, sealedSchema))?.hint,
    /** The secret, or undefined when it expired or was dropped. */
    reveal: async (ref: string) => {
      const row = await read(`${SEALED}${ref}`, sealedSchema);
      return row ? cipher.open(row.sealed) : undefined;
    },
    /** Forgets the secret. */
    drop: async (ref: string) => {
      await remove(`${SEALED}${ref}`);
    },
    sweep,
  };
}

/** A secret inbox. */
export type SecretInbox = ReturnType<typeof createSecretInbox>;

/**
 * Asks for a secret inside a conversation: arms `inbox` for the flow's chat and user and
 * waits for the answer, which arrives as a ref (the message is already deleted). Returns the
 * ref, or undefined on `/cancel`; another command ends the flow and is handled as usual.
 */
export async function askSecret(
  conversation: Conversation<BotContext, Context>,
  ctx: Context,
  inbox: SecretInbox,
  opts: AskOptions,
): Promise<string | undefined> {
  const chatId = ctx.chatId;
  const userId = ctx.from?.id;
  if (chatId === undefined || userId === undefined) return undefined;
  for (;;) {
    await conversation.external(() => inbox.arm(chatId, userId));
    const answer = await conversation.waitFor("message:text", { maxMilliseconds: opts.timeoutMs });
    const text = answer.message.text.trim();
    if (text.startsWith(SECRET_REF_PREFIX)) return text.slice(SECRET_REF_PREFIX.length);
    if (text === "/cancel" || text.startsWith("/cancel@")) {
      await answer.reply(opts.cancelled);
      return undefined;
    }
    if (text.startsWith("/")) {
      await answer.reply(opts.interrupted);
      await conversation.halt({ next: true });
    }
    await answer.deleteMessage().catch(() => undefined);
    await answer.reply("I could not take that as a key; send it again, or /cancel.");
  }
}
