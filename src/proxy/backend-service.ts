import { asc, eq } from "drizzle-orm";
import type { Db } from "../../db/client.ts";
import {
  type BackendModelRow,
  type BackendRow,
  backendModels,
  backends,
} from "../../db/schema/index.ts";
import { InputError, NotFoundError } from "../errors.ts";
import { ulid } from "../ids.ts";
import { type BackendState, type Clock, POOLS, type Pool } from "../types.ts";
import { parseInput } from "../validation.ts";
import { backendCreateSchema, backendPatchSchema, type ModelMapping } from "./backend-schema.ts";
import { type KeyCipher, maskSecret } from "./key-crypto.ts";
import type { ProxyApi } from "./proxy-apis.ts";

/** A backend as the admin API and the bot show it (snake_case, key masked). */
export interface BackendView {
  id: string;
  name: string;
  label: string;
  base_url: string;
  api_key: string;
  pool: Pool;
  rpm_limit: number;
  timeout_ms: number;
  enabled: boolean;
  state: BackendState;
  models: ModelMapping[];
  /** OpenAI APIs the backend serves. */
  apis: ProxyApi[];
  /** Whether streamed requests get `stream_options.include_usage` added. */
  inject_stream_usage: boolean;
  created_at: string;
  updated_at: string;
}

/** A backend as the proxy's hot path needs it: key already decrypted, models in a map. */
export interface RuntimeBackend {
  id: string;
  name: string;
  baseUrl: string;
  apiKey: string;
  pool: Pool;
  enabled: boolean;
  rpmLimit: number;
  timeoutMs: number;
  state: BackendState;
  /** canonical model name → mapping */
  models: Map<string, ModelMapping>;
  /** OpenAI APIs the backend serves. */
  apis: ReadonlySet<ProxyApi>;
  /** Whether streamed requests get `stream_options.include_usage` added. */
  injectStreamUsage: boolean;
}

/** Dependencies of {@link createBackendService}. */
export interface BackendServiceDeps {
  db: Db;
  clock: Clock;
  cipher: KeyCipher;
}

/** CRUD over backends; listeners hear every change (the proxy reloads its registry). */
export type BackendService = ReturnType<typeof createBackendService>;

