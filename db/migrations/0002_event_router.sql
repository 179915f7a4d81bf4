CREATE TABLE "mutes" (
	"id" text PRIMARY KEY NOT NULL,
	"matchers" jsonb NOT NULL,
	"starts_at" timestamp with time zone NOT NULL,
	"ends_at" timestamp with time zone NOT NULL,
	"created_by" text NOT NULL,
	"reason" text DEFAULT '' NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"alert_id" text,
	"lifted_at" timestamp with time zone,
	"lifted_by" text
);
--> statement-breakpoint
ALTER TABLE "alerts" ADD COLUMN "last_notified_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "alerts" ADD COLUMN "notifications" integer DEFAULT 1 NOT NULL;--> statement-breakpoint
ALTER TABLE "alerts" ADD COLUMN "resolved_by" text;--> statement-breakpoint
ALTER TABLE "alerts" ADD COLUMN "mute_id" text;--> statement-breakpoint
ALTER TABLE "events" ADD COLUMN "mute_id" text;--> statement-breakpoint
CREATE INDEX "mutes_ends_idx" ON "mutes" USING btree ("ends_at");--> statement-breakpoint
CREATE INDEX "alerts_incident_idx" ON "alerts" USING btree ("incident_id");--> statement-breakpoint
CREATE INDEX "events_outcome_received_idx" ON "events" USING btree ("outcome","received_at");