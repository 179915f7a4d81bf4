CREATE TABLE "alert_groups" (
	"id" text PRIMARY KEY NOT NULL,
	"key" text NOT NULL,
	"labels" jsonb NOT NULL,
	"chats" jsonb NOT NULL,
	"status" text DEFAULT 'open' NOT NULL,
	"notifications" integer DEFAULT 1 NOT NULL,
	"last_notified_at" timestamp with time zone NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"closed_at" timestamp with time zone
);
--> statement-breakpoint
ALTER TABLE "alerts" ADD COLUMN "group_id" text;--> statement-breakpoint
CREATE UNIQUE INDEX "alert_groups_open_key_uq" ON "alert_groups" USING btree ("key") WHERE status = 'open';--> statement-breakpoint
CREATE INDEX "alerts_group_idx" ON "alerts" USING btree ("group_id");