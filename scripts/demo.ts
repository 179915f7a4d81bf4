/**
 * `npm run demo`: commandpost end to end in one process, with no token and no network.
 * Starts the `telegram-test-api` emulator (as the Telegram Bot API), a fake OpenAI-compatible
 * upstream and the app (PGlite in a temp directory, bot in webhook mode), then walks through:
 * /status, adding a backend and an agent, a proxied chat completion through the official
 * `openai` client, an Alertmanager webhook, acknowledging the alert with its button, and a
 * stranger being refused. Exits 0 when every step passed, 1 naming the step that failed.
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import OpenAI from "openai";
import { pino } from "pino";
import emulatorModule from "telegram-test-api";
import { type App, createApp } from "../src/app.ts";
import { loadConfig } from "../src/config.ts";
import { REDACT_PATHS } from "../src/logger.ts";
import { type FakeUpstream, startFakeUpstream } from "./fake-upstream.ts";

/** The emulator is CommonJS (`module.exports = TelegramServer`); its typings say `default`. */
const TelegramServer = emulatorModule as unknown as typeof emulatorModule.default;
type Emulator = InstanceType<typeof TelegramServer>;
type EmulatorClient = ReturnType<Emulator["getClient"]>;

const ADMIN = { userId: 424_242, firstName: "Ada", userName: "ada_ops" };
const STRANGER = { userId: 777_001, firstName: "Mallory", userName: "mallory" };
const STEP_TIMEOUT_MS = 15_000;
const WAIT_MS = 10_000;

/** A real Alertmanager 0.25 webhook body (copy of shared/fixtures/alertmanager-firing.json). */
const ALERTMANAGER_FIRING = {
  receiver: "bot",
  status: "firing",
  alerts: [
    {
      status: "firing",
      labels: {
        alertname: "HighErrorRate",
        instance: "momo-app:80",
        job: "momo-app",
        severity: "critical",
      },
      annotations: {
        description: "momo-app returns 7.2% 5xx over 5m",
        summary: "5xx rate above 5%",
      },
      startsAt: "2026-11-23T00:33:28.682881586Z",
      endsAt: "0001-01-01T00:00:00Z",
      generatorURL: "http://prometheus:9090/graph?g0.expr=rate",
      fingerprint: "76f789cd9ae09ac0",
    },
    {
      status: "firing",
      labels: {
        alertname: "HighErrorRate",
        instance: "momo-app:81",
        job: "momo-app",
        severity: "critical",
      },
      annotations: {
        description: "momo-app returns 6.1% 5xx over 5m",
        summary: "5xx rate above 5%",
      },
      startsAt: "2026-11-23T00:33:28.682881586Z",
      endsAt: "0001-01-01T00:00:00Z",
      generatorURL: "",
      fingerprint: "63e16f90defc07cb",
    },
  ],
  groupLabels: { alertname: "HighErrorRate" },
  commonLabels: { alertname: "HighErrorRate", job: "momo-app", severity: "critical" },
  commonAnnotations: { summary: "5xx rate above 5%" },
  externalURL: "http://vm:19093",
  version: "4",
  groupKey: '{}:{alertname="HighErrorRate"}',
  truncatedAlerts: 0,
};

interface Button {
  text: string;
  callback_data?: string;
}

/** A bot message as the emulator stores it (edits merged in). */
interface ChatMessage {
  messageId: number;
  text: string;
  buttons: Button[][];
}

/** Everything the steps share. */
interface World {
  emulator: Emulator;
  upstream: FakeUpstream;
  app: App;
  appUrl: string;
  dataDir: string;
  token: string;
  adminToken: string;
  ingestToken: string;
  admin: EmulatorClient;
  proxyKey?: string;
  alerts?: ChatMessage[];
}

// ---------------------------------------------------------------- output helpers

const say = (line = "") => process.stdout.write(`${line}\n`);
const detail = (line: string) => say(`      ${line}`);

/** Telegram HTML → plain text for the terminal. */
function stripHtml(html: string): string {
  return html
    .replace(/<[^>]*>/g, "")
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&quot;/g, '"')
    .replace(/&amp;/g, "&");
}

function showMessage(m: ChatMessage): void {
  for (const line of stripHtml(m.text).split("\n")) detail(`│ ${line}`.trimEnd());
  const buttons = m.buttons.flat();
  detail(
    buttons.length === 0
      ? "└ (no buttons)"
      : `└ buttons: ${buttons.map((b) => `[ ${b.text} ] (${b.callback_data ?? "url"})`).join("  ")}`,
  );
}

