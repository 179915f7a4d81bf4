import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { AlertGroupRow, AlertRow } from "../../db/schema/index.ts";
import { callbackData } from "../../src/callback-data.ts";
import { groupTitle } from "../../src/events/group-key.ts";
import {
  type GroupMember,
  MAX_MEMBER_BUTTONS,
  renderGroup,
} from "../../src/notifications/views/alert-group.ts";
import { MESSAGE_LIMIT } from "../../src/telegram-format.ts";
import { alertRow } from "../helpers/alert-row.ts";
import { plain } from "../helpers/telegram.ts";

const TZ = "Asia/Taipei";
const T0 = new Date("2026-11-23T01:00:00Z");
const GROUP_ID = "01KGROUPAAAAAAAAAAAAAAAAAA";

const group: AlertGroupRow = {
  id: GROUP_ID,
  key: "alert|1|k",
  labels: { alertname: "HighErrorRate" },
  chats: [{ chatId: 1, threadId: null }],
  status: "open",
  notifications: 1,
  lastNotifiedAt: T0,
  createdAt: T0,
  closedAt: null,
};

let seq = 0;
function member(over: Partial<AlertRow> = {}, extra: Partial<GroupMember> = {}): GroupMember {
  seq++;
  const id = `01KALERT${String(seq).padStart(18, "0")}`;
  const alert = alertRow({
    id,
    fingerprint: `fp${seq}`,
    summary: "",
    labels: { alertname: "HighErrorRate", instance: `api-${seq}:80` },
    startedAt: new Date(T0.getTime() + seq),
    groupId: GROUP_ID,
    ...over,
  });
  return { alert, incidentNumber: null, muted: false, ...extra };
}

const view = (members: GroupMember[], limit?: number) => ({
  group,
  members,
  timeZone: TZ,
  now: new Date(T0.getTime() + 4 * 60_000),
  ...(limit ? { limit } : {}),
});

describe("group message", () => {
  it("counts firing members by severity on line 1 and names the group", () => {
    const members = [
      ...Array.from({ length: 4 }, () => member({ severity: "critical" })),
      ...Array.from({ length: 3 }, () => member({ severity: "warning" })),
      member({ severity: "warning", status: "resolved", resolvedAt: T0 }),
    ];
    const text = plain(renderGroup(view(members)).text);
    assert.equal(text.split("\n")[0], "🔴 4 critical · 🟠 3 warning · HighErrorRate");
    assert.match(text, /Since 09:00 \(4m ago\) · Times in Asia\/Taipei$/);
  });

  it("shows one line per member: icon, name, place, state and incident number", () => {
    const members = [
      member({ severity: "critical", incidentId: "I1" }, { incidentNumber: 17 }),
      member({ severity: "warning", acknowledgedAt: T0, acknowledgedBy: "Ada" }),
      member({ severity: "warning" }, { muted: true }),
      member({ severity: "critical", status: "resolved", resolvedAt: T0 }),
    ];
    const lines = plain(renderGroup(view(members)).text).split("\n");
    assert.deepEqual(lines.slice(1, 5), [
      `🔴 HighErrorRate · ${members[0]?.alert.labels.instance} · firing · #17`,
      `🟠 HighErrorRate · ${members[1]?.alert.labels.instance} · acknowledged`,
      `🟠 HighErrorRate · ${members[2]?.alert.labels.instance} · muted`,
      `✅ HighErrorRate · ${members[3]?.alert.labels.instance} · resolved`,
    ]);
  });

  it("offers Acknowledge all, Mute group 1 h and a button per firing member, at most 8", () => {
    const members = Array.from({ length: 10 }, () => member());
    members.push(member({ status: "resolved", resolvedAt: T0 }));
    const { keyboard } = renderGroup(view(members));
    const buttons = (keyboard ?? []).flat();
    assert.equal(buttons[0]?.text, "✋ Acknowledge all");
    assert.equal(buttons[0]?.callback_data, callbackData.group.ackAll(GROUP_ID));
    assert.equal(buttons[1]?.callback_data, callbackData.group.mute1h(GROUP_ID));
    const shows = buttons.filter((b) => callbackData.group.show.parse(b.callback_data));
    assert.equal(shows.length, MAX_MEMBER_BUTTONS);
    assert.equal(
      callbackData.group.show.parse(shows[0]?.callback_data ?? "")?.[0],
      members[0]?.alert.id,
    );
    for (const b of buttons) assert.ok(Buffer.byteLength(b.callback_data) <= 64);
  });

  it("drops Acknowledge all once every firing member is acknowledged, all buttons once resolved", () => {
    const acked = [member({ acknowledgedAt: T0 }), member({ acknowledgedAt: T0 })];
    const texts = (renderGroup(view(acked)).keyboard ?? []).flat().map((b) => b.text);
    assert.ok(!texts.includes("✋ Acknowledge all"));
    assert.ok(texts.includes("🔕 Mute group 1 h"));
    const done = [
      member({ status: "resolved", resolvedAt: T0 }),
      member({ status: "resolved", resolvedAt: T0 }),
    ];
    const r = renderGroup(view(done));
    assert.equal(r.keyboard, null);
    assert.equal(plain(r.text).split("\n")[0], "✅ RESOLVED · 2 alerts · HighErrorRate");
  });

  it("cuts member lines with +N more to stay within the limit", () => {
    const members = Array.from({ length: 300 }, () =>
      member({ title: "A".repeat(60), labels: { instance: `host-${"x".repeat(40)}` } }),
    );
    const { text } = renderGroup(view(members));
    assert.ok(text.length <= MESSAGE_LIMIT, `${text.length} ≤ ${MESSAGE_LIMIT}`);
    const memberLines = (t: string) =>
      t
        .split("\n")
        .slice(1)
        .filter((l) => l.startsWith("🔴"));
    const shown = memberLines(text).length;
    assert.ok(shown > 10 && shown < 300, `${shown} member lines`);
    assert.ok(text.includes(`\n… +${300 - shown} more\n`), "the rest is counted");
    assert.match(text, /Times in Asia\/Taipei/, "the footer survives the cut");

    const small = renderGroup(view(members.slice(0, 5), 260)).text;
    assert.ok(small.length <= 260);
    const kept = memberLines(small).length;
    assert.ok(kept >= 1 && kept < 5, small);
    assert.ok(small.includes(`\n… +${5 - kept} more\n`), small);
  });

  it("names the group by alertname bare and other labels as name=value", () => {
    assert.equal(groupTitle({ job: "api", alertname: "X" }), "X · job=api");
    assert.equal(groupTitle({}), "alert group");
  });
});
