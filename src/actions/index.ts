/** The action registry: the guard policy's schema, the CLI help and the docs derive from this list. */
import type { ActionDefinition } from './types.ts';
import raiseWorkerLimit from './raise-worker-limit.ts';
import raiseWorkerLimitRestart from './raise-worker-limit-restart.ts';
import reloadService from './reload-service.ts';
import restartService from './restart-service.ts';
import startService from './start-service.ts';

export const actions = {
  'start-service': startService,
  'restart-service': restartService,
  'reload-service': reloadService,
  'raise-worker-limit': raiseWorkerLimit,
  'raise-worker-limit-restart': raiseWorkerLimitRestart,
} satisfies Record<string, ActionDefinition<any>>;

export type ActionType = keyof typeof actions;
export type { ActionDefinition, ActionContext, ActionOutcome, ActionStatus, ActionRisk, Described, TimelineRecord } from './types.ts';
export { serviceSchema, type ServiceConfig, type ServiceConfigInput } from './service-config.ts';
