import { InputError } from "../errors.ts";
import type { ModelMapping } from "./backend-schema.ts";

/**
 * Parses model mappings typed in the chat, one per line:
 * `canonical=native [input_usd_per_1M output_usd_per_1M]`, e.g.
 * `llama-3.3-70b=meta/llama-3.3-70b-instruct 0.6 0.6`. Prices are per million tokens, as
 * providers list them, and stored per token.
 * @throws InputError naming the line that does not parse.
 */
export function parseModelLines(text: string): ModelMapping[] {
  const out: ModelMapping[] = [];
  for (const [i, raw] of text.split("\n").entries()) {
    const line = raw.trim();
    if (!line) continue;
    const m = /^([^\s=]+)\s*=\s*(\S+)(?:\s+(\d+(?:\.\d+)?)\s+(\d+(?:\.\d+)?))?$/.exec(line);
    if (!m)
      throw new InputError(
        `line ${i + 1}: expected canonical=native [input output], e.g. llama-3.3-70b=meta/llama-3.3-70b-instruct 0.6 0.6`,
      );
    out.push({
      canonical: m[1] as string,
      native: m[2] as string,
      input_cost_per_token: Number(m[3] ?? 0) / 1e6,
      output_cost_per_token: Number(m[4] ?? 0) / 1e6,
    });
  }
  if (out.length === 0) throw new InputError("at least one model mapping");
  return out;
}
