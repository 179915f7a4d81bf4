import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { MuteRow } from "../../db/schema/index.ts";
import { renderMuteCreated, renderMuteList } from "../../src/bot/views/mute-message.ts";
import type { Silence } from "../../src/mutes/alertmanager-silences.ts";
import { parseTelegramHtml } from "../helpers/telegram-html.ts";

const TZ = "Europe/Berlin";
/** 18:08 in Berlin (UTC+1 in November). */
const NOW = new Date("2026-11-26T17:08:00Z");
const min = (n: number) => new Date(NOW.getTime() + n * 60_000);

function mute(over: Partial<MuteRow> = {}): MuteRow {
  return {
    id: "01KMUTE0000000000000000000",
    matchers: [{ name: "alertname", op: "=", value: "TargetDown" }],
    startsAt: NOW,
    endsAt: min(61),
    createdBy: "Ada Lovelace (@ada_ops, 424242)",
    reason: "deploy",
    createdAt: NOW,
    alertId: null,
    liftedAt: null,
    liftedBy: null,
    silenceId: null,
    ...over,
  };
}

describe("mute messages", () => {
  it("a new mute says for how long and until when, the zone once", () => {
    const { text } = renderMuteCreated({ ...mute(), silence: { state: "off" } }, 2, TZ);
    const plain = parseTelegramHtml(text);
    assert.match(
      plain,
      /^🔕 Muted alertname=TargetDown\nfor 1h 01m, until 19:09 \(in 1h\)\nTimes in Europe\/Berlin\n/,
    );
    assert.match(plain, /Matches 2 firing alerts now\.\ndeploy$/);
    assert.ok(!/\d{4}-\d\d-\d\d/.test(plain), "no raw timestamps");
  });

  it("/mutes shows ends and starts as clock time and how far, people by name, the zone once", () => {
    const later = mute({ id: "m2", startsAt: min(30), endsAt: min(24 * 60 + 30) });
    const silence = {
      id: "s1",
      matchers: [{ name: "job", op: "=", value: "batch" }],
      startsAt: NOW,
      endsAt: min(5),
      createdBy: "someone in the UI",
      comment: "",
      state: "active",
    } satisfies Silence;
    const { text, keyboard } = renderMuteList([mute(), later], NOW, TZ, [silence]);
    const plain = parseTelegramHtml(text);
    assert.match(plain, /^Active mutes \(2\)\nTimes in Europe\/Berlin\n/);
    assert.match(plain, /1\. 🔕 alertname=TargetDown\nuntil 19:09 \(in 1h\), by Ada Lovelace\n/);
    assert.match(plain, /until 27 Nov 18:38 \(in 1d\), by Ada Lovelace\nstarts 18:38 \(in 30m\)/);
    assert.match(plain, /A1\. 🔕 job=batch\nuntil 18:13 \(in 5m\), by someone in the UI/);
    assert.equal(plain.match(/Europe\/Berlin/g)?.length, 1, "the zone is named once");
    assert.ok(!/ left\b|\d{4}-\d\d-\d\d/.test(plain), "no 'left' durations, no raw timestamps");
    assert.ok(!plain.includes("424242"), "the id stays in the audit trail");
    assert.equal(keyboard.length, 3);
  });
});
