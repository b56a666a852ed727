import { assertBlockKitLimits } from './helpers/slack-judge.js';
import { allowEveryone } from './helpers/authorizers.js';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Actor } from '../src/commands/command-spec.js';
import { ALL_COMMANDS } from '../src/commands/index.js';
import { CommandRegistry } from '../src/commands/registry.js';
import { generateAtlasData } from '../src/demo/generate-atlas-data.js';
import { renderPlainText } from '../src/templates/plain-text.js';
import type { Report, ReportLevel } from '../src/templates/report.js';
import { tempDir, testDeps, TEST_NOW } from './helpers/test-deps.js';
import {
  escapeMrkdwn,
  LEVEL_EMOJI,
  renderBlocks,
  SHARE_ACTION_ID,
} from '../src/templates/block-kit.js';

type TableBlockShape = { type: string; rows: { type: string; text: string }[][]; column_settings: { align: string; is_wrapped: boolean }[] };
type AnyBlock = { type: string; text?: { text: string; verbatim?: boolean }; elements?: Array<Record<string, unknown>> };

function report(partial: Partial<Report>): Report {
  return { command: 'health', level: 'ok', headline: 'persistence.db: ok', sections: [], ...partial };
}

function texts(blocks: readonly unknown[]): string[] {
  const out: string[] = [];
  const visit = (v: unknown) => {
    if (Array.isArray(v)) v.forEach(visit);
    else if (v && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      // Text objects, table cells (raw_text) and rich text inside cells: all a person reads.
      if ((o.type === 'mrkdwn' || o.type === 'plain_text' || o.type === 'raw_text' || o.type === 'text') && typeof o.text === 'string') out.push(o.text);
      else Object.values(o).forEach(visit);
    }
  };
  visit(blocks);
  return out;
}

function sectionTexts(blocks: readonly unknown[]): string[] {
  return (blocks as AnyBlock[]).filter((b) => b.type === 'section').map((b) => b.text?.text ?? '');
}

