import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { describe, it } from "node:test";
import { InitDataError, validateInitData } from "../../src/dashboard/init-data.ts";
import { launchData } from "../helpers/init-data.ts";

const TOKEN = "5768337691:AAH5YkoiEuPk8-FZa32hStHTqXiLPtAEhx8";
const NOW = Date.parse("2026-11-23T01:00:00Z");
const NOW_S = NOW / 1000;
const ADA = { id: 424242, first_name: "Ada", username: "ada_ops" };

/**
 * initData built by hand from Telegram's documented steps, independent of the code under
 * test: the data-check-string is written out literally.
 */
function handMade(authS: number, token = TOKEN): string {
  const user = '{"id":424242,"first_name":"Ada","username":"ada_ops"}';
  const check = `auth_date=${authS}\nquery_id=AAHdF6IQ\nuser=${user}`;
  const secret = createHmac("sha256", "WebAppData").update(token).digest();
  const hash = createHmac("sha256", secret).update(check).digest("hex");
  return `user=${encodeURIComponent(user)}&query_id=AAHdF6IQ&auth_date=${authS}&hash=${hash}`;
}

function problem(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof InitDataError, String(err));
    return err.problem;
  }
  assert.fail("expected an InitDataError");
}

describe("Telegram initData validation", () => {
  it("accepts initData signed as Telegram documents it and returns the user", () => {
    const v = validateInitData(handMade(NOW_S - 60), TOKEN, NOW);
    assert.equal(v.user.id, 424242);
    assert.equal(v.user.username, "ada_ops");
    assert.equal(v.authDate.getTime(), (NOW_S - 60) * 1000);
  });

  it("accepts launch data with every field Telegram sends, signature included", () => {
    const raw = launchData(ADA, { authDate: new Date(NOW - 5000), token: TOKEN });
    assert.match(raw, /signature=/);
    assert.equal(validateInitData(raw, TOKEN, NOW).user.first_name, "Ada");
  });

  it("refuses tampered data: another user id under the same hash", () => {
    const raw = handMade(NOW_S - 60).replace("424242", "424243");
    assert.equal(
      problem(() => validateInitData(raw, TOKEN, NOW)),
      "bad_hash",
    );
  });

  it("refuses a changed auth_date (to look fresh) and a flipped hash digit", () => {
    const raw = handMade(NOW_S - 7200);
    const fresher = raw.replace(`auth_date=${NOW_S - 7200}`, `auth_date=${NOW_S - 60}`);
    assert.equal(
      problem(() => validateInitData(fresher, TOKEN, NOW)),
      "bad_hash",
    );
    const good = handMade(NOW_S - 60);
    const last = good.at(-1) === "0" ? "1" : "0";
    assert.equal(
      problem(() => validateInitData(good.slice(0, -1) + last, TOKEN, NOW)),
      "bad_hash",
    );
  });

  it("refuses data signed with another bot's token", () => {
    const raw = handMade(NOW_S - 60, "1111:other-bot-token");
    assert.equal(
      problem(() => validateInitData(raw, TOKEN, NOW)),
      "bad_hash",
    );
  });

  it("refuses stale data older than one hour, and accepts it just inside the hour", () => {
    assert.equal(
      problem(() => validateInitData(handMade(NOW_S - 3601), TOKEN, NOW)),
      "stale",
    );
    assert.equal(validateInitData(handMade(NOW_S - 3600), TOKEN, NOW).user.id, 424242);
  });

  it("refuses data dated more than five minutes ahead", () => {
    assert.equal(
      problem(() => validateInitData(handMade(NOW_S + 600), TOKEN, NOW)),
      "from_future",
    );
  });

  it("refuses malformed data: no hash, a repeated field, a user without id", () => {
    assert.equal(
      problem(() => validateInitData("auth_date=1&user=%7B%7D", TOKEN, NOW)),
      "malformed",
    );
    const twice = `${handMade(NOW_S)}&auth_date=${NOW_S}`;
    assert.equal(
      problem(() => validateInitData(twice, TOKEN, NOW)),
      "malformed",
    );
    const secret = createHmac("sha256", "WebAppData").update(TOKEN).digest();
    const check = `auth_date=${NOW_S}\nuser={"first_name":"x"}`;
    const hash = createHmac("sha256", secret).update(check).digest("hex");
    const raw = `auth_date=${NOW_S}&user=${encodeURIComponent('{"first_name":"x"}')}&hash=${hash}`;
    assert.equal(
      problem(() => validateInitData(raw, TOKEN, NOW)),
      "no_user",
    );
  });
});
