/**
 * Flap detection, Nagios style: the share of state changes among the last results, recent changes
 * weighing more, with hysteresis so a check hovering at the threshold does not flap about flapping.
 */
import type { NagiosState } from '../core/nagios.ts';

export interface FlapPolicy {
  /** Results kept; changes are counted between consecutive ones. @defaultValue 21 (Nagios) */
  window: number;
  /** Flapping starts when the change percentage rises above this. @defaultValue 50 */
  highThreshold: number;
  /** Flapping stops when it falls below this. @defaultValue 25 */
  lowThreshold: number;
}

export const defaultFlapPolicy: FlapPolicy = { window: 21, highThreshold: 50, lowThreshold: 25 };

export interface FlapState {
  /** The last `window` result states, oldest first. */
  history: NagiosState[];
  flapping: boolean;
  /** The last computed weighted change percentage. */
  percent: number;
}

export const initialFlapState = (): FlapState => ({ history: [], flapping: false, percent: 0 });

/**
 * Weighted change percentage over a history: the oldest change weighs 0.8, the newest 1.2
 * (Nagios). Divided by the full window so a short history never looks flappier than it is.
 */
export function changePercent(history: readonly NagiosState[], window: number): number {
  const slots = window - 1;
  if (slots <= 0) return 0;
  let sum = 0;
  const offset = slots - (history.length - 1); // short histories are the newest end of the window
  for (let i = 1; i < history.length; i++) {
    if (history[i] === history[i - 1]) continue;
    const pos = offset + i - 1;
    sum += slots === 1 ? 1 : 0.8 + (0.4 * pos) / (slots - 1);
  }
  return (sum / slots) * 100;
}

/** Records one result; `started`/`stopped` say whether flapping began or ended with it. */
export function recordFlap(prev: FlapState, state: NagiosState, policy: FlapPolicy): { state: FlapState; started: boolean; stopped: boolean } {
  const history = [...prev.history, state].slice(-policy.window);
  const percent = changePercent(history, policy.window);
  let flapping = prev.flapping;
  if (!flapping && percent > policy.highThreshold) flapping = true;
  else if (flapping && percent < policy.lowThreshold) flapping = false;
  return { state: { history, flapping, percent }, started: flapping && !prev.flapping, stopped: !flapping && prev.flapping };
}
