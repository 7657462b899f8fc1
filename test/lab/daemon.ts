/** What every lab daemon offers: its process, its log, and the faults all of them have. */
export interface LabDaemon {
  /** Where the daemon logs (the guard and the runbooks read these later). */
  logFile: string;
  /** The main process, or undefined when it is not running. */
  pid(): number | undefined;
  /** Running and not a zombie. */
  isRunning(): boolean;
  /** Starts it again after stop() or kill(); resolves once it answers. */
  start(): Promise<void>;
  /** A clean shutdown; resolves once its processes are gone (not running, or zombies). */
  stop(): Promise<void>;
  /** SIGKILL to the daemon and its children: a crash, no clean shutdown. */
  kill(): Promise<void>;
}
