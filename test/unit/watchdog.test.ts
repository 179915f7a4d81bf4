import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { AgentStateRow } from "../../db/schema/index.ts";
import {
  type AgentClass,
  DEFAULT_AGENT_CLASSES,
  roundsWarnAt,
} from "../../src/heartbeats/agent-classes.ts";
import { createAgentRegistry } from "../../src/heartbeats/agent-registry.ts";
import { type AgentMemo, applyBeat, viewState } from "../../src/heartbeats/agent-state.ts";
import { agentViews } from "../../src/heartbeats/agent-views.ts";
import { checkHeartbeats } from "../../src/heartbeats/heartbeat-check.ts";
import type { Beat } from "../../src/heartbeats/heartbeat-schema.ts";
import { findStalls } from "../../src/heartbeats/watchdog.ts";
import { fakeClock, REFERENCE_TIME } from "../helpers/clock.ts";

const T0 = new Date(REFERENCE_TIME);
const at = (ms: number) => new Date(T0.getTime() + ms);
const CLASSES = Object.values(DEFAULT_AGENT_CLASSES);
const classOf = (name: string) => DEFAULT_AGENT_CLASSES[name] as AgentClass;

const beat = (over: Partial<Beat> = {}): Beat => ({
  agent: "a1",
  class: undefined,
  status: "working",
  task: "T-1",
  round: undefined,
  note: null,
  ...over,
});

/** An agent that beat at T0 (as applyBeat stores it) with `over` applied. */
function memo(c: AgentClass, over: Partial<AgentStateRow> = {}): AgentMemo {
  const row = { ...applyBeat(undefined, beat(), c, T0).next, ...over };
  return { ...row, watchFrom: row.lastBeatAt };
}

/** The level findStalls raises for `m` at `ms` after T0, or "none". */
function verdictAt(m: AgentMemo, ms: number): string {
  return findStalls([m], classOf, at(ms))[0]?.to ?? "none";
}

describe("stall thresholds of every class", () => {
  for (const c of CLASSES) {
    it(`${c.name}: stalled at ${c.stallS / 60} min, escalated at ${c.escalateS / 60} min`, () => {
      const m = memo(c);
      assert.equal(verdictAt(m, c.periodS * 1000), "none", "one missed period is not a stall");
      assert.equal(verdictAt(m, c.stallS * 1000 - 1), "none");
      assert.equal(verdictAt(m, c.stallS * 1000), "stalled");
      const stalled = { ...m, stallLevel: "stalled" as const };
      assert.equal(verdictAt(stalled, c.stallS * 1000 + 1), "none", "raised once");
      assert.equal(verdictAt(stalled, c.escalateS * 1000 - 1), "none");
      assert.equal(verdictAt(stalled, c.escalateS * 1000), "escalated");
      const escalated = { ...m, stallLevel: "escalated" as const };
      assert.equal(verdictAt(escalated, 10 * c.escalateS * 1000), "none", "nothing above");
      assert.deepEqual(findStalls([m], classOf, at(c.escalateS * 1000)), [
        { agent: "a1", from: "none", to: "escalated" },
      ]);
    });
  }

  it("watches working and blocked agents, not idle, done or paused ones", () => {
    const c = DEFAULT_AGENT_CLASSES.development as AgentClass;
    const late = c.escalateS * 1000 * 3;
    assert.equal(verdictAt(memo(c, { status: "blocked" }), late), "escalated");
    assert.equal(verdictAt(memo(c, { status: "idle" }), late), "none");
    assert.equal(verdictAt(memo(c, { status: "done" }), late), "none");
    assert.equal(verdictAt(memo(c, { pausedTask: "T-1" }), late), "none", "paused: waits");
    assert.equal(verdictAt(memo(c, { pausedTask: "T-0" }), late), "escalated", "old pause");
  });
});

describe("rounds of every class", () => {
  for (const c of CLASSES) {
    const warn = roundsWarnAt(c);
    it(`${c.name}: warns once at round ${warn}, pauses at ${c.maxRounds}, a new task restarts`, () => {
      let prev = applyBeat(undefined, beat({ round: 0 }), c, T0).next;
      const step = (b: Partial<Beat>) => {
        const o = applyBeat(prev, beat(b), c, T0);
        prev = o.next;
        return o;
      };
      const below = step({ round: warn - 1 });
      assert.deepEqual([below.roundsWarning, below.maxRounds, below.pause], [false, false, false]);
      const eighty = step({ round: warn });
      assert.deepEqual(
        [eighty.roundsWarning, eighty.maxRounds, eighty.pause],
        [true, false, false],
      );
      assert.equal(step({ round: warn + 1 }).roundsWarning, false, "once per task");
      assert.equal(step({ round: c.maxRounds - 1 }).pause, false);
      const max = step({ round: c.maxRounds });
      assert.deepEqual([max.roundsWarning, max.maxRounds, max.pause], [false, true, true]);
      const after = step({ round: c.maxRounds + 3 });
      assert.deepEqual([after.maxRounds, after.pause], [false, true], "critical once, pause stays");
      assert.equal(step({}).pause, true, "a beat without round stays paused on the task");
      assert.equal(viewState(prev), "paused");

      const next = step({ task: "T-2", round: 1 });
      assert.deepEqual(next.endedTask, { task: "T-1", warned: true, paused: true });
      assert.deepEqual([next.pause, next.next.round, next.next.pausedTask], [false, 1, null]);
      assert.equal(next.next.taskStartedAt?.getTime(), T0.getTime());
      assert.equal(step({ round: warn }).roundsWarning, true, "the new task warns again");
    });
  }

  it("jumping straight to max raises only the critical", () => {
    const c = DEFAULT_AGENT_CLASSES.business as AgentClass;
    const o = applyBeat(undefined, beat({ round: 500 }), c, T0);
    assert.deepEqual([o.roundsWarning, o.maxRounds, o.pause], [false, true, true]);
  });

  it("keeps task and round when a beat omits them; null clears the task", () => {
    const c = DEFAULT_AGENT_CLASSES.development as AgentClass;
    const first = applyBeat(undefined, beat({ round: 7 }), c, T0).next;
    const same = applyBeat(first, beat({ task: undefined, status: "blocked" }), c, at(60_000));
    assert.deepEqual([same.next.task, same.next.round, same.endedTask], ["T-1", 7, undefined]);
    assert.equal(same.next.taskStartedAt?.getTime(), T0.getTime(), "task start kept");
    const none = applyBeat(same.next, beat({ task: null }), c, at(120_000));
    assert.deepEqual([none.next.task, none.next.round], [null, null]);
    assert.ok(none.endedTask, "clearing the task ends it");
  });

  it("reports the stall level a beat clears", () => {
    const c = DEFAULT_AGENT_CLASSES.development as AgentClass;
    const prev = { ...memo(c), stallLevel: "escalated" as const };
    const o = applyBeat(prev, beat(), c, at(3_600_000));
    assert.equal(o.clearedStall, "escalated");
    assert.equal(o.next.stallLevel, "none");
  });
});

