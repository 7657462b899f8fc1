/**
 * What a principal may see: a viewer limited to some targets or tags sees only those, in every
 * list, and gets 404 (not 403: it does not learn what exists) for anything else by id. Also the
 * audit helper every write calls.
 */
import type { Context } from 'hono';
import { inScope, type Principal } from '../auth/types.ts';
import type { WebEnv } from './access.ts';
import type { WebDeps } from './deps.ts';

type C = Context<WebEnv>;

/** The principal of a protected route (the policy has made sure there is one). */
export function who(c: C): Principal {
  const p = c.get('principal');
  if (!p) throw new Error('a protected route ran without a principal'); // the policy prevents this
  return p;
}

/** A predicate: may the asking principal see this target? */
export function targetFilter(c: C, deps: WebDeps): (target: string) => boolean {
  const scope = who(c).scope;
  if (scope === null) return () => true;
  const tags = new Map(deps.targets().map((t) => [t.name, t.tags]));
  return (name) => inScope(scope, { name, tags: tags.get(name) ?? [] });
}

/** Records a write in the audit trail with who did it and from where. */
export function audit(c: C, deps: WebDeps, action: string, subject: string, detail = ''): Promise<void> {
  return deps.auth.audit({ principal: who(c), address: c.get('address') }, action, subject, detail.slice(0, 1000));
}

/**
 * The name that goes into the timeline and the client's messages: the user's own name; a machine
 * token with no user (the command line's) may say for whom it acts.
 */
export function actingName(c: C, given: string | undefined): string {
  const p = who(c);
  const g = given?.trim().slice(0, 100);
  // A machine token (the command line's on the daemon's host, a script's) says who acts, as
  // `mamoru ack --by` does; the audit trail still records the token itself.
  return p.userId === null && g ? g : p.name;
}
