/**
 * Nagios plugin states: the common language of every probe, alert and plugin mamoru speaks.
 * The numbers are the plugin exit codes Nagios and Icinga expect.
 */

/** The four Nagios states, valued as the plugin exit codes. */
export const NagiosState = { OK: 0, WARNING: 1, CRITICAL: 2, UNKNOWN: 3 } as const;
export type NagiosState = (typeof NagiosState)[keyof typeof NagiosState];

export const stateNames = ['OK', 'WARNING', 'CRITICAL', 'UNKNOWN'] as const;
export type StateName = (typeof stateNames)[number];

export function stateName(state: NagiosState): StateName {
  return stateNames[state];
}

/** The state a name stands for (`CRITICAL` -> 2); undefined for anything else. */
export function stateByName(name: string): NagiosState | undefined {
  const i = (stateNames as readonly string[]).indexOf(name);
  return i < 0 ? undefined : (i as NagiosState);
}

/** Maps a plugin's exit code to a state; anything outside 0..3 (a crash, 137 for SIGKILL) is UNKNOWN. */
export function stateFromExitCode(code: number | null): NagiosState {
  return code === 0 || code === 1 || code === 2 || code === 3 ? code : NagiosState.UNKNOWN;
}

// CRITICAL outranks WARNING outranks UNKNOWN outranks OK: a known problem matters more than doubt.
const severity: Record<NagiosState, number> = { 0: 0, 3: 1, 1: 2, 2: 3 };

/** The most severe of several states (OK when given none). */
export function worstState(...states: NagiosState[]): NagiosState {
  let worst: NagiosState = NagiosState.OK;
  for (const s of states) if (severity[s] > severity[worst]) worst = s;
  return worst;
}
