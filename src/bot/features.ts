/** The bot's feature composers (commands/ and flows/), gathered for create-bot. */

export { agentsCommand, createAgentsFeature } from "../../commands/agents.ts";
export { backendsCommand, createBackendsFeature } from "../../commands/backends.ts";
export { createDashboardFeature, dashboardCommand } from "../../commands/dashboard.ts";
export { createGroupButtonsFeature } from "../../commands/group-buttons.ts";
export { createHelpFeature, helpCommand } from "../../commands/help.ts";
export { createIncidentButtonsFeature } from "../../commands/incident-buttons.ts";
export { createIncidentsFeature, incidentsCommand } from "../../commands/incidents.ts";
export { createMuteFeature, muteCommand } from "../../commands/mute.ts";
export { createMutesFeature, mutesCommand } from "../../commands/mutes.ts";
export { createPlanButtonsFeature } from "../../commands/plan-buttons.ts";
export { createPlansFeature, plansCommand } from "../../commands/plans.ts";
export { createReportFeature, reportCommand } from "../../commands/report.ts";
export { createRoutesFeature, routesCommand } from "../../commands/routes.ts";
export { createSessionsFeature, sessionsCommand } from "../../commands/sessions.ts";
export { createSmokeFeature, smokeCommand } from "../../commands/smoke.ts";
export { createStartFeature, startCommand } from "../../commands/start.ts";
export { createStatusFeature, statusCommand } from "../../commands/status.ts";
export { createTriageButtonsFeature } from "../../commands/triage-buttons.ts";
export { createUsageFeature, usageCommand } from "../../commands/usage.ts";
export { addBackendCommand, createAddBackendFeature } from "../../flows/add-backend.ts";
export { createMuteFlowFeature } from "../../flows/mute.ts";
export { createRejectPlanFlowFeature } from "../../flows/reject-plan.ts";
export type { CommandInfo } from "./context.ts";
