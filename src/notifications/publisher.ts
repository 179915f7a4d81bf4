import type { DbOrTx } from "../../db/client.ts";
import type { OutboxRepository } from "../outbox/outbox-repository.ts";
import type { NewMessage } from "../outbox/outbox-writes.ts";
import type { Clock } from "../types.ts";
import type { Notification, RenderedMessage } from "./notification.ts";
import { type ChatTarget, targetKey } from "./notification-router.ts";
import { renderNotification } from "./render.ts";

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

/** One subject brought up to date by {@link Publisher.updateMany}. */
export interface SubjectUpdate {
  /** What the messages of `subject` must now show. */
  n: Notification;
  /** Outbox subject (`alert:<id>`, `group:<id>`, …). */
  subject: string;
  /**
   * The subject is over (an alert resolved): a send not yet made is dropped instead of
   * rewritten, so nobody is told about something that has already ended.
   */
  dropUnsent?: boolean;
}

/**
 * Renders notifications (./render.ts, one view per kind) and writes their outbox deliveries:
 * the only way core services put a message in the outbox. Every write goes through the
 * caller's transaction when one is given, so a change and its messages commit together; the
 * caller wakes the outbox worker after its commit.
 */
export interface Publisher {
  /** Renders `n` without queueing anything (previews, callback answers). */
  render(n: Notification): RenderedMessage;
  /**
   * Queues one message of `n` per chat of `plan` (one statement), through `tx` when given or
   * on its own. Returns what was rendered.
   */
  publish(n: Notification, plan: DeliveryPlan, tx?: DbOrTx): Promise<RenderedMessage>;
  /**
   * {@link publish} of many notifications in one statement, through `tx`: the messages are
   * queued in the order given (the outbox sends a chat's messages in that order).
   */
  publishMany(items: readonly { n: Notification; plan: DeliveryPlan }[], tx: DbOrTx): Promise<void>;
  /**
   * Brings every message of `subject` to `n` (edits coalesce in the outbox; a send not yet
   * made takes the new text instead, or is dropped with `dropUnsent`), through `tx`.
   */
  update(
    n: Notification,
    subject: string,
    tx: DbOrTx,
    opts?: { dropUnsent?: boolean },
  ): Promise<RenderedMessage>;
  /**
   * {@link update} of many subjects with one outbox write per kind of change. With
   * `skipUnchanged`, a subject whose newest queued text and keyboard equal the rendering is
   * left alone (one read): Telegram refuses an edit that changes nothing.
   */
  updateMany(
    updates: readonly SubjectUpdate[],
    tx: DbOrTx,
    opts?: { skipUnchanged?: boolean },
  ): Promise<void>;
  /**
   * Retires the messages of `subject` before a newer one is published: unsent ones are
   * dropped, sent ones show `n` (rendered as retired by its view: no buttons, a pointer to
   * the newer message) and move to `retiredSubject`, so later edits reach only the newer one.
   */
  retire(n: Notification, subject: string, retiredSubject: string, tx: DbOrTx): Promise<void>;
  /** {@link retire} of many subjects (each once), with one outbox write per kind of change. */
  retireMany(
    items: readonly { n: Notification; subject: string; retiredSubject: string }[],
    tx: DbOrTx,
  ): Promise<void>;
}

/** The outbox messages of rendered `msg` under `plan`: one per chat (and topic). */
function messagesOf(msg: RenderedMessage, plan: DeliveryPlan): NewMessage[] {
  return plan.chats.map((c) => ({
    chatId: c.chatId,
    threadId: c.threadId,
    text: msg.text,
    keyboard: msg.keyboard,
    subject: plan.subject,
    dedupKey: `${plan.dedupBase}:${targetKey(c)}`,
    disableNotification: plan.silent,
  }));
}

/** Builds the {@link Publisher} over the outbox. */
export function createPublisher(deps: {
  outbox: Pick<
    OutboxRepository,
    "enqueueMany" | "editSubject" | "editSubjects" | "retireSubjects" | "lastShown"
  >;
  clock: Clock;
}): Publisher {
  const { outbox, clock } = deps;
  return {
    render: renderNotification,

    async publish(n, plan, tx) {
      const msg = renderNotification(n);
      await outbox.enqueueMany(messagesOf(msg, plan), clock.now(), tx);
      return msg;
    },

    async publishMany(items, tx) {
      const messages = items.flatMap(({ n, plan }) => messagesOf(renderNotification(n), plan));
      await outbox.enqueueMany(messages, clock.now(), tx);
    },

    async update(n, subject, tx, opts) {
      const msg = renderNotification(n);
      await outbox.editSubject(subject, msg.text, msg.keyboard, clock.now(), tx, opts);
      return msg;
    },

    async updateMany(updates, tx, opts) {
      if (updates.length === 0) return;
      const shown = opts?.skipUnchanged
        ? await outbox.lastShown(
            updates.map((u) => u.subject),
            tx,
          )
        : undefined;
      const edits = [];
      for (const u of updates) {
        const msg = renderNotification(u.n);
        const last = shown?.get(u.subject);
        const same =
          last !== undefined &&
          last.text === msg.text &&
          JSON.stringify(last.keyboard ?? null) === JSON.stringify(msg.keyboard);
        if (!same) edits.push({ subject: u.subject, ...msg, dropUnsent: u.dropUnsent });
      }
      await outbox.editSubjects(edits, clock.now(), tx);
    },

    async retire(n, subject, retiredSubject, tx) {
      const msg = renderNotification(n);
      await outbox.retireSubjects([{ subject, retiredSubject, text: msg.text }], clock.now(), tx);
    },

    async retireMany(items, tx) {
      const list = items.map(({ n, subject, retiredSubject }) => ({
        subject,
        retiredSubject,
        text: renderNotification(n).text,
      }));
      await outbox.retireSubjects(list, clock.now(), tx);
    },
  };
}
