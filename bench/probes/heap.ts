/**
 * The memory side of bench/probes: what 10,000 configured checks cost in heap. A config-like
 * YAML (1,000 targets, each with ping, tcp and http checks) goes through mamoru's real path:
 * parseConfig, planChecks, Scheduler.setChecks. The scheduler is never started, so nothing is
 * sent anywhere; the addresses are loopback ones all the same.
 *
 *   node --expose-gc --import tsx bench/probes/heap.ts [--targets 1000] [--per-target 10]
 * Prints one JSON line (HeapReport) on stdout.
 */
import { parseArgs } from 'node:util';
import { planChecks } from '../../src/config/checks.ts';
import { parseConfig } from '../../src/config/load.ts';
import { systemClock } from '../../src/core/clock.ts';
import { silentLogger } from '../../src/core/log.ts';
import { Scheduler } from '../../src/scheduler/scheduler.ts';

export interface HeapReport {
  targets: number;
  checks: number;
  yamlBytes: number;
  /** heapUsed after gc before the config is parsed (modules loaded), MB. */
  baselineMB: number;
  /** heapUsed after gc with the checks configured, MB. */
  totalMB: number;
  /** totalMB - baselineMB: what the checks themselves hold. */
  checksMB: number;
  /** Bytes per configured check. */
  bytesPerCheck: number;
  /** Time to parse, plan and schedule, seconds (for orientation). */
  loadSeconds: number;
}

const { values } = parseArgs({ options: { targets: { type: 'string', default: '1000' }, 'per-target': { type: 'string', default: '10' } } });
const targets = Number(values.targets);
const perTarget = Number(values['per-target']);

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc');
const heapMB = () => {
  gc();
  gc();
  return process.memoryUsage().heapUsed / 2 ** 20;
};

/** A realistic mix: one ping, tcp on a few service ports, http pages on a few virtual hosts. */
function yamlFor(nTargets: number, n: number): string {
  const tcpPorts = [22, 25, 110, 143, 3306, 5432];
  const lines = ['defaults:', '  interval: 1m', '  timeout: 10s', 'targets:'];
  for (let t = 0; t < nTargets; t++) {
    lines.push(`  - name: host-${t}`, `    address: 127.${1 + (t >> 16)}.${(t >> 8) & 255}.${t & 255}`, `    tags: [rack-${t % 40}, client-${t % 7}]`, '    checks:');
    for (let c = 0; c < n; c++) {
      if (c === 0) lines.push('      - type: ping', '        packets: 3');
      else if (c % 2 === 1) lines.push('      - type: tcp', `        name: tcp-${c}`, `        port: ${tcpPorts[c % tcpPorts.length]}`, '        warning: 1', '        critical: 5');
      else
        lines.push(
          '      - type: http',
          `        name: http-${c}`,
          `        host_header: site-${c}.client-${t % 7}.example`,
          `        path: /health/${c}`,
          '        body_regex: "ok|healthy"',
          '        interval: 30s',
        );
    }
  }
  return `${lines.join('\n')}\n`;
}

const text = yamlFor(targets, perTarget);
const baselineMB = heapMB();
const t0 = performance.now();
const config = parseConfig(text, '<bench>');
const planned = planChecks(config);
const scheduler = new Scheduler({ clock: systemClock, log: silentLogger, onResult: () => {} });
// As the daemon does it: one ScheduledCheck per planned check, keyed by address.
scheduler.setChecks(planned.map((c) => ({ ...c, hostKey: c.target.address })));
const loadSeconds = (performance.now() - t0) / 1000;
// The daemon keeps the parsed config and the planned checks too; so do we, until measured.
const totalMB = heapMB();
const configured = scheduler.stats().configured;
void config;

const report: HeapReport = {
  targets,
  checks: configured,
  yamlBytes: Buffer.byteLength(text),
  baselineMB,
  totalMB,
  checksMB: totalMB - baselineMB,
  bytesPerCheck: Math.round(((totalMB - baselineMB) * 2 ** 20) / configured),
  loadSeconds,
};
process.stdout.write(`${JSON.stringify(report)}\n`);
await scheduler.stop();
