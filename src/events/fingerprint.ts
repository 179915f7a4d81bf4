import { createHash } from "node:crypto";

/**
 * A stable fingerprint for events that bring none: SHA-256 over source, type and the labels
 * sorted by name, first 16 hex characters (the length Alertmanager uses).
 */
export function computeFingerprint(
  source: string,
  type: string,
  labels: Record<string, string>,
): string {
  const h = createHash("sha256");
  h.update(source).update("\0").update(type);
  for (const name of Object.keys(labels).sort()) {
    h.update("\0")
      .update(name)
      .update("=")
      .update(labels[name] ?? "");
  }
  return h.digest("hex").slice(0, 16);
}
