import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { AlertRow, IncidentRow, MuteRow } from "../../db/schema/index.ts";
import { renderAlert } from "../../src/notifications/views/alert.ts";
import { alertRow } from "../helpers/alert-row.ts";
import { parseTelegramHtml } from "../helpers/telegram-html.ts";

const TZ = "Asia/Taipei";
/** 09:00 in Taipei. */
const T0 = new Date("2026-11-23T01:00:00Z");
const min = (n: number) => new Date(T0.getTime() + n * 60_000);

function alert(over: Partial<AlertRow> = {}): AlertRow {
  return alertRow({
    summary: "5xx rate above 5%",
    labels: { alertname: "HighErrorRate", job: "api", instance: "api-1:80", env: "prod" },
    generatorUrl: "http://prometheus:9090/graph?g0.expr=x",
    annotations: { description: "Requests fail", runbook_url: "http://runbooks/5xx" },
    externalUrl: "http://alertmanager:9093",
    incidentId: "inc1",
    ...over,
  });
}

const incident = {
  id: "inc1",
  number: 17,
  title: "HighErrorRate",
  severity: "critical",
  status: "open",
  fingerprint: "fp1",
  openedAt: T0,
} as IncidentRow;

const view = (over: Partial<Parameters<typeof renderAlert>[0]> = {}) => ({
  alert: alert(),
  incident,
  mute: null,
  timeZone: TZ,
  now: min(4),
  ...over,
});

