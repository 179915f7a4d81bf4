import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { renderBackendDetail, renderBackendList } from "../../src/bot/views/backend-message.ts";
import type { BackendLive } from "../../src/proxy/proxy-module.ts";
import { parseTelegramHtml } from "../helpers/telegram-html.ts";

const TZ = "Asia/Taipei";
/** 09:00 in Taipei. */
const NOW = Date.parse("2026-11-23T01:00:00Z");

const cooling: BackendLive = {
  id: "b1",
  name: "openrouter-1",
  label: "",
  base_url: "https://openrouter.ai/api/v1",
  api_key: "sk-…abcd",
  pool: "primary",
  rpm_limit: 60,
  timeout_ms: 120_000,
  enabled: true,
  state: "degraded",
  models: [],
  apis: ["chat_completions"],
  inject_stream_usage: true,
  created_at: "2026-11-01T00:00:00Z",
  updated_at: "2026-11-01T00:00:00Z",
  cooldown_until: new Date(NOW + 150_000).toISOString(),
  rpm_use: 0.5,
};

const idle = {
  requests: 0,
  errors: 0,
  prompt_tokens: 0,
  completion_tokens: 0,
  cost_usd: 0,
  latency_mean_ms: 0,
  latency_p95_ms: 0,
};

describe("backend messages", () => {
  it("a cooling backend shows the cooldown's end as clock time and how far, the zone once", () => {
    const text = parseTelegramHtml(renderBackendDetail(cooling, idle, NOW, TZ));
    assert.match(text, /State: degraded · cooling 2m 30s more · RPM 50% of 60/);
    assert.match(text, /timeout 2m 00s/);
    assert.match(text, /Cooldown until 09:02 \(in 3m\)\nTimes in Asia\/Taipei\n/);
    assert.equal(text.match(/Asia\/Taipei/g)?.length, 1);
    assert.ok(!/\d{4}-\d\d-\d\d|\d s\b/.test(text), "no raw timestamps or '120 s'");
  });

  it("the list says how much longer a backend cools", () => {
    const text = parseTelegramHtml(renderBackendList([cooling], NOW));
    assert.match(text, /🧊 openrouter-1 · degraded · cooling 2m 30s more · RPM 50% of 60/);
  });
});
