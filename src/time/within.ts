/**
 * `work`'s answer, or `late()`'s once `ms` have passed, whichever comes first; `late` may throw to
 * reject instead. The work is not cancelled, only no longer awaited (a late failure of it is
 * swallowed); the timer is cleared when the work settles first and never keeps the process alive.
 */
export async function within<T, L>(work: Promise<T>, ms: number, late: () => L): Promise<T | L> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<L>((resolve, reject) => {
    timer = setTimeout(() => {
      try {
        resolve(late());
      } catch (err) {
        reject(err);
      }
    }, ms);
    timer.unref();
  });
  work.catch(() => undefined);
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
