import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { formatMatcher, matchAll, parseMatcher } from "../../src/mutes/matchers.ts";
import { parseDuration, parseMuteLine, tokenize } from "../../src/mutes/mute-spec.ts";

const labels = { alertname: "HighErrorRate", instance: "momo-app:80", job: "momo-app" };

describe("mute matchers (Alertmanager semantics)", () => {
  it("evaluates the four operators", () => {
    assert.ok(matchAll([parseMatcher("alertname=HighErrorRate")], labels));
    assert.ok(matchAll([parseMatcher("job!=other")], labels));
    assert.ok(matchAll([parseMatcher('instance=~"momo.*"')], labels));
    assert.ok(matchAll([parseMatcher("instance!~db.*")], labels));
    assert.ok(!matchAll([parseMatcher("alertname!=HighErrorRate")], labels));
  });

  it("anchors regular expressions at both ends", () => {
    assert.ok(!matchAll([parseMatcher("instance=~momo")], labels), "no substring match");
    assert.ok(!matchAll([parseMatcher("instance=~app:80")], labels));
    assert.ok(matchAll([parseMatcher("instance=~momo-app:\\d+")], labels));
  });

  it("reads a missing label as empty, and never matches with no matchers", () => {
    assert.ok(matchAll([parseMatcher("team!=ops")], labels));
    assert.ok(matchAll([parseMatcher('team=""')], labels));
    assert.ok(!matchAll([], labels));
  });

  it("refuses malformed matchers and bad regexes with an InputError", () => {
    assert.throws(() => parseMatcher("no operator"), /not a matcher/);
    assert.throws(() => parseMatcher("x=~(unclosed"), /invalid regular expression/);
  });

  it("writes matchers back in amtool form", () => {
    assert.equal(formatMatcher(parseMatcher('instance=~"momo.*"')), 'instance=~"momo.*"');
    assert.equal(formatMatcher(parseMatcher("job=momo")), "job=momo");
  });
});

describe("the one-line /mute form", () => {
  it("reads matchers, a duration and the reason", () => {
    const spec = parseMuteLine('alertname=HighErrorRate instance=~"momo.*" 2h deploy in progress');
    assert.deepEqual(spec.matchers.map(formatMatcher), [
      "alertname=HighErrorRate",
      'instance=~"momo.*"',
    ]);
    assert.equal(spec.durationMs, 2 * 3_600_000);
    assert.equal(spec.reason, "deploy in progress");
  });

  it("keeps quoted values with spaces together", () => {
    assert.deepEqual(tokenize('summary="disk full" 1h'), ['summary="disk full"', "1h"]);
    assert.equal(parseMuteLine('summary="disk full" 1h').matchers[0]?.value, "disk full");
  });

  it("parses compound durations and refuses out-of-range ones", () => {
    assert.equal(parseDuration("1h30m"), 90 * 60_000);
    assert.equal(parseDuration("soon"), undefined);
    assert.throws(() => parseMuteLine("a=b 31d"), /between 1 minute and 30 days/);
    assert.throws(() => parseMuteLine("a=b"), /duration/);
    assert.throws(() => parseMuteLine("2h"), /at least one matcher/);
  });
});
