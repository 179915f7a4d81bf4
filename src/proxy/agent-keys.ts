import { randomBytes } from "node:crypto";
import { asc, eq } from "drizzle-orm";
import { z } from "zod";
import type { Db } from "../../db/client.ts";
import { type AgentKeyRow, agentKeys } from "../../db/schema/index.ts";
import { InputError, NotFoundError } from "../errors.ts";
import { ulid } from "../ids.ts";
import type { Clock } from "../types.ts";
import { parseInput } from "../validation.ts";
import { hashProxyKey } from "./key-crypto.ts";

const createSchema = z.object({
  name: z
    .string()
    .regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, "1-63 characters: a-z 0-9 _ -")
    // Built-in agents (the triage model's `commandpost-triage`) account usage under these.
    .refine((n) => !n.startsWith("commandpost-"), "names starting with commandpost- are reserved"),
});

/** Verified keys remembered at most (see `verified` in {@link createAgentKeyService}). */
const MAX_VERIFIED = 10_000;

/** An agent key as the admin API lists it (never the key itself). */
export interface AgentKeyView {
  id: string;
  name: string;
  key_prefix: string;
  created_at: string;
  revoked_at: string | null;
}

/** The agent a valid proxy key belongs to. */
export interface AuthenticatedAgent {
  id: string;
  name: string;
}

/** Proxy keys for agents: issued once, stored as SHA-256, checked from memory. */
export type AgentKeyService = Awaited<ReturnType<typeof createAgentKeyService>>;

/**
 * Builds the agent key service and loads the active keys into memory.
 * Keys look like `cp_` + 32 base64url characters (192 bits).
 */
export async function createAgentKeyService({ db, clock }: { db: Db; clock: Clock }) {
  let byHash = new Map<string, AuthenticatedAgent>();
  /**
   * Keys already verified, as sent, → their agent: a request with a known key costs a map
   * lookup instead of a SHA-256. Only keys that matched an active hash get in (a guesser
   * cannot grow it), and it is replaced together with `byHash` on every reload, so a
   * revocation (which reloads, here or through the replicas' change feed) takes effect at
   * once.
   */
  let verified = new Map<string, AuthenticatedAgent>();
  const reload = async () => {
    const rows = await db.select().from(agentKeys);
    byHash = new Map(
      rows.filter((r) => !r.revokedAt).map((r) => [r.keyHash, { id: r.id, name: r.name }]),
    );
    verified = new Map();
  };
  await reload();

  return {
    reload,

    /**
     * Issues a proxy key. The key is in the answer only; it cannot be read back.
     * @throws InputError 400 on a bad name, 409 when the name is taken.
     */
    async create(body: unknown): Promise<AgentKeyView & { key: string }> {
      const { name } = parseInput(createSchema, body);
      const key = `cp_${randomBytes(24).toString("base64url")}`;
      const row = {
        id: ulid(),
        name,
        keyHash: hashProxyKey(key),
        keyPrefix: key.slice(0, 7),
        createdAt: clock.now(),
      };
      const inserted = await db.insert(agentKeys).values(row).onConflictDoNothing().returning();
      if (inserted.length === 0) {
        throw new InputError(`name: an agent named "${name}" exists`, {
          field: "name",
          statusCode: 409,
        });
      }
      await reload();
      return { ...toView({ ...row, revokedAt: null }), key };
    },

    /** All agent keys, revoked ones included. */
    async list(): Promise<AgentKeyView[]> {
      return (await db.select().from(agentKeys).orderBy(asc(agentKeys.name))).map(toView);
    },

    /** Revokes an agent's key at once. @throws NotFoundError */
    async revoke(id: string): Promise<AgentKeyView> {
      const [row] = await db
        .update(agentKeys)
        .set({ revokedAt: clock.now() })
        .where(eq(agentKeys.id, id))
        .returning();
      if (!row) throw new NotFoundError(`agent ${id}`);
      await reload();
      return toView(row);
    },

    /**
     * The agent owning `key`, or undefined. In memory, no I/O: a map lookup for a key seen
     * since the last reload, else one SHA-256.
     */
    authenticate(key: string): AuthenticatedAgent | undefined {
      const known = verified.get(key);
      if (known) return known;
      const agent = byHash.get(hashProxyKey(key));
      if (agent) {
        // Active keys are a handful per agent; the bound only guards against surprises.
        if (verified.size >= MAX_VERIFIED) verified.clear();
        verified.set(key, agent);
      }
      return agent;
    },
  };
}

function toView(r: AgentKeyRow): AgentKeyView {
  return {
    id: r.id,
    name: r.name,
    key_prefix: r.keyPrefix,
    created_at: r.createdAt.toISOString(),
    revoked_at: r.revokedAt ? r.revokedAt.toISOString() : null,
  };
}
