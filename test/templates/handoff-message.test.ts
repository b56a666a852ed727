import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ingestAlert } from '../../src/alerts/alert-ingest.js';
import type { JobRow } from '../../src/checks/jobs.js';
import { generateAtlasData } from '../../src/demo/generate-atlas-data.js';
import type { TimerRow } from '../../src/db/state/state-records.js';
import { declareIncident } from '../../src/incidents/declare.js';
import { handoffStatus, type HandoffAlertGroup, type HandoffContent, type HandoffIncident, type HandoffWatchItem, type MaintenanceEntry } from '../../src/oncall/handoff-content.js';
import { gatherHandoff } from '../../src/handoff/gather-handoff.js';
import { checkMessage } from '../../src/sandbox/message-check.js';
import { blocksTextLength } from '../../src/sandbox/block-kit-check.js';
import { SlackRefusal } from '../../src/sandbox/slack-refusal.js';
import type { SlackMessage } from '../../src/templates/block-kit.js';
import { HANDOFF_TAKE_OVER_ACTION } from '../../src/templates/handoff-buttons.js';
import { handoffFileName, handoffMarkdown } from '../../src/templates/handoff-markdown.js';
import { handoffMessage } from '../../src/templates/handoff-message.js';
import { tempDir, testDeps, TEST_NOW } from '../helpers/test-deps.js';

const OUT = 'U0OUTGOING';
const IN = 'U0INCOMING';
const NOW = new Date(TEST_NOW);
const HOUR = 3_600_000;
const iso = (hours: number) => new Date(NOW.getTime() + hours * HOUR).toISOString();

/** Would Slack take the message, text and blocks as they would be posted? Throws Slack's refusal. */
function judge(m: SlackMessage): void {
  checkMessage({ text: m.text, blocks: m.blocks });
}

interface Shown {
  type: string;
  text?: { text: string };
  elements?: { type: string; text?: string; action_id?: string; value?: string }[];
  accessory?: { type: string; action_id: string; value: string; text: { text: string } };
}

const shown = (m: SlackMessage) => m.blocks as unknown as Shown[];
/** Every piece of text a reader sees, in order, one block per paragraph. */
const readable = (m: SlackMessage) =>
  shown(m)
    .map((b) => (b.type === 'divider' ? '---' : (b.text?.text ?? (b.elements ?? []).map((e) => e.text ?? '').join(' | '))))
    .join('\n\n');
/** The buttons of a message, wherever they sit. */
const buttons = (m: SlackMessage): { action_id: string; value: string }[] =>
  shown(m).flatMap((b) => [
    ...(b.accessory ? [b.accessory] : []),
    ...(b.elements ?? []).flatMap((e) => (e.type === 'button' ? [{ action_id: e.action_id ?? '', value: e.value ?? '' }] : [])),
  ]);

function timer(kind: TimerRow['kind'], dueHours: number): TimerRow {
  return { id: 1, incident_id: null, alert_key: null, kind, due_at: iso(dueHours), created_at: iso(-1), fired_at: null, cancelled_at: null, attempts: 0, last_error: null };
}

function incident(n: number, patch: Partial<HandoffIncident> = {}): HandoffIncident {
  return {
    id: `INC-20261126-${n}`,
    severity: 'P2',
    status: 'investigating',
    title: `Incident number ${n}: ${'a long description of what is going wrong '.repeat(8)}`,
    ownerId: 'U0RESPONDER',
    needsOwner: null,
    openedAt: iso(-n),
    ageMs: n * HOUR,
    lastUpdateAt: iso(-0.5),
    nextDeadline: timer('update-due', 1),
    ...patch,
  };
}

