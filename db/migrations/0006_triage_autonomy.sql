CREATE TABLE "human_decisions" (
	"id" text PRIMARY KEY NOT NULL,
	"at" timestamp with time zone NOT NULL,
	"actor" text NOT NULL,
	"action" text NOT NULL,
	"alert_id" text,
	"incident_id" text,
	"plan_id" text,
	"mute_id" text
);
--> statement-breakpoint
CREATE TABLE "triages" (
	"id" text PRIMARY KEY NOT NULL,
	"kind" text NOT NULL,
	"alert_id" text,
	"incident_id" text,
	"requested_by" text,
	"created_at" timestamp with time zone NOT NULL,
	"finished_at" timestamp with time zone,
	"model_called" boolean DEFAULT false NOT NULL,
	"model" text,
	"source" text,
	"fallback_reason" text,
	"result" jsonb
);
--> statement-breakpoint
ALTER TABLE "incidents" ADD COLUMN "symptom_key" text;--> statement-breakpoint
ALTER TABLE "incidents" ADD COLUMN "resolution" jsonb;--> statement-breakpoint
CREATE INDEX "human_decisions_at_idx" ON "human_decisions" USING btree ("at");--> statement-breakpoint
CREATE INDEX "human_decisions_alert_idx" ON "human_decisions" USING btree ("alert_id");--> statement-breakpoint
CREATE INDEX "human_decisions_incident_idx" ON "human_decisions" USING btree ("incident_id");--> statement-breakpoint
CREATE INDEX "triages_alert_idx" ON "triages" USING btree ("alert_id","created_at");--> statement-breakpoint
CREATE INDEX "triages_created_idx" ON "triages" USING btree ("created_at");--> statement-breakpoint
CREATE INDEX "incidents_symptom_idx" ON "incidents" USING btree ("symptom_key","opened_at");--> statement-breakpoint
-- Human decisions made before this table existed, read back from the rows they changed.
INSERT INTO "human_decisions" ("id", "at", "actor", "action", "alert_id", "incident_id")
SELECT 'bf-ack-' || "id", "acknowledged_at", "acknowledged_by", 'acknowledge', "id", "incident_id"
FROM "alerts" WHERE "acknowledged_by" IS NOT NULL AND "acknowledged_at" IS NOT NULL;--> statement-breakpoint
INSERT INTO "human_decisions" ("id", "at", "actor", "action", "alert_id", "incident_id")
SELECT 'bf-res-' || "id", "resolved_at", "resolved_by", 'resolve', "id", "incident_id"
FROM "alerts" WHERE "resolved_by" IS NOT NULL AND "resolved_at" IS NOT NULL;--> statement-breakpoint
INSERT INTO "human_decisions" ("id", "at", "actor", "action", "incident_id")
SELECT 'bf-ires-' || "id", "resolved_at", "resolved_by", 'resolve', "id"
FROM "incidents" WHERE "resolved_by" IS NOT NULL AND "resolved_at" IS NOT NULL AND "resolved_by" NOT LIKE 'auto%';--> statement-breakpoint
INSERT INTO "human_decisions" ("id", "at", "actor", "action", "alert_id", "mute_id")
SELECT 'bf-mute-' || "id", "created_at", "created_by", 'mute', "alert_id", "id" FROM "mutes";--> statement-breakpoint
INSERT INTO "human_decisions" ("id", "at", "actor", "action", "incident_id", "plan_id")
SELECT 'bf-heal-' || a."id", a."at", a."actor",
  CASE a."step" WHEN 'approved' THEN 'heal_approve' ELSE 'heal_reject' END, p."incident_id", a."plan_id"
FROM "heal_audit" a LEFT JOIN "heal_plans" p ON p."id" = a."plan_id"
WHERE a."step" IN ('approved', 'rejected');
