CREATE TABLE "bot_updates" (
	"update_id" bigint NOT NULL,
	"digest" text NOT NULL,
	"replica_id" text NOT NULL,
	"taken_at" timestamp with time zone NOT NULL,
	CONSTRAINT "bot_updates_update_id_digest_pk" PRIMARY KEY("update_id","digest")
);
--> statement-breakpoint
CREATE TABLE "change_versions" (
	"topic" text PRIMARY KEY NOT NULL,
	"version" bigint NOT NULL,
	"changed_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "replicas" (
	"id" text PRIMARY KEY NOT NULL,
	"host" text NOT NULL,
	"pid" integer NOT NULL,
	"version" text NOT NULL,
	"port" integer DEFAULT 0 NOT NULL,
	"started_at" timestamp with time zone NOT NULL,
	"last_seen_at" timestamp with time zone NOT NULL,
	"renew_ms" integer NOT NULL,
	"roles" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"session_pid" integer
);
--> statement-breakpoint
CREATE TABLE "rpm_buckets" (
	"backend_id" text PRIMARY KEY NOT NULL,
	"tokens" double precision NOT NULL,
	"refilled_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
ALTER TABLE "rpm_buckets" ADD CONSTRAINT "rpm_buckets_backend_id_backends_id_fk" FOREIGN KEY ("backend_id") REFERENCES "public"."backends"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "bot_updates_taken_idx" ON "bot_updates" USING btree ("taken_at");--> statement-breakpoint
CREATE FUNCTION "commandpost_changed"() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
	v bigint;
	k text := '';
BEGIN
	IF TG_LEVEL = 'ROW' AND TG_NARGS > 0 THEN
		k := coalesce(to_jsonb(coalesce(NEW, OLD)) ->> TG_ARGV[0], '');
	END IF;
	INSERT INTO "change_versions" AS c ("topic", "version", "changed_at")
		VALUES (TG_TABLE_NAME, 1, now())
		ON CONFLICT ("topic") DO UPDATE SET "version" = c."version" + 1, "changed_at" = now()
		RETURNING c."version" INTO v;
	PERFORM pg_notify('commandpost_changes',
		TG_TABLE_NAME || '|' || coalesce(current_setting('application_name', true), '') || '|' || v || '|' || k);
	RETURN NULL;
END;
$$;
--> statement-breakpoint
CREATE TRIGGER "backends_changed" AFTER INSERT OR UPDATE OR DELETE ON "backends" FOR EACH STATEMENT EXECUTE FUNCTION "commandpost_changed"();
--> statement-breakpoint
CREATE TRIGGER "backend_models_changed" AFTER INSERT OR UPDATE OR DELETE ON "backend_models" FOR EACH STATEMENT EXECUTE FUNCTION "commandpost_changed"();
--> statement-breakpoint
CREATE TRIGGER "agents_changed" AFTER INSERT OR UPDATE OR DELETE ON "agents" FOR EACH STATEMENT EXECUTE FUNCTION "commandpost_changed"();
--> statement-breakpoint
CREATE TRIGGER "mutes_changed" AFTER INSERT OR UPDATE OR DELETE ON "mutes" FOR EACH STATEMENT EXECUTE FUNCTION "commandpost_changed"();
--> statement-breakpoint
CREATE TRIGGER "cooldown_events_changed" AFTER INSERT OR UPDATE OR DELETE ON "cooldown_events" FOR EACH STATEMENT EXECUTE FUNCTION "commandpost_changed"();
--> statement-breakpoint
CREATE TRIGGER "agent_states_changed" AFTER INSERT OR UPDATE OR DELETE ON "agent_states" FOR EACH ROW EXECUTE FUNCTION "commandpost_changed"('name');
