/** @jsxRuntime automatic @jsxImportSource hono/jsx */
/** The status page: server-rendered, no script, readable on a phone. The dashboard grows here. */
import type { FC } from 'hono/jsx';
import type { CheckView, IncidentView, StatusView } from './types.ts';

const colors: Record<string, string> = { OK: '#1a7f37', WARNING: '#9a6700', CRITICAL: '#cf222e', UNKNOWN: '#6e40c9' };

const Row: FC<{ c: CheckView }> = ({ c }) => (
  <tr data-state={c.state_name}>
    <td>
      <span class="badge" style={`background:${c.last_check ? colors[c.state_name] : '#8c959f'}`}>
        {c.last_check ? c.state_name : 'PENDING'}
      </span>
      {c.state !== 0 && c.last_check ? <small> {c.state_type} {c.attempt}/{c.max_attempts}</small> : null}
    </td>
    <td>{c.target}</td>
    <td>{c.id.slice(c.target.length + 1)}</td>
    <td class="text">{c.text}</td>
    <td>{c.last_check ? new Date(c.last_check).toLocaleTimeString('en-GB') : '—'}</td>
  </tr>
);

const sevColors: Record<string, string> = { down: '#cf222e', critical: '#cf222e', warning: '#9a6700', unknown: '#6e40c9', ok: '#1a7f37' };

const Incidents: FC<{ incidents: IncidentView[] }> = ({ incidents }) =>
  incidents.length === 0 ? (
    <p id="incidents" class="quiet">
      No open incidents.
    </p>
  ) : (
    <section id="incidents">
      <h2>Open incidents</h2>
      <ul>
        {incidents.map((i) => (
          <li data-incident={String(i.id)}>
            <span class="badge" style={`background:${sevColors[i.severity] ?? '#8c959f'}`}>
              {i.severity.toUpperCase()}
            </span>{' '}
            <b>#{i.id}</b> {i.title} <small>since {new Date(i.opened_at).toLocaleString('en-GB')}</small>
          </li>
        ))}
      </ul>
    </section>
  );

export const StatusPage: FC<{ status: StatusView }> = ({ status }) => {
  const order = (c: CheckView) => (c.last_check ? [0, 2, 3, 1][c.state]! : 4);
  const checks = [...status.checks].sort((a, b) => order(b) - order(a) || a.id.localeCompare(b.id));
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta http-equiv="refresh" content="10" />
        <title>mamoru: {String(status.summary.CRITICAL + status.summary.WARNING)} problems</title>
        <style>{`
          body{font:14px/1.4 system-ui,sans-serif;margin:1.5rem;color:#1f2328}
          h1{font-size:1.3rem;margin:0 0 .3rem} .sub{color:#656d76;margin-bottom:1rem}
          .counts span{display:inline-block;margin-right:1rem;font-weight:600}
          table{border-collapse:collapse;width:100%;margin-top:1rem} th,td{text-align:left;white-space:nowrap;padding:.35rem .5rem;border-bottom:1px solid #d0d7de;vertical-align:top}
          th{font-weight:600;color:#656d76} .badge{color:#fff;border-radius:4px;padding:.05rem .4rem;font-size:12px;font-weight:600}
          h2{font-size:1.05rem;margin:1rem 0 .3rem} .quiet{color:#656d76} ul{padding-left:1.2rem;margin:.3rem 0} li{margin:.2rem 0}
          .text{font-family:ui-monospace,monospace;font-size:12.5px;word-break:break-word;white-space:normal}
        `}</style>
      </head>
      <body>
        <h1>mamoru 守る</h1>
        <div class="sub">
          {status.checks.length} checks, version {status.version}, running since {new Date(status.started_at).toLocaleString('en-GB')}, config {status.config_file}
        </div>
        <div class="counts">
          {(['CRITICAL', 'WARNING', 'UNKNOWN', 'OK'] as const).map((s) => (
            <span style={`color:${colors[s]}`} id={`count-${s.toLowerCase()}`}>
              {status.summary[s]} {s}
            </span>
          ))}
          <span id="count-pending">{status.summary.pending} PENDING</span>
        </div>
        <Incidents incidents={status.incidents} />
        <table>
          <thead>
            <tr>
              <th>State</th>
              <th>Target</th>
              <th>Check</th>
              <th>Result</th>
              <th>Last check</th>
            </tr>
          </thead>
          <tbody>
            {checks.map((c) => (
              <Row c={c} />
            ))}
          </tbody>
        </table>
      </body>
    </html>
  );
};