describe('renderBlocks', () => {
  it('puts the headline first, with the emoji of its level, and uses it as the fallback text', () => {
    const levels: ReportLevel[] = ['ok', 'warn', 'crit', 'unknown', 'info', 'error'];
    for (const level of levels) {
      const msg = renderBlocks(report({ level, headline: '3 firing alerts, 1 not acknowledged' }));
      const first = msg.blocks[0] as AnyBlock;
      expect(first.type).toBe('section');
      expect(first.text?.text).toBe(`${LEVEL_EMOJI[level]} 3 firing alerts, 1 not acknowledged`);
      expect(msg.text).toBe(first.text?.text);
    }
    expect(new Set(Object.values(LEVEL_EMOJI)).size).toBe(6);
  });

  it('renders sections with a bold title and their lines, and the footer as context', () => {
    const msg = renderBlocks(
      report({
        sections: [{ title: 'Watch', lines: ['disk at 85%', 'backup 30 h old'] }],
        footer: 'Runbook: https://runbooks.example/disk-full?x=1&y=2.',
      }),
    );
    const [, body, footer] = msg.blocks as AnyBlock[];
    expect(body?.text?.text).toBe('*Watch*\ndisk at 85%\nbackup 30 h old');
    expect(body?.text?.verbatim).toBe(true);
    expect(footer?.type).toBe('context');
    // verbatim text does not auto-link, so URLs become explicit links; the final "." stays outside
    expect(footer?.elements?.[0]?.text).toBe('Runbook: <https://runbooks.example/disk-full?x=1&amp;y=2>.');
    assertBlockKitLimits('message', msg.blocks);
  });

  it("renders a table as Slack's table block: the header row first, numbers right-aligned, no code block", () => {
    const msg = renderBlocks(
      report({
        sections: [{ title: 'Jobs', table: { columns: ['id', 'state', 'age', 'rows'], rows: [['job-1', 'running', '3 min', '14,472'], ['job-22222', 'stuck', '13 h', '7']] } }],
      }),
    );
    assertBlockKitLimits('message', msg.blocks);
    expect(sectionTexts(msg.blocks)[1]).toBe('*Jobs*');
    const table = msg.blocks[2] as unknown as TableBlockShape;
    expect(table.type).toBe('table');
    expect(table.rows.map((r) => r.map((c) => c.text))).toEqual([
      ['id', 'state', 'age', 'rows'],
      ['job-1', 'running', '3 min', '14,472'],
      ['job-22222', 'stuck', '13 h', '7'],
    ]);
    expect(table.rows.flat().every((c) => c.type === 'raw_text')).toBe(true);
    expect(table.column_settings.map((c) => c.align)).toEqual(['left', 'left', 'right', 'right']);
    expect(texts(msg.blocks).join('\n')).not.toContain('```');
  });

  it('says "(none)" for an empty table, keeps a cell on one line and an empty cell a space (Slack refuses an empty one)', () => {
    const empty = renderBlocks(report({ sections: [{ table: { columns: ['a', 'b'], rows: [] } }] }));
    assertBlockKitLimits('message', empty.blocks);
    expect((empty.blocks[1] as unknown as TableBlockShape).rows[1]?.map((c) => c.text)).toEqual(['(none)', ' ']);
    const tricky = renderBlocks(report({ sections: [{ table: { columns: ['a', ''], rows: [['x```y', ''], ['two\nlines', 'b']] } }] }));
    assertBlockKitLimits('message', tricky.blocks);
    expect((tricky.blocks[1] as unknown as TableBlockShape).rows.map((r) => r.map((c) => c.text))).toEqual([
      ['a', ' '],
      ['x```y', ' '],
      ['two lines', 'b'],
    ]);
  });

  it('sends one table block per message, as Slack allows: a later table comes as lines naming its columns', () => {
    const msg = renderBlocks(
      report({
        sections: [
          { title: 'By family', table: { columns: ['family', 'errors'], rows: [['requests', '3']] } },
          { title: 'Top errors', table: { columns: ['metric', 'where', 'count'], rows: [['provider_error', 'Census TIGER', '2'], ['proof_generation', '', '1']] } },
        ],
      }),
    );
    assertBlockKitLimits('message', msg.blocks);
    expect(msg.blocks.filter((b) => b.type === 'table')).toHaveLength(1);
    expect(sectionTexts(msg.blocks).at(-1)).toBe(['*Top errors*', '_metric · where · count_', '*provider_error* · Census TIGER · 2', '*proof_generation* · – · 1'].join('\n'));
  });

  it("shows a report's slackSections instead of its sections, and a context section as context", () => {
    const msg = renderBlocks(
      report({
        sections: [{ table: { columns: ['check'], rows: [['terminal only']] } }],
        slackSections: [{ title: 'Needs attention', lines: ['⚠️ *Disk* 91 %'] }, { context: true, lines: ['✅ OK: backup, integrity'] }],
      }),
    );
    expect(texts(msg.blocks).join('\n')).not.toContain('terminal only');
    expect(sectionTexts(msg.blocks)[1]).toBe('*Needs attention*\n⚠️ *Disk* 91 %');
    expect(msg.blocks.at(-1)).toMatchObject({ type: 'context', elements: [{ type: 'mrkdwn', text: '✅ OK: backup, integrity' }] });
  });

  it('shows a mention in a cell as Slack does, through a rich_text cell', () => {
    const msg = renderBlocks(report({ sections: [{ table: { columns: ['owner'], rows: [['<@U0ALICE> (primary)']] } }] }));
    assertBlockKitLimits('message', msg.blocks);
    expect((msg.blocks[1] as unknown as { rows: unknown[][] }).rows[1]?.[0]).toEqual({
      type: 'rich_text',
      elements: [{ type: 'rich_text_section', elements: [{ type: 'user', user_id: 'U0ALICE' }, { type: 'text', text: ' (primary)' }] }],
    });
  });

  it('adds the share button only when a share id is given, and refuses a malformed id', () => {
    const plain = renderBlocks(report({}));
    expect((plain.blocks as AnyBlock[]).some((b) => b.type === 'actions')).toBe(false);
    const shared = renderBlocks(report({}), { shareId: 'abc_DEF-123' });
    const actions = shared.blocks.at(-1) as AnyBlock;
    expect(actions.type).toBe('actions');
    expect(actions.elements?.[0]).toMatchObject({ type: 'button', action_id: SHARE_ACTION_ID, value: 'abc_DEF-123' });
    expect(() => renderBlocks(report({}), { shareId: 'no spaces<>' })).toThrow(/shareId/);
  });

  it('adds "shared by" with a real mention only for a well-formed user ID', () => {
    const msg = renderBlocks(report({}), { sharedBy: 'U012ABC' });
    expect(texts(msg.blocks)).toContain('shared by <@U012ABC>');
    const hostile = renderBlocks(report({}), { sharedBy: 'U1> <!channel' });
    expect(JSON.stringify(hostile.blocks)).not.toContain('shared by');
  });

  it('escapes &, < and > in every string from the report, so broadcasts, channels and links stay literal', () => {
    const evil = '<!channel> <@U123> <#C1> <https://evil.example|click> a&b';
    const msg = renderBlocks(
      report({
        headline: evil,
        sections: [{ title: evil, lines: [evil, 'https://evil.example|<!here>'], table: { columns: [evil], rows: [[evil]] } }],
        footer: evil,
      }),
    );
    // Text objects are where Slack reads markup; a table cell is literal text (raw_text, or rich
    // text elements), where `<!channel>` is only characters, and no broadcast or link element is made.
    const all = [msg.text, ...texts(msg.blocks.filter((b) => b.type !== 'table'))];
    const table = JSON.stringify(msg.blocks.filter((b) => b.type === 'table'));
    expect(table).toContain(JSON.stringify(' <#C1> <https://evil.example|click> a&b'));
    expect(table).not.toMatch(/"type":"(broadcast|link|channel)"/);
    for (const t of all) {
      expect(t).not.toMatch(/<[!#]/);
      expect(t).not.toMatch(/<https:\/\/evil\.example\|/);
    }
    expect(msg.text).toContain('&lt;!channel&gt; <@U123> &lt;#C1&gt;');
    expect(all.join('\n')).toContain('a&amp;b');
    // the URL is linked without the pipe, so no label can be smuggled in
    expect(all.join('\n')).toContain('<https://evil.example>|&lt;!here&gt;');
  });

  it('keeps a plain user mention a mention, and nothing with a label or a broadcast', () => {
    const msg = renderBlocks(report({ headline: 'acknowledged by <@U0ALICE> <@U0BOB|bob> <!here|here>', sections: [] }));
    expect(texts(msg.blocks).join('\n')).toContain('acknowledged by <@U0ALICE> &lt;@U0BOB|bob&gt; &lt;!here|here&gt;');
  });

  it('escapes exactly three characters and nothing else', () => {
    expect(escapeMrkdwn(`a&b<c>d "e" 'f' *g*`)).toBe(`a&amp;b&lt;c&gt;d "e" 'f' *g*`);
  });

  it('cuts a 5,000-row table to the limits and says how many rows are left out', () => {
    const rows = Array.from({ length: 5000 }, (_, i) => [`job-${i}`, 'running', `${i} min`]);
    const msg = renderBlocks(report({ level: 'info', headline: '5000 jobs', sections: [{ title: 'Jobs', table: { columns: ['id', 'state', 'age'], rows } }] }), {
      shareId: 'id1',
    });
    assertBlockKitLimits('message', msg.blocks);
    const table = msg.blocks.find((b) => b.type === 'table') as unknown as TableBlockShape;
    const shown = table.rows.length - 1;
    expect(shown).toBeGreaterThan(50);
    expect(table.rows.slice(1).map((r) => r[0]?.text)).toEqual(rows.slice(0, shown).map((r) => r[0]));
    const note = /… ([\d,]+) more rows/.exec(texts(msg.blocks).join('\n'));
    expect(note).not.toBeNull();
    expect(Number(note?.[1]?.replace(/,/g, ''))).toBe(5000 - shown);
    expect(texts(msg.blocks).join('\n')).toContain('Shortened to fit Slack');
    expect((msg.blocks.at(-1) as AnyBlock).type).toBe('actions');
  });

  it('never cuts a cell: ids and CIDs whole, long columns wrapped and short ones on one line', () => {
    const id = 'job-mz3k2a1-1a2b3c4d';
    const cid = 'bafybeiven4eisgfh7nf7iqckupufspbjlu7n4cz6zqsy6p3cavv67jxcsl';
    const detail = `running without an update for 12 h or more: ${id} (14 h); a suspicion: is the orchestrator alive? has updatedAt moved?`;
    const msg = renderBlocks(
      report({
        sections: [
          {
            table: {
              columns: ['', 'check', 'value', 'detail'],
              rows: [
                ['WARN', 'Stuck jobs', '1', detail],
                ['CRIT', 'Current snapshot', '', `${cid} is not pinned on any gateway we asked, after three tries`],
              ],
            },
          },
        ],
      }),
    );
    assertBlockKitLimits('message', msg.blocks);
    const table = msg.blocks[1] as unknown as TableBlockShape;
    const cells = table.rows.flat().map((c) => c.text);
    expect(cells).toContain(detail);
    expect(cells).toContain(`${cid} is not pinned on any gateway we asked, after three tries`);
    expect(cells.join(' ')).not.toContain('…');
    expect(table.column_settings.map((c) => c.is_wrapped)).toEqual([false, false, false, true]);
    expect(table.column_settings.map((c) => c.align)).toEqual(['left', 'left', 'right', 'left']);
  });

  it('cuts a long headline or line between words, never inside an id', () => {
    const id = 'job-mz3k2a1-1a2b3c4d';
    const long = `${'word '.repeat(197)}${id} and more`;
    const msg = renderBlocks(report({ headline: long, sections: [{ lines: [`${'word '.repeat(397)}${id} and more`] }] }));
    for (const t of [msg.text, ...sectionTexts(msg.blocks)]) {
      expect(t).toContain('…');
      expect(t).not.toMatch(/job-[a-z0-9-]*…/);
    }
  });

  it('cuts a 10,000-character line with an ellipsis and keeps the message within limits', () => {
    const msg = renderBlocks(report({ sections: [{ lines: ['x'.repeat(10_000), 'after'] }] }));
    assertBlockKitLimits('message', msg.blocks);
    const text = sectionTexts(msg.blocks)[1] ?? '';
    expect(text.length).toBeLessThanOrEqual(3000);
    expect(text).toMatch(/x…\nafter$/);
  });

  it('never splits an entity or an emoji when cutting', () => {
    for (const unit of ['&', '<', '🔴', 'é', 'שלום ']) {
      const msg = renderBlocks(report({ headline: unit.repeat(3000), sections: [{ lines: [unit.repeat(5000)] }], footer: unit.repeat(3000) }));
      assertBlockKitLimits('message', msg.blocks);
      for (const t of [msg.text, ...texts(msg.blocks)]) {
        expect(t).not.toMatch(/&(?:a|am|amp|l|lt|g|gt)?…/);
        expect(t).not.toMatch(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])/);
      }
    }
  });

  it('removes bidi overrides and control characters but keeps RTL text and emoji', () => {
    const msg = renderBlocks(report({ headline: 'job \u202Egnp.exe\u202C שלום 🔥 done\u0007' }));
    expect(msg.text).toBe(`${LEVEL_EMOJI.ok} job gnp.exe שלום 🔥 done`);
  });

  it('drops whole sections past 50 blocks and says so', () => {
    const sections = Array.from({ length: 120 }, (_, i) => ({ title: `Section ${i}`, lines: [`line ${i}`] }));
    const msg = renderBlocks(report({ sections, footer: 'more: `atlas health`' }), { shareId: 'x' });
    expect(msg.blocks.length).toBeLessThanOrEqual(50);
    assertBlockKitLimits('message', msg.blocks);
    expect(texts(msg.blocks).join('\n')).toMatch(/more sections not shown/);
    // the footer and the button survive truncation
    expect(texts(msg.blocks)).toContain('more: `atlas health`');
    expect((msg.blocks.at(-1) as AnyBlock).type).toBe('actions');
  });

  it('keeps the total text of a huge report well under msg_blocks_too_long', () => {
    const sections = Array.from({ length: 40 }, (_, i) => ({ title: `S${i}`, lines: Array.from({ length: 100 }, () => 'y'.repeat(200)) }));
    const msg = renderBlocks(report({ sections }));
    const total = texts(msg.blocks).reduce((n, t) => n + t.length, 0);
    expect(total).toBeLessThanOrEqual(9500);
    assertBlockKitLimits('message', msg.blocks);
  });

  it('never produces an empty text object, even for empty strings', () => {
    const msg = renderBlocks(report({ headline: '', sections: [{ title: '', lines: ['', ''] }, { lines: [] }], footer: '' }));
    assertBlockKitLimits('message', msg.blocks);
    expect(msg.text).toContain('(no answer)');
  });
});

