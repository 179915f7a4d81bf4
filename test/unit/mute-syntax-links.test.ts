import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { formatMatcher } from "../../src/mutes/matchers.ts";
import { parseMatcherLine, parseMuteLine } from "../../src/mutes/mute-spec.ts";
import {
  alertLinks,
  compactLabels,
  silenceUrl,
} from "../../src/notifications/views/alert-links.ts";

const text = (ms: { name: string; op: string; value: string }[]) =>
  ms.map((m) => formatMatcher(m as Parameters<typeof formatMatcher>[0])).join(" ");

describe("/mute syntax", () => {
  it("accepts Alertmanager's braces, commas inside quotes included", () => {
    const s = parseMuteLine('{alertname="X", env=~"prod.*", msg!="a, b"} 2h deploy window');
    assert.equal(text(s.matchers), 'alertname=X env=~"prod.*" msg!="a, b"');
    assert.equal(s.durationMs, 7_200_000);
    assert.equal(s.reason, "deploy window");
  });

  it("takes amtool's shorthand: a bare first word is the alert name", () => {
    const s = parseMuteLine("TargetDown 2h");
    assert.equal(text(s.matchers), "alertname=TargetDown");
    assert.equal(
      text(parseMuteLine("TargetDown job=node 30m").matchers),
      "alertname=TargetDown job=node",
    );
    assert.equal(text(parseMatcherLine("TargetDown")), "alertname=TargetDown");
    assert.equal(text(parseMatcherLine('{job="node"}')), "job=node");
  });

  it("names what is wrong", () => {
    assert.throws(() => parseMuteLine('{alertname="X" 2h'), /unclosed \{…\}/);
    assert.throws(() => parseMuteLine("{alertname} 2h"), /"alertname" is not a matcher/);
    assert.throws(() => parseMuteLine("2h"), /at least one matcher/);
    assert.throws(() => parseMuteLine('{job=~"("} 2h'), /invalid regular expression/);
    assert.throws(() => parseMatcherLine('{job="a"} extra'), /unexpected "extra" after \}/);
  });
});

describe("alert links", () => {
  const alert = {
    type: "DiskFull",
    labels: { alertname: "DiskFull", instance: "db-1:9100", severity: "critical", job: "node" },
    generatorUrl: "http://prometheus:9090/graph?g0.expr=x",
    annotations: {
      runbook_url: "https://runbooks.example/disk",
      dashboard_url: "javascript:alert(1)",
    },
    externalUrl: "http://alertmanager:9093/",
  };

  it("links Source, Runbook and Silence; a non-http annotation is no link", () => {
    const links = alertLinks(alert);
    assert.deepEqual(
      links.map((l) => l.label),
      ["Source", "Runbook", "Silence"],
    );
    assert.equal(
      links[2]?.url,
      `http://alertmanager:9093/#/silences/new?filter=${encodeURIComponent('{alertname="DiskFull",instance="db-1:9100",job="node",severity="critical"}')}`,
    );
  });

  it("escapes quotes in silence filter values and keeps the other labels on one line", () => {
    assert.match(silenceUrl("http://am", { a: 'x"y' }), /filter=%7Ba%3D%22x%5C%22y%22%7D$/);
    assert.equal(compactLabels(alert.labels), "job=node");
  });
});
