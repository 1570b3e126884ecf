// Waiting for GPU work without busy-polling: in Node, sleep in 1 ms slices and yield to the event loop between them.
//
// dawn.node resolves its promises (onSubmittedWorkDone, mapAsync, popErrorScope) from a setImmediate loop that
// polls Dawn while any promise is pending. Awaited directly, that loop keeps the JS thread busy for the whole wait;
// on a software adapter (lavapipe) the thread then takes CPU time from the adapter's own worker threads. Sleeping
// between event-loop turns keeps the JS thread idle while Dawn's loop still gets one poll per slice.

export type WaitMode = 'sleep' | 'spin';

/** Sleep-waiting needs Atomics.wait on the calling thread and setImmediate: Node and Deno 2 (its Node globals) have
 * both; a browser's main thread has neither. Deno's wgpu does not spin the way dawn.node does, and sleeping there
 * measured no slower (docs/LAVAPIPE_FINDINGS.md). */
function sleepWaitAvailable(): boolean {
  const g = globalThis as any;
  return typeof g.setImmediate === 'function' && typeof g.SharedArrayBuffer === 'function' && !!g.process?.versions?.node;
}

/** The default for this runtime: sleep in Node and Deno; elsewhere (browsers) the runtime's own await. */
export function defaultWaitMode(): WaitMode { return sleepWaitAvailable() ? 'sleep' : 'spin'; }

let slot: Int32Array | null = null;

/**
 * Resolves as `p` does. With mode 'sleep' the calling thread sleeps 1 ms (Atomics.wait) between event-loop turns
 * until `p` has settled, adding at most ~1 ms of latency to the wait.
 */
export async function waitFor<T>(p: Promise<T>, mode: WaitMode): Promise<T> {
  if (mode === 'spin' || !sleepWaitAvailable()) return p;
  let settled = false;
  p.then(() => { settled = true; }, () => { settled = true; });
  await Promise.resolve(); // an already-settled promise needs no sleep
  slot ??= new Int32Array(new SharedArrayBuffer(4));
  const setImmediate = (globalThis as any).setImmediate as (f: () => void) => unknown;
  while (!settled) {
    Atomics.wait(slot, 0, 0, 1);
    await new Promise<void>((r) => setImmediate(r));
  }
  return p;
}
