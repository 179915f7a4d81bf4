CREATE TABLE "cooldown_events" (
	"id" text PRIMARY KEY NOT NULL,
	"backend_id" text NOT NULL,
	"backend_name" text NOT NULL,
	"started_at" timestamp with time zone NOT NULL,
	"ends_at" timestamp with time zone NOT NULL,
	"strike" integer NOT NULL,
	"retry_after_s" double precision,
	"reason" text NOT NULL,
	"cleared_at" timestamp with time zone,
	"cleared_by" text
);
--> statement-breakpoint
CREATE TABLE "usage_hourly" (
	"backend_id" text NOT NULL,
	"backend_name" text NOT NULL,
	"model" text NOT NULL,
	"agent" text NOT NULL,
	"hour" timestamp with time zone NOT NULL,
	"requests" integer NOT NULL,
	"errors" integer NOT NULL,
	"prompt_tokens" bigint NOT NULL,
	"completion_tokens" bigint NOT NULL,
	"cost_usd" double precision NOT NULL,
	"latency_ms_sum" double precision NOT NULL,
	"latency_buckets" integer[] NOT NULL,
	CONSTRAINT "usage_hourly_backend_id_model_agent_hour_pk" PRIMARY KEY("backend_id","model","agent","hour")
);
--> statement-breakpoint
CREATE INDEX "cooldown_events_started_idx" ON "cooldown_events" USING btree ("started_at");--> statement-breakpoint
CREATE INDEX "usage_hour_idx" ON "usage_hourly" USING btree ("hour");