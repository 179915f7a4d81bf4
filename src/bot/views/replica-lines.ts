import type { ReplicaListing } from "../../replicas/membership.ts";
import type { Role } from "../../replicas/role-elector.ts";
import { escapeHtml, formatDuration } from "../../telegram-format.ts";

const ROLE_NAMES: Record<Role, string> = { telegram: "polls Telegram", watchdog: "watchdog" };

/**
 * The replicas section of /status: one line per live replica (host, pid, version, uptime,
 * roles), the answering one marked.
 */
export function renderReplicaLines(r: ReplicaListing): string[] {
  const lines = [`<b>Replicas</b> (${r.replicas.length} live)`];
  for (const v of r.replicas) {
    const up = formatDuration(v.lastSeenAt.getTime() - v.startedAt.getTime());
    const roles = v.roles.map((role) => ROLE_NAMES[role]).join(", ");
    lines.push(
      `${v.self ? "▸" : "•"} ${escapeHtml(v.host)}:${v.pid} v${escapeHtml(v.version)} · up ${up}` +
        `${roles ? ` · ${roles}` : ""}${v.self ? " (this one)" : ""}`,
    );
  }
  return lines;
}
