import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { REDACTED, redactArgs, redactDeep, redactText } from "../../src/aiderw/redact.ts";

/** Realistic secrets of every kind aiderw redacts (made up, well-formed). */
const SECRETS = {
  openai: "sk-abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKL",
  openrouter: "sk-or-v1-0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
  openaiProject: "sk-proj-Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4z_Ab3dEf6hIj9kLm2-nOp5qRs8tUv",
  anthropic: "sk-ant-api03-abcdefghijklmnopqrstuvwxyz0123456789-ABCDEFGHIJ_klmnop",
  github: "ghp_16C7e42F292c6912E7710c838347Ae178B4a",
  githubFine: "github_pat_11ABCDEFG0abcdefghijkl_mnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRS",
  google: "AIzaSyD-9tSrke72PouQMnMX-a7eZSW0jkFMBWY",
  nvidia: "nvapi-Xy7_abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOP",
  slackBot: "xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx",
  slackUser: "xoxp-123456789012-123456789012-123456789012-0123456789abcdef0123456789abcdef",
  slackRefresh: "xoxe.xoxp-1-Mi0yLTEyMzQ1Njc4OTAxMi0xMjM0NTY3ODkwMTIzLTEyMzQ1Njc4OTA",
  bearer: "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJkZXYifQ.c2lnbmF0dXJlLW5vdC1yZWFs",
} as const;

describe("aiderw redaction", () => {
  for (const [name, secret] of Object.entries(SECRETS)) {
    it(`removes a ${name} secret from a line of text and keeps the rest`, () => {
      const line =
        name === "bearer"
          ? `curl -H "Authorization: Bearer ${secret}" https://api.example`
          : `using key ${secret} for the call`;
      const out = redactText(line);
      assert.ok(!out.includes(secret), out);
      assert.ok(out.includes(REDACTED), out);
      assert.ok(out.startsWith(name === "bearer" ? "curl -H" : "using key "), out);
      assert.ok(out.endsWith(name === "bearer" ? " https://api.example" : " for the call"), out);
      // The body of the secret is gone, not just its start.
      assert.ok(!out.includes(secret.slice(-12)), out);
    });
  }

  it("keeps the kind of key visible: sk-or-v1-, ghp_, Bearer", () => {
    assert.equal(redactText(`k=${SECRETS.openrouter}`), `k=sk-or-v1-${REDACTED}`);
    assert.equal(redactText(SECRETS.github), `ghp_${REDACTED}`);
    assert.equal(
      redactText(`Authorization: bearer ${SECRETS.bearer}`),
      `Authorization: bearer ${REDACTED}`,
    );
  });

  it("finds several secrets in one text, across lines and inside JSON", () => {
    const text = `{"key":"${SECRETS.openai}"}\nAIza: ${SECRETS.google}\n${SECRETS.slackBot},${SECRETS.nvidia}`;
    const out = redactText(text);
    for (const s of [SECRETS.openai, SECRETS.google, SECRETS.slackBot, SECRETS.nvidia]) {
      assert.ok(!out.includes(s), out);
    }
    assert.equal(out.split(REDACTED).length - 1, 4);
  });

  it("leaves aider's ordinary output alone", () => {
    const lines = [
      "Tokens: 12k sent, 1.4k received. Cost: $0.0031 message, $0.0031 session.",
      "Main model: openrouter/openrouter/elephant-alpha with diff edit format",
      "task-management-system-module and risk-assessment-framework",
      "pip install scikit-learn; the sk-learn alias",
      "Bearer tokens are checked in routes/auth.py",
      "Commit 9e4b2f1 fix: return 401 when the Authorization header is missing",
      "ghp_ is GitHub's prefix; AIza is Google's",
    ];
    for (const l of lines) assert.equal(redactText(l), l);
  });

  it("is idempotent", () => {
    const once = redactText(`a ${SECRETS.openai} b Bearer ${SECRETS.bearer}`);
    assert.equal(redactText(once), once);
  });

  it("redacts every string of an event, keys and nested arrays included", () => {
    const event = {
      id: "01J7",
      payload: {
        chunk: `export OPENAI_API_KEY=${SECRETS.openaiProject}`,
        files: [`notes/${SECRETS.github}.md`],
        nested: { [SECRETS.nvidia]: 1, n: 3, ok: true, none: null },
      },
    };
    const out = JSON.stringify(redactDeep(event));
    for (const s of [SECRETS.openaiProject, SECRETS.github, SECRETS.nvidia]) {
      assert.ok(!out.includes(s), out);
    }
    assert.ok(out.includes('"n":3') && out.includes('"ok":true') && out.includes('"none":null'));
  });

  it("redacts the value of key-like aider options whatever it looks like", () => {
    const args = [
      "--model",
      "openrouter/x",
      "--api-key",
      "openrouter=not-a-known-pattern-123",
      "--openai-api-key",
      "plainsecret",
      "--anthropic-api-key=also-plain",
      "--message",
      `use ${SECRETS.google} please`,
      "routes/auth.py",
    ];
    assert.deepEqual(redactArgs(args), [
      "--model",
      "openrouter/x",
      "--api-key",
      `openrouter=${REDACTED}`,
      "--openai-api-key",
      REDACTED,
      `--anthropic-api-key=${REDACTED}`,
      "--message",
      `use AIza${REDACTED} please`,
      "routes/auth.py",
    ]);
  });
});