/** Builds the backend service (README, Proxy; admin API `/api/admin/backends`). */
export function createBackendService({ db, clock, cipher }: BackendServiceDeps) {
  const listeners: (() => Promise<void> | void)[] = [];
  const changed = async () => {
    for (const l of listeners) await l();
  };

  async function loadAll(): Promise<{ row: BackendRow; models: BackendModelRow[] }[]> {
    const rows = (await db.select().from(backends).orderBy(asc(backends.name))).sort(
      (a, b) => POOLS.indexOf(a.pool) - POOLS.indexOf(b.pool),
    );
    const maps = await db.select().from(backendModels);
    return rows.map((row) => ({ row, models: maps.filter((m) => m.backendId === row.id) }));
  }

  async function loadOne(id: string) {
    const [row] = await db.select().from(backends).where(eq(backends.id, id));
    if (!row) throw new NotFoundError(`backend ${id}`);
    const models = await db.select().from(backendModels).where(eq(backendModels.backendId, id));
    return { row, models };
  }

  async function assertNameFree(name: string, exceptId?: string) {
    const [other] = await db
      .select({ id: backends.id })
      .from(backends)
      .where(eq(backends.name, name));
    if (other && other.id !== exceptId) {
      throw new InputError(`name: a backend named "${name}" exists`, {
        field: "name",
        statusCode: 409,
      });
    }
  }

  return {
    /** Registers a listener called after every change. */
    onChange(listener: () => Promise<void> | void): void {
      listeners.push(listener);
    },

    /**
     * Creates a backend from an admin API body.
     * @throws InputError 400 naming the field, 409 when the name is taken.
     */
    async create(body: unknown): Promise<BackendView> {
      const input = parseInput(backendCreateSchema, body);
      await assertNameFree(input.name);
      const now = clock.now();
      const id = ulid();
      await db.transaction(async (tx) => {
        await tx.insert(backends).values({
          id,
          name: input.name,
          label: input.label,
          baseUrl: input.base_url,
          apiKeyEnc: cipher.seal(input.api_key),
          apiKeyHint: maskSecret(input.api_key),
          pool: input.pool,
          enabled: input.enabled,
          rpmLimit: input.rpm_limit,
          timeoutMs: input.timeout_ms,
          apis: input.apis,
          injectStreamUsage: input.inject_stream_usage,
          createdAt: now,
          updatedAt: now,
        });
        await tx.insert(backendModels).values(input.models.map((m) => toModelRow(id, m)));
      });
      await changed();
      return this.get(id);
    },

    /** All backends, primary pool first, then by name. */
    async list(): Promise<BackendView[]> {
      return (await loadAll()).map(({ row, models }) => toView(row, models));
    },

    /** One backend. @throws NotFoundError */
    async get(id: string): Promise<BackendView> {
      const { row, models } = await loadOne(id);
      return toView(row, models);
    },

    /**
     * Applies a partial update; `models`, when given, replaces all mappings.
     * @throws InputError / NotFoundError
     */
    async update(id: string, body: unknown): Promise<BackendView> {
      const patch = parseInput(backendPatchSchema, body);
      await loadOne(id);
      if (patch.name !== undefined) await assertNameFree(patch.name, id);
      await db.transaction(async (tx) => {
        await tx
          .update(backends)
          .set({
            name: patch.name,
            label: patch.label,
            baseUrl: patch.base_url,
            pool: patch.pool,
            enabled: patch.enabled,
            rpmLimit: patch.rpm_limit,
            timeoutMs: patch.timeout_ms,
            apis: patch.apis,
            injectStreamUsage: patch.inject_stream_usage,
            ...(patch.api_key !== undefined && {
              apiKeyEnc: cipher.seal(patch.api_key),
              apiKeyHint: maskSecret(patch.api_key),
            }),
            updatedAt: clock.now(),
          })
          .where(eq(backends.id, id));
        if (patch.models) {
          await tx.delete(backendModels).where(eq(backendModels.backendId, id));
          await tx.insert(backendModels).values(patch.models.map((m) => toModelRow(id, m)));
        }
      });
      await changed();
      return this.get(id);
    },

    /** Deletes a backend and its mappings. @throws NotFoundError */
    async remove(id: string): Promise<void> {
      const deleted = await db
        .delete(backends)
        .where(eq(backends.id, id))
        .returning({ id: backends.id });
      if (deleted.length === 0) throw new NotFoundError(`backend ${id}`);
      await changed();
    },

    /** Records a probed health state (no change event: the registry updates in place). */
    async setState(id: string, state: BackendState): Promise<void> {
      await db.update(backends).set({ state }).where(eq(backends.id, id));
    },

    /** Every backend with its key decrypted, for the proxy registry (not the request path). */
    async loadRuntime(): Promise<RuntimeBackend[]> {
      return (await loadAll()).map(({ row, models }) => ({
        id: row.id,
        name: row.name,
        baseUrl: row.baseUrl,
        apiKey: cipher.open(row.apiKeyEnc),
        pool: row.pool,
        enabled: row.enabled,
        rpmLimit: row.rpmLimit,
        timeoutMs: row.timeoutMs,
        state: row.state,
        models: new Map(models.map((m) => [m.canonical, fromModelRow(m)])),
        apis: new Set(row.apis),
        injectStreamUsage: row.injectStreamUsage,
      }));
    },
  };
}

function toModelRow(backendId: string, m: ModelMapping) {
  return {
    backendId,
    canonical: m.canonical,
    native: m.native,
    inputCostPerToken: m.input_cost_per_token,
    outputCostPerToken: m.output_cost_per_token,
  };
}

function fromModelRow(m: BackendModelRow): ModelMapping {
  return {
    canonical: m.canonical,
    native: m.native,
    input_cost_per_token: m.inputCostPerToken,
    output_cost_per_token: m.outputCostPerToken,
  };
}

function toView(row: BackendRow, models: BackendModelRow[]): BackendView {
  return {
    id: row.id,
    name: row.name,
    label: row.label,
    base_url: row.baseUrl,
    api_key: row.apiKeyHint,
    pool: row.pool,
    rpm_limit: row.rpmLimit,
    timeout_ms: row.timeoutMs,
    enabled: row.enabled,
    state: row.state,
    models: models.map(fromModelRow).sort((a, b) => a.canonical.localeCompare(b.canonical)),
    apis: [...row.apis],
    inject_stream_usage: row.injectStreamUsage,
    created_at: row.createdAt.toISOString(),
    updated_at: row.updatedAt.toISOString(),
  };
}