describe("restart", () => {
  it("measures silence from max(last beat, process start): downtime raises nothing", () => {
    const c = DEFAULT_AGENT_CLASSES.development as AgentClass;
    const row = { ...memo(c) } as AgentStateRow & { watchFrom?: Date };
    delete row.watchFrom;
    const restartedAt = at(2 * 3_600_000); // down for two hours
    const registry = createAgentRegistry();
    registry.load([row, { ...row, name: "fresh", lastBeatAt: at(3 * 3_600_000) }], restartedAt);
    const all = registry.all();
    assert.equal(findStalls(all, classOf, restartedAt).length, 0, "no stall at start");
    const justBefore = new Date(restartedAt.getTime() + c.stallS * 1000 - 1);
    assert.equal(findStalls(all, classOf, justBefore).length, 0);
    const stall = new Date(restartedAt.getTime() + c.stallS * 1000);
    assert.deepEqual(
      findStalls(all, classOf, stall).map((v) => v.agent),
      ["a1"],
      "a newer beat than the start counts from the beat",
    );
  });
});

describe("an agent another replica changed", () => {
  it("keeps where silence is measured from for a beat it knew, and starts from a newer beat", () => {
    const c = DEFAULT_AGENT_CLASSES.development as AgentClass;
    const known = memo(c); // beat at T0, watched from T0
    const startedAt = at(60_000); // this process started a minute after that beat
    const registry = createAgentRegistry();
    registry.set(known);
    // The same beat, now with a stall level another watchdog stored: still measured from T0.
    registry.refresh({ ...known, stallLevel: "stalled" }, startedAt);
    assert.equal(registry.get("a1")?.watchFrom.getTime(), T0.getTime());
    assert.equal(registry.get("a1")?.stallLevel, "stalled");
    // A newer beat taken by another replica: measured from it.
    registry.refresh({ ...known, lastBeatAt: at(120_000), stallLevel: "none" }, startedAt);
    assert.equal(registry.get("a1")?.watchFrom.getTime(), at(120_000).getTime());
    // An agent this process never saw, last beat before it started: from the start.
    registry.refresh({ ...known, name: "old", lastBeatAt: at(-5_000) }, startedAt);
    assert.equal(registry.get("old")?.watchFrom.getTime(), startedAt.getTime());
  });
});

describe("views and the heartbeats smoke check", () => {
  it("counts states, ages and stalls from memory", () => {
    const c = DEFAULT_AGENT_CLASSES.development as AgentClass;
    const clock = fakeClock(at(40 * 60_000));
    const registry = createAgentRegistry();
    registry.load(
      [
        { ...memo(c), name: "ok-1", lastBeatAt: at(39 * 60_000) },
        { ...memo(c), name: "slow", stallLevel: "stalled" },
        { ...memo(c), name: "gone", stallLevel: "escalated" },
        { ...memo(c), name: "rest", status: "idle" },
      ],
      T0,
    );
    const v = agentViews({ registry, classOf, clock });
    assert.deepEqual(v.gaugeValues().byState, {
      ok: 1,
      stalled: 1,
      escalated: 1,
      paused: 0,
      idle: 1,
      done: 0,
    });
    assert.deepEqual(
      v.gaugeValues().ages.find(([n]) => n === "ok-1"),
      ["ok-1", 60],
    );
    const r = checkHeartbeats(v.stallFacts());
    assert.equal(r.status, "warning", "never critical: the escalation has its own incident");
    assert.match(r.detail, /1 escalated: gone \(40m\); 1 stalled: slow \(40m\) \(of 4\)/);
    const warnOnly = checkHeartbeats({ ...v.stallFacts(), escalated: [] });
    assert.equal(warnOnly.status, "warning");
    assert.deepEqual(checkHeartbeats({ total: 2, stalled: [], escalated: [] }), {
      name: "heartbeats",
      status: "ok",
      detail: "2 agents, none stalled",
    });
    assert.equal(checkHeartbeats({ total: 0, stalled: [], escalated: [] }).status, "skipped");
  });
});
