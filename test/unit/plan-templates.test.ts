import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { HealPlanRow } from "../../db/schema/index.ts";
import { ConfigError } from "../../src/errors.ts";
import {
  fillPlaceholders,
  parseTemplates,
  placeholders,
  templateFor,
  vetTarget,
} from "../../src/heal/plan-templates.ts";
import { renderPlanMessage } from "../../src/notifications/views/heal-plan.ts";

const RULES = [
  {
    name: "restart on 5xx",
    match: { alertname: "HighErrorRate" },
    kind: "restart",
    target: "{{job}}",
    rationale: "{{alertname}} on {{instance}}: {{summary_hint}}",
    risk: "low",
  },
  {
    match: ['alertname=~"Disk.*"', "severity!=info"],
    kind: "command",
    target: "clean-{{ instance }}",
    rationale: "free disk on {{instance}}",
    risk: "medium",
    expires_in_s: 600,
  },
];

const templates = parseTemplates(JSON.stringify(RULES));

const labels = (extra: Record<string, string> = {}) => ({
  alertname: "HighErrorRate",
  instance: "momo-app:80",
  job: "momo-app",
  severity: "critical",
  summary_hint: "5xx above 5%",
  ...extra,
});

/** ConfigError naming HEAL_TEMPLATES whose message matches `re`. */
const configError = (re: RegExp) => (err: unknown) =>
  err instanceof ConfigError &&
  err.variable === "HEAL_TEMPLATES" &&
  err.message.startsWith("HEAL_TEMPLATES:") &&
  re.test(err.message);

describe("plan templates (HEAL_TEMPLATES)", () => {
  it("parses object and amtool matchers, names and expiry; unset means no templates", () => {
    assert.equal(templates.length, 2);
    assert.equal(templates[0]?.name, "restart on 5xx");
    assert.equal(templates[1]?.name, "template 2");
    assert.deepEqual(
      templates[1]?.matchers.map((m) => `${m.name}${m.op}${m.value}`),
      ["alertname=~Disk.*", "severity!=info"],
    );
    assert.equal(templates[1]?.expiresInS, 600);
    assert.deepEqual(parseTemplates(undefined), []);
    assert.deepEqual(parseTemplates("  "), []);
  });

  it("fills target and rationale from the first matching rule's labels", () => {
    const filled = templateFor(templates, labels());
    assert.equal(filled?.template.name, "restart on 5xx");
    assert.equal(filled?.kind, "restart");
    assert.equal(filled?.target, "momo-app");
    assert.equal(filled?.rationale, "HighErrorRate on momo-app:80: 5xx above 5%");
    const disk = templateFor(templates, labels({ alertname: "DiskFull" }));
    assert.equal(disk?.target, "clean-momo-app:80");
    assert.equal(disk?.risk, "medium");
  });

  it("does not match when the matchers fail or a placeholder's label is missing or empty", () => {
    assert.equal(templateFor(templates, labels({ alertname: "Other" })), undefined);
    assert.equal(
      templateFor(templates, labels({ alertname: "DiskFull", severity: "info" })),
      undefined,
    );
    const { job: _job, ...noJob } = labels();
    assert.equal(templateFor(templates, noJob), undefined, "{{job}} has no label");
    assert.equal(templateFor(templates, labels({ summary_hint: "" })), undefined);
    assert.equal(templateFor([], labels()), undefined);
  });

  it("fills in one pass: a label value holding {{…}} is inserted as is, never expanded", () => {
    assert.equal(fillPlaceholders("{{a}} and {{ b }}", { a: "{{b}}", b: "x" }), "{{b}} and x");
    assert.deepEqual(placeholders("{{a}}-{{ b_2 }}-{c}"), ["a", "b_2"]);
  });

  it("keeps label values out of the HTML: the plan message escapes them", () => {
    const filled = templateFor(templates, labels({ summary_hint: "<b>boom</b> & co" }));
    const plan = {
      id: "01JAAAAAAAAAAAAAAAAAAAAAAA",
      kind: "restart",
      target: filled?.target,
      rationale: filled?.rationale,
      proposedBy: "Ada <ops>",
      risk: "low",
      incidentId: null,
      status: "pending",
      decidedBy: null,
      reason: null,
      expiresAt: new Date("2026-11-23T01:00:00Z"),
      createdAt: new Date("2026-11-23T00:30:00Z"),
    } as unknown as HealPlanRow;
    const { text } = renderPlanMessage(plan, {
      timeZone: "Asia/Taipei",
      now: new Date("2026-11-23T00:40:00Z"),
    });
    assert.match(text, /Why: HighErrorRate on momo-app:80: &lt;b&gt;boom&lt;\/b&gt; &amp; co/);
    assert.ok(!text.includes("<b>boom"), text);
    assert.match(text, /Proposed by Ada &lt;ops&gt;/);
  });

  it("refuses bad configuration with one line naming HEAL_TEMPLATES and the rule", () => {
    const rule = RULES[0] as Record<string, unknown>;
    const bad = (r: unknown) => () => parseTemplates(JSON.stringify(r));
    assert.throws(() => parseTemplates("{not json"), configError(/not valid JSON/));
    assert.throws(bad(rule), configError(/expected a JSON array/));
    assert.throws(bad([{ ...rule, kind: "reboot" }]), configError(/rule 1: kind:/));
    assert.throws(bad([rule, { ...rule, risk: "extreme" }]), configError(/rule 2: risk:/));
    assert.throws(bad([{ ...rule, match: {} }]), configError(/at least one label/));
    assert.throws(bad([{ ...rule, match: ["alertname"] }]), configError(/rule 1: "alertname"/));
    assert.throws(bad([{ ...rule, match: ["a=~(["] }]), configError(/invalid regular/));
    assert.throws(bad([{ ...rule, target: "{{job}}; rm -rf /" }]), configError(/target may/));
    assert.throws(bad([{ ...rule, target: "{{ job-name }}" }]), configError(/malformed/));
    assert.throws(bad([{ ...rule, rationale: "fix {{job" }]), configError(/malformed/));
  });
});

describe("vetTarget (what a template may propose)", () => {
  const settings = {
    commands: { restart: ["systemctl", "restart", "{target}"] },
    protectedPattern: /(postgres|redis|db)/i,
    fileAllowlist: /^(services|routes|database)\/.+\.py$/,
  };

  it("passes an allowlisted command on an unprotected target, and an allowlisted file", () => {
    assert.deepEqual(vetTarget({ kind: "restart", target: "momo-app" }, settings), { ok: true });
    assert.deepEqual(vetTarget({ kind: "code_fix", target: "services/app.py" }, settings), {
      ok: true,
    });
  });

  it("refuses a protected resource, a kind without a command, and a file outside L1", () => {
    const prot = vetTarget({ kind: "restart", target: "postgres-main" }, settings);
    assert.equal(prot.ok, false);
    assert.match(prot.ok ? "" : prot.reason, /protected resource postgres-main/);
    const none = vetTarget({ kind: "rollback", target: "momo-app" }, settings);
    assert.match(none.ok ? "" : none.reason, /no allowlisted command for rollback/);
    const file = vetTarget({ kind: "code_fix", target: "config/x.py" }, settings);
    assert.match(file.ok ? "" : file.reason, /^L1: config\/x\.py is not allowed/);
    const climb = vetTarget({ kind: "code_fix", target: "services/../../etc.py" }, settings);
    assert.match(climb.ok ? "" : climb.reason, /leaves the repository/);
  });
});
