import { signInitData } from "../../src/dashboard/init-data.ts";
import { BOT_TOKEN } from "./telegram.ts";

/** A Telegram user as Mini App launch data carries it. */
export interface LaunchUser {
  id: number;
  first_name: string;
  username?: string;
}

/**
 * Mini App launch data (initData) for `user`, signed with `token` (default: the emulator's
 * bot token) as Telegram signs it, dated `authDate` (default now).
 */
export function launchData(
  user: LaunchUser,
  opts: { authDate?: Date; token?: string } = {},
): string {
  const authS = Math.floor((opts.authDate ?? new Date()).getTime() / 1000);
  return signInitData(
    {
      query_id: "AAHdF6IQAAAAAN0XohDhrOrc",
      user: JSON.stringify({ ...user, language_code: "en", allows_write_to_pm: true }),
      auth_date: String(authS),
      signature:
        "sMfnaCgDXXIpBbVIJtWGZtN2o4rGc6qnnUfPMeXTr2_Q2ZfwQ4WJJQUQ3JJvk8yy0ZHqNDV7QFXYKaLMJmHEBg",
    },
    opts.token ?? BOT_TOKEN,
  );
}
