/**
 * A chatops.db as a running bot leaves it, made by driving the bot's own code: alerts raised
 * (one resolved), one acknowledged into an incident, an incident declared and resolved,
 * everything delivered to the Slack stand-in (messages, outbox rows sent), remediation audit
 * rows with a head published and the head file beside chatops.db, a chart upload's bytes in
 * outbox_files, and a removed outbox row (so the highest id handed out is above the highest left).
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { ALL_COMMANDS } from '../../../src/commands/index.js';
import { CommandRegistry } from '../../../src/commands/registry.js';
import { allowEveryone } from '../../helpers/authorizers.js';
import { at, openIncidentEnv, raiseAlert, type IncidentEnv } from '../../helpers/incident-env.js';

export interface ChatopsFixture {
  ie: IncidentEnv;
  stateFile: string;
  dataDir: string;
}

const CLI = { source: 'cli', userId: 'oncall-ann' } as const;

export async function realisticChatopsDb(): Promise<ChatopsFixture> {
  const ie = openIncidentEnv();
  const { deps } = ie.env;
  const registry = new CommandRegistry([...ALL_COMMANDS], allowEveryone);
  const run = async (...words: string[]) => {
    const { outcome, report } = await registry.run(words, CLI, deps);
    if (outcome !== 'ok' && outcome !== 'info' && outcome !== 'warn') throw new Error(`fixture: ${words.join(' ')}: ${report.headline}`);
  };
  await raiseAlert(ie, { name: 'IpfsDown' });
  await raiseAlert(ie, { name: 'DiskLow', message: 'Disk 91% full on the snapshot volume — “quotes” and ünïcode' });
  await raiseAlert(ie, { name: 'ProviderDown', firedAt: at(-30), resolvedAt: at(-5) });
  await run('ack', 'IpfsDown', '--eta', '30m');
  await run('declare', 'TIGER answers 503', '--sev', 'P2');
  const declared = ie.env.db.prepare("SELECT id FROM incidents WHERE title = 'TIGER answers 503'").pluck().get() as string;
  await run('resolve', declared, '--resolution', 'TIGER back since 04:10');
  await ie.deliver();

  for (const [i, outcome] of (['previewed', 'started', 'applied', 'refused'] as const).entries()) {
    await deps.state.audit.append(
      { source: 'cli', userId: 'oncall-ann', channelId: null, command: 'backup', args: JSON.stringify({ n: i }), outcome, plan: outcome === 'refused' ? null : '{"steps":["copy"]}', result: `step ${i}`, undo: null },
      new Date(at(i)),
    );
  }
  await deps.state.audit.publishHead('daily:2026-11-26', new Date(at(5)));

  const db = ie.env.db;
  const upload = db
    .prepare("INSERT INTO outbox (created_at, lane, op, anchor, channel, payload, next_attempt_at) VALUES (?, 'chart', 'upload', NULL, 'C0INCIDENT', '{}', ?)")
    .run(at(6), at(6)).lastInsertRowid;
  db.prepare('INSERT INTO outbox_files (outbox_id, filename, bytes) VALUES (?, ?, ?)').run(upload, 'errors.png', Buffer.concat([Buffer.from([0, 0, 255, 0]), randomBytes(64 * 1024)]));
  const dropped = db.prepare("INSERT INTO outbox (created_at, lane, op, channel, payload, next_attempt_at) VALUES (?, 'x', 'post', 'C0INCIDENT', '{}', ?)").run(at(7), at(7)).lastInsertRowid;
  db.prepare('DELETE FROM outbox WHERE id = ?').run(dropped);
  return { ie, stateFile: path.join(ie.dataDir, 'chatops.db'), dataDir: ie.dataDir };
}
