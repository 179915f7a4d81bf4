import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { CONFIG_VARIABLES, envSchema } from "../../src/config.ts";
import { SECRET_FILE_VARIABLES } from "../../src/config-secrets.ts";

const root = new URL("../../", import.meta.url);
const read = (file: string) => readFileSync(new URL(file, root), "utf8");

/**
 * The variable names under `services.app.environment` of docker-compose.yml, read line by
 * line (the file keeps one `NAME:` per line at six spaces' indent there).
 */
function composeAppEnvironment(): string[] {
  const lines = read("docker-compose.yml").split("\n");
  const app = lines.indexOf("  app:");
  assert.ok(app >= 0, "docker-compose.yml has an app service");
  const names: string[] = [];
  let inEnv = false;
  for (const line of lines.slice(app + 1)) {
    if (/^ {2}\S/.test(line) || /^\S/.test(line)) break; // next service or top-level key
    if (/^ {4}\S/.test(line)) inEnv = line.trim() === "environment:";
    const m = inEnv ? /^ {6}([A-Z][A-Z0-9_]*):/.exec(line) : null;
    if (m?.[1]) names.push(m[1]);
  }
  return names;
}

describe("container configuration", () => {
  it("passes every configuration variable of the schema, and each <NAME>_FILE, to the app", () => {
    const passed = new Set(composeAppEnvironment());
    const schema = Object.keys(envSchema.shape);
    assert.ok(schema.length > 40, "the schema's variables are read");
    const missing = CONFIG_VARIABLES.filter((v) => !passed.has(v));
    assert.deepEqual(missing, [], "add them to docker-compose.yml under app.environment");
    for (const v of SECRET_FILE_VARIABLES) assert.ok(passed.has(v), v);
    // OpenTelemetry's SDK reads its standard OTEL_* variables itself (src/tracing).
    const unknown = [...passed].filter((v) => !CONFIG_VARIABLES.includes(v) && !/^OTEL_/.test(v));
    assert.deepEqual(unknown, [], "no variable the app does not read");
  });

  it("builds an image that type-checks, has git, and runs node under tini as a non-root user", () => {
    const docker = read("Dockerfile");
    assert.match(docker, /npx tsc --noEmit/);
    assert.match(docker, /npm run build/);
    assert.match(docker, /apt-get install[^\n]*\bgit\b/);
    assert.match(docker, /apt-get install[^\n]*\btini\b/);
    assert.match(docker, /^USER node$/m);
    assert.match(docker, /^ENTRYPOINT \["\/usr\/bin\/tini", "--"\]$/m);
    assert.match(docker, /^CMD \["node", "dist\/src\/main\.js"\]$/m);
    assert.doesNotMatch(docker, /CMD \["npm"/, "npm is not the server's parent");
  });
});
