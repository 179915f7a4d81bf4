/** The bot's feature composers (commands/ and flows/), gathered for create-bot. */

export { createAcknowledgeFeature } from "../../commands/acknowledge.ts";
export { createHelpFeature, helpCommand } from "../../commands/help.ts";
export { createStartFeature, startCommand } from "../../commands/start.ts";
export { createStatusFeature, statusCommand } from "../../commands/status.ts";
export type { CommandInfo } from "./context.ts";
