import { type Conversation, createConversation } from "@grammyjs/conversations";
import { Composer, type Context } from "grammy";
import { askChoice, askText } from "../src/bot/ask.ts";
import type { BotContext, CommandInfo } from "../src/bot/context.ts";
import { askSecret, type SecretInbox } from "../src/bot/secret-input.ts";
import { InputError } from "../src/errors.ts";
import { parseModelLines } from "../src/proxy/model-spec.ts";
import type { ProxyModule } from "../src/proxy/proxy-module.ts";
import { escapeHtml } from "../src/telegram-format.ts";

/** Conversation id of the /addbackend flow. */
export const ADD_BACKEND_FLOW_ID = "add-backend";

/** `/addbackend`: guided creation of a backend. */
export const addBackendCommand: CommandInfo = {
  command: "addbackend",
  description: "Add an LLM backend step by step",
};

/** Each answer must come within this time, or the flow ends. */
const ANSWER_TIMEOUT_MS = 10 * 60_000;

type Flow = Conversation<BotContext, Context>;

const ASK = {
  cancelled: "Cancelled; no backend was added.",
  interrupted: "Adding the backend was cancelled.",
  timeoutMs: ANSWER_TIMEOUT_MS,
};

/** One question of the flow (see askText): `/cancel` or another command ends it. */
const ask = <T>(conversation: Flow, parse: (text: string) => T) =>
  askText(conversation, parse, ASK);

/** What the flow needs. */
export interface AddBackendDeps {
  proxy: ProxyModule;
  /** Takes the typed API key out of the conversation's state (src/bot/secret-input.ts). */
  secrets: SecretInbox;
}

const parseName = (t: string) => {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/.test(t))
    throw new InputError("name: 1-63 characters, letters, digits, . _ -");
  return t;
};
const parseUrl = (t: string) => {
  if (!/^https?:\/\/\S+$/.test(t))
    throw new InputError(
      "base URL: expected http(s)://…, as the openai SDK's baseURL (e.g. https://api.example.com/v1)",
    );
  return t.replace(/\/+$/, "");
};
const parsePool = (t: string) => {
  const p = t.toLowerCase();
  if (p !== "primary" && p !== "fallback") throw new InputError("pool: primary or fallback");
  return p as "primary" | "fallback";
};
/** RPM offered by default (the admin API's default `rpm_limit`). */
const DEFAULT_RPM = 60;
const parseRpm = (t: string) => {
  if (t === "-") return DEFAULT_RPM;
  const n = Number(t);
  if (!Number.isInteger(n) || n < 1 || n > 1_000_000)
    throw new InputError(`RPM: a whole number from 1 to 1000000, or - for ${DEFAULT_RPM}`);
  return n;
};
const parseYesNo = (t: string) => {
  const v = t.toLowerCase();
  if (!["yes", "no", "y", "n"].includes(v)) throw new InputError("yes or no");
  return v.startsWith("y");
};

/**
 * The /addbackend conversation: name (checked at once: valid, not taken), base URL, API key,
 * pool and RPM (buttons, or typed), model mappings; then a probe of `GET {base}/models`
 * whose "Probing …" message is edited into the result (and a Save anyway? Yes / No on a
 * failed probe), and the save. Side effects (name check, probe, save) run
 * in `conversation.external()` (conversations v2 replay). The key never enters the
 * conversation's state: its message is deleted at once and the key is sealed apart, read
 * only inside `external()` calls whose results hold no key, and dropped at the end.
 */
