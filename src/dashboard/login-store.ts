import { createHash, randomBytes } from "node:crypto";
import { and, eq, gt, isNull, lt } from "drizzle-orm";
import type { Db } from "../../db/client.ts";
import { dashboardLoginLinks, dashboardSessions } from "../../db/schema/index.ts";
import type { Clock } from "../types.ts";

/** How long a one-time login link stays redeemable: 10 minutes, in ms. */
export const LOGIN_LINK_TTL_MS = 10 * 60_000;

/** A secret handed to a person once; only its SHA-256 is stored. */
function newToken(): { token: string; hash: string } {
  const token = randomBytes(32).toString("base64url");
  return { token, hash: hashToken(token) };
}

/** SHA-256 (hex) of a link or session token, the form it is stored and looked up in. */
export function hashToken(token: string): string {
  return createHash("sha256").update(token, "utf8").digest("hex");
}

/** An issued secret and when it stops working. */
export interface IssuedToken {
  token: string;
  expiresAt: Date;
}

/** One-time login links and the browser sessions they open, in the database. */
export type LoginStore = ReturnType<typeof createLoginStore>;

/**
 * Builds the store. Tokens are 256-bit random, base64url; the database holds their SHA-256
 * only, so a leaked table opens nothing. Expired rows are swept whenever a new one is issued.
 */
export function createLoginStore(deps: { db: Db; clock: Clock; sessionTtlMs: number }) {
  const { db, clock } = deps;

  async function sweep(now: Date): Promise<void> {
    await db.delete(dashboardLoginLinks).where(lt(dashboardLoginLinks.expiresAt, now));
    await db.delete(dashboardSessions).where(lt(dashboardSessions.expiresAt, now));
  }

  return {
    /** Issues a login link token for `userId`, valid for {@link LOGIN_LINK_TTL_MS}. */
    async issueLink(userId: number): Promise<IssuedToken> {
      const now = clock.now();
      await sweep(now);
      const { token, hash } = newToken();
      const expiresAt = new Date(now.getTime() + LOGIN_LINK_TTL_MS);
      await db
        .insert(dashboardLoginLinks)
        .values({ tokenHash: hash, userId, createdAt: now, expiresAt });
      return { token, expiresAt };
    },

    /**
     * Redeems a link token: one atomic update marks it used only while it is unused and
     * unexpired, so of two concurrent redemptions exactly one gets the user id.
     * @returns the user id, or undefined for an unknown, used or expired token.
     */
    async redeemLink(token: string): Promise<number | undefined> {
      const now = clock.now();
      const t = dashboardLoginLinks;
      const [row] = await db
        .update(t)
        .set({ usedAt: now })
        .where(and(eq(t.tokenHash, hashToken(token)), isNull(t.usedAt), gt(t.expiresAt, now)))
        .returning({ userId: t.userId });
      return row?.userId;
    },

    /** Opens a browser session for `userId`, valid for the configured lifetime. */
    async openSession(userId: number): Promise<IssuedToken> {
      const now = clock.now();
      const { token, hash } = newToken();
      const expiresAt = new Date(now.getTime() + deps.sessionTtlMs);
      await db
        .insert(dashboardSessions)
        .values({ tokenHash: hash, userId, createdAt: now, expiresAt });
      return { token, expiresAt };
    },

    /** The user id of a live session, or undefined. */
    async sessionUser(token: string): Promise<number | undefined> {
      const t = dashboardSessions;
      const [row] = await db
        .select({ userId: t.userId })
        .from(t)
        .where(and(eq(t.tokenHash, hashToken(token)), gt(t.expiresAt, clock.now())));
      return row?.userId;
    },

    /** Ends a session (log out). */
    async closeSession(token: string): Promise<void> {
      await db.delete(dashboardSessions).where(eq(dashboardSessions.tokenHash, hashToken(token)));
    },
  };
}
