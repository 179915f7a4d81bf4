import { pgTable, text, timestamp } from "drizzle-orm/pg-core";

/**
 * Agent keys: the proxy key of an agent (an AI agent, identified by its name; the same name
 * it sends heartbeats under). Only the SHA-256 of the key is stored. The SQL table keeps its
 * name `agents`, as `/api/admin/agents` keeps its path, for API users.
 */
export const agentKeys = pgTable("agents", {
  id: text("id").primaryKey(),
  name: text("name").notNull().unique(),
  keyHash: text("key_hash").notNull().unique(),
  /** First characters of the key (`cp_ab12…`) so a person can tell keys apart. */
  keyPrefix: text("key_prefix").notNull(),
  createdAt: timestamp("created_at", { withTimezone: true }).notNull(),
  revokedAt: timestamp("revoked_at", { withTimezone: true }),
});

export type AgentKeyRow = typeof agentKeys.$inferSelect;
