/**
 * Time in tests that must hold on a busy machine (docs/tests.md, `npm run test:busy`).
 *
 * A test never asserts that something was fast: when code under test bounds a call in time, the
 * test gives it a bound that a loaded machine's prompt answers meet (BOUND_MS), and makes the
 * slow side slower than any test may run (NEVER_MS). The test then finishing at all, with the
 * answer it expects, is the proof that the bound cut the wait; no stopwatch is needed.
 */

/** A time bound for code under test: an answer that comes at once meets it with two CPUs burning. */
export const BOUND_MS = 5_000;

/** A delay for an answer that must not be waited for: longer than any test's timeout. */
export const NEVER_MS = 600_000;
