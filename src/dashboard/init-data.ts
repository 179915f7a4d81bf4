import { createHmac, timingSafeEqual } from "node:crypto";

/**
 * Telegram Mini App launch data (`initData`): a query string the Telegram client signs with a
 * key derived from the bot token. Validation follows Telegram's documented scheme
 * (https://core.telegram.org/bots/webapps#validating-data-received-via-the-mini-app):
 *
 * - `data_check_string` = every received field except `hash`, as `key=value` (values
 *   URL-decoded), sorted by key, joined by `\n`;
 * - `secret_key` = HMAC-SHA256(key = "WebAppData", message = bot token);
 * - the data is genuine when hex(HMAC-SHA256(key = secret_key, message = data_check_string))
 *   equals `hash` (compared in constant time);
 * - `auth_date` (Unix seconds) says when it was signed: older than the allowed age is stale.
 */

/** The user fields of initData the dashboard uses (Telegram's WebAppUser object). */
export interface InitDataUser {
  id: number;
  first_name?: string;
  last_name?: string;
  username?: string;
}

/** Validated initData. */
export interface ValidInitData {
  user: InitDataUser;
  /** When Telegram signed it. */
  authDate: Date;
}

/** Why initData was refused; every reason maps to HTTP 401. */
export type InitDataProblem = "malformed" | "bad_hash" | "stale" | "from_future" | "no_user";

/** initData that is not genuine or no longer fresh. */
export class InitDataError extends Error {
  readonly problem: InitDataProblem;
  constructor(problem: InitDataProblem, message: string) {
    super(message);
    this.name = "InitDataError";
    this.problem = problem;
  }
}

/** Telegram's documented freshness bound for a dashboard session: 1 hour, in seconds. */
export const INIT_DATA_MAX_AGE_S = 3600;
/** Clock skew tolerated for an `auth_date` slightly ahead of ours, in seconds. */
const FUTURE_SKEW_S = 300;

/** The secret key of a bot: HMAC-SHA256 of the bot token keyed with "WebAppData". */
export function initDataSecret(botToken: string): Buffer {
  return createHmac("sha256", "WebAppData").update(botToken).digest();
}

/** Fields of initData in order of appearance; a repeated key makes it malformed. */
function fieldsOf(raw: string): Map<string, string> {
  const fields = new Map<string, string>();
  for (const [k, v] of new URLSearchParams(raw)) {
    if (fields.has(k)) throw new InitDataError("malformed", `initData repeats the field "${k}"`);
    fields.set(k, v);
  }
  return fields;
}

/** The data-check-string of the fields (all but `hash`, sorted by key). */
export function dataCheckString(fields: ReadonlyMap<string, string>): string {
  return [...fields.entries()]
    .filter(([k]) => k !== "hash")
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join("\n");
}

/** Signs fields the way Telegram does (tests and the demo build launch data with it). */
export function signInitData(fields: Record<string, string>, botToken: string): string {
  const map = new Map(Object.entries(fields));
  const hash = createHmac("sha256", initDataSecret(botToken))
    .update(dataCheckString(map))
    .digest("hex");
  return new URLSearchParams({ ...fields, hash }).toString();
}

function parseUser(json: string | undefined): InitDataUser {
  if (json === undefined) throw new InitDataError("no_user", "initData carries no user");
  let user: unknown;
  try {
    user = JSON.parse(json);
  } catch {
    throw new InitDataError("malformed", "initData user is not JSON");
  }
  const id = (user as { id?: unknown } | null)?.id;
  if (typeof id !== "number" || !Number.isSafeInteger(id))
    throw new InitDataError("no_user", "initData user has no numeric id");
  return user as InitDataUser;
}

/**
 * Checks `raw` initData against the bot token and the clock.
 * @param nowMs current time, ms since the epoch (injected clock).
 * @param maxAgeS oldest accepted `auth_date`, seconds before now (default 1 hour).
 * @throws InitDataError when it is malformed, its hash is wrong, it is stale or has no user.
 */
export function validateInitData(
  raw: string,
  botToken: string,
  nowMs: number,
  maxAgeS = INIT_DATA_MAX_AGE_S,
): ValidInitData {
  const fields = fieldsOf(raw);
  const given = fields.get("hash") ?? "";
  if (!/^[0-9a-f]{64}$/.test(given)) throw new InitDataError("malformed", "initData has no hash");
  const expected = createHmac("sha256", initDataSecret(botToken))
    .update(dataCheckString(fields))
    .digest();
  if (!timingSafeEqual(expected, Buffer.from(given, "hex")))
    throw new InitDataError("bad_hash", "initData signature does not match");
  const authS = Number(fields.get("auth_date"));
  if (!Number.isSafeInteger(authS) || authS <= 0)
    throw new InitDataError("malformed", "initData has no auth_date");
  const ageS = nowMs / 1000 - authS;
  if (ageS > maxAgeS)
    throw new InitDataError("stale", `initData is ${Math.round(ageS)} s old (limit ${maxAgeS} s)`);
  if (ageS < -FUTURE_SKEW_S)
    throw new InitDataError("from_future", "initData auth_date is in the future");
  return { user: parseUser(fields.get("user")), authDate: new Date(authS * 1000) };
}