describe('identifiers in Slack answers over the demo data', () => {
  /** Job ids, UUIDs (snapshots), IPFS CIDs, merkle roots and incident ids. */
  const ID = /job-[a-z0-9]+-[0-9a-f]+|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|bafy[a-z2-7]{20,}|Qm[1-9A-HJ-NP-Za-km-z]{44}|0x[0-9a-f]{64}|INC-[0-9]+-[0-9]+/g;
  const whole = (text: string, id: string) => new RegExp(`(?<![A-Za-z0-9-])${id}(?![A-Za-z0-9-])`).test(text);

  it('shows every id of the terminal answer whole in the Slack blocks (table cells included): health, jobs, snapshots, incidents', async () => {
    const t = tempDir();
    try {
      const dataDir = path.join(t.dir, '.shadow-atlas');
      const facts = generateAtlasData(dataDir, { now: new Date(TEST_NOW), days: 2, seed: 42, scenario: 'demo' }).scenarioFacts;
      // Providers and IPFS gateways answer; what matters here is the data.
      const env = testDeps(dataDir, { fetch: (async () => new Response('ok', { status: 200 })) as typeof fetch });
      try {
        const registry = new CommandRegistry([...ALL_COMMANDS], allowEveryone);
        const actor: Actor = { source: 'cli', userId: 'U0ONCALL1' };
        const title = 'Census TIGER outage: job job-mz3k2a1-1a2b3c4d stuck, extraction failing in every state since 09:00 and retries exhausted';
        await registry.run(['declare', title], actor, env.deps);
        const seen = new Set<string>();
        for (const argv of [['health'], ['jobs'], ['jobs', 'stuck'], ['snapshots'], ['incidents']]) {
          const result = await registry.run(argv, actor, env.deps);
          const answer = (result as { report?: Report }).report;
          expect(answer, argv.join(' ')).toBeDefined();
          const terminal = renderPlainText(answer!);
          const slack = texts(renderBlocks(answer!).blocks).join('\n');
          const ids = [...new Set(terminal.match(ID) ?? [])];
          expect(ids.length, argv.join(' ')).toBeGreaterThan(0);
          for (const id of ids) {
            expect(whole(slack, id), `${argv.join(' ')}: ${id} in\n${slack}`).toBe(true);
            seen.add(id);
          }
        }
        // The planted stuck job, a snapshot CID and the id inside the incident title were among them.
        expect(seen).toContain(facts.stuckJobId);
        expect(seen).toContain('job-mz3k2a1-1a2b3c4d');
        expect([...seen].some((id) => id.startsWith('bafy'))).toBe(true);
      } finally {
        await env.close();
      }
    } finally {
      t.cleanup();
    }
  });
});

