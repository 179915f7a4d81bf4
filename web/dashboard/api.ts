/** Calls to the data API (`/api/app/*`) with the Mini App's or the browser's credentials. */

/** A refused or failed call; `status` is the HTTP status (0: no answer). */
export class ApiError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.name = "ApiError";
    this.status = status;
  }
}

/** Fetches JSON from the data API. */
export type Api = <T>(path: string) => Promise<T>;

/**
 * Builds the API client. Inside Telegram every call carries `Authorization: tma <initData>`
 * (the server checks Telegram's signature); in a browser the session cookie a login link set
 * goes along by itself (same origin).
 */
export function createApi(initData: string | undefined): Api {
  return async <T>(path: string): Promise<T> => {
    let res: Response;
    try {
      res = await fetch(`/api/app/${path}`, {
        headers: initData ? { authorization: `tma ${initData}` } : {},
        credentials: "same-origin",
      });
    } catch {
      throw new ApiError(0, "the server did not answer");
    }
    const body = (await res.json().catch(() => null)) as { error?: { message?: string } } | null;
    if (!res.ok) throw new ApiError(res.status, body?.error?.message ?? `HTTP ${res.status}`);
    return body as T;
  };
}
