import { and, desc, inArray, ne } from "drizzle-orm";
import type { DbOrTx } from "../../db/client.ts";
import { deliveries, type InlineKeyboard } from "../../db/schema/index.ts";

/** What the chat shows of one subject (or will, once the outbox is done). */
export interface ShownMessage {
  text: string;
  keyboard: InlineKeyboard | null;
}

/**
 * The newest text and keyboard queued for each of `subjects` (its last send or edit, not
 * superseded or dead), in one read, keyed by subject; subjects with nothing queued are absent.
 * Lets a caller skip an edit that changes nothing, which Telegram would refuse with
 * "message is not modified" and which would spend a paced call.
 */
export async function lastShown(
  subjects: readonly string[],
  tx: DbOrTx,
): Promise<Map<string, ShownMessage>> {
  const out = new Map<string, ShownMessage>();
  if (subjects.length === 0) return out;
  const rows = await tx
    .selectDistinctOn([deliveries.subject], {
      subject: deliveries.subject,
      text: deliveries.text,
      keyboard: deliveries.replyMarkup,
      status: deliveries.status,
    })
    .from(deliveries)
    .where(and(inArray(deliveries.subject, [...subjects]), ne(deliveries.status, "superseded")))
    .orderBy(deliveries.subject, desc(deliveries.id));
  for (const r of rows) {
    if (r.subject && r.status !== "dead")
      out.set(r.subject, { text: r.text, keyboard: r.keyboard });
  }
  return out;
}
