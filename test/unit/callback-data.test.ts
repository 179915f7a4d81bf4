import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { agentRef } from "../../src/bot/views/agents-message.ts";
import { type CallbackAction, callbackData } from "../../src/callback-data.ts";

const ULID = "01JABCDEFGHJKMNPQRSTVWXYZ0";
const UUID = "0f8fad5b-d9cb-469f-a165-70867728950e";

/** Every action with the largest values it carries in practice, and the values back. */
interface Case {
  prefix: string;
  action: { readonly prefix: string; readonly pattern: RegExp; parse(data: string): unknown };
  values: unknown[];
  pack(): string;
}
const c = <A extends unknown[]>(
  prefix: string,
  action: CallbackAction<A>,
  values: NoInfer<A>,
): Case => ({
  prefix,
  action,
  values,
  pack: () => action(...values),
});
const cases: Case[] = [
  c("ack", callbackData.ack, [ULID]),
  c("res", callbackData.resolve, [ULID]),
  c("m1h", callbackData.mute1h, [ULID]),
  c("m24h", callbackData.mute24h, [ULID]),
  c("iack", callbackData.incident.ack, [ULID]),
  c("ires", callbackData.incident.resolve, [ULID]),
  c("im1h", callbackData.incident.mute1h, [ULID]),
  c("im24h", callbackData.incident.mute24h, [ULID]),
  c("unmute", callbackData.unmute, [ULID]),
  c("umr", callbackData.unmuteReply, [ULID]),
  c("lift", callbackData.liftMute, [ULID]),
  c("silx", callbackData.expireSilence, [UUID]),
  c("tri", callbackData.triage, [ULID]),
  c("pf", callbackData.proposeFix, [ULID]),
  c("gack", callbackData.group.ackAll, [ULID]),
  c("gm1h", callbackData.group.mute1h, [ULID]),
  c("gshow", callbackData.group.show, [ULID]),
  c("incp", callbackData.incidentsPage, [9999]),
  c("pa", callbackData.plan.approve, [ULID]),
  c("pr", callbackData.plan.reject, [ULID]),
  c("pd", callbackData.plan.details, [ULID]),
  c("pc", callbackData.plan.confirm, [ULID]),
  c("po", callbackData.plan.open, [ULID]),
  c("pb", callbackData.plan.back, [ULID]),
  c("agp", callbackData.agents.page, [9999]),
  c("agd", callbackData.agents.details, [9999, agentRef("x".repeat(63))]),
  c("sesp", callbackData.sessions.page, [9999]),
  c("sesd", callbackData.sessions.details, [9999, "0123456789abcdef"]),
  c("ask", callbackData.ask, [99]),
];

describe("callback data", () => {
  for (const { prefix, action, values, pack } of cases) {
    it(`${prefix}: packs within 64 bytes and parses back to the same values`, () => {
      const data = pack();
      assert.equal(action.prefix, prefix);
      assert.ok(Buffer.byteLength(data, "utf8") <= 64, `${data} is over 64 bytes`);
      assert.match(data, action.pattern);
      assert.deepEqual(action.parse(data), values);
    });
  }

  it("every prefix is declared once", () => {
    const prefixes = cases.map((x) => x.prefix);
    assert.equal(new Set(prefixes).size, prefixes.length);
  });

  it("parse refuses data another action made, a wrong id or trailing text", () => {
    assert.equal(callbackData.ack.parse(callbackData.resolve(ULID)), undefined);
    assert.equal(callbackData.incident.ack.parse(callbackData.ack(ULID)), undefined);
    assert.equal(callbackData.ack.parse("ack:not-a-ulid"), undefined);
    assert.equal(callbackData.ack.parse(`ack:${ULID}:x`), undefined);
    assert.equal(callbackData.expireSilence.parse(`silx:${ULID}`), undefined);
    assert.equal(callbackData.incidentsPage.parse("incp:12345"), undefined);
    assert.equal(callbackData.agents.details.parse("agd:1:ABCDEF0123"), undefined);
  });

  it("numbers come back as numbers, ids as strings", () => {
    assert.deepEqual(callbackData.sessions.details.parse("sesd:3:0123456789abcdef"), [
      3,
      "0123456789abcdef",
    ]);
    assert.deepEqual(callbackData.ask.parse(callbackData.ask(7)), [7]);
  });

  it("the Mute helpers choose the 1 h and 24 h actions", () => {
    assert.equal(callbackData.mute(ULID, 1), callbackData.mute1h(ULID));
    assert.equal(callbackData.mute(ULID, 24), `m24h:${ULID}`);
    assert.equal(callbackData.incident.mute(ULID, 24), `im24h:${ULID}`);
  });

  it("the home screen's data stays within 64 bytes", () => {
    for (const data of Object.values(callbackData.home)) {
      assert.ok(Buffer.byteLength(data, "utf8") <= 64);
    }
  });
});
