import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { renderReplicaLines } from "../../src/bot/views/replica-lines.ts";
import { parseChange } from "../../src/replicas/change-feed.ts";

describe("change notifications", () => {
  it("reads topic, writing replica, version and key", () => {
    assert.deepEqual(parseChange("mutes|01KREPLICA|7|"), {
      topic: "mutes",
      origin: "01KREPLICA",
      version: 7,
      key: "",
    });
    assert.deepEqual(parseChange("agent_states|r2|12|night|agent"), {
      topic: "agent_states",
      origin: "r2",
      version: 12,
      key: "night|agent",
    });
  });

  it("ignores what is not one", () => {
    assert.equal(parseChange(""), undefined);
    assert.equal(parseChange("mutes"), undefined);
    assert.equal(parseChange("mutes|r|x|"), undefined);
  });
});

describe("the replicas section of /status", () => {
  it("shows each live replica with its roles and marks the answering one", () => {
    const t = new Date("2026-11-23T01:00:00Z");
    const lines = renderReplicaLines({
      replicas: [
        {
          id: "a",
          host: "node-<1>",
          pid: 10,
          version: "0.1.0",
          port: 8080,
          startedAt: t,
          lastSeenAt: new Date(t.getTime() + 3_600_000),
          roles: ["telegram", "watchdog"],
          self: false,
        },
        {
          id: "b",
          host: "node-2",
          pid: 11,
          version: "0.1.0",
          port: 8080,
          startedAt: t,
          lastSeenAt: new Date(t.getTime() + 60_000),
          roles: [],
          self: true,
        },
      ],
      holders: { telegram: "a", watchdog: "a" },
    });
    assert.equal(lines[0], "<b>Replicas</b> (2 live)");
    assert.match(
      lines[1] ?? "",
      /^• node-&lt;1&gt;:10 v0\.1\.0 · up 1h.* · polls Telegram, watchdog$/,
    );
    assert.match(lines[2] ?? "", /^▸ node-2:11 v0\.1\.0 · up 1m.*\(this one\)$/);
  });
});
