import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import {
  parseLabelSet,
  renderRouteDecision,
  renderRoutes,
} from "../../src/bot/views/routes-view.ts";
import { loadConfig } from "../../src/config.ts";
import { ConfigError } from "../../src/errors.ts";
import { createNotificationRouter } from "../../src/notifications/notification-router.ts";
import { loadRoutes } from "../../src/notifications/routes-config.ts";
import { ISSUE_ROUTES } from "../fixtures/notify-routes.ts";
import { plain } from "../helpers/telegram.ts";

const dir = mkdtempSync(join(tmpdir(), "cp-routes-"));
after(() => rmSync(dir, { recursive: true, force: true }));

const routerOf = (doc: unknown) =>
  createNotificationRouter({
    routes: loadRoutes({ NOTIFY_ROUTES: JSON.stringify(doc) }),
    alertChatIds: () => [1],
  });

/** The message of the ConfigError `fn` throws. */
function configError(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof ConfigError, String(err));
    return err.message;
  }
  assert.fail("expected a ConfigError");
}

describe("NOTIFY_ROUTES", () => {
  it("parses the documented JSON, chats with forum topics included", () => {
    const c = loadConfig({ NOTIFY_ROUTES: JSON.stringify(ISSUE_ROUTES) });
    const routes = c.notifications.routes;
    assert.ok(routes);
    assert.deepEqual(routes.receivers.get("oncall")?.chats, [
      { chatId: 424242, threadId: null },
      { chatId: -1001234567890, threadId: 42 },
    ]);
    assert.equal(routes.routes.length, 3);
    assert.equal(routes.routes[0]?.repeatIntervalMs, 7_200_000);
    assert.deepEqual(routes.routes[0]?.escalate, [{ afterMs: 900_000, receiver: "leads" }]);
    assert.equal(routes.routes[1]?.continue, true);
    assert.equal(routes.defaultReceiver, "oncall");
  });

  it("reads the same routes from a YAML file", () => {
    const file = join(dir, "routes.yaml");
    writeFileSync(
      file,
      [
        "receivers:",
        "  oncall: { chats: ['424242', '-1001234567890:42'] }",
        "  leads:",
        "    chats: ['515151']",
        "routes:",
        "  - match: ['kind=\"alert\"', 'severity=\"critical\"']",
        "    receiver: oncall",
        "    escalate: [{ after_s: 900, receiver: leads }]",
        "default_receiver: leads",
      ].join("\n"),
    );
    const r = loadConfig({ NOTIFY_ROUTES_FILE: file }).notifications.routes;
    assert.equal(r?.defaultReceiver, "leads");
    assert.equal(r?.routes[0]?.escalate[0]?.receiver, "leads");
  });

  it("without routes, everything goes to TELEGRAM_ALERT_CHAT_IDS", () => {
    const c = loadConfig({ TELEGRAM_ALERT_CHAT_IDS: "7,8" });
    assert.equal(c.notifications.routes, undefined);
    const r = createNotificationRouter({ routes: undefined, alertChatIds: () => [7, 8] });
    assert.deepEqual(
      r.route("digest", {}).chats.map((c) => c.chatId),
      [7, 8],
    );
  });

  it("stops the start with one line naming the route index and field", () => {
    const bad = structuredClone(ISSUE_ROUTES) as { routes: Record<string, unknown>[] };
    (bad.routes[1] as Record<string, unknown>).receiver = "nobody";
    assert.equal(
      configError(() => loadConfig({ NOTIFY_ROUTES: JSON.stringify(bad) })),
      'NOTIFY_ROUTES: routes[1].receiver: unknown receiver "nobody"',
    );
    const badEsc = structuredClone(ISSUE_ROUTES) as { routes: { escalate?: unknown }[] };
    (badEsc.routes[0] as { escalate: unknown }).escalate = [{ after_s: "soon", receiver: "leads" }];
    assert.match(
      configError(() => loadConfig({ NOTIFY_ROUTES: JSON.stringify(badEsc) })),
      /^NOTIFY_ROUTES: routes\[0\]\.escalate\[0\]\.after_s: /,
    );
    const badMatch = structuredClone(ISSUE_ROUTES) as { routes: { match: string[] }[] };
    (badMatch.routes[2] as { match: string[] }).match = ["kind"];
    assert.match(
      configError(() => loadConfig({ NOTIFY_ROUTES: JSON.stringify(badMatch) })),
      /^NOTIFY_ROUTES: routes\[2\]\.match\[0\]: "kind" is not a matcher/,
    );
    const badChat = structuredClone(ISSUE_ROUTES) as { receivers: { leads: { chats: string[] } } };
    badChat.receivers.leads.chats = ["@leads"];
    assert.match(
      configError(() => loadConfig({ NOTIFY_ROUTES: JSON.stringify(badChat) })),
      /^NOTIFY_ROUTES: receivers\.leads\.chats\[0\]: "@leads" is not <chat id>/,
    );
    assert.match(
      configError(() => loadConfig({ NOTIFY_ROUTES: "{ receivers:" })),
      /^NOTIFY_ROUTES: not JSON/,
    );
    assert.match(
      configError(() => loadConfig({ NOTIFY_ROUTES_FILE: join(dir, "missing.yaml") })),
      /^NOTIFY_ROUTES_FILE: cannot read .*missing\.yaml: ENOENT/,
    );
    assert.doesNotMatch(
      configError(() => loadConfig({ NOTIFY_ROUTES: JSON.stringify(bad) })),
      /\n/,
      "one line",
    );
  });

  it("routes first match wins, continue adds, default catches the rest", () => {
    const r = routerOf(ISSUE_ROUTES);
    const crit = r.route("alert", { severity: "critical", alertname: "X" });
    assert.deepEqual(
      crit.matches.map((m) => m.receiver),
      ["oncall"],
    );
    assert.deepEqual(crit.chats, [
      { chatId: 424242, threadId: null },
      { chatId: -1001234567890, threadId: 42 },
    ]);
    const warn = r.route("alert", { severity: "warning" });
    // Route 2 continues, but no later route matches: the warning goes to leads only (the
    // default receiver catches only what no route matched).
    assert.deepEqual(
      warn.matches.map((m) => [m.route?.index ?? null, m.receiver]),
      [[1, "leads"]],
    );
    assert.deepEqual(warn.chats, [{ chatId: 515151, threadId: null }]);
    assert.deepEqual(
      r.route("heal_plan", {}).chats.map((c) => c.chatId),
      [424242, -1001234567890],
    );
    assert.equal(r.route("digest", { report: "daily" }).matches[0]?.route, null, "default");
  });

  it("/routes renders the tree and where a pasted label set goes", () => {
    const r = routerOf(ISSUE_ROUTES);
    const tree = plain(renderRoutes(r));
    assert.match(
      tree,
      /1\. kind=alert severity=critical → oncall · repeat every 2h 0m · after 15m → leads/,
    );
    assert.match(tree, /2\. .*→ leads · continue/);
    assert.match(tree, /oncall: 424242, -1001234567890 topic 42/);
    const { kind, labels } = parseLabelSet('severity=critical alertname="Disk Full"');
    assert.equal(kind, "alert");
    const where = plain(renderRouteDecision(kind, labels, r.route(kind, labels)));
    assert.match(where, /route 1 → oncall: 424242, -1001234567890 topic 42/);
    assert.match(where, /unacknowledged 15m → leads/);
    assert.throws(() => parseLabelSet("severity"), /"severity" is not name=value/);
    assert.throws(() => parseLabelSet("kind=nope"), /kind must be one of/);
  });

  it("/routes shows each route's group_by", () => {
    const doc = structuredClone(ISSUE_ROUTES) as { routes: Record<string, unknown>[] };
    (doc.routes[0] as Record<string, unknown>).group_by = ["alertname", "job"];
    (doc.routes[1] as Record<string, unknown>).group_by = ["..."];
    const tree = plain(renderRoutes(routerOf(doc)));
    assert.match(tree, /1\. kind=alert severity=critical → oncall · group by alertname, job · /);
    assert.match(tree, /2\. .*→ leads · continue · group by every label \(no grouping\)/);
  });
});
