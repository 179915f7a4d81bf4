import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { truncateHtml } from "../../src/telegram-format.ts";
import { cutAt, cutText } from "../../src/text-cut.ts";

/** Lone UTF-16 surrogates: what a cut inside a character leaves behind. */
const lone = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
const graphemes = (s: string) =>
  [...new Intl.Segmenter(undefined, { granularity: "grapheme" }).segment(s)].map((x) => x.segment);

// Emoji of 2, 4 and 7+ code units (a skin tone, a flag, a family), a combining accent.
const PIECES = ["😀", "👍🏽", "🇹🇼", "👨‍👩‍👧", "é", "a"];

describe("cutting text by characters", () => {
  it("never splits a character, with an emoji at every cut position", () => {
    for (const emoji of PIECES) {
      for (let at = 0; at < 12; at++) {
        const s = `${"x".repeat(at)}${emoji}${"y".repeat(12)}`;
        for (let max = 0; max <= s.length + 1; max++) {
          for (const out of [cutAt(s, max), cutText(s, max)]) {
            assert.ok(!lone.test(out), `no lone surrogate: ${JSON.stringify({ s, max, out })}`);
            assert.ok(out.length <= Math.max(max, 1), `fits ${max}: ${JSON.stringify(out)}`);
            const kept = out.endsWith("…") && out !== s ? out.slice(0, -1) : out;
            assert.ok(s.startsWith(kept), "a prefix of the text");
            assert.deepEqual(graphemes(kept), graphemes(s).slice(0, graphemes(kept).length));
          }
        }
      }
    }
  });

  it("keeps text that fits and marks a cut", () => {
    assert.equal(cutText("short", 10), "short");
    assert.equal(cutText("abcdefghij", 5), "abcd…");
    assert.equal(cutText("abc😀def", 5), "abc…", "the emoji does not fit whole with the mark");
    assert.equal(cutAt("abc😀def", 5), "abc😀");
  });

  it("survives JSON and UTF-8 round trips after a cut (the audit row and Telegram)", () => {
    const reason = "😀".repeat(400); // 800 code units, cut at 500
    const cut = cutAt(reason, 500);
    assert.equal(cut.length, 500);
    assert.equal(Buffer.from(cut, "utf8").toString("utf8"), cut);
    assert.deepEqual(JSON.parse(JSON.stringify({ reason: cut })), { reason: cut });
  });

  it("truncates a single huge HTML line without splitting an emoji", () => {
    for (let pad = 0; pad < 4; pad++) {
      const html = `<b>${"z".repeat(pad)}${"😀".repeat(3000)}</b>`;
      const out = truncateHtml(html, "cut");
      assert.ok(!lone.test(out), `pad ${pad}`);
      assert.ok(out.length <= 4096);
    }
  });
});
