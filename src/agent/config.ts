/**
 * The agent's own config (`mamoru agent -c agent.yaml`): where its NATS is and with which
 * credentials, its name, and what it allows. It is the second fence after NATS's permissions: a
 * brain, even a stolen one, gets only the actions named in `allow_actions` (none by default) and
 * the inspections in `allow_inspections`, on the services described here.
 *
 * The credentials file (a password file or a NATS creds file) must be the agent user's alone
 * (owned by it, mode 0600 or stricter): the agent refuses to start otherwise and says the chmod.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { parseDocument } from 'yaml';
import { z } from 'zod';
import { actions, type ActionType } from '../actions/index.ts';
import { serviceSchema } from '../actions/service-config.ts';
import { BUS_NAME } from '../bus/types.ts';
import { ConfigError, type ConfigProblem } from '../core/errors.ts';
import { absolutePath, duration } from '../core/schema.ts';
import { explainIssue, formatPath } from '../config/problems.ts';
import { inspectionTypes, readOnlyInspections, type AgentInspectionType } from './inspections.ts';
import { agentName } from './protocol.ts';

/** An agent's config is a few KiB; a larger file is the wrong file. */
const MAX_CONFIG_BYTES = 1024 * 1024;
/** A password file or a creds file is well under this. */
const MAX_CREDENTIALS_BYTES = 64 * 1024;

const actionTypes = Object.keys(actions) as [ActionType, ...ActionType[]];
const inspectionEnum = inspectionTypes as [AgentInspectionType, ...AgentInspectionType[]];

export const natsSchema = z
  .strictObject({
    url: z.string().min(1).max(2000).default('nats://127.0.0.1:4222').meta({ description: 'the NATS server(s) the agent connects out to, comma separated' }),
    prefix: z.string().regex(BUS_NAME).default('mamoru').meta({ description: 'start of every subject: the brain must use the same' }),
    user: z.string().min(1).max(200).optional().meta({ description: "the agent's NATS user (with password_file)" }),
    password_file: absolutePath("the file holding the NATS user's password (mode 0600, the agent's user's)").optional(),
    creds_file: absolutePath('a NATS creds file (JWT and NKey seed; mode 0600, the agent\'s user\'s)').optional(),
    ca_file: absolutePath('the CA that signed the NATS server\'s TLS certificate').optional(),
  })
  .superRefine((v, ctx) => {
    if (v.password_file && v.creds_file) ctx.addIssue({ code: 'custom', path: ['creds_file'], message: 'give password_file (with user) or creds_file, not both' });
    if (v.password_file && !v.user) ctx.addIssue({ code: 'custom', path: ['user'], message: 'password_file needs the user it belongs to' });
  });

export const agentConfigSchema = z
  .strictObject({
    nats: natsSchema.prefault({}),
    name: agentName.meta({ description: 'the agent\'s name: its subjects are <prefix>.agent.<name>.*, so NATS permissions can pin it there' }),
    address: z.string().min(1).max(255).default('127.0.0.1').meta({ description: 'how the agent reaches its own services when it verifies an action' }),
    heartbeat: duration('how often the agent says it is alive', { min: 100, max: 300_000 }).prefault('5s'),
    allow_actions: z.array(z.enum(actionTypes)).max(100).default([]).meta({ description: 'the actions the agent runs when asked; none by default' }),
    allow_inspections: z.array(z.enum(inspectionEnum)).max(100).default([...readOnlyInspections]).meta({ description: 'the inspections the agent answers (default: every read-only one)' }),
    services: z.array(serviceSchema).max(1000).default([]).meta({ description: 'the services on this server the brain may ask about or act on, and how they are controlled' }),
    max_concurrent: z.number().int().min(1).max(32).default(4).meta({ description: 'requests handled at once; more are refused as busy' }),
  })
  .superRefine((v, ctx) => {
    const seen = new Set<string>();
    v.services.forEach((s, i) => {
      if (seen.has(s.name)) ctx.addIssue({ code: 'custom', path: ['services', i, 'name'], message: `service "${s.name}" is described twice` });
      seen.add(s.name);
    });
  });

export type AgentConfig = z.output<typeof agentConfigSchema>;
export type AgentConfigInput = z.input<typeof agentConfigSchema>;

