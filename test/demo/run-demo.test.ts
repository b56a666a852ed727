import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DEMO_ON_CALL } from '../../src/demo/demo-rotation.js';
import { runDemo } from '../../src/demo/run-demo.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** What `npm run demo` printed for one subcommand: its lines up to its exit code. */
function answerOf(output: string, command: string): { text: string; exit: number } {
  const start = output.indexOf(`$ atlas ${command}\n`);
  expect(start, `the demo runs atlas ${command}`).toBeGreaterThanOrEqual(0);
  const rest = output.slice(start + command.length + 9);
  const exit = /\(exit (\d+)\)/.exec(rest);
  return { text: rest.slice(0, exit?.index ?? rest.length), exit: Number(exit?.[1] ?? -1) };
}

describe('npm run demo', () => {
  it('has a rotation: oncall, oncall load and handoff answer as in the sandbox', async () => {
    const cwd = mkdtempSync(path.join(tmpdir(), 'atlas-demo-'));
    dirs.push(cwd);
    let out = '';
    let err = '';
    // 14:00 UTC: Alice's shift (the rotation's first primary on even days since its start) or Bobby's.
    const code = await runDemo({ env: {}, cwd, stdout: (s) => void (out += s), stderr: (s) => void (err += s) }, new Date('2026-12-07T14:00:00Z'));
    expect(err).toBe('');
    expect(code).toBe(0);
    const oncall = answerOf(out, 'oncall');
    expect(oncall.exit).toBeLessThan(3);
    expect(oncall.text).toMatch(new RegExp(`${DEMO_ON_CALL.alice}|${DEMO_ON_CALL.bobby}`));
    expect(oncall.text).not.toMatch(/no rotation/i);
    const load = answerOf(out, 'oncall load --weeks 1');
    expect(load.exit).toBeLessThan(3);
    expect(load.text).not.toMatch(/no rotation/i);
    const handoff = answerOf(out, 'handoff');
    expect(handoff.exit).toBeLessThan(3);
    expect(handoff.text).toContain('Handoff for the shift change at');
    expect(out).toContain('ATLAS_CONFIG=demo-data/atlas.config.yml');
    // Eight subcommands through the terminal, each opening the databases: a busy machine takes its time.
  }, 120_000);
});
