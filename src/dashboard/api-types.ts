/**
 * JSON shapes of the dashboard data API (`GET /api/app/*`), shared by the server
 * (src/dashboard) and the Mini App (web/dashboard). Types only: the browser bundle imports
 * nothing else from src/. Times are ISO 8601 strings (UTC), money is USD, durations say their
 * unit in the name. Series are aligned with their `buckets`: element i covers bucket i.
 */

/** Smoke statuses as stored (ok, warning, critical, skipped). */
export type SmokeLevel = "ok" | "warning" | "critical" | "skipped";

/** `GET /api/app/me`: who the API admitted. */
export interface MeResponse {
  user_id: number;
  name: string;
  via: "telegram" | "session";
  time_zone: string;
}

/** A run of time buckets: starts (ISO) and short labels in the report time zone. */
export interface Buckets {
  bucket: "hour" | "day";
  /** Start of each bucket, ISO. */
  starts: string[];
  /** `MM-DD HH:00` (hours) or `MM-DD` (days), in `time_zone`. */
  labels: string[];
  time_zone: string;
}

/** An open or acknowledged incident on the Overview. */
export interface IncidentItem {
  id: string;
  /** Last 8 characters of the id, as the bot shows it. */
  short_id: string;
  title: string;
  severity: string;
  status: "open" | "acknowledged" | "resolved";
  opened_at: string;
  acknowledged_at: string | null;
  acknowledged_by: string | null;
  resolved_at: string | null;
  resolved_by: string | null;
}

/** A replica of commandpost (this process alone until replicas register). */
export interface ReplicaItem {
  id: string;
  host: string;
  pid: number | null;
  started_at: string;
  /** Last membership renewal; null for this process when no membership exists. */
  last_seen_at: string | null;
  self: boolean;
}

/** `GET /api/app/overview`. */
export interface OverviewResponse {
  generated_at: string;
  incidents: { open: number; acknowledged: number; items: IncidentItem[] };
  /**
   * Autonomy index over the last 24 h, and per local day for 14 days (null: nothing notified
   * that day): of the notified events, `decided` needed a human decision (docs/triage.md).
   */
  autonomy: {
    index: number | null;
    notified: number;
    decided: number;
    daily: { buckets: Buckets; index: (number | null)[]; notified: number[] };
  };
  /** The latest smoke run and the runs of the last 24 h per hour and overall status. */
  smoke: {
    overall: Exclude<SmokeLevel, "skipped"> | null;
    ran_at: string | null;
    checks: { name: string; status: SmokeLevel }[];
    hourly: { buckets: Buckets; ok: number[]; warning: number[]; critical: number[] };
  };
  replicas: ReplicaItem[];
  /** Proxy usage since local midnight. */
  proxy_today: { requests: number; tokens: number; cost_usd: number; errors: number };
}

/** Usage of one backend or agent per bucket. */
export interface UsageSeries {
  key: string;
  requests: number[];
  errors: number[];
  /** Prompt + completion tokens. */
  tokens: number[];
  cost_usd: number[];
  /** p95 latency per bucket, ms (upper bound of its latency bucket); null: no requests. */
  p95_ms: (number | null)[];
  total: { requests: number; tokens: number; cost_usd: number; p95_ms: number };
}

/** A cooldown from the log. */
export interface CooldownItem {
  backend: string;
  started_at: string;
  ends_at: string;
  duration_s: number;
  strike: number;
  retry_after_s: number | null;
  reason: string;
  cleared_at: string | null;
  cleared_by: string | null;
}

/** The ranges of `GET /api/app/proxy?range=`. */
export const PROXY_RANGES = ["72h", "30d"] as const;
/** A proxy page range: 72 hourly or 30 daily buckets. */
export type ProxyRange = (typeof PROXY_RANGES)[number];

/** `GET /api/app/proxy?range=72h|30d`. */
export interface ProxyResponse {
  range: ProxyRange;
  buckets: Buckets;
  by_backend: UsageSeries[];
  by_agent: UsageSeries[];
  /** Over all backends, per bucket. */
  p95_ms: (number | null)[];
  cooldowns_per_bucket: number[];
  totals: {
    requests: number;
    errors: number;
    prompt_tokens: number;
    completion_tokens: number;
    cost_usd: number;
    latency_p95_ms: number;
  };
  /** Cooldowns that started in the range, newest first (at most 100). */
  cooldowns: CooldownItem[];
}

/** `GET /api/app/incidents`: the last 30 local days. */
export interface IncidentsResponse {
  buckets: Buckets;
  opened: number[];
  acknowledged: number[];
  resolved: number[];
  /** Mean time to acknowledge / resolve of the steps on that day, minutes; null: none. */
  mtta_min: (number | null)[];
  mttr_min: (number | null)[];
  summary: {
    opened: number;
    acknowledged: number;
    resolved: number;
    resolved_by_hand: number;
    mtta_ms: number | null;
    mttr_ms: number | null;
    unresolved_now: number;
  };
  /** Incidents opened, acknowledged or resolved in the window, newest first (at most 50). */
  items: IncidentItem[];
}

/** One heartbeating agent, from the watchdog's memory. */
export interface AgentItem {
  name: string;
  class: string;
  state: string;
  status: string;
  task: string | null;
  round: number | null;
  max_rounds: number;
  last_beat_at: string;
  age_s: number;
}

/** An aider session. */
export interface SessionItem {
  id: string;
  started_at: string;
  ended_at: string | null;
  cwd: string | null;
  model: string | null;
  duration_s: number | null;
  tokens_sent: number;
  tokens_received: number;
  cost_usd: number;
  errors: number;
  exit_code: number | null;
}

/** `GET /api/app/agents`. */
export interface AgentsResponse {
  agents: AgentItem[];
  /** Beats per hour and agent over the last 48 h. */
  beats: { buckets: Buckets; series: { key: string; counts: number[] }[] };
  /** aider sessions per local day over 30 days. */
  sessions: {
    buckets: Buckets;
    count: number[];
    cost_usd: number[];
    tokens: number[];
    errors: number[];
    totals: { sessions: number; cost_usd: number; tokens: number; duration_s: number };
  };
  /** Proxy cost per agent (proxy key holder) over the same 30 days. */
  proxy_cost_by_agent: { key: string; cost_usd: number; requests: number }[];
  /** Newest sessions first (at most 20). */
  recent_sessions: SessionItem[];
}
