import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { GrammyError, HttpError } from "grammy";
import { classifySendError } from "../../src/outbox/telegram-sender.ts";

const grammyError = (code: number, description: string, parameters: Record<string, number> = {}) =>
  new GrammyError(
    "call failed",
    { ok: false, error_code: code, description, parameters },
    "sendMessage",
    {},
  );

describe("classifySendError", () => {
  it("reads retry_after from a 429", () => {
    assert.deepEqual(
      classifySendError(grammyError(429, "Too Many Requests: retry after 7", { retry_after: 7 })),
      {
        kind: "rate_limited",
        retryAfterS: 7,
        description: "429: Too Many Requests: retry after 7",
      },
    );
  });
  it("follows migrate_to_chat_id", () => {
    const f = classifySendError(
      grammyError(400, "Bad Request: group chat was upgraded", { migrate_to_chat_id: -1001 }),
    );
    assert.equal(f.kind, "migrated");
    assert.equal(f.kind === "migrated" && f.toChatId, -1001);
  });
  it("counts 'message is not modified' as success", () => {
    assert.equal(
      classifySendError(grammyError(400, "Bad Request: message is not modified")).kind,
      "not_modified",
    );
  });
  it("gives up at once on a blocked bot or a missing chat", () => {
    assert.equal(
      classifySendError(grammyError(403, "Forbidden: bot was blocked by the user")).kind,
      "permanent",
    );
    assert.equal(
      classifySendError(grammyError(400, "Bad Request: chat not found")).kind,
      "permanent",
    );
  });
  it("tells an unreachable Bot API (no answer) from a 5xx answer", () => {
    assert.equal(
      classifySendError(new HttpError("Network request failed", new Error("ECONNREFUSED"))).kind,
      "unreachable",
    );
    assert.equal(classifySendError(grammyError(502, "Bad Gateway")).kind, "transient");
  });
});
