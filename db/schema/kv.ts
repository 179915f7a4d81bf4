import { jsonb, pgTable, text, timestamp } from "drizzle-orm/pg-core";

/** Key-value rows for grammY sessions and conversation state (grammY's conversations plugin replays API calls through them). */
export const kv = pgTable("kv", {
  key: text("key").primaryKey(),
  value: jsonb("value").notNull(),
  updatedAt: timestamp("updated_at", { withTimezone: true }).notNull(),
});