/** Prints the app's pino lines (warn and above) as one readable line each. */
function printLog(line: string): void {
  try {
    const { level, time: _t, pid: _p, hostname: _h, msg, ...rest } = JSON.parse(line);
    const label = pino.levels.labels[level] ?? String(level);
    const extra = Object.keys(rest).length > 0 ? ` ${JSON.stringify(rest)}` : "";
    detail(`⚑ app log [${label}] ${msg}${extra}`);
  } catch {
    process.stderr.write(line);
  }
}

function mask(secret: string): string {
  return secret.length > 10 ? `${secret.slice(0, 6)}…${secret.slice(-4)}` : "…";
}

// ---------------------------------------------------------------- plumbing helpers

/** A free TCP port on 127.0.0.1 (the app's webhook URL must be known before it starts). */
async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((resolve, reject) => {
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => resolve());
  });
  const address = srv.address();
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  if (typeof address !== "object" || address === null) throw new Error("no port");
  return address.port;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `probe` until it returns a value, or fails after `ms` naming `what`. */
async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, ms = WAIT_MS) {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline)
      throw new Error(`timed out after ${ms / 1000} s waiting for ${what}`);
    await sleep(100);
  }
}

/** The bot's messages in `chatId`, oldest first, read with getUpdatesHistory. */
async function chat(client: EmulatorClient, chatId: number): Promise<ChatMessage[]> {
  const history = (await client.getUpdatesHistory()) as unknown as Array<{
    messageId: number;
    message: {
      chat_id?: number | string;
      text?: string;
      reply_markup?: { inline_keyboard?: Button[][] };
    };
  }>;
  return history
    .filter((u) => u.message.chat_id !== undefined && String(u.message.chat_id) === String(chatId))
    .map((u) => ({
      messageId: u.messageId,
      text: u.message.text ?? "",
      buttons: u.message.reply_markup?.inline_keyboard ?? [],
    }));
}

/** Sends `text` as a command from `client` and returns the bot's first reply after it. */
async function command(client: EmulatorClient, chatId: number, text: string): Promise<ChatMessage> {
  const before = (await chat(client, chatId)).length;
  await client.sendCommand(client.makeCommand(text));
  return waitFor(`the bot's reply to ${text}`, async () => (await chat(client, chatId))[before]);
}

/** A JSON call to the app; throws with the answer's body unless the status is `expect`. */
async function call(
  w: World,
  method: string,
  path: string,
  token: string,
  body: unknown,
  expect: number,
): Promise<Record<string, unknown>> {
  const res = await fetch(`${w.appUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  if (res.status !== expect) {
    throw new Error(`${method} ${path} answered ${res.status} (expected ${expect}): ${text}`);
  }
  return JSON.parse(text) as Record<string, unknown>;
}

// ---------------------------------------------------------------- the steps

/** Starts emulator, upstream and app, recording each in `w` at once so a failure can clean up. */
async function startEverything(w: Partial<World>): Promise<World> {
  w.dataDir = mkdtempSync(join(tmpdir(), "commandpost-demo-"));
  const emulator = new TelegramServer({
    port: await freePort(),
    host: "127.0.0.1",
    storeTimeout: 600,
  });
  await emulator.start();
  w.emulator = emulator;
  w.upstream = await startFakeUpstream();
  const appPort = await freePort();
  const token = `${100_000 + Math.floor(Math.random() * 899_999)}:demo-${randomBytes(12).toString("hex")}`;
  const adminToken = randomBytes(24).toString("base64url");
  const ingestToken = randomBytes(24).toString("base64url");
  const config = loadConfig({
    PORT: String(appPort),
    HOST: "127.0.0.1",
    DATA_DIR: w.dataDir,
    TELEGRAM_BOT_TOKEN: token,
    TELEGRAM_API_ROOT: emulator.config.apiURL,
    TELEGRAM_ADMIN_IDS: String(ADMIN.userId),
    TELEGRAM_WEBHOOK_URL: `http://127.0.0.1:${appPort}/telegram/webhook`,
    ADMIN_TOKEN: adminToken,
    INGEST_TOKEN: ingestToken,
    ENCRYPTION_KEY: randomBytes(32).toString("hex"),
    LOG_LEVEL: "warn",
  });
  const logger = pino(
    { level: config.logLevel, redact: { paths: REDACT_PATHS, censor: "[redacted]" } },
    { write: printLog },
  );
  const app = await createApp(config, { logger });
  w.app = app;
  const port = await app.start();
  const world: World = {
    emulator,
    upstream: w.upstream,
    app,
    appUrl: `http://127.0.0.1:${port}`,
    dataDir: w.dataDir,
    token,
    adminToken,
    ingestToken,
    admin: emulator.getClient(token, { ...ADMIN, chatId: ADMIN.userId, type: "private" }),
  };
  detail(`Telegram emulator  ${emulator.config.apiURL}`);
  detail(`fake upstream      ${world.upstream.url}/v1`);
  detail(`commandpost        ${world.appUrl} (database: ${app.database.kind} in ${world.dataDir})`);
  detail(`bot                @${app.bot?.botInfo.username ?? "?"}, webhook mode`);
  return world;
}

