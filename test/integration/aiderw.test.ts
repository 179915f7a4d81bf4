import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { shQuote } from "../../src/aiderw/launch.ts";
import { storedEvents, storedSession, storedTouches } from "../helpers/aider-session.ts";
import {
  AIDER_WATCH,
  allText,
  blackhole,
  closedPort,
  FAKE_AIDER,
  GIT_ENV,
  headSha,
  linkedAiderw,
  makeRepo,
  type ProcResult,
  readEvents,
  runProc,
  sessionFiles,
  sessionIds,
  stats,
} from "../helpers/aiderw.ts";
import { INGEST_TOKEN, startTestApp, type TestApp } from "../helpers/app.ts";
import { testDatabases } from "../helpers/db.ts";

const MODEL_ARGS = ["--model", "openrouter/openrouter/elephant-alpha"];
const SECRET = `sk-or-v1-${"0123456789abcdef".repeat(4)}`;
const temps: string[] = [];
const temp = (prefix: string) => {
  const d = mkdtempSync(join(tmpdir(), prefix));
  temps.push(d);
  return d;
};
const repo = () => {
  const d = makeRepo();
  temps.push(d);
  return d;
};
after(() => {
  for (const d of temps) rmSync(d, { recursive: true, force: true });
});

/** The environment of a user's shell: PATH, a fixed git identity, the fake aider. */
const userEnv = (extra: Record<string, string> = {}): NodeJS.ProcessEnv => ({
  PATH: process.env.PATH,
  HOME: temp("aiderw-home-"),
  LANG: "C.UTF-8",
  ...GIT_ENV,
  AIDER_BIN: FAKE_AIDER,
  ...extra,
});

const link = linkedAiderw();
after(() => link.cleanup());

/** `aiderw args…` through its symlink, in `cwd` (not the checkout). */
const aiderw = (cwd: string, env: NodeJS.ProcessEnv, args = MODEL_ARGS, input?: string) =>
  runProc(link.aiderw, args, { cwd, env, ...(input !== undefined && { input }) });
/** `aider-watch cmd…`. */
const watch = (env: NodeJS.ProcessEnv, ...args: string[]) =>
  runProc(AIDER_WATCH, args, { cwd: tmpdir(), env });
const text = (r: ProcResult) => `${r.stdout.toString()}${r.stderr.toString()}`;
/** Files in the buffer directory (0 when it was never made). */
const bufferCount = (home: string) => {
  try {
    return readdirSync(join(home, "buffer")).length;
  } catch {
    return 0;
  }
};

