import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { describe, it } from "node:test";
import {
  createKeyCipher,
  hashProxyKey,
  maskSecret,
  safeEqual,
} from "../../src/proxy/key-crypto.ts";

describe("key cipher (AES-256-GCM)", () => {
  const cipher = createKeyCipher(randomBytes(32));

  it("opens what it sealed, and never stores the plain key", () => {
    const sealed = cipher.seal("nvapi-secret-1234567890");
    assert.equal(cipher.open(sealed), "nvapi-secret-1234567890");
    assert.ok(!sealed.includes("nvapi"));
    assert.notEqual(cipher.seal("x"), cipher.seal("x"), "fresh IV each time");
  });

  it("refuses a value sealed under another key", () => {
    const other = createKeyCipher(randomBytes(32));
    assert.throws(() => other.open(cipher.seal("sk-abc")));
  });

  it("refuses a tampered value", () => {
    const parts = cipher.seal("sk-abcdef").split(".");
    const ct = Buffer.from(parts[3] as string, "base64url");
    ct[0] = (ct[0] as number) ^ 1;
    parts[3] = ct.toString("base64url");
    assert.throws(() => cipher.open(parts.join(".")));
  });

  it("rejects keys that are not 32 bytes", () => {
    assert.throws(() => createKeyCipher(randomBytes(16)));
  });
});

describe("maskSecret", () => {
  it("keeps the first 6 and last 4 characters of long keys", () => {
    assert.equal(maskSecret("nvapi-abcdefghijklmnwxyz"), "nvapi-…wxyz");
  });
  it("shows only the last 2 of short ones", () => {
    assert.equal(maskSecret("short-key"), "…ey");
  });
});

describe("proxy key helpers", () => {
  it("hashes deterministically and compares in constant time", () => {
    assert.equal(hashProxyKey("cp_a"), hashProxyKey("cp_a"));
    assert.notEqual(hashProxyKey("cp_a"), hashProxyKey("cp_b"));
    assert.ok(safeEqual("token", "token"));
    assert.ok(!safeEqual("token", "tokem"));
    assert.ok(!safeEqual("token", "token-longer"));
  });
});
