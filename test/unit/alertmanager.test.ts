import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { InputError } from "../../src/errors.ts";
import { parseAlertmanagerWebhook, severityFromLabel } from "../../src/events/alertmanager.ts";
import { computeFingerprint } from "../../src/events/fingerprint.ts";
import { fixture } from "../helpers/fixtures.ts";

describe("Alertmanager webhook parser", () => {
  it("turns the real firing body into one event per alert with Alertmanager's fingerprints", () => {
    const events = parseAlertmanagerWebhook(fixture("alertmanager-firing.json"));
    assert.equal(events.length, 2);
    const [a, b] = events;
    assert.equal(a?.title, "HighErrorRate");
    assert.equal(a?.severity, "critical");
    assert.equal(a?.status, "firing");
    assert.equal(a?.fingerprint, "76f789cd9ae09ac0");
    assert.equal(a?.summary, "5xx rate above 5%");
    assert.equal(a?.labels.instance, "momo-app:80");
    assert.equal(a?.occurredAt.toISOString(), "2026-11-23T00:33:28.682Z");
    assert.equal(a?.generatorUrl, "http://prometheus:9090/graph?g0.expr=rate");
    assert.equal(b?.generatorUrl, null, "empty generatorURL becomes null");
  });

  it("keeps each alert's own status in a mixed group", () => {
    const events = parseAlertmanagerWebhook(fixture("alertmanager-resolved.json"));
    assert.deepEqual(
      events.map((e) => [e.fingerprint, e.status]),
      [
        ["76f789cd9ae09ac0", "resolved"],
        ["63e16f90defc07cb", "firing"],
      ],
    );
    assert.equal(
      events[0]?.occurredAt.toISOString(),
      "2026-11-23T00:33:31.000Z",
      "resolved uses endsAt",
    );
  });

  // biome-ignore lint/suspicious/noExplicitAny: the tests break the body on purpose
  const broken: [string, (b: any) => void, string][] = [
    ["a missing alerts list", (b) => delete b.alerts, "alerts"],
    ["a wrong version", (b) => (b.version = "3"), "version"],
    ["an alert without startsAt", (b) => delete b.alerts[1].startsAt, "alerts.1.startsAt"],
    ["an unknown alert status", (b) => (b.alerts[0].status = "pending"), "alerts.0.status"],
    [
      "a label that is not a string",
      (b) => (b.alerts[0].labels.instance = 80),
      "alerts.0.labels.instance",
    ],
    ["an alert without alertname", (b) => delete b.alerts[0].labels.alertname, "alerts.0.labels"],
  ];
  for (const [what, breakIt, field] of broken) {
    it(`rejects ${what}, naming ${field}`, () => {
      // biome-ignore lint/suspicious/noExplicitAny: broken on purpose
      const body = fixture<any>("alertmanager-firing.json");
      breakIt(body);
      assert.throws(
        () => parseAlertmanagerWebhook(body),
        (err: unknown) =>
          err instanceof InputError && err.field === field && err.statusCode === 400,
      );
    });
  }

  it("maps severity labels", () => {
    assert.equal(severityFromLabel("critical"), "critical");
    assert.equal(severityFromLabel("page"), "critical");
    assert.equal(severityFromLabel("info"), "info");
    assert.equal(severityFromLabel(undefined), "warning");
    assert.equal(severityFromLabel("warning"), "warning");
  });
});

describe("computeFingerprint", () => {
  it("is stable whatever the label order, and differs when a label differs", () => {
    const a = computeFingerprint("svc", "down", { a: "1", b: "2" });
    assert.equal(a, computeFingerprint("svc", "down", { b: "2", a: "1" }));
    assert.notEqual(a, computeFingerprint("svc", "down", { a: "1", b: "3" }));
    assert.notEqual(a, computeFingerprint("svc2", "down", { a: "1", b: "2" }));
    assert.match(a, /^[0-9a-f]{16}$/);
  });
});
