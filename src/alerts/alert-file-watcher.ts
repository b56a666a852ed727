/**
 * The guide's `cat /tmp/shadow-atlas-alert.json` as one more alert source: the file named by
 * `alerts.file` is read when it changes (its size, mtime or inode, polled on the scheduler:
 * fs.watch misses changes on some file systems and across renames) and taken as the body
 * /hooks/alerts accepts (a Shadow Atlas alert or an Alertmanager webhook), with source 'file' and
 * the same deduplication by alert name. A missing file is normal; an unreadable or invalid one is
 * logged once per change of the file and changes nothing.
 */
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import type { DomainDeps } from '../incidents/incident-deps.js';
import { ingestAlert, AlertReportError, type IngestAction } from './alert-ingest.js';
import { DEFAULT_WEBHOOK_MAX_BYTES, parseAlertPayload } from './alert-webhook.js';

export type AlertFileDeps = Pick<DomainDeps, 'state' | 'clock' | 'config' | 'logger' | 'events' | 'rotation'>;

export type AlertFilePoll =
  | { state: 'off' | 'missing' | 'unchanged' }
  | { state: 'invalid'; problem: string }
  | { state: 'read'; results: { name: string; action: IngestAction; note?: string }[] };

export interface AlertFileWatcher {
  poll(): Promise<AlertFilePoll>;
}

/** The file's identity and version: a change in any is a new content to read. */
const signatureOf = (s: { size: number; mtimeMs: number; ino: number }) => `${s.ino}:${s.size}:${s.mtimeMs}`;

export function alertFileWatcher(deps: AlertFileDeps): AlertFileWatcher {
  /** The version last read (or refused): the same one is not read or logged again. */
  let seen: string | null = null;

  const invalid = (file: string, problem: string, version: string): AlertFilePoll => {
    if (seen !== version) deps.logger.warn({ file, problem }, 'alert file not taken; nothing changed');
    seen = version;
    return { state: 'invalid', problem };
  };

  return {
    async poll() {
      const configured = deps.config.alerts.file;
      if (!configured) return { state: 'off' };
      const file = path.resolve(configured);
      let version: string;
      try {
        const st = statSync(file);
        if (!st.isFile()) return invalid(file, 'not a regular file', `notfile:${st.ino}`);
        version = signatureOf(st);
      } catch (err) {
        const code = (err as { code?: unknown }).code;
        if (code === 'ENOENT') {
          // Gone: a file written again later is read, whatever its mtime.
          seen = null;
          return { state: 'missing' };
        }
        return invalid(file, (err as Error).message, `stat:${String(code)}`);
      }
      if (version === seen) return { state: 'unchanged' };
      let body: unknown;
      try {
        const bytes = readFileSync(file);
        if (bytes.length > DEFAULT_WEBHOOK_MAX_BYTES) return invalid(file, `larger than ${DEFAULT_WEBHOOK_MAX_BYTES} bytes`, version);
        body = JSON.parse(bytes.toString('utf8'));
      } catch (err) {
        return invalid(file, err instanceof SyntaxError ? `not JSON (${err.message.slice(0, 120)})` : (err as Error).message, version);
      }
      const parsed = parseAlertPayload(body);
      if (!parsed.ok) return invalid(file, parsed.reason, version);
      seen = version;
      const results: { name: string; action: IngestAction; note?: string }[] = [];
      for (const report of parsed.reports) {
        try {
          const outcome = await ingestAlert(deps, { ...report, source: 'file' });
          results.push({ name: report.name, action: outcome.action, ...(outcome.note ? { note: outcome.note } : {}) });
          if (outcome.action !== 'duplicate') deps.logger.info({ alert: report.name, action: outcome.action, file, ...(outcome.note ? { note: outcome.note } : {}) }, 'alert from file');
        } catch (err) {
          if (!(err instanceof AlertReportError)) throw err;
          deps.logger.warn({ file, alert: report.name, problem: err.message }, 'alert in the alert file not taken');
        }
      }
      return { state: 'read', results };
    },
  };
}
