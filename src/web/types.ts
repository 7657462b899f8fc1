/** What the web room shows, as plain data the daemon hands it: the web never reaches into parts. */
import type { StateName } from '../core/nagios.ts';

export interface CheckView {
  id: string;
  target: string;
  address: string;
  type: string;
  state: number;
  state_name: StateName;
  state_type: 'soft' | 'hard';
  attempt: number;
  max_attempts: number;
  text: string;
  /** ISO time of the last result, null before the first. */
  last_check: string | null;
  last_change: string;
  duration_ms: number | null;
}

export interface StatusView {
  version: string;
  started_at: string;
  config_file: string;
  summary: Record<StateName, number> & { pending: number };
  scheduler: { configured: number; running: number; queued: number };
  checks: CheckView[];
}
