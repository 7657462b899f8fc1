/**
 * Soft and hard states of one check, Nagios semantics, as a pure function: a problem is first
 * soft (re-checked at the retry interval) and becomes hard after `maxAttempts` failures in a
 * row; recoveries and changes between problem states are transitions too. The fuller engine
 * (hosts, parents, flapping, downtime) grows from here.
 */
import { NagiosState } from '../core/nagios.ts';
import type { CheckResult } from '../core/result.ts';

export type StateType = 'soft' | 'hard';

export interface CheckState {
  state: NagiosState;
  stateType: StateType;
  /** Consecutive non-OK results (1 on the first failure); 0 while OK. */
  attempt: number;
  /** When the state last changed (soft or hard), ms. */
  lastChange: number;
  /** When the last result came in, ms. */
  lastCheck: number;
  /** The last result's text. */
  text: string;
}

export interface Transition {
  from: NagiosState;
  to: NagiosState;
  type: StateType;
}

/** Every check starts as OK/hard, as in Nagios: the first failure is a soft problem. */
export function initialState(now: number): CheckState {
  return { state: NagiosState.OK, stateType: 'hard', attempt: 0, lastChange: now, lastCheck: 0, text: '' };
}

export function nextState(prev: CheckState, result: CheckResult, maxAttempts: number, now: number): { state: CheckState; transition?: Transition } {
  const base = { lastCheck: now, text: result.text };
  if (result.state === NagiosState.OK) {
    if (prev.state === NagiosState.OK) return { state: { ...prev, ...base, attempt: 0, stateType: 'hard' } };
    // Recovery: hard when the problem was hard (operators are told), soft when it never was.
    return { state: { state: NagiosState.OK, stateType: 'hard', attempt: 0, lastChange: now, ...base }, transition: { from: prev.state, to: NagiosState.OK, type: prev.stateType } };
  }
  const attempt = prev.state === NagiosState.OK ? 1 : Math.min(prev.attempt + 1, maxAttempts);
  const stateType: StateType = attempt >= maxAttempts ? 'hard' : 'soft';
  const changed = result.state !== prev.state || stateType !== prev.stateType;
  const state: CheckState = { state: result.state, stateType, attempt, lastChange: changed ? now : prev.lastChange, ...base };
  return changed ? { state, transition: { from: prev.state, to: result.state, type: stateType } } : { state };
}
