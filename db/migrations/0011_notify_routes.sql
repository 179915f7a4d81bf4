CREATE TABLE "escalations" (
	"alert_id" text PRIMARY KEY NOT NULL,
	"steps" jsonb NOT NULL,
	"next_step" integer DEFAULT 0 NOT NULL,
	"escalate_at" timestamp with time zone,
	"repeat_interval_s" integer,
	"repeat_at" timestamp with time zone,
	"escalated" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"created_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
ALTER TABLE "deliveries" ADD COLUMN "thread_id" integer;--> statement-breakpoint
ALTER TABLE "alerts" ADD COLUMN "annotations" jsonb DEFAULT '{}'::jsonb NOT NULL;--> statement-breakpoint
ALTER TABLE "alerts" ADD COLUMN "external_url" text;--> statement-breakpoint
ALTER TABLE "alerts" ADD COLUMN "truncated_alerts" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "mutes" ADD COLUMN "silence_id" text;--> statement-breakpoint
CREATE INDEX "escalations_escalate_at_idx" ON "escalations" USING btree ("escalate_at");--> statement-breakpoint
CREATE INDEX "escalations_repeat_at_idx" ON "escalations" USING btree ("repeat_at");