function alertGroup(n: number): HandoffAlertGroup {
  return {
    key: `alert_${n}`,
    name: `alert_${n}_${'x'.repeat(180)}`,
    severity: n % 3 === 0 ? 'P1' : 'P2',
    firings: (n % 4) + 1,
    outcome: n % 2 === 0 ? 'resolved' : 'still firing',
    lastFiredAt: iso(-(n % 20)),
    resolvedAt: n % 2 === 0 ? iso(-(n % 20) + 0.5) : null,
  };
}

function job(n: number): JobRow {
  return {
    id: `job-mx${n.toString(36).padStart(6, '0')}-1a2b3c4d`,
    status: n % 3 === 0 ? 'partial' : 'running',
    totalTasks: 150,
    completedTasks: n,
    failedTasks: n % 5,
    percent: Math.round(((n + (n % 5)) / 150) * 1000) / 10,
    createdAt: iso(-n),
    updatedAt: iso(-n / 2),
    ageMs: n * HOUR,
    sinceUpdateMs: (n / 2) * HOUR,
    source: 'file',
    stuck: n % 7 === 0,
    currentTask: 'TX-state_house',
    notConfiguredTasks: 0,
  };
}

function watchItem(n: number): HandoffWatchItem {
  return { key: `provider:P${n}`, label: `Provider availability: Provider ${n}`, level: n % 2 ? 'warn' : 'crit', value: 91.5, unit: '%', target: '≥ 95 %', alert: '< 95 %', detail: `average of 12 health checks in the last 1 h ${'and more words '.repeat(20)}` };
}

function entry(n: number): MaintenanceEntry {
  const date = `2026-11-${String(27 + (n % 3)).padStart(2, '0')}`;
  return { line: n, date, time: '14:00', utc: false, text: `Planned work ${n} ${'on the registry '.repeat(10)}`, zone: 'Europe/Berlin', start: new Date(`${date}T13:00:00Z`), end: null };
}

/** Everything at once: 60 incidents, 200 alert names, 100 jobs, 80 watch items, 40 maintenance entries, a long note. */
function floodedContent(): HandoffContent {
  const incidents = Array.from({ length: 60 }, (_, i) => incident(i + 1, i < 3 ? { needsOwner: 'owner-leaves', ownerId: OUT, severity: 'P1' } : {}));
  const sections = {
    incidents: { items: incidents, gaps: [], notes: [] },
    alerts: { items: Array.from({ length: 200 }, (_, i) => alertGroup(i)), gaps: [], notes: [] },
    jobs: { items: Array.from({ length: 100 }, (_, i) => job(i + 1)), gaps: ['persistence.db is locked by a writer; try again in a few seconds. Check by hand: `/atlas jobs`.'], notes: [] },
    watch: { items: Array.from({ length: 80 }, (_, i) => watchItem(i)), gaps: [], notes: ['Not measured: IPFS retrieval; `/atlas health` says why.'] },
    maintenance: { items: Array.from({ length: 40 }, (_, i) => entry(i)), gaps: [], notes: [] },
    problems: [
      { kind: 'user-gone' as const, userId: 'U0INSEC', role: 'incoming secondary' },
      { kind: 'reminder-undelivered' as const, userId: OUT, error: 'cannot_dm_bot' },
    ],
  };
  return {
    shiftChange: NOW,
    timezone: 'Europe/Berlin',
    outgoing: { primary: OUT, secondary: 'U0OUTSEC' },
    incoming: { primary: IN, secondary: 'U0INSEC' },
    now: NOW,
    late: { scheduled: new Date(NOW.getTime() - 2 * HOUR) },
    skipped: Array.from({ length: 50 }, (_, i) => new Date(NOW.getTime() - (i + 1) * 24 * HOUR)).reverse(),
    skippedMore: 12,
    status: handoffStatus(sections),
    ...sections,
    alertHours: 24,
    stuckHours: 12,
    failedHours: 24,
    healthWindowMs: HOUR,
    maintenanceDays: 7,
    notes: { text: Array.from({ length: 400 }, (_, i) => `line ${i} of a very long note <!channel> & <@U0SOMEONE>`).join('\n'), by: OUT, at: new Date(NOW.getTime() - HOUR) },
  };
}

