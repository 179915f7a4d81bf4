import { bigint, index, pgTable, text, timestamp } from "drizzle-orm/pg-core";

/**
 * One-time dashboard login links (src/dashboard/login-store.ts). Only the SHA-256 of the
 * link's token is kept; a link is redeemed once, by the update that sets `used_at`.
 */
export const dashboardLoginLinks = pgTable(
  "dashboard_login_links",
  {
    tokenHash: text("token_hash").primaryKey(),
    /** The Telegram user id of the admin who asked for the link. */
    userId: bigint("user_id", { mode: "number" }).notNull(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull(),
    expiresAt: timestamp("expires_at", { withTimezone: true }).notNull(),
    usedAt: timestamp("used_at", { withTimezone: true }),
  },
  (t) => [index("dashboard_login_links_expires_idx").on(t.expiresAt)],
);

/** Browser sessions opened by a login link; the cookie carries the token, this row its hash. */
export const dashboardSessions = pgTable(
  "dashboard_sessions",
  {
    tokenHash: text("token_hash").primaryKey(),
    userId: bigint("user_id", { mode: "number" }).notNull(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull(),
    expiresAt: timestamp("expires_at", { withTimezone: true }).notNull(),
  },
  (t) => [index("dashboard_sessions_expires_idx").on(t.expiresAt)],
);
