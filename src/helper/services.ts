/**
 * What the helper may run, read from the config file itself (never from a request): the services
 * of the targets whose executor is `local`, and for each verb the commands the actions would
 * derive for them (src/actions/service-commands.ts, the same function), the first that exists.
 * A name two local targets configure differently is refused rather than guessed.
 */
import { statSync } from 'node:fs';
import { commandsFor, runnable, type Verb } from '../actions/service-commands.ts';
import type { ServiceConfig } from '../actions/service-config.ts';
import { loadConfigFile } from '../config/load.ts';
import type { Config } from '../config/schema.ts';
import { trimTrailingSlashes } from '../core/path.ts';
import type { Executor } from '../executors/types.ts';
import { hasSystemd } from '../inspect/service-state.ts';
import type { HelperVerb } from './protocol.ts';

export interface LocalServices {
  /** Services by name; `null`: two local targets configure that name differently. */
  byName: Map<string, ServiceConfig | null>;
}

/** The services of the config's local targets (an executor of type `local`). */
export function localServices(cfg: Config): LocalServices {
  const byName = new Map<string, ServiceConfig | null>();
  for (const target of cfg.targets) {
    if ((target.executor as { type?: string } | undefined)?.type !== 'local') continue;
    for (const svc of target.services) {
      const { checks: _checks, ...own } = svc;
      const known = byName.get(svc.name);
      if (known === undefined) byName.set(svc.name, own);
      else if (known !== null && JSON.stringify(known) !== JSON.stringify(own)) byName.set(svc.name, null);
    }
  }
  return { byName };
}

/** The config file, read again when it changed on disk; a file that no longer loads keeps the last good reading. */
export class ConfigWatch {
  private stamp = '';
  private current: LocalServices = { byName: new Map() };
  constructor(
    readonly file: string,
    private readonly onProblem: (message: string) => void = () => {},
  ) {
    this.refresh(true);
  }

  /** The services as the file says now. Throws only at the first reading (a config that does not load). */
  refresh(first = false): LocalServices {
    let stamp: string;
    try {
      const st = statSync(this.file);
      stamp = `${st.ino}:${st.size}:${st.mtimeMs}`;
    } catch (e) {
      if (first) throw e;
      this.onProblem(`cannot read ${this.file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}; keeping the services read before`);
      return this.current;
    }
    if (stamp === this.stamp) return this.current;
    try {
      this.current = localServices(loadConfigFile(this.file).config);
      this.stamp = stamp;
    } catch (e) {
      if (first) throw e;
      this.stamp = stamp; // said once per change of the file
      this.onProblem(`${this.file} changed and does not load (${(e as Error).message.split('\n')[0]}); keeping the services read before`);
    }
    return this.current;
  }
}

/** The wire's verb as the actions name it. */
const ACTION_VERB: Record<Exclude<HelperVerb, 'status'>, Verb> = { start: 'start', stop: 'stop', restart: 'restart', reload: 'reload', 'config-test': 'config_test' };

/**
 * The candidates for a verb, each as it runs (the actions' wrapping for commands that leave a
 * daemon behind), in order. Empty: the config gives no command for it.
 */
export async function helperCommands(exec: Executor, svc: ServiceConfig, verb: HelperVerb): Promise<string[][]> {
  if (verb === 'status') {
    if (svc.status) return [svc.status];
    if (svc.manager === 'command') return [];
    const systemd = svc.manager === 'systemd' || (svc.manager === 'auto' && (await hasSystemd(exec)));
    return systemd ? [['systemctl', 'is-active', '--', svc.name]] : [[`${trimTrailingSlashes(svc.init_dir)}/${svc.name}`, 'status']];
  }
  const v = ACTION_VERB[verb];
  return (await commandsFor(exec, svc, v)).map((argv) => runnable(v, argv));
}
