import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { alertGroups, alerts, deliveries } from "../../db/schema/index.ts";
import { call, INGEST_TOKEN, startTestApp, type TestApp } from "../helpers/app.ts";
import { fakeClock } from "../helpers/clock.ts";
import { testDatabases } from "../helpers/db.ts";
import { type RecordingSender, recordingSender, waitFor } from "../helpers/sender.ts";

const CHAT = 424242;
const MIN = 60_000;

/** An event for POST /api/events on `instance` of job `job`. */
const event = (instance: string, job = "api", severity = "warning") => ({
  source: "momo-app",
  type: "HighLatency",
  severity,
  title: "HighLatency",
  summary: `slow on ${instance}`,
  labels: { instance, job },
});

for (const kind of testDatabases()) {
  describe(`alert groups over POST /api/events on ${kind.name}`, () => {
    let plain: TestApp;
    let grouped: TestApp;
    let plainSender: RecordingSender;
    let sender: RecordingSender;
    const clock = fakeClock("2026-11-23T01:00:00Z");
    const post = (t: TestApp, body: unknown) =>
      call(`${t.url}/api/events`, { token: INGEST_TOKEN, body });

    before(async () => {
      plainSender = recordingSender();
      plain = await startTestApp(
        await kind.open(),
        { TELEGRAM_ALERT_CHAT_IDS: String(CHAT) },
        { sender: plainSender },
      );
      sender = recordingSender();
      const routes = {
        receivers: { ops: { chats: [CHAT] } },
        routes: [{ match: ['kind="alert"'], receiver: "ops", group_by: ["job"] }],
        default_receiver: "ops",
      };
      grouped = await startTestApp(
        await kind.open(),
        { NOTIFY_ROUTES: JSON.stringify(routes), DEDUP_WINDOW_S: "600" },
        { sender, clock },
      );
    });
    after(async () => {
      await plain?.stop();
      await grouped?.stop();
    });

    it("keeps one message per event without a route's group_by", async () => {
      const res = await post(plain, [event("api-1:80"), event("api-2:80")]);
      assert.equal(res.status, 202);
      await waitFor(() => plainSender.messages.length === 2, 5000, "two messages");
      assert.ok(plainSender.messages.every((m) => m.text.startsWith("🟠 <b>WARNING</b>")));
      const rows = await plain.app.database.db.select().from(alerts);
      assert.ok(rows.every((r) => r.groupId === null));
    });

    it("groups by the route's group_by: one silent message for warnings", async () => {
      const res = await post(grouped, [event("api-1:80"), event("api-2:80"), event("db-1", "db")]);
      assert.equal(res.status, 202);
      await waitFor(() => sender.messages.length === 2, 5000, "group + lone message");
      const group = sender.messages.find((m) => m.text.includes("job=api"));
      assert.ok(group, "the job=api group message");
      assert.equal(group.text.split("\n")[0], "🟠 2 warning · <b>job=api</b>");
      assert.equal(group.disableNotification, true, "no critical: silent");
      const lone = sender.messages.find((m) => m.text.includes("db-1"));
      assert.match(lone?.text ?? "", /^🟠 <b>WARNING<\/b> · <b>HighLatency<\/b>/, "a lone alert");
    });

    it("a later critical joins the open group without a new message", async () => {
      await post(grouped, event("api-3:80", "api", "critical"));
      const group = sender.messages.find((m) => m.text.includes("job=api"));
      await waitFor(() => group?.text.includes("api-3:80"), 5000, "the joined member");
      assert.equal(group?.text.split("\n")[0], "🔴 1 critical · 🟠 2 warning · <b>job=api</b>");
      assert.equal(sender.messages.length, 2, "an edit, no new message");
    });

    it("a member's repeat that changes nothing on the group message queues no edit", async () => {
      const edits = async () =>
        (await grouped.app.database.db.select().from(deliveries)).filter((d) => d.kind === "edit")
          .length;
      const before = await edits();
      const res = await post(grouped, event("api-1:80"));
      assert.equal(res.body.outcome, "deduplicated");
      assert.equal(await edits(), before, "the rows are written before the 202");
    });

    it("repeats after the dedup window re-announce the group once, not once per member", async () => {
      clock.advance(11 * MIN);
      const res = await post(grouped, [
        event("api-1:80"),
        event("api-2:80"),
        event("api-3:80", "api", "critical"),
      ]);
      assert.deepEqual(
        res.body.events.map((e: { outcome: string }) => e.outcome),
        ["notified", "notified", "notified"],
      );
      await waitFor(() => sender.messages.length === 3, 5000, "one re-announcement");
      const [, , again] = sender.messages;
      assert.match(again?.text ?? "", /job=api/);
      const old = sender.messages.find((m) => m !== again && m.text.includes("job=api"));
      await waitFor(() => old?.keyboard === null, 5000, "the old message retired");
      assert.match(old?.text ?? "", /a newer message about this group follows below/);
      const [g] = await grouped.app.database.db.select().from(alertGroups);
      assert.equal(g?.notifications, 2);
    });

    it("closes the group when every member resolved; the next alerts start afresh", async () => {
      const resolved = (e: ReturnType<typeof event>) => ({ ...e, status: "resolved" });
      await post(grouped, [
        resolved(event("api-1:80")),
        resolved(event("api-2:80")),
        resolved(event("api-3:80", "api", "critical")),
      ]);
      const live = sender.messages[2];
      await waitFor(() => live?.text.startsWith("✅ <b>RESOLVED</b> · 3 alerts"), 5000, "resolved");
      assert.equal(live?.keyboard, null);
      const [g] = await grouped.app.database.db.select().from(alertGroups);
      assert.equal(g?.status, "closed");
      await post(grouped, event("api-4:80"));
      await waitFor(() => sender.messages.length === 4, 5000, "a new lone message");
      assert.match(sender.messages[3]?.text ?? "", /^🟠 <b>WARNING<\/b>/);
    });

    it("two concurrent ingests of one group key make one group and one message", async () => {
      const sent = sender.messages.length;
      const answers = await Promise.all([
        post(grouped, [event("web-1", "web"), event("web-2", "web")]),
        post(grouped, [event("web-3", "web"), event("web-4", "web")]),
      ]);
      assert.deepEqual(
        answers.map((a) => a.status),
        [202, 202],
      );
      const rows = await grouped.app.database.db.select().from(alerts);
      const web = rows.filter((r) => r.labels.job === "web");
      assert.equal(web.length, 4);
      assert.equal(new Set(web.map((r) => r.groupId)).size, 1, "one group");
      const group = await waitFor(
        () => sender.messages.find((m) => m.text.includes("job=web") && m.text.includes("web-4")),
        5000,
        "the group message with all four",
      );
      assert.ok(group);
      assert.match(group.text, /web-1.*\n.*web-2.*\n.*web-3.*\n.*web-4/);
      assert.equal(sender.messages.length, sent + 1, "one message");
    });

    it("one batch that re-announces a group and adds a member to it: old message retired, new one lists all", async () => {
      const about = () => sender.messages.filter((m) => m.text.includes("job=batch"));
      await post(grouped, [event("b-1", "batch"), event("b-2", "batch")]);
      await waitFor(() => about().length === 1, 5000, "the group message");
      const [first] = about();
      clock.advance(11 * MIN);
      // b-1 repeats after the window (the group is re-announced); b-3 is new and joins it.
      const res = await post(grouped, [event("b-1", "batch"), event("b-3", "batch")]);
      assert.deepEqual(
        res.body.events.map((e: { outcome: string }) => e.outcome),
        ["notified", "notified"],
      );
      await waitFor(() => about().length === 2, 5000, "the re-announcement");
      const again = about()[1];
      await waitFor(() => first?.keyboard === null, 5000, "the old message retired");
      assert.match(first?.text ?? "", /a newer message about this group follows below/);
      await waitFor(() => again?.text.includes("b-3"), 5000, "the new message lists b-3");
      assert.equal(again?.text.split("\n")[0], "🟠 3 warning · <b>job=batch</b>");
      assert.ok(again?.keyboard, "the new message carries the buttons");
    });
  });
}
