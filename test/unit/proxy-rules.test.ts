import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { CooldownTable, cooldownSeconds, parseRetryAfter } from "../../src/proxy/cooldowns.ts";
import { nextState } from "../../src/proxy/health-probe.ts";
import { burstOf, TokenBucket } from "../../src/proxy/token-bucket.ts";
import {
  LATENCY_BUCKETS_MS,
  percentileFromBuckets,
  UsageAggregator,
} from "../../src/proxy/usage.ts";

const policy = { baseS: 30, maxS: 600 };

describe("cooldown length (max(Retry-After, base·2^(n−1)) capped at max)", () => {
  it("doubles per consecutive 429 from the base", () => {
    assert.deepEqual(
      [1, 2, 3, 4, 5].map((n) => cooldownSeconds(n, null, policy)),
      [30, 60, 120, 240, 480],
    );
  });
  it("is capped at the max", () => {
    assert.equal(cooldownSeconds(6, null, policy), 600);
    assert.equal(cooldownSeconds(20, null, policy), 600);
    assert.equal(cooldownSeconds(1, 5000, policy), 600, "even a huge Retry-After");
  });
  it("takes a longer Retry-After", () => {
    assert.equal(cooldownSeconds(1, 90, policy), 90);
    assert.equal(cooldownSeconds(1, 10, policy), 30);
  });
});

describe("cooldown table", () => {
  it("never shortens a running cooldown", () => {
    const t = new CooldownTable(policy);
    const first = t.rateLimited("a", 300, 0);
    assert.equal(first?.endsAt.getTime(), 300_000);
    const second = t.rateLimited("a", null, 10_000); // strike 2: 60 s → ends at 70 s < 300 s
    assert.equal(second, null);
    assert.equal(t.endsAt("a", 10_000), 300_000);
  });
  it("counts a burst of 429s from requests already in flight as one strike", () => {
    const t = new CooldownTable(policy);
    t.rateLimited("a", null, 0);
    for (let i = 0; i < 8; i++) assert.equal(t.rateLimited("a", null, 5), null);
    assert.equal(t.endsAt("a", 5), 30_000, "still 30 s, not escalated to the cap");
    assert.equal(
      t.rateLimited("a", null, 30_000)?.strike,
      2,
      "the next 429 after it ended is strike 2",
    );
  });
  it("lets a longer Retry-After lengthen a running cooldown", () => {
    const t = new CooldownTable(policy);
    t.rateLimited("a", null, 0);
    assert.equal(t.rateLimited("a", 90, 1_000)?.endsAt.getTime(), 91_000);
  });
  it("returns the backend to service when the cooldown expires, and forgets strikes after a success", () => {
    const t = new CooldownTable(policy);
    t.rateLimited("a", null, 0);
    assert.ok(t.isCooling("a", 29_999));
    assert.ok(!t.isCooling("a", 30_000));
    t.succeeded("a", 30_000);
    assert.equal(t.rateLimited("a", null, 40_000)?.strike, 1);
  });
  it("counts consecutive 429s into the backoff", () => {
    const t = new CooldownTable(policy);
    t.rateLimited("a", null, 0);
    const again = t.rateLimited("a", null, 31_000);
    assert.equal(again?.strike, 2);
    assert.equal(again?.endsAt.getTime(), 31_000 + 60_000);
  });
  it("can be cleared by hand", () => {
    const t = new CooldownTable(policy);
    t.rateLimited("a", null, 0);
    assert.equal(t.clear("a", 1), true);
    assert.ok(!t.isCooling("a", 2));
  });
});

describe("Retry-After parsing", () => {
  it("reads seconds and HTTP dates", () => {
    assert.equal(parseRetryAfter("7", 0), 7);
    assert.equal(parseRetryAfter("Thu, 01 Jan 1970 00:00:10 GMT", 0), 10);
    assert.equal(parseRetryAfter(undefined, 0), null);
    assert.equal(parseRetryAfter("soon", 0), null);
  });
});

describe("RPM token bucket", () => {
  it("allows a burst of 5 s of the rate at once, then one per 60/rpm seconds", () => {
    const b = new TokenBucket(60, 0);
    assert.equal(b.capacity, 5);
    for (let i = 0; i < 5; i++) assert.ok(b.tryTake(0));
    assert.ok(!b.tryTake(0));
    assert.equal(b.msUntilToken(0), 1000);
    assert.ok(!b.tryTake(999));
    assert.ok(b.tryTake(1000));
    assert.equal(b.utilisation(1000), 1);
  });

  it("lets no 60 s span carry more than rpm + the burst (+8.3 %)", () => {
    const rpm = 120;
    const b = new TokenBucket(rpm, 0);
    let taken = 0;
    for (let t = 0; t < 60_000; t += 10) if (b.tryTake(t)) taken++;
    assert.ok(taken <= rpm + burstOf(rpm), `${taken} in the first minute`);
    assert.ok(taken >= rpm, `${taken}: the limit is reachable`);
  });

  it("holds at least one token, so a low limit still serves", () => {
    assert.equal(burstOf(1), 1);
    assert.equal(burstOf(11), 1);
    assert.equal(burstOf(40), 3);
  });
});

describe("health state", () => {
  it("is degraded after one failed probe and down after three", () => {
    assert.equal(nextState(true, 0), "healthy");
    assert.equal(nextState(false, 1), "degraded");
    assert.equal(nextState(false, 2), "degraded");
    assert.equal(nextState(false, 3), "down");
  });
});

describe("usage aggregation", () => {
  it("sums per backend × model × agent × hour and keeps latency buckets", () => {
    const agg = new UsageAggregator();
    const base = {
      backendId: "b",
      backendName: "nv",
      model: "m",
      agent: "a",
      ok: true,
      promptTokens: 10,
      completionTokens: 5,
      costUsd: 0.001,
    };
    agg.record({ ...base, atMs: Date.UTC(2026, 10, 23, 1, 5), latencyMs: 20 });
    agg.record({ ...base, atMs: Date.UTC(2026, 10, 23, 1, 55), latencyMs: 400, ok: false });
    agg.record({ ...base, atMs: Date.UTC(2026, 10, 23, 2, 0), latencyMs: 20 });
    const [h1, h2] = agg.drain().sort((x, y) => x.hour.getTime() - y.hour.getTime());
    assert.equal(h1?.requests, 2);
    assert.equal(h1?.errors, 1);
    assert.equal(h1?.promptTokens, 20);
    assert.equal(h1?.hour.toISOString(), "2026-11-23T01:00:00.000Z");
    assert.equal(h2?.requests, 1);
    assert.equal(agg.drain().length, 0, "drained");
  });
  it("reads p95 from buckets", () => {
    const buckets = LATENCY_BUCKETS_MS.map(() => 0);
    buckets[1] = 95; // ≤ 10 ms
    buckets[6] = 5; // ≤ 500 ms
    assert.equal(percentileFromBuckets(buckets, 0.95), 10);
    assert.equal(percentileFromBuckets(buckets, 0.99), 500);
    assert.equal(
      percentileFromBuckets(
        LATENCY_BUCKETS_MS.map(() => 0),
        0.95,
      ),
      0,
    );
  });
});