async function adminStatus(w: World): Promise<void> {
  detail(`${ADMIN.firstName} (admin, id ${ADMIN.userId}) → /status`);
  showMessage(await command(w.admin, ADMIN.userId, "/status"));
}

async function addBackend(w: World): Promise<void> {
  const body = {
    name: "fake-primary-1",
    base_url: `${w.upstream.url}/v1`,
    api_key: `sk-demo-${randomBytes(16).toString("hex")}`,
    pool: "primary",
    rpm_limit: 600,
    timeout_ms: 10_000,
    enabled: true,
    models: [
      {
        canonical: "llama-3.3-70b",
        native: "meta/llama-3.3-70b-instruct",
        input_cost_per_token: 0.0000006,
        output_cost_per_token: 0.0000006,
      },
    ],
  };
  const b = await call(w, "POST", "/api/admin/backends", w.adminToken, body, 201);
  detail(`201 id=${b.id} name=${b.name} pool=${b.pool} state=${b.state}`);
  detail(`api_key shown masked: ${b.api_key}`);
  detail("model llama-3.3-70b → meta/llama-3.3-70b-instruct");
}

async function addAgent(w: World): Promise<void> {
  const a = await call(w, "POST", "/api/admin/agents", w.adminToken, { name: "architect" }, 201);
  if (typeof a.key !== "string") throw new Error(`no key in the answer: ${JSON.stringify(a)}`);
  w.proxyKey = a.key;
  detail(`201 id=${a.id} name=${a.name} key=${mask(a.key)} (shown once, stored hashed)`);
}

async function proxyCall(w: World): Promise<void> {
  const openai = new OpenAI({
    baseURL: `${w.appUrl}/v1`,
    apiKey: w.proxyKey ?? "",
    maxRetries: 0,
    timeout: 10_000,
  });
  w.upstream.requests.length = 0;
  const res = await openai.chat.completions.create({
    model: "llama-3.3-70b",
    messages: [{ role: "user", content: "Say hello." }],
  });
  const seen = w.upstream.requests.find((r) => r.path === "/v1/chat/completions");
  if (!seen) throw new Error("the upstream received no chat completion");
  detail(`answer: "${res.choices[0]?.message.content}" (usage ${JSON.stringify(res.usage)})`);
  detail(`client asked for model "llama-3.3-70b"; upstream received "${seen.body?.model}"`);
  detail(`upstream saw Authorization: Bearer ${mask(seen.authorization?.slice(7) ?? "")}`);
  if (seen.body?.model !== "meta/llama-3.3-70b-instruct") throw new Error("model not rewritten");

  const stream = await openai.chat.completions.create({
    model: "llama-3.3-70b",
    messages: [{ role: "user", content: "Say hello, streaming." }],
    stream: true,
    stream_options: { include_usage: true },
  });
  let text = "";
  let chunks = 0;
  let tokens: number | undefined;
  for await (const chunk of stream) {
    chunks++;
    text += chunk.choices[0]?.delta.content ?? "";
    if (chunk.usage) tokens = chunk.usage.total_tokens;
  }
  detail(`streamed: "${text}" in ${chunks} SSE chunks, usage total_tokens=${tokens ?? "none"}`);
}

