CREATE TABLE "aider_events" (
	"id" text PRIMARY KEY NOT NULL,
	"session_id" text NOT NULL,
	"ts" timestamp with time zone NOT NULL,
	"type" text NOT NULL,
	"payload" jsonb NOT NULL,
	"received_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "aider_file_touches" (
	"id" text PRIMARY KEY NOT NULL,
	"session_id" text NOT NULL,
	"path" text NOT NULL,
	"touched_at" timestamp with time zone NOT NULL,
	"lines_added" integer DEFAULT 0 NOT NULL,
	"lines_deleted" integer DEFAULT 0 NOT NULL,
	"is_new_file" boolean DEFAULT false NOT NULL
);
--> statement-breakpoint
CREATE TABLE "aider_sessions" (
	"id" text PRIMARY KEY NOT NULL,
	"started_at" timestamp with time zone NOT NULL,
	"ended_at" timestamp with time zone,
	"cwd" text,
	"model" text,
	"aider_args" jsonb,
	"aider_pid" integer,
	"cli_version" text,
	"host" text,
	"duration_sec" integer,
	"tokens_sent" integer DEFAULT 0 NOT NULL,
	"tokens_recv" integer DEFAULT 0 NOT NULL,
	"cost_usd" double precision DEFAULT 0 NOT NULL,
	"files_changed" integer DEFAULT 0 NOT NULL,
	"error_count" integer DEFAULT 0 NOT NULL,
	"exit_code" integer,
	"updated_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "agent_beats" (
	"id" text PRIMARY KEY NOT NULL,
	"agent" text NOT NULL,
	"at" timestamp with time zone NOT NULL,
	"class" text NOT NULL,
	"status" text NOT NULL,
	"task" text,
	"round" integer,
	"note" text
);
--> statement-breakpoint
CREATE TABLE "agent_states" (
	"name" text PRIMARY KEY NOT NULL,
	"class" text NOT NULL,
	"status" text NOT NULL,
	"task" text,
	"round" integer,
	"note" text,
	"last_beat_at" timestamp with time zone NOT NULL,
	"task_started_at" timestamp with time zone,
	"stall_level" text DEFAULT 'none' NOT NULL,
	"rounds_warned_task" text,
	"paused_task" text,
	"updated_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE INDEX "aider_events_session_ts_idx" ON "aider_events" USING btree ("session_id","ts");--> statement-breakpoint
CREATE INDEX "aider_events_ts_idx" ON "aider_events" USING btree ("ts");--> statement-breakpoint
CREATE INDEX "aider_file_touches_path_idx" ON "aider_file_touches" USING btree ("path");--> statement-breakpoint
CREATE INDEX "aider_file_touches_session_idx" ON "aider_file_touches" USING btree ("session_id");--> statement-breakpoint
CREATE INDEX "aider_file_touches_at_idx" ON "aider_file_touches" USING btree ("touched_at");--> statement-breakpoint
CREATE INDEX "aider_sessions_started_idx" ON "aider_sessions" USING btree ("started_at");--> statement-breakpoint
CREATE INDEX "agent_beats_agent_at_idx" ON "agent_beats" USING btree ("agent","at");--> statement-breakpoint
CREATE INDEX "agent_beats_at_idx" ON "agent_beats" USING btree ("at");--> statement-breakpoint
CREATE UNIQUE INDEX "heal_plans_running_target_idx" ON "heal_plans" USING btree ("target") WHERE "heal_plans"."status" = 'running';