describe("alert message", () => {
  it("shows times as clock time and age, the zone once", () => {
    const a = alert({
      eventCount: 30,
      lastEventAt: min(3),
      acknowledgedBy: "Ada (@ada_ops, 424242)",
      acknowledgedAt: min(2),
    });
    const text = parseTelegramHtml(renderAlert(view({ alert: a })).text);
    assert.match(text, /^🔴 CRITICAL · HighErrorRate · api-1:80\n/);
    assert.match(text, /Started: 09:00 \(4m ago\)/);
    assert.match(text, /Repeated: ×30, last 09:03 \(1m ago\)/);
    assert.match(text, /👤 Acknowledged by Ada at 09:02 \(2m ago\)/);
    assert.ok(!text.includes("424242"), "the id stays in the audit, not the message");
    assert.equal(text.match(/Asia\/Taipei/g)?.length, 1, "the zone is named once");
    assert.ok(!/\d{4}-\d\d-\d\d \d\d:\d\d:\d\d/.test(text), "no raw timestamps");
  });

  it("a mute shows until when and who; a resolved alert how long it fired", () => {
    const mute = {
      id: "m1",
      endsAt: min(64),
      liftedAt: null,
      createdBy: "Ada (@ada_ops, 424242)",
    } as MuteRow;
    const muted = parseTelegramHtml(renderAlert(view({ mute })).text);
    assert.match(muted, /🔕 Muted until 10:04 \(in 1h\) by Ada/);
    const done = renderAlert(
      view({
        alert: alert({
          status: "resolved",
          resolvedAt: new Date(T0.getTime() + 725_000),
        }),
        now: min(13),
      }),
    );
    assert.match(parseTelegramHtml(done.text), /Resolved: 09:12 \(1m ago\) · fired 12m 05s/);
    assert.equal(done.keyboard, null);
  });

  it("a 6,000-character summary is cut, not the message: instance, times, incident and buttons stay", () => {
    const a = alert({
      summary: `Root cause <unknown> & ${"x".repeat(6000)}`,
      annotations: { description: "d".repeat(6000) },
      eventCount: 3,
      lastEventAt: min(1),
    });
    const msg = renderAlert(view({ alert: a }));
    const text = parseTelegramHtml(msg.text);
    assert.ok(text.length <= 4096, `${text.length} characters after parsing`);
    assert.ok(msg.text.length <= 4096, `${msg.text.length} characters of HTML`);
    assert.match(text, /^🔴 CRITICAL · HighErrorRate · api-1:80\n/);
    assert.match(text, /Root cause <unknown> & x+…/);
    assert.match(text, /Started: 09:00 \(4m ago\)/);
    assert.match(text, /Repeated: ×3/);
    assert.match(text, /Incident #17: open/);
    assert.match(text, /Source · Silence/);
    assert.ok(!text.includes("see /incidents"), "no whole-message cut was needed");
    assert.deepEqual(
      msg.keyboard?.flat().map((b) => b.text),
      ["✋ Acknowledge", "✅ Resolve", "🔕 Mute 1 h", "🔕 Mute 24 h", "🧠 Triage"],
    );
  });

  it("huge labels are cut too, and a cut never names a raw alert id", () => {
    const labels: Record<string, string> = { alertname: "X", instance: "i-1" };
    for (let i = 0; i < 60; i++) labels[`label_${i}`] = "v".repeat(120);
    const msg = renderAlert(view({ alert: alert({ labels }) }));
    const text = parseTelegramHtml(msg.text);
    assert.ok(text.length <= 4096);
    assert.ok(!text.includes(alert().id));
    assert.match(text, /Incident #17: open/);
    assert.ok(msg.keyboard && msg.keyboard.length > 0);
  });

  it("a 6,000-character alertname or instance is cut on line 1; the rest of the message stays", () => {
    const name = "Flood".repeat(1200);
    const a = alert({ title: name, labels: { alertname: name, instance: "i".repeat(6000) } });
    const msg = renderAlert(view({ alert: a }));
    const text = parseTelegramHtml(msg.text);
    assert.ok(text.length <= 4096, `${text.length} characters after parsing`);
    assert.match(text, /^🔴 CRITICAL · (Flood){51}… · i{255}…\n5xx rate above 5%\n/);
    assert.match(text, /Started: 09:00 \(4m ago\)/);
    assert.match(text, /Incident #17: open\nTimes in Asia\/Taipei/);
    assert.equal(msg.keyboard?.flat().length, 5);
  });

  it("one zone line before the triage section, with escalations and a mute in the same style", () => {
    const mute = { id: "m1", endsAt: min(64), liftedAt: null, createdBy: "Bo" } as MuteRow;
    const text = parseTelegramHtml(
      renderAlert(
        view({
          mute,
          escalated: [{ receiver: "leads", at: min(3).toISOString() }],
          triage: {
            source: "model",
            model: "m",
            fallbackReason: null,
            requestedBy: "Ada",
            result: {
              summary: "Disk full on api-1",
              likelyCauses: ["logs"],
              nextSteps: ["rotate"],
              suggestedTemplate: null,
              confidence: 0.8,
            },
          },
        }),
      ).text,
    );
    assert.match(text, /⏫ Escalated to leads at 09:03 \(1m ago\)/);
    assert.match(text, /🔕 Muted until 10:04 \(in 1h\) by Bo\nTimes in Asia\/Taipei\n\n🧠 Triage/);
    assert.equal(text.match(/Times in/g)?.length, 1);
  });

  it("the last-resort cut keeps line 1 and the buttons and points to the incident number", () => {
    const escalated = Array.from({ length: 120 }, (_, i) => ({
      receiver: `receiver-with-a-long-name-${i}`,
      at: min(1).toISOString(),
    }));
    const msg = renderAlert(view({ escalated }));
    const text = parseTelegramHtml(msg.text);
    assert.ok(text.length <= 4096, `${text.length} characters after parsing`);
    assert.match(text, /^🔴 CRITICAL · HighErrorRate · api-1:80\n/);
    assert.match(text, /Started: 09:00 \(4m ago\)/);
    assert.match(text, /\n… see \/incidents, incident #17$/);
    assert.ok(!text.includes(alert().id), "no raw alert id");
    assert.equal(msg.keyboard?.flat().length, 5, "all buttons stay");
    const alone = parseTelegramHtml(renderAlert(view({ escalated, incident: null })).text);
    assert.match(alone, /\n… cut to fit; alert “HighErrorRate”$/);
    assert.ok(!alone.includes(alert().id));
  });
});
