CREATE TABLE "schedule_runs" (
	"id" text PRIMARY KEY NOT NULL,
	"job" text NOT NULL,
	"period_key" text NOT NULL,
	"scheduled_for" timestamp with time zone NOT NULL,
	"started_at" timestamp with time zone NOT NULL,
	"finished_at" timestamp with time zone,
	"outcome" text DEFAULT 'running' NOT NULL,
	"detail" text,
	"runner" text NOT NULL,
	CONSTRAINT "schedule_runs_period_key_unique" UNIQUE("period_key")
);
--> statement-breakpoint
CREATE TABLE "smoke_runs" (
	"id" text PRIMARY KEY NOT NULL,
	"ran_at" timestamp with time zone NOT NULL,
	"trigger" text NOT NULL,
	"overall" text NOT NULL,
	"checks" jsonb NOT NULL,
	"duration_ms" integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX "schedule_runs_job_started_idx" ON "schedule_runs" USING btree ("job","started_at");--> statement-breakpoint
CREATE INDEX "smoke_runs_ran_at_idx" ON "smoke_runs" USING btree ("ran_at");