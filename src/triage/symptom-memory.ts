import { and, count, desc, eq, inArray, ne } from "drizzle-orm";
import type { Db } from "../../db/client.ts";
import {
  healPlans,
  type IncidentResolution,
  type IncidentRow,
  incidents,
} from "../../db/schema/index.ts";

/** A past incident with the same symptom, and how it ended. */
export interface SimilarIncident {
  id: string;
  title: string;
  status: IncidentRow["status"];
  openedAt: Date;
  acknowledgedBy: string | null;
  acknowledgedAt: Date | null;
  resolvedAt: Date | null;
  resolution: IncidentResolution | null;
  /** Heal plans proposed for it, newest first: kind, target, outcome, who decided. */
  plans: { kind: string; target: string; status: string; decidedBy: string | null }[];
}

/** What the memory knows about a symptom. */
export interface SymptomRecall {
  /** Incidents with this symptom, the asking one included. */
  seen: number;
  /** Past incidents with it (not the asking one), newest first. */
  similar: SimilarIncident[];
  /** The newest of them that is resolved, if any. */
  lastFix: SimilarIncident | undefined;
}

/** Similar incidents passed to a triage. */
const SIMILAR_LIMIT = 5;

/** Incidents by symptom key: "seen N times, last fixed by …" (src/triage/symptom.ts). */
export type SymptomMemory = ReturnType<typeof createSymptomMemory>;

/** Builds the symptom memory over `db`. */
export function createSymptomMemory(db: Db) {
  async function plansOf(ids: string[]) {
    if (ids.length === 0) return [];
    return db
      .select()
      .from(healPlans)
      .where(inArray(healPlans.incidentId, ids))
      .orderBy(desc(healPlans.createdAt));
  }

  async function recall(key: string, current: string | null): Promise<SymptomRecall> {
    const [n] = await db
      .select({ n: count() })
      .from(incidents)
      .where(eq(incidents.symptomKey, key));
    const rows = await db
      .select()
      .from(incidents)
      .where(and(eq(incidents.symptomKey, key), current ? ne(incidents.id, current) : undefined))
      .orderBy(desc(incidents.openedAt), desc(incidents.id))
      .limit(SIMILAR_LIMIT);
    const plans = await plansOf(rows.map((r) => r.id));
    const similar = rows.map((r) => ({
      id: r.id,
      title: r.title,
      status: r.status,
      openedAt: r.openedAt,
      acknowledgedBy: r.acknowledgedBy,
      acknowledgedAt: r.acknowledgedAt,
      resolvedAt: r.resolvedAt,
      resolution: r.resolution,
      plans: plans
        .filter((p) => p.incidentId === r.id)
        .map(({ kind, target, status, decidedBy }) => ({ kind, target, status, decidedBy })),
    }));
    const seen = Math.max(n?.n ?? 0, similar.length + (current ? 1 : 0));
    return { seen, similar, lastFix: similar.find((s) => s.status === "resolved") };
  }

  return {
    /**
     * What is known about symptom `key`: how often it was seen and the past incidents with
     * it (up to 5, with their plans), leaving out incident `current`.
     */
    recall,

    /** {@link recall} for each incident of a list that has a symptom key (for /incidents). */
    async recallMany(rows: readonly IncidentRow[]): Promise<Map<string, SymptomRecall>> {
      const out = new Map<string, SymptomRecall>();
      for (const r of rows) if (r.symptomKey) out.set(r.id, await recall(r.symptomKey, r.id));
      return out;
    },
  };
}
