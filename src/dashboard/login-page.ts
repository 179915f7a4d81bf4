import { escapeAttr, escapeHtml } from "../telegram-format.ts";

/** The small server-rendered pages of the browser login (no script, no external resource). */
function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<meta name="referrer" content="no-referrer">
<title>${escapeHtml(title)}</title>
<link rel="stylesheet" href="/app/app.css">
</head><body class="login"><main class="card login-card">
<h1>${escapeHtml(title)}</h1>
${body}
</main></body></html>`;
}

/**
 * The page a login link opens: a button that posts the token. The token is redeemed only by
 * that POST, never by the GET, so a link preview fetching the URL cannot use it up.
 */
export function loginForm(token: string): string {
  return page(
    "commandpost dashboard",
    `<p>This one-time link signs this browser in to the dashboard.</p>
<form method="post" action="/app/login">
<input type="hidden" name="token" value="${escapeAttr(token)}">
<button type="submit" class="button">Open the dashboard</button>
</form>`,
  );
}

/** A refusal page with a hint of what to do. */
export function loginRefused(title: string, hint: string): string {
  return page(title, `<p>${escapeHtml(hint)}</p>`);
}
