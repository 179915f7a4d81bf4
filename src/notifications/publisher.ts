import type { DbOrTx } from "../../db/client.ts";
import type { RenderedMessage } from "../events/alert-message.ts";
import type { OutboxRepository } from "../outbox/outbox-repository.ts";
import type { Clock } from "../types.ts";
import type { Notification } from "./notification.ts";
import { type ChatTarget, targetKey } from "./notification-router.ts";
import { renderNotification } from "./views.ts";

/** Where and how one notification is delivered. */
export interface DeliveryPlan {
  /** The chats (and forum topics) it goes to, as routed by the caller. */
  chats: readonly ChatTarget[];
  /**
   * Base of the outbox dedup keys: each message's key is `<dedupBase>:<chat>[:<topic>]`, so
   * publishing the same notification again sends nothing new.
   */
  dedupBase: string;
  /** Later edits of `subject` reach these messages (outbox subjects: `plan:<id>` and so on). */
  subject?: string;
  /** Sent without a sound (Telegram's `disable_notification`). */
  silent: boolean;
}

/** Renders notifications and writes their outbox deliveries. */
export interface Publisher {
  /**
   * Renders `n` (./views.ts) and queues one message per chat of `plan`, through `tx` when
   * given (the caller's transaction) or in one transaction of its own. Returns what was
   * rendered. The caller wakes the outbox worker after its commit.
   */
  publish(n: Notification, plan: DeliveryPlan, tx?: DbOrTx): Promise<RenderedMessage>;
  /**
   * Renders `n` and brings every message of `subject` to it (edits coalesce in the outbox;
   * a send not yet made takes the new text instead), through `tx`.
   */
  update(n: Notification, subject: string, tx: DbOrTx): Promise<RenderedMessage>;
}

/** Builds the {@link Publisher} over the outbox. */
export function createPublisher(deps: {
  outbox: Pick<OutboxRepository, "enqueue" | "editSubject">;
  clock: Clock;
}): Publisher {
  return {
    async publish(n, plan, tx) {
      const msg = renderNotification(n);
      const now = deps.clock.now();
      for (const c of plan.chats) {
        await deps.outbox.enqueue(
          {
            chatId: c.chatId,
            threadId: c.threadId,
            text: msg.text,
            keyboard: msg.keyboard,
            subject: plan.subject,
            dedupKey: `${plan.dedupBase}:${targetKey(c)}`,
            disableNotification: plan.silent,
          },
          now,
          tx,
        );
      }
      return msg;
    },

    async update(n, subject, tx) {
      const msg = renderNotification(n);
      await deps.outbox.editSubject(subject, msg.text, msg.keyboard, deps.clock.now(), tx);
      return msg;
    },
  };
}