/** Reads at most `max` bytes of a file; undefined past that. */
function readBounded(file: string, max: number): Buffer | undefined {
  const fd = openSync(file, 'r');
  try {
    if (fstatSync(fd).size > max) return undefined;
    const buf = Buffer.alloc(max + 1);
    let n = 0;
    for (;;) {
      const r = readSync(fd, buf, n, buf.length - n, null);
      if (r === 0) break;
      n += r;
      if (n > max) return undefined;
    }
    return buf.subarray(0, n);
  } finally {
    closeSync(fd);
  }
}

/** Parses and checks an agent config's text; throws ConfigError listing every problem. */
export function parseAgentConfig(text: string, file: string): AgentConfig {
  const doc = parseDocument(text, { uniqueKeys: true, prettyErrors: false });
  if (doc.errors.length) throw new ConfigError(doc.errors.map((e) => ({ file, path: '', message: `YAML: ${e.message.split('\n')[0]}` })));
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 100 }) ?? {};
  } catch (e) {
    throw new ConfigError([{ file, path: '', message: `YAML: the document cannot be read (${(e as Error).message.split('\n')[0]})` }]);
  }
  const parsed = agentConfigSchema.safeParse(data, { reportInput: true });
  if (parsed.success) return parsed.data;
  const problems: ConfigProblem[] = [];
  // The keys of the top level and of `nats:`, for "did you mean"; a service's are in its own schema.
  const known = (path: PropertyKey[]) => (path.length === 0 ? Object.keys(agentConfigSchema.shape) : path.length === 1 && path[0] === 'nats' ? Object.keys(natsSchema.shape) : undefined);
  for (const issue of parsed.error.issues) for (const m of explainIssue(issue, known)) problems.push({ file, path: formatPath(m.path), message: m.message });
  throw new ConfigError(problems, 'the agent configuration');
}

/** Reads and checks the agent config file. */
export function loadAgentConfig(file: string): AgentConfig {
  let bytes: Buffer | undefined;
  try {
    bytes = readBounded(file, MAX_CONFIG_BYTES);
  } catch (e) {
    throw new ConfigError([{ file, path: '', message: `cannot read it: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}` }], 'the agent configuration');
  }
  if (!bytes) throw new ConfigError([{ file, path: '', message: `larger than ${MAX_CONFIG_BYTES / 1024} KiB: is this the right file?` }], 'the agent configuration');
  return parseAgentConfig(bytes.toString('utf8'), file);
}

/** Why the agent will not start with its credentials file: says the file and what to run. */
export class CredentialsFileError extends Error {
  constructor(
    readonly file: string,
    message: string,
  ) {
    super(message);
    this.name = 'CredentialsFileError';
  }
}

/**
 * The credentials file's bytes, once it is proven the agent user's alone: a regular file, owned
 * by this process's user, with no permission for group or others (0600 or 0400). Checked on
 * the open descriptor, so what is checked is what is read.
 */
export function readCredentialsFile(file: string, uid = process.getuid?.() ?? 0): Buffer {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (e) {
    throw new CredentialsFileError(file, `agent: cannot open the credentials file ${file} (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new CredentialsFileError(file, `agent: the credentials file ${file} is not a regular file`);
    if (st.uid !== uid) {
      throw new CredentialsFileError(file, `agent: the credentials file ${file} is owned by uid ${st.uid}, not by the agent's user (uid ${uid}); run: chown ${uid} ${file} && chmod 600 ${file}`);
    }
    const mode = st.mode & 0o777;
    if (mode & 0o077) {
      throw new CredentialsFileError(file, `agent: the credentials file ${file} has mode 0${mode.toString(8)}: others than the agent's user can read it; run: chmod 600 ${file}`);
    }
    if (st.size > MAX_CREDENTIALS_BYTES) throw new CredentialsFileError(file, `agent: the credentials file ${file} is larger than ${MAX_CREDENTIALS_BYTES / 1024} KiB: is this the right file?`);
    const buf = Buffer.alloc(st.size);
    let n = 0;
    while (n < buf.length) {
      const r = readSync(fd, buf, n, buf.length - n, null);
      if (r === 0) break;
      n += r;
    }
    return buf.subarray(0, n);
  } finally {
    closeSync(fd);
  }
}
