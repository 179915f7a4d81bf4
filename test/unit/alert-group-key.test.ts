import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseAlertmanagerWebhook } from "../../src/events/alertmanager.ts";
import { deriveGroupKey, storedGroupKey, webhookGroup } from "../../src/events/group-key.ts";
import { parseRoutesDocument } from "../../src/notifications/routes-config.ts";
import { fixture } from "../helpers/fixtures.ts";

const labels = { alertname: "HighErrorRate", job: "api", instance: "api-1:80", env: "prod" };
const am = { key: 'am:{}:{alertname="HighErrorRate"}', labels: { alertname: "HighErrorRate" } };

describe("group key derivation", () => {
  it("keeps the webhook's own group when the route has no group_by", () => {
    assert.deepEqual(deriveGroupKey(labels, null, am), am);
  });

  it("does not group events without a webhook group (/api/events) unless a route says", () => {
    assert.equal(deriveGroupKey(labels, null, undefined), null);
    const byJob = deriveGroupKey(labels, ["job"], undefined);
    assert.deepEqual(byJob?.labels, { job: "api" });
  });

  it('does not group with ["..."] (every label), even inside a webhook group', () => {
    assert.equal(deriveGroupKey(labels, ["..."], am), null);
  });

  it("groups by the values of group_by, whatever the order of the names", () => {
    const a = deriveGroupKey(labels, ["job", "env"], am);
    const b = deriveGroupKey({ ...labels, instance: "api-2:80" }, ["env", "job"], undefined);
    const c = deriveGroupKey({ ...labels, job: "db" }, ["job", "env"], am);
    assert.equal(a?.key, b?.key, "other labels do not matter");
    assert.notEqual(a?.key, c?.key, "another job is another group");
    assert.deepEqual(a?.labels, { job: "api", env: "prod" });
  });

  it("treats a missing label as absent and [] as one group for the route", () => {
    const missing = deriveGroupKey({ alertname: "X" }, ["job"], undefined);
    assert.deepEqual(missing?.labels, {});
    const all1 = deriveGroupKey(labels, [], undefined);
    const all2 = deriveGroupKey({ alertname: "Other" }, [], undefined);
    assert.equal(all1?.key, all2?.key);
  });

  it("takes groupKey from the webhook, else a key of groupLabels, else none", () => {
    const events = parseAlertmanagerWebhook(fixture("alertmanager-firing.json"));
    assert.equal(events[0]?.group?.key, 'am:{}:{alertname="HighErrorRate"}');
    assert.deepEqual(events[0]?.group?.labels, { alertname: "HighErrorRate" });
    assert.equal(events[1]?.group?.key, events[0]?.group?.key);
    const byLabels = webhookGroup(undefined, { alertname: "A", job: "x" });
    assert.equal(byLabels?.key, webhookGroup(undefined, { job: "x", alertname: "A" })?.key);
    assert.equal(webhookGroup(undefined, {}), undefined);
    assert.equal(webhookGroup(undefined, undefined), undefined);
  });

  it("keys groups by kind and chats too, in any chat order", () => {
    const one = storedGroupKey(
      "alert",
      [
        { chatId: 1, threadId: null },
        { chatId: -5, threadId: 7 },
      ],
      "k",
    );
    const two = storedGroupKey(
      "alert",
      [
        { chatId: -5, threadId: 7 },
        { chatId: 1, threadId: null },
      ],
      "k",
    );
    assert.equal(one, two);
    assert.notEqual(one, storedGroupKey("alert", [{ chatId: 1, threadId: null }], "k"));
    assert.notEqual(
      one,
      storedGroupKey(
        "agent",
        [
          { chatId: 1, threadId: null },
          { chatId: -5, threadId: 7 },
        ],
        "k",
      ),
    );
  });
});

describe("group_by in NOTIFY_ROUTES", () => {
  const doc = (groupBy: unknown) => ({
    receivers: { ops: { chats: [1] } },
    routes: [{ match: [], receiver: "ops", group_by: groupBy }],
    default_receiver: "ops",
  });

  it("parses label names and ... ; unset stays null", () => {
    assert.deepEqual(parseRoutesDocument(doc(["alertname", "job"])).routes[0]?.groupBy, [
      "alertname",
      "job",
    ]);
    assert.deepEqual(parseRoutesDocument(doc(["..."])).routes[0]?.groupBy, ["..."]);
    assert.equal(parseRoutesDocument(doc(undefined)).routes[0]?.groupBy, null);
  });

  it("refuses a bad label name and ... beside names, naming the place", () => {
    assert.throws(
      () => parseRoutesDocument(doc(["1job"])),
      /routes\[0\]\.group_by\[0\]: a label name/,
    );
    assert.throws(
      () => parseRoutesDocument(doc(["...", "job"])),
      /routes\[0\]\.group_by: "\.\.\." must stand alone/,
    );
  });
});
