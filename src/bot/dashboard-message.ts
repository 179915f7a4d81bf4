import type { InlineKeyboardButton } from "grammy/types";
import type { DashboardEntry } from "../dashboard/dashboard-module.ts";
import { escapeHtml, formatTime } from "../telegram-format.ts";

/** The /dashboard answer: HTML text and its inline keyboard. */
export interface DashboardMessage {
  text: string;
  keyboard: InlineKeyboardButton[][];
}

/**
 * Renders /dashboard for a private chat. With an https `PUBLIC_URL` a `web_app` button opens
 * the Mini App (Telegram opens Mini Apps only over https, https://core.telegram.org/bots/webapps)
 * and a URL button carries the login link; otherwise the text says what to set, and the login
 * link is shown to copy into a browser that reaches this server.
 */
export function renderDashboardEntry(e: DashboardEntry, timeZone: string): DashboardMessage {
  const until = `${formatTime(e.expiresAt, timeZone).slice(11, 16)} ${timeZone}`;
  const lines = ["📊 <b>Dashboard</b>: proxy usage and cost, cooldowns, incidents, agents."];
  const keyboard: InlineKeyboardButton[][] = [];
  if (e.appUrl) {
    lines.push("Open it here with the button below.");
    keyboard.push([{ text: "📊 Open dashboard", web_app: { url: e.appUrl } }]);
  } else if (e.publicUrl) {
    lines.push(
      "<code>PUBLIC_URL</code> is not https: Telegram opens Mini Apps only over https, so set it to this server's https address to open the dashboard inside Telegram.",
    );
  } else {
    lines.push(
      "Set <code>PUBLIC_URL</code> to this server's https address (for example <code>https://ops.example.com</code>) to open the dashboard inside Telegram.",
    );
  }
  const once = `it works once, until ${escapeHtml(until)}`;
  if (e.publicUrl) {
    const which = e.appUrl ? "the second button" : "the button below";
    lines.push(`🖥 For a desktop browser, ${which} is a one-time login link (${once}).`);
    keyboard.push([{ text: "🖥 Log in from a browser", url: e.loginUrl }]);
  } else {
    lines.push(
      `🖥 A browser that reaches this server can sign in with this one-time link (${once}):`,
      `<code>${escapeHtml(e.loginUrl)}</code>`,
    );
  }
  return { text: lines.join("\n"), keyboard };
}
