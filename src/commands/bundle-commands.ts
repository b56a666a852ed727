/**
 * `bundle`: every diagnostic in one text file (the guide's metrics-snapshot.sh). In Slack it is
 * uploaded into the open incident's thread, else where it was asked; in the terminal it is
 * written to a file. It reads only.
 */
import { existsSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { formatBytes } from '../checks/disk.js';
import { problemReport, type Report } from '../templates/report.js';
import { defineCommand, noPositionals, type Actor, type CommandDeps, type CommandSpec } from './command-spec.js';
import { buildDiagnosticsBundle, type DiagnosticsBundle } from './diagnostics-bundle.js';

export const BUNDLE_MESSAGES = {
  outInSlack: '`--out` is for the terminal; in Slack the bundle is uploaded as a file, so run `/atlas bundle` without it.',
  noUploads: 'This bot cannot upload files here; run `atlas bundle` in a terminal on the bot\u2019s host to write the bundle to a file.',
  nowhere: 'There is no open incident thread or channel to upload the bundle to; run `/atlas bundle` in a channel.',
} as const;

/** Where the file goes in Slack: the newest open incident's thread when its card is posted, else the channel asked in. */
async function uploadTarget(deps: CommandDeps, actor: Actor): Promise<{ channel: string; threadTs?: string; incidentId?: string } | null> {
  const incident = (await deps.state.incidents.open()).at(-1);
  const card = incident?.anchor ? await deps.state.slackMessages.get(incident.anchor) : null;
  if (incident && card) return { channel: card.channel, threadTs: card.ts, incidentId: incident.id };
  return actor.channelId ? { channel: actor.channelId } : null;
}

function sectionsLine(bundle: DiagnosticsBundle): string {
  const failed = bundle.sections.filter((s) => !s.ok);
  const count = `${bundle.sections.length} sections`;
  return failed.length === 0 ? count : `${count}, ${failed.length} missing: ${failed.map((s) => s.title.toLowerCase()).join(', ')}`;
}

function bundleData(bundle: DiagnosticsBundle, extra: Record<string, unknown>): Record<string, unknown> {
  return { filename: bundle.filename, bytes: bundle.bytes, sections: bundle.sections, ...extra };
}

async function uploadBundle(deps: CommandDeps, actor: Actor): Promise<Report> {
  if (!deps.uploadFile) return problemReport('bundle', BUNDLE_MESSAGES.noUploads);
  const target = await uploadTarget(deps, actor);
  if (!target) return problemReport('bundle', BUNDLE_MESSAGES.nowhere);
  const bundle = await buildDiagnosticsBundle(deps, actor);
  const result = await deps.uploadFile({
    channel: target.channel,
    ...(target.threadTs ? { threadTs: target.threadTs } : {}),
    filename: bundle.filename,
    title: bundle.filename,
    content: bundle.text,
    initialComment: `Diagnostics bundle asked for by <@${actor.userId}> (${sectionsLine(bundle)}).`,
  });
  const where = target.incidentId ? `${target.incidentId}'s thread in <#${target.channel}>` : `<#${target.channel}>`;
  if (!result.ok) {
    deps.logger.warn({ reason: result.reason, channel: target.channel, filename: bundle.filename }, 'could not upload the diagnostics bundle');
    return {
      ...problemReport('bundle', `Could not upload the bundle to ${where} (${result.reason}); run \`atlas bundle\` in a terminal on the bot\u2019s host to write it to a file.`),
      data: bundleData(bundle, { uploaded: false, reason: result.reason }),
    };
  }
  return {
    command: 'bundle',
    level: 'info',
    headline: `Uploaded ${bundle.filename} (${formatBytes(bundle.bytes)}, ${sectionsLine(bundle)}) to ${where}.`,
    sections: [],
    data: bundleData(bundle, { uploaded: true, channel: target.channel, threadTs: target.threadTs ?? null, fileId: result.fileId }),
  };
}

/** Where the terminal writes: `--out` (a folder takes the default name), else the working directory. */
function outputPath(out: string | undefined, filename: string): { file: string } | { refusal: string } {
  if (out === undefined) return { file: path.resolve(filename) };
  const resolved = path.resolve(out);
  if (existsSync(resolved)) {
    if (statSync(resolved).isDirectory()) return { file: path.join(resolved, filename) };
    return { refusal: `${resolved} already exists; the bundle never overwrites a file, so choose another --out.` };
  }
  const folder = path.dirname(resolved);
  if (!existsSync(folder) || !statSync(folder).isDirectory()) return { refusal: `There is no folder ${folder}; create it or choose another --out.` };
  return { file: resolved };
}

async function writeBundle(deps: CommandDeps, actor: Actor, out: string | undefined): Promise<Report> {
  // Refuse a bad path before spending time on the diagnostics.
  const early = outputPath(out, 'atlas-bundle.txt');
  if ('refusal' in early) return problemReport('bundle', early.refusal);
  const bundle = await buildDiagnosticsBundle(deps, actor);
  const target = outputPath(out, bundle.filename);
  if ('refusal' in target) return problemReport('bundle', target.refusal);
  try {
    // 'wx': never over a file that appeared meanwhile.
    writeFileSync(target.file, bundle.text, { encoding: 'utf8', flag: 'wx', mode: 0o600 });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'EEXIST' ? 'it already exists' : code === 'EACCES' || code === 'EPERM' ? 'permission denied' : code === 'ENOSPC' ? 'the disk is full' : (code ?? 'write failed');
    return problemReport('bundle', `Could not write ${target.file} (${why}); choose another --out.`);
  }
  return {
    command: 'bundle',
    level: 'info',
    headline: `Wrote ${target.file} (${formatBytes(bundle.bytes)}, ${sectionsLine(bundle)}).`,
    sections: [],
    data: bundleData(bundle, { path: target.file }),
  };
}

const bundle = defineCommand({
  name: 'bundle',
  summary: 'Every diagnostic in one text file: uploaded into the open incident\u2019s thread (else here); in a terminal, written to a file',
  usage: '[--out <path>]',
  // incident, not read: it posts into incident threads.
  tier: 'incident',
  group: 'Diagnostics',
  options: { out: { type: 'string' } },
  args: z.object({ _: noPositionals, out: z.string().min(1, { message: 'takes a file or folder path' }).optional() }),
  slow: true,
  async run(args, deps, actor) {
    if (actor.source === 'slack') {
      if (args.out !== undefined) return problemReport('bundle', BUNDLE_MESSAGES.outInSlack);
      return uploadBundle(deps, actor);
    }
    return writeBundle(deps, actor, args.out);
  },
});

export const bundleCommands: CommandSpec[] = [bundle];
