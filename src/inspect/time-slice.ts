/**
 * Cooperative time slicing for long parses of server text. The daemon has one event loop for
 * every check, jail and message; a parse that runs 200 ms in one go delays all of them by as
 * much. A parser counts its work with `spent()` and, when the slice is used up, awaits `pause()`,
 * which lets timers and I/O run before it goes on.
 */

/** How long a parser runs before it lets the event loop turn. @defaultValue 5 */
export const SLICE_MS = 5;

/** Work units (about one per character) between two looks at the clock... */
const UNITS_PER_LOOK = 16_384;
/** ...or calls, when each is small work with a cost of its own (a line, a command answered). */
const CALLS_PER_LOOK = 64;

export class TimeSlice {
  private started = performance.now();
  private units = 0;
  private calls = 0;

  constructor(private readonly sliceMs = SLICE_MS) {}

  /**
   * Counts `units` of work (characters scanned, plus a few per item); true when the slice is
   * used up and the caller should `await pause()`. Cheap enough to call once per line.
   */
  spent(units = 1): boolean {
    this.units += units;
    if (this.units < UNITS_PER_LOOK && ++this.calls < CALLS_PER_LOOK) return false;
    this.units = 0;
    this.calls = 0;
    return performance.now() - this.started >= this.sliceMs;
  }

  /** Whether the slice is used up, by the clock now. */
  due(): boolean {
    this.units = 0;
    this.calls = 0;
    return performance.now() - this.started >= this.sliceMs;
  }

  /**
   * Lets timers and I/O run (a macrotask turn), then starts a new slice. Only this starts one:
   * an executor's await is no proof the loop turned (an answer already there resolves at once).
   */
  async pause(): Promise<void> {
    await new Promise<void>((resolve) => setImmediate(resolve));
    this.started = performance.now();
    this.units = 0;
    this.calls = 0;
  }
}

/**
 * Work written once as a generator that yields after each chunk of about a millisecond, run
 * either at once (`runSync`, for pure functions and tests) or in slices (`runSliced`, which
 * looks at the clock at each yield).
 */
export type Steps<T> = Generator<void, T, void>;

/** Runs the steps to the end without yielding to the event loop. */
export function runSync<T>(steps: Steps<T>): T {
  for (;;) {
    const r = steps.next();
    if (r.done) return r.value;
  }
}

/** Runs the steps, letting the event loop turn whenever the slice is used up. */
export async function runSliced<T>(steps: Steps<T>, slice = new TimeSlice()): Promise<T> {
  for (;;) {
    const r = steps.next();
    if (r.done) return r.value;
    if (slice.due()) await slice.pause();
  }
}
