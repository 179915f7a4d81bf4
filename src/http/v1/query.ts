/**
 * Parses a query string (without its `?`) as Fastify's default parser (fast-querystring) did,
 * for the input checks: `+` is a space, each key and value is percent-decoded and kept as
 * sent when it does not decode, a repeated key collects its values in an array. The object
 * has no prototype, so a `__proto__` key is only a key.
 */
export function parseQuery(qs: string): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = Object.create(null);
  for (const part of qs.split("&")) {
    if (part === "") continue;
    const eq = part.indexOf("=");
    const key = decode(eq < 0 ? part : part.slice(0, eq));
    const value = eq < 0 ? "" : decode(part.slice(eq + 1));
    const seen = out[key];
    if (seen === undefined) out[key] = value;
    else if (Array.isArray(seen)) seen.push(value);
    else out[key] = [seen, value];
  }
  return out;
}

function decode(s: string): string {
  const plus = s.includes("+") ? s.replaceAll("+", " ") : s;
  if (!plus.includes("%")) return plus;
  try {
    return decodeURIComponent(plus) || plus;
  } catch {
    return plus;
  }
}
