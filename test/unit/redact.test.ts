import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { redactArgs, redactDeep } from "../../src/aiderw/redact.ts";
import { keepOutput } from "../../src/heal/redact.ts";
import { createLogger } from "../../src/logger.ts";
import { redactText, SECRET_PATTERNS } from "../../src/redact.ts";

const PEM = [
  "-----BEGIN RSA PRIVATE KEY-----",
  "MIIEowIBAAKCAQEA0Z3VS5JJcds3xfn/ygWyF8PbnGy0AHB7MhgHcTz6sE2I2yPB",
  "aFDrBz9vFqU4yNvVhGqz4n9yBmFh1l3uJ8vWkRkV6rB1cOq0Rj1xGv0xvJY0s1Yc",
  "-----END RSA PRIVATE KEY-----",
].join("\n");

/**
 * One made-up, well-formed secret per pattern added for production: what stays of it
 * (`kept`, its kind) and a part that must be gone from every output (`gone`).
 */
const CASES: Record<string, { secret: string; kept: string; gone: string }> = {
  commandpost: { secret: "cp_Xk3Jd9x2LmQ7vB4nR8tY1wZ6aB8cD0eF", kept: "cp_", gone: "R8tY1wZ6" },
  telegram_bot: {
    secret: "7312345678:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw7",
    kept: "7312345678:",
    gone: "AAHdqTcv",
  },
  aws_access_key: { secret: "AKIAIOSFODNN7EXAMPLE", kept: "AKIA", gone: "IOSFODNN7" },
  huggingface: { secret: "hf_aBcDeFgHiJkLmNoPqRsTuVwXyZ01234567", kept: "hf_", gone: "XyZ0123" },
  groq: {
    secret: "gsk_4xY9aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789AbCdEfGhIjKl",
    kept: "gsk_",
    gone: "4xY9aBcD",
  },
  gitlab: { secret: "glpat-xYz12AbCdEfGhIjKlMnO", kept: "glpat-", gone: "xYz12AbC" },
  pem_private_key: {
    secret: PEM,
    kept: "-----BEGIN RSA PRIVATE KEY-----",
    gone: "MIIEowIBAAKCAQEA",
  },
  url_password: {
    secret: "postgres://commandpost:hunter2-S3cret@db:5432/cp",
    kept: "postgres://commandpost:",
    gone: "hunter2-S3cret",
  },
};

/** Text that looks close to a secret but is not one: it must come back unchanged. */
const LEAVE_ALONE = [
  "cp_file_name_helper_for_the_copy_x is a function",
  "copy with cp_ then run hf_hub_download() and gsk_ glpat- prefixes alone",
  "AKIA is how AWS key ids start; AKIAshort is not one",
  "meeting at 12:30:45, bot id 123456 and chat -100123456789",
  "open https://example.com:8080/path@v2 or ssh://git@github.com/org/repo.git",
  "mail ops@example.com; user:pass without a scheme",
  "-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA\n-----END PUBLIC KEY-----",
  "Bearer tokens are checked in constant time",
  "the Bot API URL is https://api.telegram.org/bot<token>/sendMessage",
];

/** A logger writing into an array; returns the lines. */
function logLines(write: (log: ReturnType<typeof createLogger>) => void): string[] {
  const lines: string[] = [];
  write(createLogger("info", { destination: { write: (l: string) => void lines.push(l) } }));
  return lines;
}

describe("redaction of secrets in logs, heal output and aiderw", () => {
  it("has a pattern for each secret kind", () => {
    const names = SECRET_PATTERNS.map((p) => p.name);
    for (const name of Object.keys(CASES)) assert.ok(names.includes(name), name);
  });

  for (const [name, { secret, kept, gone }] of Object.entries(CASES)) {
    it(`${name}: removed from text, log lines, heal output and aiderw events`, () => {
      const text = `before ${secret} after`;
      const out = redactText(text);
      assert.equal(out.startsWith(`before ${kept}`), true, out);
      assert.equal(out.endsWith(" after"), true, out);
      assert.ok(!out.includes(gone), out);

      const lines = logLines((log) => {
        log.error({ err: new Error(`request to ${text} failed`), detail: { text } }, text);
      });
      assert.equal(lines.length, 1);
      const entry = JSON.parse(lines[0] ?? "") as { msg: string; err: { message: string } };
      assert.ok(!(lines[0] ?? "").includes(gone), "not in the log line");
      assert.match(entry.msg, /^before .*\[redacted\].* after$/s);
      assert.match(entry.err.message, /\[redacted\]/);

      assert.ok(!keepOutput(`fixer said: ${text}`).includes(gone), "heal output");
      const event = redactDeep({ type: "error", payload: { message: text, args: [secret] } });
      assert.ok(!JSON.stringify(event).includes(gone), "aiderw event");
      assert.ok(!redactArgs(["--message", text]).join(" ").includes(gone), "argv");
    });
  }

  it("redacts a Bot API URL with its token (a network error's message)", () => {
    const url = `https://api.telegram.org/bot${CASES.telegram_bot?.secret}/sendMessage`;
    assert.equal(
      redactText(`request to ${url} failed, reason: connect ECONNREFUSED`),
      "request to https://api.telegram.org/bot7312345678:<redacted>/sendMessage failed, reason: connect ECONNREFUSED",
    );
  });

  it("redacts a PEM block cut before its END line up to the end of the text", () => {
    const cut = PEM.split("\n").slice(0, 2).join("\n");
    assert.equal(redactText(`key:\n${cut}`), "key:\n-----BEGIN RSA PRIVATE KEY-----<redacted>");
  });

  for (const text of LEAVE_ALONE) {
    it(`leaves alone: ${text.split("\n")[0]}`, () => {
      assert.equal(redactText(text), text);
      const [line] = logLines((log) => log.info({ text }, "note"));
      assert.equal((JSON.parse(line ?? "") as { text: string }).text, text);
    });
  }

  it("keeps every log line valid JSON, even with a secret in a string cut mid-block", () => {
    const cut = PEM.split("\n").slice(0, 2).join("\n");
    const lines = logLines((log) =>
      log.warn({ a: `x ${cut}`, b: 'y"quoted" AKIAIOSFODNN7EXAMPLE' }, "m"),
    );
    const entry = JSON.parse(lines[0] ?? "") as { a: string; b: string };
    assert.equal(entry.a, "x -----BEGIN RSA PRIVATE KEY-----[redacted]");
    assert.equal(entry.b, 'y"quoted" AKIA[redacted]');
  });
});
