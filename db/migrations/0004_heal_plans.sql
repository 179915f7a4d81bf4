CREATE TABLE "heal_audit" (
	"id" text PRIMARY KEY NOT NULL,
	"plan_id" text NOT NULL,
	"at" timestamp with time zone NOT NULL,
	"actor" text NOT NULL,
	"step" text NOT NULL,
	"detail" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"content_hash" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "heal_plans" (
	"id" text PRIMARY KEY NOT NULL,
	"kind" text NOT NULL,
	"target" text NOT NULL,
	"rationale" text NOT NULL,
	"proposed_by" text NOT NULL,
	"risk" text NOT NULL,
	"incident_id" text,
	"content_hash" text NOT NULL,
	"status" text NOT NULL,
	"decided_by" text,
	"decided_at" timestamp with time zone,
	"reason" text,
	"expires_at" timestamp with time zone NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"started_at" timestamp with time zone,
	"finished_at" timestamp with time zone
);
--> statement-breakpoint
CREATE INDEX "heal_audit_plan_idx" ON "heal_audit" USING btree ("plan_id","at");--> statement-breakpoint
CREATE INDEX "heal_plans_status_idx" ON "heal_plans" USING btree ("status");--> statement-breakpoint
CREATE INDEX "heal_plans_started_idx" ON "heal_plans" USING btree ("started_at");