for (const kind of testDatabases()) {
  describe(`aiderw against the real server on ${kind.name}`, () => {
    let t: TestApp;
    before(async () => {
      t = await startTestApp(await kind.open());
    });
    after(async () => t.stop());

    const serverEnv = (home: string, extra: Record<string, string> = {}) =>
      userEnv({
        COMMANDPOST_URL: t.url,
        COMMANDPOST_INGEST_TOKEN: INGEST_TOKEN,
        AIDERW_HOME: home,
        // A cold PGlite may take a moment; the bound itself is measured in the suite below.
        AIDERW_END_WAIT_MS: "5000",
        ...extra,
      });
    const db = () => t.app.database.db;
    const session = async (id: string) =>
      (await storedSession(db(), id)) ?? assert.fail(`session ${id} not stored`);
    const events = (id: string) => storedEvents(db(), id);
    const touches = (id: string) => storedTouches(db(), id);

    it("passes aider's stdout, stderr and exit code through unchanged", async () => {
      const cases: Array<[string, Record<string, string>, number]> = [
        ["a session", {}, 0],
        ["an auth failure", { FAKE_AIDER_SCENARIO: "auth-error" }, 1],
        ["exit code 3", { FAKE_AIDER_EXIT: "3" }, 3],
        ["death by SIGTERM", { FAKE_AIDER_SIGNAL: "TERM" }, 128 + 15],
      ];
      for (const [name, extra, code] of cases) {
        const env = serverEnv(temp("aiderw-h-"), extra);
        const direct = await runProc(FAKE_AIDER, MODEL_ARGS, { cwd: repo(), env });
        const wrapped = await aiderw(repo(), env);
        assert.ok(direct.stdout.length > 100, name);
        assert.deepEqual(wrapped.stdout, direct.stdout, `${name}: stdout`);
        assert.deepEqual(wrapped.stderr, direct.stderr, `${name}: stderr`);
        assert.equal(wrapped.code, code, name);
        assert.equal(direct.code ?? 128 + (direct.signal === "SIGTERM" ? 15 : 0), code, name);
      }
    });

    it("gives aider exactly its arguments, with or without a terminal", async () => {
      const args = [
        "--model",
        "x",
        "--message",
        `it's "quoted" $HOME \`id\` ; * \\ end`,
        "",
        "  two  spaces ",
      ];
      const argv = (file: string) => readFileSync(file, "utf8").split("\0").slice(0, -1);
      const piped = join(temp("aiderw-argv-"), "argv");
      const r = await aiderw(
        repo(),
        serverEnv(temp("aiderw-h-"), { FAKE_AIDER_ARGV: piped }),
        args,
      );
      assert.equal(r.code, 0);
      assert.deepEqual(argv(piped), args);
      const tty = join(temp("aiderw-argv-"), "argv");
      const cmd = [link.aiderw, ...args].map(shQuote).join(" ");
      const env = serverEnv(temp("aiderw-h-"), { FAKE_AIDER_ARGV: tty });
      const p = await runProc("script", ["-qec", cmd, "/dev/null"], {
        cwd: repo(),
        env,
        input: "/exit\n",
      });
      assert.equal(p.code, 0, p.stdout.toString());
      assert.deepEqual(argv(tty), args);
    });

    it("passes a SIGTERM on to aider and records how it ended", async () => {
      const home = temp("aiderw-h-");
      // aider sleeps 30 s; passing the signal on ends it at once. Measured from the kill, so
      // a slow start on a busy machine does not count.
      const env = serverEnv(home, { FAKE_AIDER_SILENT_S: "30" });
      const child = spawn(link.aiderw, MODEL_ARGS, {
        cwd: repo(),
        env,
        stdio: ["ignore", "pipe", "pipe"],
      });
      let out = "";
      let killedAt: number | undefined;
      child.stdout.on("data", (c: Buffer) => {
        out += c.toString();
        if (killedAt === undefined && out.includes("Added tests/test_auth.py to the chat.")) {
          killedAt = performance.now();
          child.kill("SIGTERM");
        }
      });
      const code = await new Promise<number | null>((r) => child.on("close", (c) => r(c)));
      assert.equal(code, 128 + 15);
      assert.ok(killedAt !== undefined, "aider's output reached the wrapper before the kill");
      assert.ok(performance.now() - killedAt < 15_000, "did not wait for aider's sleep to end");
      const s = await session(sessionIds(home)[0] ?? "");
      assert.equal(s.exitCode, 143);
    });

    it("records the session: tokens, cost, files, commit, error, exit code", async () => {
      const home = temp("aiderw-h-");
      const dir = repo();
      const r = await aiderw(dir, serverEnv(home));
      assert.equal(r.code, 0, text(r));
      const [sid] = sessionIds(home);
      assert.ok(sid);
      const s = await session(sid);
      assert.equal(s.tokensSent, 12000);
      assert.equal(s.tokensRecv, 1400);
      assert.equal(s.costUsd, 0.0031);
      assert.equal(s.filesChanged, 2);
      assert.equal(s.errorCount, 1);
      assert.equal(s.exitCode, 0);
      assert.equal(s.model, "openrouter/openrouter/elephant-alpha");
      assert.equal(s.cliVersion, "0.86.2");
      assert.equal(realpathSync(s.cwd ?? ""), realpathSync(dir));
      assert.deepEqual(s.aiderArgs, MODEL_ARGS);
      assert.ok(s.endedAt && s.durationSec !== null);
      assert.deepEqual(
        (await touches(sid)).map((f) => [f.path, f.linesAdded, f.linesDeleted, f.isNewFile]),
        [
          ["routes/auth.py", 4, 1, false],
          ["tests/test_auth.py", 4, 0, false],
        ],
      );
      const stored = await events(sid);
      const commit = stored.find((e) => e.type === "commit");
      assert.equal(commit?.payload.sha, headSha(dir));
      assert.deepEqual(commit?.payload.files, ["routes/auth.py", "tests/test_auth.py"]);
      assert.equal(commit?.payload.author, "Dev <dev@example.com>");
      const error = stored.find((e) => e.type === "error");
      assert.equal(error?.payload.kind, "api_rate_limit");
      const edit = stored.find(
        (e) => e.type === "file_edit" && e.payload.path === "routes/auth.py",
      );
      assert.match(
        String(edit?.payload.diff_head),
        /^@@ -2 \+2,4 @@.*\n- {4}token = .*\n\+ {4}header = /,
      );
      assert.equal(
        typeof stored.find((e) => e.type === "session_start")?.payload.aider_pid,
        "number",
      );
      // Everything sent; the session file holds the same events.
      const logged = readEvents(sessionFiles(home)[0] ?? "");
      assert.deepEqual(
        stored.map((e) => e.id),
        logged.map((e) => e.id),
      );
      assert.equal(bufferCount(home), 0);
    });

    it("records an auth failure as an api_auth error with aider's exit code", async () => {
      const home = temp("aiderw-h-");
      const r = await aiderw(repo(), serverEnv(home, { FAKE_AIDER_SCENARIO: "auth-error" }));
      assert.equal(r.code, 1);
      const [sid] = sessionIds(home);
      const s = await session(sid ?? "");
      assert.equal(s.exitCode, 1);
      assert.equal(s.errorCount, 1);
      assert.equal(s.filesChanged, 0);
      const kinds = (await events(sid ?? ""))
        .filter((e) => e.type === "error")
        .map((e) => e.payload.kind);
      assert.deepEqual(kinds, ["api_auth"]);
    });

    it("runs interactive aider in a terminal: aider sees one and gets the user's lines", async () => {
      const home = temp("aiderw-h-");
      const env = serverEnv(home, { FAKE_AIDER_EXIT: "5" });
      // `script` gives aiderw a terminal on stdin and stdout, as a user's shell would.
      const r = await runProc(
        "script",
        ["-qec", `${shQuote(link.aiderw)} --model x`, "/dev/null"],
        {
          cwd: repo(),
          env,
          input: "hello\n/exit\n",
        },
      );
      const out = r.stdout.toString();
      assert.equal(r.code, 5, out);
      // Two terminals are stacked here (the test's `script` and aiderw's own): whether the
      // outer one still adds a CR of its own depends on when the inner `script` switched it to
      // raw mode, so a line may end in CR CR LF. Either way the line came through a terminal.
      assert.match(out, /fake-aider: stdin is a terminal\r+\n/);
      assert.match(out, /fake-aider: stdout is a terminal\r+\n/);
      assert.match(out, /you said: hello\r+\n/);
      assert.match(out, /Tokens: 12k sent, 1\.4k received\./);
      const s = await session(sessionIds(home)[0] ?? "");
      assert.equal(s.model, "openrouter/openrouter/elephant-alpha");
      assert.equal(s.tokensSent, 12000);
      assert.equal(s.exitCode, 5);
    });

    it("a ^C typed in the terminal reaches aider, and the watch records how it ended", async () => {
      const home = temp("aiderw-h-");
      const child = spawn("script", ["-qec", `${shQuote(link.aiderw)} --model x`, "/dev/null"], {
        cwd: repo(),
        env: serverEnv(home),
        stdio: ["pipe", "pipe", "inherit"],
      });
      let out = "";
      const waitFor = (s: string) =>
        new Promise<void>((resolve) => {
          const check = () => out.includes(s) && resolve();
          child.stdout.on("data", (c: Buffer) => {
            out += c.toString();
            check();
          });
          check();
        });
      await waitFor("fake-aider: stdout is a terminal");
      child.stdin.write("hello\n");
      await waitFor("you said: hello");
      child.stdin.write("\x03");
      const code = await new Promise<number | null>((r) => child.on("close", (c) => r(c)));
      assert.equal(code, 130, out);
      const s = await session(sessionIds(home)[0] ?? "");
      assert.equal(s.exitCode, 130);
    });

    it("reports a silence once, with the output before it", async () => {
      const home = temp("aiderw-h-");
      const env = serverEnv(home, { AIDERW_SILENT_S: "0.5", FAKE_AIDER_SILENT_S: "1.8" });
      const r = await aiderw(repo(), env);
      assert.equal(r.code, 0);
      const silences = (await events(sessionIds(home)[0] ?? "")).filter(
        (e) => e.type === "silent_timeout",
      );
      assert.equal(silences.length, 1);
      assert.ok(Number(silences[0]?.payload.idle_sec) >= 0.5);
      assert.match(
        String(silences[0]?.payload.last_output_tail),
        /Added tests\/test_auth\.py to the chat\.\n$/,
      );
    });

    it("keeps a secret aider prints out of the server, the buffer, the session file and the log", async () => {
      const args = [...MODEL_ARGS, "--api-key", `openrouter=${SECRET}`];
      const body = SECRET.slice(12);
      const home = temp("aiderw-h-");
      const up = await aiderw(repo(), serverEnv(home, { FAKE_AIDER_SECRET: SECRET }), args);
      assert.match(
        up.stdout.toString(),
        new RegExp(`OPENROUTER_API_KEY=${SECRET}`),
        "aider's output is untouched",
      );
      assert.match(up.stderr.toString(), new RegExp(`Bearer ${SECRET}`));
      const sid = sessionIds(home)[0] ?? "";
      const stored = JSON.stringify(await events(sid));
      assert.match(
        stored,
        /OPENROUTER_API_KEY=sk-or-v1-<redacted>/,
        "the raw chunk was stored, redacted",
      );
      assert.match(stored, /Bearer <redacted>/);
      assert.match(stored, /openrouter=<redacted>/);
      assert.ok(!stored.includes(body));
      assert.ok(!allText(home).includes(body));

      const downHome = temp("aiderw-h-");
      const downEnv = serverEnv(downHome, {
        FAKE_AIDER_SECRET: SECRET,
        COMMANDPOST_URL: `http://127.0.0.1:${await closedPort()}`,
      });
      const down = await aiderw(repo(), downEnv, args);
      assert.equal(down.code, 0);
      assert.ok(bufferCount(downHome) > 0, "events were buffered");
      assert.match(allText(join(downHome, "buffer")), /sk-or-v1-<redacted>/);
      assert.ok(!allText(downHome).includes(body));
    });

    it("replays a session without duplicating anything", async () => {
      const home = temp("aiderw-h-");
      await aiderw(repo(), serverEnv(home));
      const sid = sessionIds(home)[0] ?? "";
      const before = {
        s: await session(sid),
        e: (await events(sid)).length,
        f: (await touches(sid)).length,
      };
      for (let i = 0; i < 2; i++) {
        const r = await watch(serverEnv(home), "replay", sid);
        assert.equal(r.code, 0, text(r));
        assert.match(
          r.stdout.toString(),
          new RegExp(`${before.e} of ${before.e} event\\(s\\) accepted`),
        );
      }
      const s = await session(sid);
      assert.equal((await events(sid)).length, before.e);
      assert.equal((await touches(sid)).length, before.f);
      assert.deepEqual(
        [s.errorCount, s.filesChanged, s.tokensSent, s.costUsd, s.exitCode],
        [
          before.s.errorCount,
          before.s.filesChanged,
          before.s.tokensSent,
          before.s.costUsd,
          before.s.exitCode,
        ],
      );
      const bad = await watch(serverEnv(home), "replay", "01ARZ3NDEKTSV4RRFFQ69G5FAV");
      assert.equal(bad.code, 1);
      assert.match(bad.stderr.toString(), /no session file/);
    });

    it("doctor names a wrong token, an unreachable server and rejected events", async () => {
      const home = temp("aiderw-h-");
      const ok = await watch(serverEnv(home), "doctor");
      assert.equal(ok.code, 0, text(ok));
      assert.match(
        ok.stdout.toString(),
        /OK\s+server\s+http:\/\/127\.0\.0\.1:\d+ answers \/healthz/,
      );
      assert.match(ok.stdout.toString(), /OK\s+token\s+the server accepts/);
      assert.match(ok.stdout.toString(), /OK\s+disk\s+\d+ MiB free/);

      const wrong = await watch(
        serverEnv(home, { COMMANDPOST_INGEST_TOKEN: "not-the-token" }),
        "doctor",
      );
      assert.equal(wrong.code, 1);
      assert.match(
        wrong.stdout.toString(),
        /FAIL\s+token\s+the server refuses COMMANDPOST_INGEST_TOKEN \(HTTP 401\)/,
      );

      const port = await closedPort();
      const down = await watch(
        serverEnv(home, { COMMANDPOST_URL: `http://127.0.0.1:${port}` }),
        "doctor",
      );
      assert.equal(down.code, 1);
      assert.match(
        down.stdout.toString(),
        new RegExp(
          `FAIL\\s+server\\s+server unreachable at http://127.0.0.1:${port}: .*ECONNREFUSED`,
        ),
      );

      writeFileSync(
        join(home, "rejected.jsonl"),
        '{"error":"HTTP 400: payload.kind","event":{}}\n',
      );
      const rejected = await watch(serverEnv(home), "doctor");
      assert.equal(rejected.code, 1);
      assert.match(
        rejected.stdout.toString(),
        /FAIL\s+rejected\s+1 event\(s\) refused by the server as bad/,
      );
    });

    it("flush keeps events the server refuses as bad aside and delivers the rest", async () => {
      const home = temp("aiderw-h-");
      mkdirSync(join(home, "buffer"));
      const sid = "01KAAAAAAAAAAAAAAAAAAAAAAA";
      const good = {
        id: "01KAAAAAAAAAAAAAAAAAAAAAAB",
        ts: "2026-04-19T22:05:33.000+08:00",
        session_id: sid,
        type: "session_start",
        payload: {
          cwd: "/r",
          model: "m",
          aider_args: [],
          aider_pid: 1,
          cli_version: "0.86.2",
          host: "h",
        },
      };
      const bad = {
        ...good,
        id: "01KAAAAAAAAAAAAAAAAAAAAAAC",
        type: "error",
        payload: { kind: "weird" },
      };
      writeFileSync(
        join(home, "buffer", "pending-01KAAAAAAAAAAAAAAAAAAAAAAD.jsonl"),
        `${JSON.stringify(good)}\n${JSON.stringify(bad)}\nnot json\n`,
      );
      const r = await watch(serverEnv(home), "flush");
      assert.equal(r.code, 1);
      assert.match(r.stdout.toString(), /flush: 1 sent, 2 rejected, 0 left/);
      const rejected = readFileSync(join(home, "rejected.jsonl"), "utf8")
        .split("\n")
        .filter(Boolean)
        .map((l) => JSON.parse(l));
      assert.deepEqual(
        rejected.map((x) => [x.error, x.event?.id ?? x.event]),
        [
          ["unreadable buffer line", "not json"],
          [
            "HTTP 400: 0.payload.kind: expected api_rate_limit, api_auth, build_fail or unknown",
            bad.id,
          ],
        ],
      );
      assert.equal((await events(sid)).length, 1);
      assert.equal(bufferCount(home), 0);
      const again = await watch(serverEnv(home), "flush");
      assert.equal(again.code, 0, text(again));
      assert.match(again.stdout.toString(), /flush: 0 sent, 0 rejected, 0 left/);
    });
  });
}