function quietContent(patch: Partial<HandoffContent> = {}): HandoffContent {
  const empty = { items: [], gaps: [], notes: [] };
  const sections = {
    incidents: empty,
    alerts: empty,
    jobs: empty,
    watch: empty,
    maintenance: { items: [], gaps: [], notes: ['No maintenance calendar is configured (handoff.maintenanceCalendar).'] },
    problems: [],
  };
  return {
    shiftChange: NOW,
    timezone: 'UTC',
    outgoing: { primary: OUT, secondary: null },
    incoming: { primary: IN, secondary: null },
    now: NOW,
    late: null,
    skipped: [],
    skippedMore: 0,
    status: handoffStatus(sections),
    ...sections,
    alertHours: 24,
    stuckHours: 12,
    failedHours: 24,
    healthWindowMs: HOUR,
    maintenanceDays: 7,
    notes: null,
    ...patch,
  };
}

describe('handoffMessage', () => {
  const cleanups: (() => unknown)[] = [];
  afterAll(async () => {
    for (const c of cleanups.splice(0)) await c();
  });

  /** The demo data directory with two incidents (one the outgoing primary's) and an alert, gathered. */
  async function demoContent(): Promise<HandoffContent> {
    const t = tempDir('handoff-msg-');
    const dataDir = path.join(t.dir, '.shadow-atlas');
    generateAtlasData(dataDir, { now: NOW, days: 2, scenario: 'demo' });
    const env = testDeps(dataDir, { file: { rotation: { timezone: 'Europe/Berlin', start: '2026-11-02', primary: [OUT, IN] } }, fetch: async () => new Response('x') });
    cleanups.push(t.cleanup, env.close);
    env.clock.set(new Date(NOW.getTime() - 3 * HOUR));
    await declareIncident(env.deps, { title: 'Census TIGER outage <!channel> & friends', severity: 'P1', actorId: OUT });
    env.clock.set(new Date(NOW.getTime() - HOUR));
    await declareIncident(env.deps, { title: 'Slow district lookups', severity: 'P2', actorId: 'U0RESPONDER' });
    await ingestAlert(env.deps, { name: 'provider_down', status: 'firing', message: 'TIGER down', source: 'atlas-webhook', severityHint: 'critical', firedAt: new Date(NOW.getTime() - HOUR) });
    env.clock.set(NOW);
    return gatherHandoff(
      env.deps,
      { shiftChange: NOW, outgoing: { primary: OUT, secondary: null }, incoming: { primary: IN, secondary: null }, notes: { text: 'Watch TIGER.\nDisk creeps up.', by: OUT, at: NOW }, late: null, skipped: [], now: NOW },
    );
  }

  it('puts the answer first: who hands over to whom, when, and the status', async () => {
    const m = handoffMessage(await demoContent());
    judge(m);
    const [first] = shown(m);
    expect(first!.text!.text.split('\n')).toEqual([
      `*On-Call Handoff: <@${OUT}> → <@${IN}>*`,
      'Date: 2026-11-26 12:00 UTC (13:00 Europe/Berlin)',
      expect.stringMatching(/^Status: 🚨 \*Critical\*: INC-20261126-1 needs a new owner · INC-20261126-1 \(P1\) open · provider_down \(P1\) still firing · /),
    ]);
    expect(m.text).toBe(`On-Call Handoff: <@${OUT}> → <@${IN}> · 🚨 Critical`);
  });

  it('lists each incident with a Take over button, the outgoing primary’s first, and escapes what people typed', async () => {
    const m = handoffMessage(await demoContent());
    const text = readable(m);
    expect(text).toContain('*Active incidents* (2) · 1 needs an owner, listed first');
    expect(text).toContain('🆘 *Needs a new owner* (the owner goes off shift)\n🟠 *INC-20261126-1* · P1 · investigating · open 3 h');
    expect(text).toContain('Census TIGER outage &lt;!channel&gt; &amp; friends');
    expect(JSON.stringify(m.blocks)).not.toContain('<!channel>');
    expect(buttons(m).map((b) => [b.action_id, b.value])).toEqual([
      [`${HANDOFF_TAKE_OVER_ACTION}:INC-20261126-1`, 'INC-20261126-1'],
      [`${HANDOFF_TAKE_OVER_ACTION}:INC-20261126-2`, 'INC-20261126-2'],
    ]);
    expect(text).toContain('• 🔴 1x provider_down (still firing) · P1 · last fired 11:00 UTC');
    expect(text).toMatch(/\*Ongoing work\*\n• ⚠️ `job-[a-z0-9]+-[0-9a-f]+` running · [\d.]+ % \(\d+ of \d+ tasks\) · updated \d+ h( \d+ min)? ago · \*stuck\?\*/);
    expect(text).toMatch(/\*Watch items\*\n• 🔴 /);
    expect(text).toContain('*Notes* from <@U0OUTGOING> (12:00 UTC):\n>Watch TIGER.\n>Disk creeps up.');
  });

  it('stays inside every Slack limit with 60 incidents, 200 alert names and everything else at once', () => {
    const m = handoffMessage(floodedContent());
    judge(m);
    expect(m.blocks.length).toBeLessThanOrEqual(50);
    // The bot's own ceiling, below the ~12,000 at which Slack answers msg_blocks_too_long.
    expect(blocksTextLength(m.blocks)).toBeLessThanOrEqual(11_000);
    const text = readable(m);
    // Every incident shown is whole with its own button; the rest are counted with the command to list them.
    const ids = buttons(m).map((b) => b.value);
    expect(ids).toEqual(Array.from({ length: ids.length }, (_, i) => `INC-20261126-${i + 1}`));
    for (const id of ids) expect(text).toContain(`*${id}* ·`);
    expect(text).toContain(`… and ${60 - ids.length} more: \`/atlas incidents\``);
    expect(new Set(buttons(m).map((b) => b.action_id)).size).toBe(ids.length);
    expect(text).toMatch(/… and \d+ more: `\/atlas alerts --all`/);
    expect(text).toMatch(/… and \d+ more: `\/atlas jobs`\n⚠️ persistence\.db is locked by a writer/);
    expect(text).toMatch(/… and \d+ more: `\/atlas health`\nℹ️ Not measured: IPFS retrieval/);
    expect(text).toMatch(/… and \d+ more in the maintenance calendar/);
    expect(text).toContain('Skipped (the bot was down): ');
    expect(text).toContain('and 57 earlier');
    expect(text).toContain('⏰ Posted late: scheduled for 2026-11-26 10:00 UTC (11:00 Europe/Berlin)');
    expect(text).toContain('Secondary: <@U0OUTSEC> → <@U0INSEC>');
    expect(text).toContain('&lt;!channel&gt; &amp; &lt;@U0SOMEONE&gt;');
    expect(text).toMatch(/\n>… \d+ more lines of notes/);
  });

  it('fails the judge for a message Slack would refuse (the check is real)', () => {
    const m = handoffMessage(floodedContent());
    const tooMany = { ...m, blocks: [...m.blocks, ...m.blocks] };
    expect(() => judge(tooMany)).toThrow(SlackRefusal);
    const first = shown(m)[0]!;
    const tooLong = { ...m, blocks: [{ ...first, text: { type: 'mrkdwn', text: 'x'.repeat(3001) } }, ...m.blocks.slice(1)] } as SlackMessage;
    expect(() => judge(tooLong)).toThrow(/invalid_blocks/);
  });

  it('says Nobody on call, All clear and None plainly when the shift is quiet', () => {
    const m = handoffMessage(quietContent({ outgoing: { primary: null, secondary: null } }));
    judge(m);
    const text = readable(m);
    expect(text.split('\n').slice(0, 3)).toEqual([`*On-Call Handoff: Nobody on call → <@${IN}>*`, 'Date: 2026-11-26 12:00 UTC', 'Status: ✅ *All clear*']);
    expect(text).toContain('*Active incidents*: none');
    expect(text).toContain('*Recent alerts (last 24 h)*\nNone.');
    expect(text).toContain('ℹ️ No maintenance calendar is configured (handoff.maintenanceCalendar).');
    expect(text).toContain('*Notes*: none left');
    expect(buttons(m)).toEqual([]);
  });

  it('says each gap in its own section', () => {
    const gap = (what: string) => ({ gap: `${what} could not be read (boom); check by hand: \`/atlas x\`.` });
    const sections = { incidents: gap('The incident list'), alerts: gap('The alert history'), jobs: gap('Jobs'), watch: gap('The health checks'), maintenance: gap('The calendar'), problems: [] };
    const m = handoffMessage(quietContent({ ...sections, status: handoffStatus(sections) }));
    judge(m);
    const text = readable(m);
    expect(text).toContain('Status: ⚠️ *Issues to watch*: 5 parts could not be read');
    for (const title of ['*Active incidents*', '*Recent alerts (last 24 h)*', '*Ongoing work*', '*Watch items*', '*Scheduled maintenance (next 7 days)*']) {
      expect(text).toMatch(new RegExp(`${title.replace(/[*()]/g, '\\$&')}\\n⚠️ .+ could not be read \\(boom\\); check by hand: \`/atlas x\`\\.`));
    }
  });
});

