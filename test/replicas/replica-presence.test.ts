import { describe, expect, it } from 'vitest';
import { describeReplicas, replicasLevel, replicaViews } from '../../src/replicas/replica-presence.js';

const NOW = new Date('2026-12-07T12:00:30.000Z');
const row = (id: string, name: string, reaches: number, seen = '2026-12-07T12:00:25.000Z') => ({
  id,
  name,
  host: `${name}.example`,
  pid: 7,
  reaches_data: reaches,
  started_at: '2026-12-07T11:00:00.000Z',
  seen_at: seen,
  stopped_at: null,
});
const lease = (name: string, holder: string, expires = '2026-12-07T12:00:50.000Z') => ({ name, holder, fencing_token: 1, expires_at: expires });

describe('the replicas as doctor, /healthz and App Home say them', () => {
  it('name each replica, what it reaches and the jobs it holds now (not expired leases), and which is this one', () => {
    const views = replicaViews([row('a:1', 'bot-a', 1), row('b:1', 'bot-b', 0)], [lease('job:alerts', 'a:1'), lease('job:timers', 'b:1'), lease('job:retention', 'b:1', '2026-12-07T12:00:00.000Z')], NOW, 'b:1');
    expect(views.map((v) => [v.name, v.reachesData, v.leases, v.self, v.seenSecondsAgo])).toEqual([
      ['bot-a', true, ['alerts'], false, 5],
      ['bot-b', false, ['timers'], true, 5],
    ]);
    expect(describeReplicas(views)).toBe('bot-a on bot-a.example: reaches the service data (runs alerts) · bot-b (this one) on bot-b.example: no service data (runs timers)');
    expect(replicasLevel(views)).toBe('ok');
  });

  it('keep one replica to one short line, and warn when none reaches the data or none runs', () => {
    const alone = replicaViews([row('a:1', 'bot-a', 1)], [lease('job:alerts', 'a:1'), lease('job:timers', 'a:1')], NOW, 'a:1');
    expect(describeReplicas(alone)).toBe('bot-a (this one) on bot-a.example: reaches the service data');
    const far = replicaViews([row('b:1', 'bot-b', 0)], [], NOW, null);
    expect(describeReplicas(far)).toBe('bot-b on bot-b.example: no service data — none reaches the service data: alerts are not read and remediation cannot run');
    expect(replicasLevel(far)).toBe('warn');
    expect(describeReplicas([])).toBe('no bot process has reported in the last 30 s: is the bot running?');
    expect(replicasLevel([])).toBe('warn');
  });
});
