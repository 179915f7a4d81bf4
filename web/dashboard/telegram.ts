/**
 * The little of Telegram's Mini App bridge the dashboard needs, read without
 * telegram-web-app.js (which is only served from telegram.org). Telegram passes launch
 * parameters in the URL fragment: `#tgWebAppData=<initData>&tgWebAppVersion=…&
 * tgWebAppPlatform=…&tgWebAppThemeParams=<JSON>` (https://docs.telegram-mini-apps.com/platform/launch-parameters);
 * events go out and come in as described in https://core.telegram.org/api/web-events.
 */

/** Telegram's theme parameters (`bg_color`, `text_color`, … as `#rrggbb`). */
export type ThemeParams = Partial<Record<string, string>>;

/** What the Mini App was launched with. */
export interface LaunchParams {
  /** The signed initData, as received (sent back to the server verbatim). */
  initData: string | undefined;
  theme: ThemeParams | undefined;
  platform: string | undefined;
}

const STORE_KEY = "cp.launch";

function parseTheme(json: string | null): ThemeParams | undefined {
  if (!json) return undefined;
  try {
    const t = JSON.parse(json) as unknown;
    return t && typeof t === "object" ? (t as ThemeParams) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Reads the launch parameters from the fragment, keeping them for reloads in sessionStorage
 * (the fragment is then replaced by the page route). Outside Telegram all are undefined.
 */
export function readLaunchParams(): LaunchParams {
  const fragment = new URLSearchParams(location.hash.slice(1));
  const initData = fragment.get("tgWebAppData") ?? undefined;
  if (initData !== undefined) {
    const p: LaunchParams = {
      initData,
      theme: parseTheme(fragment.get("tgWebAppThemeParams")),
      platform: fragment.get("tgWebAppPlatform") ?? undefined,
    };
    sessionStorage.setItem(STORE_KEY, JSON.stringify(p));
    history.replaceState(null, "", `${location.pathname}${location.search}#/overview`);
    return p;
  }
  const kept = sessionStorage.getItem(STORE_KEY);
  if (kept) return JSON.parse(kept) as LaunchParams;
  return { initData: undefined, theme: undefined, platform: undefined };
}

type Bridge = {
  TelegramWebviewProxy?: { postEvent(type: string, data: string): void };
  external?: { notify?(msg: string): void };
  Telegram?: { WebView?: { receiveEvent(type: string, data: unknown): void } };
};

/** Sends an event to the Telegram client (mobile webview, desktop, or Telegram Web's frame). */
export function postEvent(type: string, data: object = {}): void {
  const w = window as unknown as Bridge;
  const msg = JSON.stringify({ eventType: type, eventData: data });
  if (w.TelegramWebviewProxy) w.TelegramWebviewProxy.postEvent(type, JSON.stringify(data));
  else if (w.external?.notify) w.external.notify(msg);
  else if (window.parent !== window) window.parent.postMessage(msg, "https://web.telegram.org");
}

/** Calls `onTheme` when the Telegram client switches theme (light ↔ dark). */
export function onThemeChanged(onTheme: (t: ThemeParams) => void): void {
  const handle = (type: string, data: unknown) => {
    const theme = (data as { theme_params?: ThemeParams } | null)?.theme_params;
    if (type === "theme_changed" && theme) onTheme(theme);
  };
  const w = window as unknown as Bridge;
  w.Telegram = { ...w.Telegram, WebView: { receiveEvent: handle } };
  window.addEventListener("message", (e) => {
    if (e.source !== window.parent || typeof e.data !== "string") return;
    try {
      const m = JSON.parse(e.data) as { eventType?: string; eventData?: unknown };
      if (m.eventType) handle(m.eventType, m.eventData);
    } catch {
      /* not a Telegram event */
    }
  });
}
