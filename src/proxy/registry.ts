import type { Logger } from "../logger.ts";
import type { BackendService, RuntimeBackend } from "./backend-service.ts";

/**
 * The proxy's in-memory view of the backends (the hot path reads backends from
 * memory, refreshed when the admin API or the bot changes them). Keys are decrypted here,
 * at reload time, never per request.
 */
export interface BackendRegistry {
  /** The current backends (a fresh array after each reload; never mutated in place). */
  all(): readonly RuntimeBackend[];
  /** One backend by id. */
  get(id: string): RuntimeBackend | undefined;
  /** Re-reads every backend from the database. */
  reload(): Promise<void>;
}

/** Builds the registry and subscribes it to backend changes. */
export async function createBackendRegistry(deps: {
  backends: BackendService;
  logger: Logger;
}): Promise<BackendRegistry> {
  let list: RuntimeBackend[] = [];
  let byId = new Map<string, RuntimeBackend>();
  const reload = async () => {
    list = await deps.backends.loadRuntime();
    byId = new Map(list.map((b) => [b.id, b]));
    deps.logger.debug({ backends: list.length }, "backend registry reloaded");
  };
  await reload();
  deps.backends.onChange(reload);
  return { all: () => list, get: (id) => byId.get(id), reload };
}
