/**
 * `npm run demo`: commandpost end to end in one process, with no token and no network.
 * Starts the `telegram-test-api` emulator (as the Telegram Bot API), a fake OpenAI-compatible
 * upstream and the app (PGlite in a temp directory, bot in webhook mode), then walks through:
 * /status, /routes (where a critical alert goes), adding a backend and an agent, a proxied chat completion through the official
 * `openai` client, an Alertmanager webhook, the AI triage of its incidents through
 * commandpost's own proxy (the alert first, then the triage section edited in), acknowledging
 * the alert with its button, /report daily opened by the model's summary, an agent's
 * heartbeat stall raised and resolved (/agents), an aider session through `scripts/aiderw`
 * with the fake aider (/sessions), the dashboard (a /dashboard login link used once, the
 * Mini App's data API with signed launch data), and a stranger being refused. Exits 0 when every step
 * passed, 1 naming the step that failed.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { and, eq } from "drizzle-orm";
import OpenAI from "openai";
import { pino } from "pino";
import emulatorModule from "telegram-test-api";
import { deliveries, triages } from "../db/schema/index.ts";
import { type App, createApp } from "../src/app.ts";
import { loadConfig } from "../src/config.ts";
import { signInitData } from "../src/dashboard/init-data.ts";
import { REDACT_PATHS } from "../src/logger.ts";
import { AIDERW, FAKE_AIDER, GIT_ENV, makeRepo, sessionIds } from "../test/helpers/aiderw.ts";
import { type BotMessage, botMessages, freePort } from "../test/helpers/telegram.ts";
import {
  registeredSecret,
  startWebhookRelay,
  type WebhookRelay,
} from "../test/helpers/webhook-relay.ts";
import { type FakeUpstream, startFakeUpstream } from "./fake-upstream.ts";

/** The emulator is CommonJS (`module.exports = TelegramServer`); its typings say `default`. */
const TelegramServer = emulatorModule as unknown as typeof emulatorModule.default;
type Emulator = InstanceType<typeof TelegramServer>;
type EmulatorClient = ReturnType<Emulator["getClient"]>;

const ADMIN = { userId: 424_242, firstName: "Ada", userName: "ada_ops" };
const STRANGER = { userId: 777_001, firstName: "Mallory", userName: "mallory" };
const STEP_TIMEOUT_MS = 15_000;
const WAIT_MS = 10_000;
/** The canonical model of the demo backend, also the triage model (`TRIAGE_MODEL`). */
const MODEL = "llama-3.3-70b";
/** A heal template for the demo's HighErrorRate alerts, so the triage can suggest it. */
const HEAL_TEMPLATES = [
  {
    name: "restart momo-app",
    match: { alertname: "HighErrorRate" },
    kind: "restart",
    target: "{{job}}",
    rationale: "{{alertname}} on {{instance}}",
    risk: "low",
  },
];

/**
 * A heartbeat class with short limits so a stall shows within seconds (README "Agent
 * heartbeats": `AGENT_CLASSES` in seconds; the watchdog evaluates every second).
 */
const DEMO_CLASS = { period_s: 1, stall_s: 2, escalate_s: 60, max_rounds: 5 };
/** The agent that beats, stalls and comes back. */
const BUILDER = "builder";
/** aider's arguments for the aiderw step (the model of the fake aider's banner). */
const AIDER_ARGS = [
  "--model",
  "openrouter/openrouter/elephant-alpha",
  "--message",
  "fix the null auth header crash",
];

/** A real Alertmanager 0.25 webhook body (same as test/fixtures/alertmanager-firing.json). */
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

/** Everything the steps share. */
interface World {
  emulator: Emulator;
  /** Adds the registered webhook secret to the emulator's webhook calls, as Telegram does. */
  relay: WebhookRelay;
  upstream: FakeUpstream;
  app: App;
  appUrl: string;
  dataDir: string;
  token: string;
  adminToken: string;
  ingestToken: string;
  admin: EmulatorClient;
  proxyKey?: string;
  /** The one message of the Alertmanager group. */
  group?: BotMessage;
  alerts?: BotMessage[];
  /** Temporary directories of later steps (git repository, aiderw home), removed at the end. */
  temps: string[];
  /** Child processes still running (aiderw), killed at the end. */
  children: Set<ChildProcess>;
  /** The builder agent's periodic beats while it is back (stopped at the end). */
  keepAlive?: NodeJS.Timeout;
}

