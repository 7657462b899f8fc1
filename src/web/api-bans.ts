/**
 * API v1, the guard's bans: list (viewers), add and remove (operators), in the firewall and the
 * store like `mamoru bans add|remove`.
 *
 * Scope: a ban is of an address, not of a target (one ban may block every port of every client),
 * so a viewer limited to some targets or tags sees no bans at all; only viewers with the whole
 * view (scope null) see them. Kept simple on purpose: attributing a ban to a target by port would
 * show one client the addresses attacking another.
 */
import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { formatCidr, parseCidr } from '../guard/address.ts';
import { problem, type RouteTable, type WebEnv } from './access.ts';
import type { WebDeps } from './deps.ts';
import { AddressParam, Ban, BanBody, commonErrors, json, jsonBody, writeErrors } from './schemas.ts';
import { audit, who } from './scope.ts';

const V1 = '/api/v1';

export function registerBans(app: OpenAPIHono<WebEnv>, table: RouteTable, deps: WebDeps): void {
  app.openapi(table.api('viewer', createRoute({ method: 'get', path: `${V1}/bans`, summary: 'Bans in force, oldest first (none for a viewer limited to some targets)', responses: { 200: json(z.array(Ban)), ...commonErrors } })), async (c) =>
    c.json(who(c).scope === null ? await deps.bans() : [], 200),
  );

  app.openapi(
    table.api('operator', createRoute({ method: 'post', path: `${V1}/bans`, summary: 'Ban an address or network by hand', request: jsonBody(BanBody), responses: { 201: json(Ban, 'banned'), ...writeErrors } })),
    async (c) => {
      const b = c.req.valid('json');
      const cidr = parseCidr(b.address);
      if (!cidr) return problem(c, 400, 'invalid', `"${b.address}" is not an IP address or network`, 'address');
      const address = formatCidr(cidr);
      const now = Date.now();
      const untilMs = b.for_seconds === undefined ? undefined : now + b.for_seconds * 1000;
      await deps.ban({ address, port: b.port, proto: b.port === undefined ? undefined : b.proto, untilMs, reason: b.reason });
      await audit(c, deps, 'ban', `ban:${address}`, `${b.port ? `port ${b.proto}/${b.port} ` : ''}${untilMs ? `until ${new Date(untilMs).toISOString()}` : 'no end'}: ${b.reason}`);
      return c.json({ address, port: b.port ?? null, proto: b.port === undefined ? null : b.proto, jail: 'manual', reason: b.reason, created_at: new Date(now).toISOString(), until: untilMs === undefined ? null : new Date(untilMs).toISOString(), ban_count: 1 }, 201);
    },
  );

  app.openapi(table.api('operator', createRoute({ method: 'delete', path: `${V1}/bans/{address}`, summary: 'Lift every ban of an address or network', request: { params: AddressParam }, responses: { 200: json(z.object({ removed: z.number().int() })), ...writeErrors } })), async (c) => {
    const { address: given } = c.req.valid('param');
    const cidr = parseCidr(given);
    if (!cidr) return problem(c, 400, 'invalid', `"${given}" is not an IP address or network`, 'address');
    const address = formatCidr(cidr);
    const removed = await deps.unban(address);
    await audit(c, deps, 'unban', `ban:${address}`, `${removed} stored`);
    return c.json({ removed }, 200);
  });
}
