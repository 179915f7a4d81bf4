import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { escapeHtml, formatDuration, formatTime, truncateHtml } from "../../src/telegram-format.ts";

describe("telegram formatting", () => {
  it("escapes HTML special characters", () => {
    assert.equal(escapeHtml("a<b>&c"), "a&lt;b&gt;&amp;c");
  });

  it("formats times in the report time zone (Asia/Taipei is UTC+8)", () => {
    assert.equal(
      formatTime(new Date("2026-11-23T00:33:28.682Z"), "Asia/Taipei"),
      "2026-11-23 08:33:28",
    );
    assert.equal(formatTime(new Date("2026-11-23T00:33:28Z"), "UTC"), "2026-11-23 00:33:28");
  });

  it("formats durations compactly", () => {
    assert.equal(formatDuration(45_000), "45s");
    assert.equal(formatDuration(12 * 60_000), "12m");
    assert.equal(formatDuration(3 * 3600_000 + 5 * 60_000), "3h 5m");
    assert.equal(formatDuration(52 * 3600_000), "2d 4h");
  });

  it("truncates long HTML at a line boundary and says where the rest is", () => {
    const line = "<b>x</b> ".repeat(20);
    const html = Array.from({ length: 100 }, () => line).join("\n");
    const out = truncateHtml(html, "full text in the admin API", 1000);
    assert.ok(out.length <= 1000);
    assert.ok(out.endsWith("… full text in the admin API"));
    assert.equal(
      (out.match(/<b>/g) ?? []).length,
      (out.match(/<\/b>/g) ?? []).length,
      "tags stay balanced",
    );
  });

  it("leaves short messages alone", () => {
    assert.equal(truncateHtml("<b>hi</b>", "x"), "<b>hi</b>");
  });
});
