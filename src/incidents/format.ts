/** Incidents for a terminal: a one-line list entry, and the whole timeline readable top to bottom. */
import type { IncidentEvent, IncidentRecord } from '../core/incident.ts';
import { formatDuration } from '../core/duration.ts';

const iso = (ms: number) => new Date(ms).toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z');

function lasted(i: IncidentRecord, now: number): string {
  return formatDuration((i.resolvedAt ?? now) - i.openedAt);
}

export function incidentLine(i: IncidentRecord, now: number): string {
  const status = i.status === 'open' ? `OPEN ${i.severity.toUpperCase()}` : 'resolved';
  return `#${i.id}  ${status.padEnd(13)} ${iso(i.openedAt)}  ${lasted(i, now).padStart(8)}  ${i.title}`;
}

export function incidentReport(i: IncidentRecord, events: readonly IncidentEvent[], now: number): string {
  const out = [
    `Incident #${i.id} on ${i.target}: ${i.status === 'open' ? `OPEN (${i.severity})` : 'resolved'}`,
    `  ${i.title}`,
    `  opened ${iso(i.openedAt)}${i.resolvedAt !== null ? `, resolved ${iso(i.resolvedAt)}` : ''}, lasted ${lasted(i, now)}${i.status === 'open' ? ' so far' : ''}`,
    '',
    'Members:',
    ...i.members.map((m) => `  ${m.recoveredAt !== undefined ? 'recovered' : 'PROBLEM  '}  ${m.kind === 'service' ? m.key : m.kind === 'host' ? `host ${i.target}` : m.kind === 'twin' ? `${m.key} (the same service)` : m.kind === 'folded-target' ? `${m.label} (behind)` : `host ${m.label} (behind)`}  ${m.state}  ${m.text}`),
    '',
    'Timeline:',
    ...events.map((e) => `  ${iso(e.at)}  ${e.kind.padEnd(13)} ${e.text}`),
  ];
  return out.join('\n') + '\n';
}
