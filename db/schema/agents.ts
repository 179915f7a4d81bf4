import { pgTable, text, timestamp } from "drizzle-orm/pg-core";

/** An agent allowed to call the proxy. Only the SHA-256 of its key is stored. */
export const agents = pgTable("agents", {
  id: text("id").primaryKey(),
  name: text("name").notNull().unique(),
  keyHash: text("key_hash").notNull().unique(),
  /** First characters of the key (`cp_ab12…`) so a person can tell keys apart. */
  keyPrefix: text("key_prefix").notNull(),
  createdAt: timestamp("created_at", { withTimezone: true }).notNull(),
  revokedAt: timestamp("revoked_at", { withTimezone: true }),
});

export type AgentRow = typeof agents.$inferSelect;