describe("aiderw when the server is down or hangs", () => {
  let t: TestApp;
  let hole: Awaited<ReturnType<typeof blackhole>>;
  before(async () => {
    t = await startTestApp(await (testDatabases()[0] ?? assert.fail()).open());
    hole = await blackhole();
  });
  after(async () => {
    await hole.stop();
    await t.stop();
  });

  /** Production settings: the default send timeout and end wait. */
  const env = (url: string, home: string) =>
    userEnv({ COMMANDPOST_URL: url, COMMANDPOST_INGEST_TOKEN: INGEST_TOKEN, AIDERW_HOME: home });
  const sent = (r: ProcResult) => Number(/flush: (\d+) sent/.exec(r.stdout.toString())?.[1] ?? NaN);
  const bufferedEvents = (home: string) =>
    allText(join(home, "buffer")).split("\n").filter(Boolean).length;
  /** Each session of `home` is stored once: its events as in its file, its totals right. */
  const assertStoredOnce = async (home: string) => {
    for (const file of sessionFiles(home)) {
      const logged = readEvents(file);
      const sid = logged[0]?.session_id ?? "";
      const db = t.app.database.db;
      assert.deepEqual(
        (await storedEvents(db, sid)).map((e) => e.id),
        logged.map((e) => e.id),
      );
      const s = await storedSession(db, sid);
      assert.deepEqual(
        [s?.tokensSent, s?.costUsd, s?.errorCount, s?.filesChanged, s?.exitCode],
        [12000, 0.0031, 1, 2, 0],
      );
      assert.equal((await storedTouches(db, sid)).length, 2);
    }
  };

  it("takes no longer than with the server up, and a later flush records each session once", async (ctx) => {
    const upHome = temp("aiderw-up-");
    const downHome = temp("aiderw-down-");
    const closed = `http://127.0.0.1:${await closedPort()}`;
    await aiderw(repo(), env(t.url, upHome)); // warm-up: tsx cache, first queries
    const times: Record<string, number[]> = { direct: [], up: [], closed: [], blackholed: [] };
    for (let i = 0; i < 3; i++) {
      const d = await runProc(FAKE_AIDER, MODEL_ARGS, { cwd: repo(), env: env(t.url, upHome) });
      times.direct?.push(d.ms);
      for (const [name, url, home] of [
        ["up", t.url, upHome],
        ["closed", closed, downHome],
        ["blackholed", hole.url, downHome],
      ] as const) {
        const r = await aiderw(repo(), env(url, home));
        assert.equal(r.code, 0, `${name}: ${text(r)}`);
        assert.deepEqual(r.stdout, d.stdout, name);
        times[name]?.push(r.ms);
      }
    }
    const figures = Object.entries(times).map(([name, ms]) => {
      const s = stats(ms);
      return `${name.padEnd(10)} median ${s.median.toFixed(0).padStart(5)} ms  max ${s.max.toFixed(0).padStart(5)} ms`;
    });
    ctx.diagnostic(`wall time, 3 runs each:\n${figures.join("\n")}`);
    console.log(`aiderw wall time, 3 runs each:\n${figures.join("\n")}`);
    const up = stats(times.up ?? []).median;
    assert.ok(stats(times.closed ?? []).median <= up + 1000, figures.join("\n"));
    assert.ok(stats(times.blackholed ?? []).median <= up + 1000, figures.join("\n"));
    assert.ok(hole.connections() > 0, "the hung server was really tried");

    // Nothing of the down sessions reached the server; all of it is in the buffer.
    const downIds = sessionIds(downHome);
    assert.equal(downIds.length, 6);
    for (const sid of downIds) {
      assert.equal(await storedSession(t.app.database.db, sid), undefined);
    }
    const buffered = bufferedEvents(downHome);
    const logged = sessionFiles(downHome).reduce((n, f) => n + readEvents(f).length, 0);
    assert.equal(buffered, logged);

    const flushes: number[] = [];
    for (let i = 0; i < 3; i++) {
      const r = await watch(env(t.url, downHome), "flush");
      assert.equal(r.code, 0, text(r));
      flushes.push(sent(r));
    }
    assert.deepEqual(flushes, [buffered, 0, 0]);
    assert.equal(bufferCount(downHome), 0);
    await assertStoredOnce(downHome);
    await assertStoredOnce(upHome);
  });

  it("two flushes at once send each buffered event once", async () => {
    const home = temp("aiderw-down-");
    const closed = `http://127.0.0.1:${await closedPort()}`;
    for (let i = 0; i < 4; i++) assert.equal((await aiderw(repo(), env(closed, home))).code, 0);
    const buffered = bufferedEvents(home);
    const [a, b] = await Promise.all([
      watch(env(t.url, home), "flush"),
      watch(env(t.url, home), "flush"),
    ]);
    assert.equal(a?.code, 0, text(a as ProcResult));
    assert.equal(b?.code, 0, text(b as ProcResult));
    assert.equal(sent(a as ProcResult) + sent(b as ProcResult), buffered);
    assert.equal(bufferCount(home), 0);
    await assertStoredOnce(home);
  });

  it("the next session with the server up sends what the last one buffered", async () => {
    const home = temp("aiderw-down-");
    const closed = `http://127.0.0.1:${await closedPort()}`;
    assert.equal((await aiderw(repo(), env(closed, home))).code, 0);
    assert.ok(bufferedEvents(home) > 0);
    // A silence keeps this session open while its background flush runs.
    const r = await aiderw(repo(), { ...env(t.url, home), FAKE_AIDER_SILENT_S: "1" });
    assert.equal(r.code, 0);
    assert.equal(bufferCount(home), 0);
    await assertStoredOnce(home);
  });

  it("never stands between the user and aider: a broken AIDERW_HOME, a missing aider", async () => {
    const file = join(temp("aiderw-x-"), "a-file");
    writeFileSync(file, "");
    const broken = env(t.url, join(file, "home"));
    const direct = await runProc(FAKE_AIDER, MODEL_ARGS, { cwd: repo(), env: broken });
    const wrapped = await aiderw(repo(), broken);
    assert.equal(wrapped.code, 0);
    assert.deepEqual(wrapped.stdout, direct.stdout);
    assert.deepEqual(wrapped.stderr, direct.stderr);

    const missing = await aiderw(repo(), {
      ...env(t.url, temp("aiderw-h-")),
      AIDER_BIN: "/nonexistent/aider",
    });
    assert.equal(missing.code, 127);
    assert.match(missing.stderr.toString(), /aiderw: cannot run aider: .*ENOENT/);
  });
});
