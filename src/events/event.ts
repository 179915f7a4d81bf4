import type { EventStatus, Severity } from "../types.ts";

/** A normalised event, as every ingest adapter produces it (DESIGN.md, Ingest). */
export interface EventInput {
  source: string;
  type: string;
  severity: Severity;
  status: EventStatus;
  title: string;
  summary: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  /** Alertmanager's own, else {@link computeFingerprint}. */
  fingerprint: string;
  generatorUrl: string | null;
  occurredAt: Date;
}