describe('handoffMarkdown', () => {
  it("writes the guide's file: title, Date, the template's sections in order, and the checklist", () => {
    const content = floodedContent();
    const md = handoffMarkdown(content);
    expect(handoffFileName(content)).toBe('handoff-20261126.md');
    expect(md.split('\n')[0]).toBe(`# On-Call Handoff: @${OUT} → @${IN}`);
    expect(md).toContain('Date: 2026-11-26 12:00 UTC (13:00 Europe/Berlin)');
    const headings = md.split('\n').filter((l) => l.startsWith('## '));
    expect(headings).toEqual([
      '## Summary Status',
      '## Active Incidents',
      '## Alerts (last 24 h)',
      '## Ongoing Work',
      '## Watch Items',
      '## Scheduled Maintenance',
      '## Notes',
      '## Handoff Checklist',
    ]);
    expect(md).toContain('**Overall Status**: 🚨 Critical');
    // A file has no block limit: everything is in it, and no Slack markup.
    for (let n = 1; n <= 60; n++) expect(md).toContain(`**INC-20261126-${n}**`);
    expect(md).toContain('**INC-20261126-1** P1: Incident number 1:');
    expect(md).toContain('**needs a new owner** (the owner goes off shift)');
    expect(md.match(/^- \dx alert\\_\d+/gm)).toHaveLength(200);
    expect(md).not.toMatch(/(?<!\\)<@U/);
    expect(md).toContain('> line 399 of a very long note \\<!channel\\> & \\<@U0SOMEONE\\>');
    expect(md).toContain('- [ ] Next on-call acknowledged handoff');
  });

  it('says who is not on call and names the file by the date in the rotation zone', () => {
    const late = quietContent({ shiftChange: new Date('2026-11-30T23:30:00Z'), timezone: 'Europe/Berlin', incoming: { primary: null, secondary: null } });
    expect(handoffFileName(late)).toBe('handoff-20261201.md');
    const md = handoffMarkdown(late);
    expect(md.split('\n')[0]).toBe(`# On-Call Handoff: @${OUT} → Nobody on call`);
    expect(md).toContain('**Overall Status**: ✅ All clear');
    expect(md).toContain('- Nothing open, firing or at warn');
  });
});
