/**
 * The inspections an agent answers: each one of src/inspect/ behind the family shape
 * (`{ type, summary, schema, service, run }`), so the brain names one and sends typed parameters
 * that the agent checks against the schema here. Nothing here takes a command or a file from the
 * request: what concerns a service (its manager, its error log) comes from the agent's own config,
 * named by `service`; a path the brain may give is plain and absolute, and only read (du, find).
 */
import { z } from 'zod';
import { absolutePath, port } from '../core/schema.ts';
import type { Executor } from '../executors/types.ts';
import type { ServiceConfig } from '../actions/service-config.ts';
import { observeService } from '../actions/service-observe.ts';
import { inspectConnections } from '../inspect/connections.ts';
import { inspectDeletedOpenFiles, inspectDiskUsage, inspectInodeHogs } from '../inspect/disk-usage.ts';
import { inspectErrorLog } from '../inspect/error-log.ts';
import { inspectListening, inspectPort } from '../inspect/listening.ts';
import { inspectProcesses } from '../inspect/processes.ts';
import { inspectServiceState, type ServiceManager } from '../inspect/service-state.ts';
import { InspectionError, type Evidence } from '../inspect/types.ts';

export interface AgentInspection<S extends z.ZodObject = z.ZodObject> {
  /** Equals the registry key and the request's `name`. */
  type: string;
  summary: string;
  /** The parameters the brain may send (snake_case, strict). */
  schema: S;
  /** `required`: the request must name a service of the agent's config. */
  service: 'none' | 'required';
  /** Only reads (every one so far): what `allow_inspections` allows when it is not set. */
  readOnly: boolean;
  run(exec: Executor, params: z.output<S>, service: ServiceConfig | undefined): Promise<Evidence>;
}

const define = <S extends z.ZodObject>(def: AgentInspection<S>): AgentInspection<S> => def;
const top = (max: number, dflt: number) => z.number().int().min(1).max(max).default(dflt).meta({ description: `how many to list (at most ${max})` });

/** The service the request named; the registry refuses a request without one before `run`. */
function needService(type: string, s: ServiceConfig | undefined): ServiceConfig {
  if (!s) throw new InspectionError(type, 'this inspection needs a service from the agent\'s config');
  return s;
}

/** How the service's state is asked, from its config. */
function managerOf(s: ServiceConfig): ServiceManager {
  if (s.status) return { manager: 'command', name: s.name, argv: s.status };
  if (s.manager === 'command') throw new InspectionError('service-state', `${s.name} is controlled by its own commands and has no status command in the agent's config`);
  if (s.manager === 'sysv') return { manager: 'sysv', name: s.name, initDir: s.init_dir };
  return { manager: s.manager, name: s.name };
}

export const inspections = {
  listening: define({
    type: 'listening',
    summary: 'every listening TCP socket, with its accept queue',
    schema: z.strictObject({ source: z.enum(['auto', 'proc', 'ss']).default('auto') }),
    service: 'none',
    readOnly: true,
    run: (exec, p) => inspectListening(exec, { source: p.source }),
  }),
  port: define({
    type: 'port',
    summary: 'whether a TCP port listens, and whether its accept queue is full',
    schema: z.strictObject({ port: port(), address: z.union([z.ipv4(), z.ipv6()]).optional() }),
    service: 'none',
    readOnly: true,
    run: (exec, p) => inspectPort(exec, p.port, p.address === undefined ? {} : { address: p.address }),
  }),
  processes: define({
    type: 'processes',
    summary: 'the process list (ps), counted by name and program',
    schema: z.strictObject({}),
    service: 'none',
    readOnly: true,
    run: (exec) => inspectProcesses(exec),
  }),
  connections: define({
    type: 'connections',
    summary: 'the TCP connection table summed up: states, top sources, per local port',
    schema: z.strictObject({
      direction: z.enum(['inbound', 'all']).default('inbound'),
      local_port: port().optional(),
      top: top(100, 10),
    }),
    service: 'none',
    readOnly: true,
    run: (exec, p) => inspectConnections(exec, { direction: p.direction, top: p.top, ...(p.local_port === undefined ? {} : { localPort: p.local_port }) }),
  }),
  'disk-usage': define({
    type: 'disk-usage',
    summary: 'the largest directories under a path (du, one filesystem)',
    schema: z.strictObject({ path: absolutePath('the directory to look into'), top: top(50, 10) }),
    service: 'none',
    readOnly: true,
    run: (exec, p) => inspectDiskUsage(exec, { path: p.path, top: p.top }),
  }),
  'inode-hogs': define({
    type: 'inode-hogs',
    summary: 'the directories holding the most files under a path',
    schema: z.strictObject({ path: absolutePath('the directory to look into'), top: top(50, 10) }),
    service: 'none',
    readOnly: true,
    run: (exec, p) => inspectInodeHogs(exec, { path: p.path, top: p.top }),
  }),
  'deleted-open-files': define({
    type: 'deleted-open-files',
    summary: 'files deleted but still held open (space still in use)',
    schema: z.strictObject({ under: absolutePath('only files under this path').optional(), top: top(50, 10) }),
    service: 'none',
    readOnly: true,
    run: (exec, p) => inspectDeletedOpenFiles(exec, { top: p.top, ...(p.under === undefined ? {} : { under: p.under }) }),
  }),
  'service-state': define({
    type: 'service-state',
    summary: "a configured service's state in its manager's words (systemctl is-active, init script status)",
    schema: z.strictObject({}),
    service: 'required',
    readOnly: true,
    run: (exec, _p, s) => inspectServiceState(exec, managerOf(needService('service-state', s))),
  }),
  'service-observe': define({
    type: 'service-observe',
    summary: "whether a configured service's master process runs and its ports listen",
    schema: z.strictObject({}),
    service: 'required',
    readOnly: true,
    run: async (exec, _p, s) => {
      const view = await observeService(exec, needService('service-observe', s));
      return { summary: view.summary, up: view.up, down: view.down, master: view.master.master ?? null, listening: view.listening, notListening: view.notListening, udpOpen: view.udpOpen, udpClosed: view.udpClosed };
    },
  }),
  'error-log': define({
    type: 'error-log',
    summary: "the recent end of a configured service's error log (the file named in the agent's config)",
    schema: z.strictObject({ max_lines: top(200, 50) }),
    service: 'required',
    readOnly: true,
    run: (exec, p, s) => {
      const svc = needService('error-log', s);
      if (!svc.error_log) throw new InspectionError('error-log', `${svc.name} has no error_log in the agent's config`);
      return inspectErrorLog(exec, { path: svc.error_log, maxLines: p.max_lines });
    },
  }),
} satisfies Record<string, AgentInspection<any>>;

export type AgentInspectionType = keyof typeof inspections;
export const inspectionTypes = Object.keys(inspections) as AgentInspectionType[];
/** What an agent answers when its config does not say: every inspection that only reads. */
export const readOnlyInspections = inspectionTypes.filter((t) => inspections[t].readOnly);
