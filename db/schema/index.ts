export * from "./agents.ts";
export * from "./backends.ts";
export * from "./deliveries.ts";
export * from "./events.ts";
export * from "./incidents.ts";
export * from "./kv.ts";
export * from "./mutes.ts";
export * from "./proxy-usage.ts";
