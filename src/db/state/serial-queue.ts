/**
 * Runs tasks one after another, each starting when the one queued before it has settled. The
 * SQLite state has one connection: its transactions must not interleave across awaits.
 */
export interface SerialQueue {
  run<T>(task: () => T | Promise<T>): Promise<T>;
}

export function serialQueue(): SerialQueue {
  let tail: Promise<unknown> = Promise.resolve();
  return {
    run(task) {
      const result = tail.then(task);
      // The next task waits for this one to settle, whether it succeeded or not.
      tail = result.catch(() => undefined);
      return result;
    },
  };
}
