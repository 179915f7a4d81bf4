import {
  createCipheriv,
  createDecipheriv,
  createHash,
  randomBytes,
  timingSafeEqual,
} from "node:crypto";

const VERSION = "v1";

/**
 * Seals and opens provider API keys with AES-256-GCM (node:crypto).
 * Format: `v1.<iv 12 B>.<tag 16 B>.<ciphertext>`, each part base64url.
 */
export interface KeyCipher {
  /** Encrypts `plain` under the key with a fresh random IV. */
  seal(plain: string): string;
  /**
   * Decrypts a value made by {@link KeyCipher.seal}.
   * @throws Error when the value is malformed or was sealed under another key.
   */
  open(sealed: string): string;
}

/**
 * Builds a {@link KeyCipher} from a 32-byte key.
 * @throws Error when `key` is not 32 bytes.
 */
export function createKeyCipher(key: Buffer): KeyCipher {
  if (key.length !== 32) throw new Error("AES-256-GCM needs a 32-byte key");
  return {
    seal(plain) {
      const iv = randomBytes(12);
      const cipher = createCipheriv("aes-256-gcm", key, iv);
      const ct = Buffer.concat([cipher.update(plain, "utf8"), cipher.final()]);
      const tag = cipher.getAuthTag();
      return [VERSION, iv, tag, ct]
        .map((p) => (typeof p === "string" ? p : p.toString("base64url")))
        .join(".");
    },
    open(sealed) {
      const [version, iv, tag, ct] = sealed.split(".");
      if (version !== VERSION || !iv || !tag || ct === undefined) {
        throw new Error("sealed key has an unknown format");
      }
      const decipher = createDecipheriv("aes-256-gcm", key, Buffer.from(iv, "base64url"));
      decipher.setAuthTag(Buffer.from(tag, "base64url"));
      return Buffer.concat([
        decipher.update(Buffer.from(ct, "base64url")),
        decipher.final(),
      ]).toString("utf8");
    },
  };
}

/**
 * Masks a secret for display: the first 6 and last 4 characters (`nvapi-…wxyz`); short
 * secrets show only their last 2.
 */
export function maskSecret(secret: string): string {
  if (secret.length <= 12) return `…${secret.slice(-2)}`;
  return `${secret.slice(0, 6)}…${secret.slice(-4)}`;
}

/** SHA-256 hex of a proxy key; only this is stored (agents.key_hash). */
export function hashProxyKey(key: string): string {
  return createHash("sha256").update(key).digest("hex");
}

/** Constant-time comparison of two strings (bearer tokens). */
export function safeEqual(a: string, b: string): boolean {
  const ha = createHash("sha256").update(a).digest();
  const hb = createHash("sha256").update(b).digest();
  return timingSafeEqual(ha, hb);
}