// ---------------------------------------------------------------- output helpers

const say = (line = "") => process.stdout.write(`${line}\n`);
const detail = (line: string) => say(`      ${line}`);

function showMessage(m: BotMessage): void {
  for (const line of m.text.split("\n")) detail(`│ ${line}`.trimEnd());
  const buttons = m.buttons.flat();
  detail(
    buttons.length === 0
      ? "└ (no buttons)"
      : `└ buttons: ${buttons.map((b) => `[ ${b.text} ] (${b.callback_data ?? "url"})`).join("  ")}`,
  );
}

/**
 * Prints the app's pino lines (warn and above) as one readable line each. The level is read
 * from the line's first key (pino writes it first), so a log field that is also named `level`
 * (a duplicate key, which JSON.parse resolves to the last) is shown as a field, not as the level.
 */
function printLog(line: string): void {
  try {
    const { level, time: _t, pid: _p, hostname: _h, msg, ...rest } = JSON.parse(line);
    const first = /^\{"level":(\d+)/.exec(line)?.[1];
    const label = pino.levels.labels[first ?? level] ?? String(level);
    if (first !== undefined && String(level) !== first) rest.level = level;
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

/**
 * Sends `text` as a command from `client` and returns the bot's first message after it that
 * satisfies `isReply` (any message by default; alerts may arrive in the same chat meanwhile).
 */
async function command(
  client: EmulatorClient,
  chatId: number,
  text: string,
  isReply: (m: BotMessage) => boolean = () => true,
): Promise<BotMessage> {
  const before = (await botMessages(client, chatId)).length;
  await client.sendCommand(client.makeCommand(text));
  return waitFor(`the bot's reply to ${text}`, async () =>
    (await botMessages(client, chatId)).slice(before).find(isReply),
  );
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
  w.temps = [];
  w.children = new Set();
  const emulator = new TelegramServer({
    port: await freePort(),
    host: "127.0.0.1",
    storeTimeout: 600,
  });
  await emulator.start();
  w.emulator = emulator;
  // The fake "model" takes a moment over triage, as a real one would: the alert goes first.
  w.upstream = await startFakeUpstream({ triageDelayMs: 400 });
  const appPort = await freePort();
  const token = `${100_000 + Math.floor(Math.random() * 899_999)}:demo-${randomBytes(12).toString("hex")}`;
  const relay = await startWebhookRelay({
    target: `http://127.0.0.1:${appPort}/telegram/webhook`,
    secret: () => registeredSecret(emulator, token),
  });
  w.relay = relay;
  const adminToken = randomBytes(24).toString("base64url");
  const ingestToken = randomBytes(24).toString("base64url");
  const config = loadConfig({
    PORT: String(appPort),
    HOST: "127.0.0.1",
    DATA_DIR: w.dataDir,
    TELEGRAM_BOT_TOKEN: token,
    TELEGRAM_API_ROOT: emulator.config.apiURL,
    TELEGRAM_ADMIN_IDS: String(ADMIN.userId),
    TELEGRAM_WEBHOOK_URL: relay.url,
    ADMIN_TOKEN: adminToken,
    INGEST_TOKEN: ingestToken,
    ENCRYPTION_KEY: randomBytes(32).toString("hex"),
    LOG_LEVEL: "warn",
    AGENT_CLASSES: JSON.stringify({ demo: DEMO_CLASS }),
    AGENT_WATCHDOG_INTERVAL_S: "1",
    TRIAGE_MODEL: MODEL,
    HEAL_TEMPLATES: JSON.stringify(HEAL_TEMPLATES),
    HEAL_COMMANDS: JSON.stringify({ restart: ["echo", "restart", "{target}"] }),
    // One receiver, the admin's chat: criticals by a route, the rest by the default.
    NOTIFY_ROUTES: JSON.stringify({
      receivers: { ops: { chats: [String(ADMIN.userId)] } },
      routes: [{ match: ['kind="alert"', 'severity="critical"'], receiver: "ops" }],
      default_receiver: "ops",
    }),
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
    relay,
    upstream: w.upstream,
    app,
    appUrl: `http://127.0.0.1:${port}`,
    dataDir: w.dataDir,
    token,
    adminToken,
    ingestToken,
    admin: emulator.getClient(token, { ...ADMIN, chatId: ADMIN.userId, type: "private" }),
    temps: w.temps ?? [],
    children: w.children ?? new Set(),
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

async function routes(w: World): Promise<void> {
  detail(`${ADMIN.firstName} → /routes severity=critical alertname=HighErrorRate`);
  showMessage(
    await command(w.admin, ADMIN.userId, "/routes severity=critical alertname=HighErrorRate"),
  );
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
        canonical: MODEL,
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
  const group = await waitFor("one message for the Alertmanager group", async () =>
    (await botMessages(w.admin, ADMIN.userId)).find((m) =>
      m.buttons.flat().some((b) => b.callback_data?.startsWith("gack:")),
    ),
  );
  w.group = group;
  detail(`message #${group.messageId}, one for the group's ${want} alerts:`);
  showMessage(group);
  for (const b of group.buttons.flat().filter((x) => x.callback_data?.startsWith("gshow:"))) {
    detail(`${ADMIN.firstName} presses [ ${b.text} ]: that alert's own message`);
    await w.admin.sendCallback(
      w.admin.makeCallbackQuery(b.callback_data, {
        message: { message_id: group.messageId, chat: { id: ADMIN.userId } },
      }),
    );
  }
  w.alerts = await waitFor(`${want} alert messages in the admin chat`, async () => {
    const found = (await botMessages(w.admin, ADMIN.userId)).filter((m) =>
      m.buttons.flat().some((b) => b.callback_data?.startsWith("ack:")),
    );
    return found.length >= want ? found : undefined;
  });
  for (const m of w.alerts) {
    detail(`message #${m.messageId}:`);
    showMessage(m);
  }
}

/**
 * The two critical alerts opened incidents, so each was triaged by TRIAGE_MODEL through the
 * proxy, in process, as the built-in agent commandpost-triage: the alert message was sent
 * first and the triage section was edited into it.
 */
async function triage(w: World): Promise<void> {
  const first = w.alerts?.[0];
  if (!first) throw new Error("no alert message");
  const triaged = await waitFor("the triage section on the first alert", async () =>
    (await botMessages(w.admin, ADMIN.userId)).find(
      (m) => m.messageId === first.messageId && m.text.includes("🧠 Triage · model"),
    ),
  );
  detail(`message #${triaged.messageId} after the triage edit:`);
  showMessage(triaged);
  const alertId =
    triaged.buttons.find((b) => b.callback_data.startsWith("tri:"))?.callback_data.slice(4) ?? "";
  const db = w.app.database.db;
  const groupId =
    w.group?.buttons.find((b) => b.callback_data.startsWith("gack:"))?.callback_data.slice(5) ?? "";
  const [send] = await db
    .select()
    .from(deliveries)
    .where(and(eq(deliveries.subject, `group:${groupId}`), eq(deliveries.kind, "send")));
  const [row] = await db.select().from(triages).where(eq(triages.alertId, alertId));
  if (!send?.sentAt || !row?.finishedAt) throw new Error("no sent alert or finished triage");
  detail(
    `group message sent ${send.sentAt.toISOString()}, triage (${row.source}) done ${row.finishedAt.toISOString()} (triage starts after the commit, beside the outbox)`,
  );
  const asked = w.upstream.requests.find((r) => r.body?.response_format);
  const format = asked?.body?.response_format as { json_schema?: { name?: string } } | undefined;
  const roles = (asked?.body?.messages as { role: string }[] | undefined)?.map((m) => m.role);
  detail(
    `upstream got model "${asked?.body?.model}", response_format json_schema "${format?.json_schema?.name}", messages ${JSON.stringify(roles)} (alert data only in the user message)`,
  );
  const stats = await call(
    w,
    "GET",
    "/api/admin/stats/total?group_by=agent",
    w.adminToken,
    undefined,
    200,
  );
  const agent = (
    stats.groups as {
      key: string;
      requests: number;
      cost_usd: number;
      prompt_tokens: number;
      completion_tokens: number;
    }[]
  ).find((g) => g.key === "commandpost-triage");
  if (!agent) throw new Error("no usage under commandpost-triage");
  detail(
    `GET /api/admin/stats/total?group_by=agent → commandpost-triage: ${agent.requests} requests, ${agent.prompt_tokens + agent.completion_tokens} tokens, $${agent.cost_usd}`,
  );
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
    (await botMessages(w.admin, ADMIN.userId)).find(
      (m) => m.messageId === first.messageId && /Acknowledged by/.test(m.text),
    ),
  );
  detail(`message #${edited.messageId} after the edit:`);
  showMessage(edited);
}

/** /report daily: the model's summary first, then the autonomy index and the triage line. */
async function report(w: World): Promise<void> {
  detail(`${ADMIN.firstName} → /report daily`);
  const r = await command(w.admin, ADMIN.userId, "/report daily", (m) =>
    /Daily report/.test(m.text),
  );
  showMessage(r);
  if (!/model summary/.test(r.text)) throw new Error("the report has no model summary");
  if (!/Autonomy/.test(r.text) || !/Triage/.test(r.text))
    throw new Error("no autonomy or triage line");
}

/** `POST /api/heartbeats/builder`; prints the beat and the answer. */
async function beat(w: World, body: Record<string, unknown>, quiet = false): Promise<unknown> {
  const answer = await call(w, "POST", `/api/heartbeats/${BUILDER}`, w.ingestToken, body, 200);
  if (!quiet) detail(`${BUILDER} → ${JSON.stringify(body)}  ← 200 ${JSON.stringify(answer)}`);
  return answer;
}

/**
 * builder beats in class `demo`, goes quiet until the watchdog raises "Agent suspected
 * stalled", then beats every period again: the same message is edited to RESOLVED and
 * /agents shows it ok. Its last beat says `done`, so it is not watched for the rest of the demo.
 */
async function heartbeatStall(w: World): Promise<void> {
  detail(
    `class demo: beat every ${DEMO_CLASS.period_s} s, suspected stall after ${DEMO_CLASS.stall_s} s, watchdog every 1 s`,
  );
  const working = { status: "working", task: "demo task" };
  const first = await beat(w, { class: "demo", ...working, round: 1 });
  if ((first as { action?: string }).action !== "continue")
    throw new Error("beat not answered continue");
  const quietSince = Date.now();
  detail(`${BUILDER} goes quiet…`);
  const stalled = await waitFor("the 'Agent suspected stalled' message", async () =>
    (await botMessages(w.admin, ADMIN.userId)).find((m) =>
      m.text.includes(`Agent suspected stalled: ${BUILDER}`),
    ),
  );
  detail(
    `message #${stalled.messageId}, ${((Date.now() - quietSince) / 1000).toFixed(1)} s after the last beat:`,
  );
  showMessage(stalled);

  detail(`${BUILDER} is back and beats every ${DEMO_CLASS.period_s} s again`);
  await beat(w, { ...working, round: 2 });
  w.keepAlive = setInterval(() => {
    beat(w, { ...working, round: 2 }, true).catch(() => {
      /* the next beat or the step's own checks show a problem */
    });
  }, DEMO_CLASS.period_s * 1000);
  const resolved = await waitFor("the stall message to be edited to RESOLVED", async () =>
    (await botMessages(w.admin, ADMIN.userId)).find(
      (m) => m.messageId === stalled.messageId && /RESOLVED/.test(m.text),
    ),
  );
  detail(`message #${resolved.messageId} after the edit:`);
  showMessage(resolved);

  detail(`${ADMIN.firstName} → /agents`);
  const agents = await command(w.admin, ADMIN.userId, "/agents", (m) => /Agents/.test(m.text));
  showMessage(agents);
  clearInterval(w.keepAlive);
  w.keepAlive = undefined;
  if (!agents.html.includes(`<b>${BUILDER}</b> ok`))
    throw new Error(`/agents does not show ${BUILDER} ok`);
  await beat(w, { status: "done", task: "demo task", round: 2 });
  detail(`${BUILDER} said done: no longer watched`);
}

/** Runs `cmd args` in `cwd` with pipes (stdin closed), recording the child in `w` meanwhile. */
function run(
  w: World,
  cmd: string,
  args: string[],
  cwd: string,
  env: NodeJS.ProcessEnv,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
    w.children.add(child);
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => {
      stdout += c.toString();
    });
    child.stderr.on("data", (c: Buffer) => {
      stderr += c.toString();
    });
    child.on("error", (err) => {
      w.children.delete(child);
      reject(err);
    });
    child.on("close", (code) => {
      w.children.delete(child);
      resolve({ code, stdout, stderr });
    });
  });
}

/**
 * `scripts/aiderw` runs the fake aider in a fresh git repository (test/helpers/aiderw.ts, as
 * the aiderw tests prepare it) against the running app: its session message reaches the
 * summary with the 429 it printed under its errors (a warning: a line of the session message,
 * never a message of its own), /sessions lists it.
 */
async function aiderSession(w: World): Promise<void> {
  const repo = makeRepo();
  w.temps.push(repo);
  const home = mkdtempSync(join(tmpdir(), "commandpost-demo-aiderw-"));
  w.temps.push(home);
  detail(`git repository ${repo} (routes/auth.py, tests/test_auth.py, one commit)`);
  detail(`$ aiderw ${AIDER_ARGS.map((a) => (/\s/.test(a) ? `"${a}"` : a)).join(" ")}`);
  detail("  (AIDER_BIN = test/fixtures/fake-aider: banner, a 429, two edits, one commit)");
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: home,
    LANG: "C.UTF-8",
    ...GIT_ENV,
    AIDER_BIN: FAKE_AIDER,
    COMMANDPOST_URL: w.appUrl,
    COMMANDPOST_INGEST_TOKEN: w.ingestToken,
    AIDERW_HOME: home,
    AIDERW_PTY: "never",
    // An upper bound, not a delay: the end waits for the last sends at most this long.
    AIDERW_END_WAIT_MS: "5000",
  };
  const r = await run(w, AIDERW, AIDER_ARGS, repo, env);
  const out = r.stdout.trimEnd().split("\n");
  detail(`exit code ${r.code}; the first lines of its output:`);
  for (const line of out.slice(0, 6)) detail(`│ ${line}`.trimEnd());
  detail(`└ … ${Math.max(0, out.length - 6)} more lines on stdout`);
  for (const line of r.stderr.trimEnd().split("\n").filter(Boolean)) detail(`stderr: ${line}`);
  if (r.code !== 0) throw new Error(`aiderw exited ${r.code}: ${r.stderr.slice(0, 300)}`);
  const [sid] = sessionIds(home);
  if (!sid) throw new Error(`aiderw kept no session file under ${home}`);
  const message = await waitFor(
    `the session message of ${sid} to reach its summary`,
    async () =>
      (await botMessages(w.admin, ADMIN.userId)).find(
        (m) =>
          m.text.includes(sid) && m.html.includes("<b>aider</b>") && /session ended/.test(m.text),
      ),
    20_000,
  );
  detail(`message #${message.messageId} (one message per session, edited as events arrive):`);
  showMessage(message);
  if (!message.text.includes("api_rate_limit"))
    throw new Error("the session message does not list the 429 under its errors");
  detail("the 429 is listed under the session's Errors");
  // A rate limit is a warning of the session, not an alert of its own: no separate message.
  const separate = (await botMessages(w.admin, ADMIN.userId)).find(
    (m) => m.messageId !== message.messageId && m.text.includes(sid),
  );
  if (separate)
    throw new Error(`the 429 was also sent on its own (message #${separate.messageId})`);
  detail("no separate alert message about it: warnings stay lines of the session message");

  detail(`${ADMIN.firstName} → /sessions`);
  const list = await command(w.admin, ADMIN.userId, "/sessions", (m) =>
    /aider sessions/.test(m.text),
  );
  showMessage(list);
  if (!list.text.includes(basename(repo))) throw new Error("/sessions does not list the session");
}

/** A GET of the dashboard's data API with `headers`; throws unless it answers 200. */
async function dashboardGet(w: World, path: string, headers: Record<string, string>) {
  const res = await fetch(`${w.appUrl}/api/app/${path}`, { headers });
  if (res.status !== 200) throw new Error(`GET /api/app/${path} answered ${res.status}`);
  return (await res.json()) as Record<string, unknown>;
}

async function dashboard(w: World): Promise<void> {
  detail(`${ADMIN.firstName} → /dashboard`);
  const reply = await command(w.admin, ADMIN.userId, "/dashboard", (m) => /Dashboard/.test(m.text));
  showMessage(reply);
  const link = /http:\/\/\S+\/app\/login\?token=[\w-]+/.exec(reply.text)?.[0];
  if (!link) throw new Error("/dashboard shows no login link");
  const form = await fetch(link);
  if (!(await form.text()).includes("Open the dashboard"))
    throw new Error("the link shows no form");
  const token = new URL(link).searchParams.get("token") ?? "";
  const post = () =>
    fetch(`${w.appUrl}/app/login`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ token }).toString(),
      redirect: "manual",
    });
  const signIn = await post();
  const cookie = (signIn.headers.get("set-cookie") ?? "").split(";")[0] ?? "";
  if (signIn.status !== 303 || !cookie) throw new Error(`signing in answered ${signIn.status}`);
  detail(
    `browser: GET the link → a form; POST it → ${signIn.status} to /app/ with an HttpOnly session cookie`,
  );
  const o = await dashboardGet(w, "overview", { cookie });
  const incidents = o.incidents as { open: number; acknowledged: number };
  const today = o.proxy_today as { requests: number; cost_usd: number };
  detail(
    `GET /api/app/overview (session): incidents ${incidents.open} open, ${incidents.acknowledged} acknowledged; proxy today ${today.requests} request(s), $${today.cost_usd}`,
  );
  if (today.requests < 1) throw new Error("the overview does not count the proxied request");
  if ((await post()).status !== 401) throw new Error("the login link worked twice");
  detail("the same link again → 401: it works once");
  const launch = signInitData(
    {
      user: JSON.stringify({ id: ADMIN.userId, first_name: ADMIN.firstName }),
      auth_date: String(Math.floor(Date.now() / 1000)),
    },
    w.token,
  );
  const p = await dashboardGet(w, "proxy?range=72h", { authorization: `tma ${launch}` });
  const totals = p.totals as { requests: number; latency_p95_ms: number };
  detail(
    `GET /api/app/proxy (Mini App initData): ${totals.requests} request(s) in 72 h, p95 ${totals.latency_p95_ms} ms`,
  );
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
  clearInterval(w.keepAlive);
  for (const child of w.children ?? []) child.kill("SIGTERM");
  await w.app?.stop();
  await w.relay?.stop();
  await w.emulator?.stop();
  await w.upstream?.close();
  for (const dir of [w.dataDir, ...(w.temps ?? [])]) {
    if (dir) rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<number> {
  const steps: Array<[string, (w: World) => Promise<void>, number?]> = [
    ["The admin sends /status", adminStatus],
    ["The admin asks where a critical alert goes (NOTIFY_ROUTES)", routes],
    ["POST /api/admin/backends (a fake NVIDIA-style backend)", addBackend],
    ["POST /api/admin/agents (a proxy key for an agent)", addAgent],
    ["An agent calls the proxy with the official openai client", proxyCall],
    ["Alertmanager posts a firing webhook (real 0.25 payload)", postAlert],
    ["The alert reaches the Telegram chat through the outbox", alertInChat],
    ["AI triage of the new incidents through commandpost's own proxy", triage],
    ["The admin acknowledges the first alert", acknowledge],
    ["The admin asks for the daily report", report],
    ["An agent's heartbeat stalls, then it comes back", heartbeatStall, 30_000],
    ["An aider session through aiderw (the fake aider)", aiderSession, 45_000],
    ["The admin opens the dashboard (login link and Mini App data)", dashboard],
    ["A stranger sends /status", strangerStatus],
  ];
  const total = steps.length + 1;
  say("commandpost demo — Telegram emulator, fake upstream, PGlite; no token, no network");
  say();
  say(`[1/${total}] Starting the emulator, the fake upstream and commandpost`);
  const started: Partial<World> = {};
  let failed = false;
  let current = `[1/${total}] start-up`;
  try {
    const w = await withTimeout("start-up", startEverything(started), 30_000);
    for (const [i, [title, step, ms]] of steps.entries()) {
      current = `[${i + 2}/${total}] ${title}`;
      say();
      say(current);
      await withTimeout(title, step(w), ms ?? STEP_TIMEOUT_MS);
    }
  } catch (err) {
    failed = true;
    say();
    say(`✗ demo failed at ${current}: ${err instanceof Error ? err.message : String(err)}`);
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
