/** Triage: alert text or transition to kind, service, runbook and its steps (the field runbook's table). */
export { classify } from './classify.ts';
export { runbookSteps, runbookChoices } from './runbooks.ts';
export { rules } from './rules.ts';
export { alertKinds, services, runbookNames } from './types.ts';
export type { AlertKind, Service, RunbookName, AlertState, AlertTextInput, TransitionInput, TriageInput, Triage } from './types.ts';
export { decisionSources, sayDecision } from './context.ts';
export type { AlertContext, Decision, DecidedBy } from './context.ts';
