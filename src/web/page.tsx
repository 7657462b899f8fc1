/** @jsxRuntime automatic @jsxImportSource hono/jsx */
/**
 * The status page and the login form: server-rendered, no script and no inline style (the CSP
 * allows neither), readable on a phone. The dashboard grows here.
 */
import type { FC } from 'hono/jsx';
import type { CheckView, IncidentView, StatusView } from './types.ts';

/** The style sheet, served at /static/mamoru.css (colours are classes: no inline style under the CSP). */
export const STYLE = `
body{font:14px/1.4 system-ui,sans-serif;margin:1.5rem;color:#1f2328}
h1{font-size:1.3rem;margin:0 0 .3rem} .sub{color:#656d76;margin-bottom:1rem}
.counts span{display:inline-block;margin-right:1rem;font-weight:600}
table{border-collapse:collapse;width:100%;margin-top:1rem} th,td{text-align:left;white-space:nowrap;padding:.35rem .5rem;border-bottom:1px solid #d0d7de;vertical-align:top}
th{font-weight:600;color:#656d76} .badge{color:#fff;border-radius:4px;padding:.05rem .4rem;font-size:12px;font-weight:600}
h2{font-size:1.05rem;margin:1rem 0 .3rem} .quiet{color:#656d76} ul{padding-left:1.2rem;margin:.3rem 0} li{margin:.2rem 0}
.text{font-family:ui-monospace,monospace;font-size:12.5px;word-break:break-word;white-space:normal}
.bg-OK,.bg-ok{background:#1a7f37} .bg-WARNING,.bg-warning{background:#9a6700} .bg-CRITICAL,.bg-critical,.bg-down{background:#cf222e} .bg-UNKNOWN,.bg-unknown{background:#6e40c9} .bg-PENDING,.bg-other{background:#8c959f}
.fg-OK{color:#1a7f37} .fg-WARNING{color:#9a6700} .fg-CRITICAL{color:#cf222e} .fg-UNKNOWN{color:#6e40c9}
.who{float:right} .who form{display:inline} form.login{max-width:20rem} form.login label{display:block;margin:.6rem 0 .2rem} form.login input{width:100%;padding:.3rem} .error{color:#cf222e}
`;

const Row: FC<{ c: CheckView }> = ({ c }) => (
  <tr data-state={c.state_name}>
    <td>
      <span class={`badge bg-${c.last_check ? c.state_name : 'PENDING'}`}>
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

const SEVERITIES = new Set(['down', 'critical', 'warning', 'unknown', 'ok']);

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
            <span class={`badge bg-${SEVERITIES.has(i.severity) ? i.severity : 'other'}`}>
              {i.severity.toUpperCase()}
            </span>{' '}
            <b>#{i.id}</b> {i.title} <small>since {new Date(i.opened_at).toLocaleString('en-GB')}</small>
          </li>
        ))}
      </ul>
    </section>
  );

/** Who is logged in, and the logout form (its CSRF token in a hidden field). */
export interface PageUser {
  name: string;
  role: string;
  /** Sessions only: a token-authenticated page has nothing to log out of. */
  csrf?: string | undefined;
}

export const StatusPage: FC<{ status: StatusView; user: PageUser }> = ({ status, user }) => {
  const order = (c: CheckView) => (c.last_check ? [0, 2, 3, 1][c.state]! : 4);
  const checks = [...status.checks].sort((a, b) => order(b) - order(a) || a.id.localeCompare(b.id));
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta http-equiv="refresh" content="10" />
        <title>mamoru: {String(status.summary.CRITICAL + status.summary.WARNING)} problems</title>
        <link rel="stylesheet" href="/static/mamoru.css" />
      </head>
      <body>
        <div class="who">
          {user.name} ({user.role})
          {user.csrf ? (
            <form method="post" action="/logout">
              <input type="hidden" name="csrf" value={user.csrf} /> <button type="submit">Log out</button>
            </form>
          ) : null}
        </div>
        <h1>mamoru 守る</h1>
        <div class="sub">
          {status.checks.length} checks, version {status.version}, running since {new Date(status.started_at).toLocaleString('en-GB')}, config {status.config_file}
        </div>
        <div class="counts">
          {(['CRITICAL', 'WARNING', 'UNKNOWN', 'OK'] as const).map((s) => (
            <span class={`fg-${s}`} id={`count-${s.toLowerCase()}`}>
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

/** The login form; `csrf` is the value of the login cookie it must echo (double submit). */
export const LoginPage: FC<{ csrf: string; error?: string | undefined }> = ({ csrf, error }) => (
  <html lang="en">
    <head>
      <meta charset="utf-8" />
      <meta name="viewport" content="width=device-width, initial-scale=1" />
      <title>mamoru: log in</title>
      <link rel="stylesheet" href="/static/mamoru.css" />
    </head>
    <body>
      <h1>mamoru 守る</h1>
      {error ? <p class="error" id="login-error">{error}</p> : null}
      <form class="login" method="post" action="/login">
        <input type="hidden" name="csrf" value={csrf} />
        <label for="name">Name</label>
        <input id="name" name="name" autocomplete="username" required maxlength={32} />
        <label for="password">Password</label>
        <input id="password" name="password" type="password" autocomplete="current-password" required maxlength={1024} />
        <p>
          <button type="submit">Log in</button>
        </p>
      </form>
    </body>
  </html>
);