export function createAddBackendFlow(deps: AddBackendDeps) {
  return async function addBackend(conversation: Flow, ctx: Context): Promise<void> {
    await ctx.reply(
      "<b>New backend</b> — name? (e.g. <code>nv-primary-1</code>) /cancel to stop.",
      { parse_mode: "HTML" },
    );
    let name: string | undefined;
    for (;;) {
      name = await ask(conversation, parseName);
      if (!name) return;
      const wanted = name;
      const taken = await conversation.external(async () =>
        (await deps.proxy.backends.list()).some((b) => b.name === wanted),
      );
      if (!taken) break;
      await ctx.reply(
        `A backend named <b>${escapeHtml(name)}</b> exists already. Another name? /cancel to stop.`,
        { parse_mode: "HTML" },
      );
    }
    await ctx.reply(
      "Base URL, as the openai SDK's baseURL? (e.g. <code>https://integrate.api.nvidia.com/v1</code>)",
      { parse_mode: "HTML" },
    );
    const baseUrl = await ask(conversation, parseUrl);
    if (!baseUrl) return;
    await ctx.reply("API key? I delete your message as soon as I read it.");
    const keyRef = await askSecret(conversation, ctx, deps.secrets, ASK);
    if (!keyRef) return;
    await finishWithKey(conversation, ctx, { name, baseUrl, keyRef });
    await conversation.external(() => deps.secrets.drop(keyRef));
  };

  /** The questions after the key, then the probe and the save; the key is read by its ref. */
  async function finishWithKey(
    conversation: Flow,
    ctx: Context,
    got: { name: string; baseUrl: string; keyRef: string },
  ): Promise<void> {
    const hint = await conversation.external(() => deps.secrets.hint(got.keyRef));
    if (!hint) {
      await ctx.reply("The key is no longer available; send /addbackend again.");
      return;
    }
    const pool = await askChoice(
      conversation,
      ctx,
      `Key ${escapeHtml(hint)} received. Pool?`,
      [
        { label: "primary", value: "primary" as const },
        { label: "fallback", value: "fallback" as const },
      ],
      parsePool,
      ASK,
    );
    if (!pool) return;
    const rpm = await askChoice(
      conversation,
      ctx,
      "Requests per minute allowed? Press the default or type a number.",
      [{ label: `${DEFAULT_RPM} (default)`, value: DEFAULT_RPM }],
      parseRpm,
      ASK,
    );
    if (!rpm) return;
    await ctx.reply(
      "Models, one per line: <code>canonical=native [input output]</code> with prices in USD per 1M tokens, e.g.\n<code>llama-3.3-70b=meta/llama-3.3-70b-instruct 0.6 0.6</code>",
      { parse_mode: "HTML" },
    );
    const models = await ask(conversation, parseModelLines);
    if (!models) return;
    await probeAndSave(conversation, ctx, { ...got, pool, rpm, models });
  }

  /** Probes `GET {base}/models`, asks whether to save after a failure, and saves. */
  async function probeAndSave(
    conversation: Flow,
    ctx: Context,
    b: {
      name: string;
      baseUrl: string;
      keyRef: string;
      pool: "primary" | "fallback";
      rpm: number;
      models: ReturnType<typeof parseModelLines>;
    },
  ): Promise<void> {
    const probing = await ctx.reply(`Probing ${escapeHtml(b.baseUrl)}/models …`);
    /** Edits the "Probing …" message into `text` (HTML). */
    const settle = (text: string) =>
      ctx.api.editMessageText(probing.chat.id, probing.message_id, text, { parse_mode: "HTML" });
    const probe = await conversation.external(async () => {
      const apiKey = await deps.secrets.reveal(b.keyRef);
      if (apiKey === undefined) return { ok: false, detail: "the key expired before the probe" };
      return deps.proxy.probe({ baseUrl: b.baseUrl, apiKey });
    });
    if (!probe.ok) {
      await settle(
        `⚠️ The probe of ${escapeHtml(b.baseUrl)}/models failed: ${escapeHtml(probe.detail)}.`,
      );
      const save = await askChoice(
        conversation,
        ctx,
        "Save it anyway?",
        [
          { label: "Yes, save", value: true },
          { label: "No", value: false },
        ],
        parseYesNo,
        ASK,
      );
      if (!save) {
        if (save === false)
          await ctx.reply("Not saved. Check the URL and key, then /addbackend again.");
        return;
      }
    }
    const saved = await conversation.external(() => save(b));
    if (!saved.ok) {
      await ctx.reply(`Not saved: ${escapeHtml(saved.error)}`, { parse_mode: "HTML" });
      return;
    }
    const result = `✅ Backend <b>${escapeHtml(b.name)}</b> added to ${b.pool} (${probe.ok ? "probe ok" : "probe failed"}), key ${escapeHtml(saved.hint)}, ${b.models.length} model(s), RPM ${b.rpm}. See /backends.`;
    if (probe.ok) await settle(result);
    else await ctx.reply(result, { parse_mode: "HTML" });
  }

  /** Saves the backend with the key read by its ref; the result holds no key. */
  async function save(b: Parameters<typeof probeAndSave>[2]) {
    const apiKey = await deps.secrets.reveal(b.keyRef);
    if (apiKey === undefined)
      return { ok: false as const, error: "the key expired; send /addbackend again" };
    try {
      const created = await deps.proxy.backends.create({
        name: b.name,
        base_url: b.baseUrl,
        api_key: apiKey,
        pool: b.pool,
        rpm_limit: b.rpm,
        models: b.models,
      });
      return { ok: true as const, id: created.id, hint: created.api_key };
    } catch (err) {
      if (err instanceof InputError) return { ok: false as const, error: err.message };
      throw err;
    }
  }
}

/** Registers the flow and its /addbackend command; install after `conversations()`. */
export function createAddBackendFeature(deps: AddBackendDeps): Composer<BotContext> {
  const composer = new Composer<BotContext>();
  composer.use(createConversation(createAddBackendFlow(deps), ADD_BACKEND_FLOW_ID));
  composer.command("addbackend", (ctx) => ctx.conversation.enter(ADD_BACKEND_FLOW_ID));
  return composer;
}
