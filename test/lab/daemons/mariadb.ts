/**
 * MariaDB in the lab's server namespace: its own datadir, socket, pid file and error log under
 * lab.dir, listening on 3306 of the server's address only. It never touches the machine's own
 * MariaDB (127.0.0.1:3306 in the root namespace): no system config is read (--no-defaults) and
 * the socket is ours. A lab user with a password, root with a password, and a database whose
 * table holds a known value give the mysql probe something true to check.
 */
import { execFileSync, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Lab } from '../network.ts';
import type { LabDaemon } from '../daemon.ts';
import { isRunning, killAll, waitFor, waitForTcp } from '../process.ts';

export interface LabMariadbOptions {
  /** @defaultValue 3306 */
  port?: number;
}

export interface LabMariadb extends LabDaemon {
  port: number;
  /** The lab user (`'lab'@'%'`) and its password. */
  user: string;
  password: string;
  rootPassword: string;
  /** A database holding table `known` with one row: `value` = `knownValue`. */
  database: string;
  knownValue: number;
  /** The unix socket, usable from any namespace (it is a file). */
  socket: string;
  /** Runs SQL as root through the socket and returns the tab-separated output. */
  sql(statement: string): string;
}

const USER = 'lab';
const PASSWORD = 'lab-Passw0rd';
const ROOT_PASSWORD = 'root-Passw0rd';
const DATABASE = 'labdb';
const KNOWN = 42;

/** Installs a datadir, starts mariadbd in lab.server and creates the lab's users and data. */
export async function startMariadb(lab: Lab, opts: LabMariadbOptions = {}): Promise<LabMariadb> {
  const port = opts.port ?? 3306;
  const dir = join(lab.dir, 'mariadb');
  const datadir = join(dir, 'data');
  const socket = join(dir, 'mysqld.sock');
  const pidFile = join(dir, 'mysqld.pid');
  const logFile = join(dir, 'error.log');
  mkdirSync(dir, { recursive: true });
  // --user=root: the lab dir is root's and private; mariadbd refuses root unless told explicitly.
  execFileSync('mariadb-install-db', ['--no-defaults', `--datadir=${datadir}`, '--user=root', '--auth-root-authentication-method=normal', '--skip-test-db', '--skip-name-resolve'], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });

  let child: ChildProcess | undefined;
  const args = [
    'mariadbd',
    '--no-defaults',
    `--datadir=${datadir}`,
    `--socket=${socket}`,
    `--pid-file=${pidFile}`,
    `--log-error=${logFile}`,
    `--port=${port}`,
    `--bind-address=${lab.server.ip}`,
    '--user=root',
    // No reverse lookups of clients: no DNS query may leave the lab, and none may slow a login.
    '--skip-name-resolve',
    '--innodb-buffer-pool-size=16M',
    '--max-connections=50',
  ];
  const pid = () => (child && child.exitCode === null && child.signalCode === null ? child.pid : undefined);
  // mariadbd is multithreaded: its main thread shows as a zombie while other threads still exit
  // and hold the listening socket. We are its parent, so its reported exit is the real end.
  const waitGone = (p: number | undefined) => waitFor('mariadbd to exit', () => p === undefined || child?.pid !== p || child.exitCode !== null || child.signalCode !== null, 20_000);

  const root = (statement: string, password?: string) =>
    execFileSync('mariadb', ['--no-defaults', `--socket=${socket}`, '-uroot', ...(password === undefined ? [] : [`-p${password}`]), '-N', '-B', '-e', statement], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });

  const start = async () => {
    if (isRunning(pid())) return;
    // `ip netns exec` execs the command: the child's pid is mariadbd's.
    child = lab.server.spawn(args, { stdio: 'ignore' });
    await waitForTcp(lab.server.ip, port, 30_000);
    // `ping` says alive even when the login is refused: fine before and after root's password.
    await waitFor('mariadbd to answer on its socket', () => spawnSync('mariadb-admin', ['--no-defaults', `--socket=${socket}`, '-uroot', 'ping'], { stdio: 'ignore' }).status === 0, 15_000);
  };
  await start();
  root(
    [
      `ALTER USER 'root'@'localhost' IDENTIFIED BY '${ROOT_PASSWORD}'`,
      `CREATE USER '${USER}'@'%' IDENTIFIED BY '${PASSWORD}'`,
      `CREATE DATABASE ${DATABASE}`,
      `GRANT ALL ON ${DATABASE}.* TO '${USER}'@'%'`,
      `CREATE TABLE ${DATABASE}.known (name VARCHAR(32) PRIMARY KEY, value INT NOT NULL)`,
      `INSERT INTO ${DATABASE}.known VALUES ('answer', ${KNOWN})`,
    ].join(';'),
  );

  const stop = async () => {
    const p = pid();
    killAll([p], 'SIGTERM');
    await waitGone(p);
  };
  const kill = async () => {
    const p = pid();
    killAll([p], 'SIGKILL');
    await waitGone(p);
  };
  lab.onDestroy(() => {
    killAll([pid()], 'SIGKILL');
  });

  return {
    port,
    user: USER,
    password: PASSWORD,
    rootPassword: ROOT_PASSWORD,
    database: DATABASE,
    knownValue: KNOWN,
    socket,
    logFile,
    pid,
    isRunning: () => isRunning(pid()),
    start,
    stop,
    kill,
    sql: (statement) => root(statement, ROOT_PASSWORD),
  };
}

/** The error log's text (for a test's failure message). */
export function mariadbLog(db: LabMariadb): string {
  try {
    return readFileSync(db.logFile, 'utf8');
  } catch {
    return '';
  }
}
