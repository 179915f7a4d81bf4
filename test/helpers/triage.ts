import assert from "node:assert/strict";
import { DATA_CLOSE, DATA_OPEN } from "../../src/triage/triage-prompt.ts";
import { ADMIN_TOKEN, call, type TestApp } from "./app.ts";

/** The canonical model triage tests configure (`TRIAGE_MODEL`) and its backend's native id. */
export const TRIAGE_MODEL = "triage-model";
export const TRIAGE_NATIVE = "vendor/triage-model-v1";

/** One heal template: the fixture's HighErrorRate alerts → an allowlisted command. */
export const TRIAGE_TEMPLATES = [
  {
    name: "drain on errors",
    match: ["alertname=HighErrorRate", "severity=critical"],
    kind: "command",
    target: "{{job}}",
    rationale: "{{alertname}} on {{instance}}: drain and retry",
    risk: "low",
  },
];

/** The HEAL_* and TRIAGE_* variables of a triage suite. */
export function triageEnv(extra: Record<string, string> = {}): Record<string, string> {
  return {
    TRIAGE_MODEL,
    TRIAGE_TIMEOUT_S: "2",
    HEAL_TEMPLATES: JSON.stringify(TRIAGE_TEMPLATES),
    HEAL_COMMANDS: JSON.stringify({
      command: [process.execPath, "-e", "console.log('drained ' + process.argv[1])", "{target}"],
    }),
    ...extra,
  };
}

/** A triage answer as the model's JSON content (`over` replaces fields). */
export function triageAnswer(over: Record<string, unknown> = {}): string {
  return JSON.stringify({
    summary: "momo-app answers 5xx on two instances since 08:33; users see errors.",
    likely_causes: ["A bad deploy of momo-app", "The database pool is exhausted"],
    next_steps: ["Check the last deploy", "Drain and retry the app"],
    suggested_template: "drain on errors",
    confidence: 0.8,
    ...over,
  });
}

/** Adds a primary backend on `upstreamUrl` serving {@link TRIAGE_MODEL} (priced per token). */
export async function addTriageBackend(t: TestApp, upstreamUrl: string): Promise<void> {
  const res = await call(`${t.url}/api/admin/backends`, {
    token: ADMIN_TOKEN,
    body: {
      name: "triage-upstream",
      base_url: upstreamUrl,
      api_key: "sk-test-triage-0123456789",
      pool: "primary",
      rpm_limit: 600,
      timeout_ms: 10_000,
      models: [
        {
          canonical: TRIAGE_MODEL,
          native: TRIAGE_NATIVE,
          input_cost_per_token: 0.000002,
          output_cost_per_token: 0.000004,
        },
      ],
    },
  });
  assert.equal(res.status, 201, JSON.stringify(res.body));
}

/** The data part of a triage request body: the JSON between the markers of its user message. */
// biome-ignore lint/suspicious/noExplicitAny: tests read the data document ad hoc
export function dataOf(body: Record<string, unknown>): any {
  const messages = body.messages as { role: string; content: string }[];
  const user = messages.find((m) => m.role === "user")?.content ?? "";
  const start = user.indexOf(DATA_OPEN);
  const end = user.indexOf(DATA_CLOSE);
  assert.ok(start >= 0 && end > start, "the user message holds the delimited data part");
  return JSON.parse(user.slice(start + DATA_OPEN.length, end));
}
