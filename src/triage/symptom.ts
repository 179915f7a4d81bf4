/**
 * Symptom keys: what an incident is a case of, so that a new incident can be matched with
 * the ones before it ("seen 3 times, last fixed by …"). A key is
 * `alertname|service|error class`: the instance is left out on purpose, so the same failure
 * on two replicas of a service is one symptom.
 */

/** The parts of a symptom key. */
export interface Symptom {
  /** `alertname|service|errorClass`, at most ~200 characters. */
  key: string;
  alertname: string;
  /** The `service` label, else `job`, else `app`, else the event's source. */
  service: string;
  /** From an explicit label, else classified from the text: see {@link ERROR_CLASSES}. */
  errorClass: string;
}

/** What a symptom is read from: an event or an alert. */
export interface SymptomSource {
  type: string;
  source: string;
  title: string;
  summary: string;
  labels: Readonly<Record<string, string>>;
}

/** Labels that name an error class outright (aider errors carry `kind`). */
const CLASS_LABELS = ["error_class", "error_kind", "kind", "reason"] as const;

/**
 * Error classes recognised in an alert's name and text, in this order (the first match
 * wins). The words are the ones Prometheus alerting rules and their annotations commonly
 * use (awesome-prometheus-alerts, https://samber.github.io/awesome-prometheus-alerts/).
 */
export const ERROR_CLASSES: readonly [string, RegExp][] = [
  ["rate_limit", /\b429\b|rate.?limit|too many requests|throttl/i],
  ["auth", /\b40[13]\b|unauthori[sz]ed|forbidden|auth(entication|orization)? (fail|error)/i],
  ["5xx", /\b5\d\d\b|5xx|internal server error|bad gateway|service unavailable|error.?rate/i],
  ["timeout", /time[sd]? ?out|deadline exceeded/i],
  ["oom", /out of memory|\boom|memory (pressure|usage|limit)/i],
  ["disk", /disk|no space left|filesystem|inode|volume full/i],
  ["crash", /crash|panic|segfault|restart(s|ing|ed)|exit(ed)? (code|with)|backoff/i],
  ["connection", /connection (refused|reset)|unreachable|econn|\bdown\b|no route/i],
  ["latency", /latency|slow|p9\d/i],
  ["cpu", /\bcpu\b|load average|saturat/i],
  ["stall", /stall|stuck|silent|no heartbeat|max rounds/i],
  ["build", /build|compile|test(s)? fail/i],
];

/** `[A-Za-z0-9_.:-]` only (no `|`), at most `max` characters. */
function norm(s: string, max: number): string {
  return (
    s
      .replace(/[^A-Za-z0-9_.:-]+/g, "_")
      .replace(/^_+|_+$/g, "")
      .slice(0, max) || "unknown"
  );
}

/** The error class of an alert: an explicit label, else the first matching class, else `other`. */
export function errorClassOf(s: SymptomSource): string {
  for (const l of CLASS_LABELS) {
    const v = s.labels[l];
    if (v) return norm(v.toLowerCase(), 40);
  }
  const text = `${s.labels.alertname ?? s.type} ${s.title} ${s.summary}`;
  for (const [name, re] of ERROR_CLASSES) if (re.test(text)) return name;
  return "other";
}

/** The symptom of an event or alert (pure). */
export function symptomOf(s: SymptomSource): Symptom {
  const alertname = norm(s.labels.alertname ?? s.type, 80);
  const service = norm(s.labels.service ?? s.labels.job ?? s.labels.app ?? s.source, 80);
  const errorClass = errorClassOf(s);
  return { key: `${alertname}|${service}|${errorClass}`, alertname, service, errorClass };
}