async function postAlert(w: World): Promise<void> {
  const r = await call(
    w,
    "POST",
    "/webhooks/alertmanager",
    w.ingestToken,
    ALERTMANAGER_FIRING,
    200,
  );
  const outcomes = (r.events as Array<{ outcome: string }>).map((e) => e.outcome).join(", ");
  detail(`200 received=${r.received} outcomes: ${outcomes}`);
}

async function alertInChat(w: World): Promise<void> {
  const want = ALERTMANAGER_FIRING.alerts.length;
  w.alerts = await waitFor(`${want} alert messages in the admin chat`, async () => {
    const found = (await chat(w.admin, ADMIN.userId)).filter((m) =>
      m.buttons.flat().some((b) => b.callback_data?.startsWith("ack:")),
    );
    return found.length >= want ? found : undefined;
  });
  for (const m of w.alerts) {
    detail(`message #${m.messageId}:`);
    showMessage(m);
  }
}

async function acknowledge(w: World): Promise<void> {
  const first = w.alerts?.[0];
  const data = first?.buttons
    .flat()
    .find((b) => b.callback_data?.startsWith("ack:"))?.callback_data;
  if (!first || !data) throw new Error("no Acknowledge button on the first alert message");
  detail(`${ADMIN.firstName} presses [ Acknowledge ] on message #${first.messageId} (${data})`);
  await w.admin.sendCallback(
    w.admin.makeCallbackQuery(data, {
      message: { message_id: first.messageId, chat: { id: ADMIN.userId } },
    }),
  );
  const edited = await waitFor("the alert message to be edited", async () =>
    (await chat(w.admin, ADMIN.userId)).find(
      (m) => m.messageId === first.messageId && /Acknowledged by/.test(m.text),
    ),
  );
  detail(`message #${edited.messageId} after the edit:`);
  showMessage(edited);
}

async function strangerStatus(w: World): Promise<void> {
  const stranger = w.emulator.getClient(w.token, {
    ...STRANGER,
    chatId: STRANGER.userId,
    type: "private",
  });
  detail(`${STRANGER.firstName} (not an admin, id ${STRANGER.userId}) → /status`);
  const reply = await command(stranger, STRANGER.userId, "/status");
  showMessage(reply);
  if (/commandpost status/.test(reply.text)) throw new Error("the stranger got the status screen");
}

// ---------------------------------------------------------------- runner

async function withTimeout<T>(what: string, p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms / 1000} s`)), ms);
  });
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

async function stopEverything(w: Partial<World>): Promise<void> {
  await w.app?.stop();
  await w.emulator?.stop();
  await w.upstream?.close();
  if (w.dataDir) rmSync(w.dataDir, { recursive: true, force: true });
}

async function main(): Promise<number> {
  const steps: Array<[string, (w: World) => Promise<void>]> = [
    ["The admin sends /status", adminStatus],
    ["POST /api/admin/backends (a fake NVIDIA-style backend)", addBackend],
    ["POST /api/admin/agents (a proxy key for an agent)", addAgent],
    ["An agent calls the proxy with the official openai client", proxyCall],
    ["Alertmanager posts a firing webhook (real 0.25 payload)", postAlert],
    ["The alert reaches the Telegram chat through the outbox", alertInChat],
    ["The admin acknowledges the first alert", acknowledge],
    ["A stranger sends /status", strangerStatus],
  ];
  const total = steps.length + 1;
  say("commandpost demo — Telegram emulator, fake upstream, PGlite; no token, no network");
  say();
  say(`[1/${total}] Starting the emulator, the fake upstream and commandpost`);
  const started: Partial<World> = {};
  let failed = false;
  try {
    const w = await withTimeout("start-up", startEverything(started), 30_000);
    for (const [i, [title, run]] of steps.entries()) {
      say();
      say(`[${i + 2}/${total}] ${title}`);
      await withTimeout(title, run(w), STEP_TIMEOUT_MS);
    }
  } catch (err) {
    failed = true;
    say();
    say(`✗ demo failed: ${err instanceof Error ? err.message : String(err)}`);
  }
  say();
  say("Stopping everything");
  try {
    await withTimeout("shutdown", stopEverything(started), 15_000);
  } catch (err) {
    failed = true;
    say(`✗ unclean shutdown: ${err instanceof Error ? err.message : String(err)}`);
  }
  say(failed ? "✗ demo FAILED" : "✓ demo passed: every step worked");
  return failed ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`demo crashed: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  },
);
