import { JOB_STATUSES } from '../db/job-file.js';
import { noJobSource, type JobListing, type JobRow, type JobSources, type SkippedJobFile, type StuckJobs } from '../checks/jobs.js';
import { formatDuration } from '../time/atlas-time.js';
import type { Report, ReportSection } from './report.js';

const SUSPICION =
  "A suspicion, not a proof: is the orchestrator process alive? has updatedAt moved? Jobs with not-configured tasks end as 'running' although nothing runs.";

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

function since(ms: number | null): string {
  return ms === null ? '?' : formatDuration(ms);
}

/** "40/50, 5 failed (90 %)": done of total, failures, share finished. */
export function progressText(job: JobRow): string {
  if (job.totalTasks === 0) return '–';
  const failed = job.failedTasks > 0 ? `, ${job.failedTasks} failed` : '';
  return `${job.completedTasks}/${job.totalTasks}${failed} (${job.percent ?? 0} %)`;
}

/** What could not be read, one line per problem; empty when all was read. */
function sourceLines(sources: JobSources): string[] {
  const lines: string[] = [];
  if (sources.table.problem) lines.push(sources.table.problem);
  if (sources.files.problem) lines.push(sources.files.problem);
  if (sources.files.folderMissing) lines.push('no jobs/ folder: the orchestrator has not written any job file here.');
  if (sources.files.found > sources.files.read) {
    lines.push(`read the newest ${sources.files.read} of ${sources.files.found} job files (by modification time).`);
  }
  if (sources.files.notReadWhy) lines.push(sources.files.notReadWhy);
  return lines;
}

function skippedSection(skipped: { count: number; files: SkippedJobFile[] }): ReportSection[] {
  if (skipped.count === 0) return [];
  const more = skipped.count > skipped.files.length ? [`… and ${skipped.count - skipped.files.length} more`] : [];
  return [
    {
      title: `${plural(skipped.count, 'job file')} skipped (unreadable or invalid)`,
      lines: [...skipped.files.map((f) => `${f.name}: ${f.reason}`), ...more],
    },
  ];
}

function sourcesSection(sources: JobSources): ReportSection[] {
  const lines = sourceLines(sources);
  return lines.length > 0 ? [{ title: 'Sources', lines }] : [];
}

function cannotRead(sources: JobSources): string {
  return [sources.table.problem, sources.files.problem ?? 'no jobs/ folder'].filter(Boolean).join(' ');
}

/** `jobs`: how many, by status, then the newest ones. */
export function jobsReport(listing: JobListing): Report {
  const stuck = listing.stuckCount;
  const data = listing;
  if (listing.matched === 0 && noJobSource(listing.sources)) {
    return { command: 'jobs', level: 'unknown', headline: `cannot list jobs: ${cannotRead(listing.sources)}`, sections: [], data };
  }
  const what = listing.status ? `${listing.status} ` : '';
  if (listing.matched === 0) {
    return {
      command: 'jobs',
      level: 'info',
      headline: `no ${what}jobs`,
      sections: [...skippedSection(listing.skipped), ...sourcesSection(listing.sources)],
      data,
    };
  }
  const byStatus = JOB_STATUSES.filter((s) => listing.counts[s] > 0).map((s) => `${listing.counts[s]} ${s}`);
  let headline = `${plural(listing.matched, `${what}job`)}`;
  if (!listing.status) headline += `: ${byStatus.join(', ')}`;
  if (stuck > 0) headline += `; ${stuck} ${stuck === 1 ? 'looks' : 'look'} stuck`;
  const table = {
    columns: ['job', 'status', 'progress', 'age', 'updated', 'source'],
    rows: listing.jobs.map((j) => [
      j.id,
      j.stuck ? `${j.status} (stuck?)` : j.status,
      progressText(j),
      since(j.ageMs),
      `${since(j.sinceUpdateMs)} ago`,
      j.source,
    ]),
  };
  const footer: string[] = [];
  if (listing.matched > listing.jobs.length) footer.push(`Showing the newest ${listing.jobs.length} of ${listing.matched}; add --limit N for more.`);
  if (stuck > 0) footer.push('`jobs stuck` says why a job looks stuck.');
  return {
    command: 'jobs',
    level: stuck > 0 ? 'warn' : 'info',
    headline,
    sections: [{ table }, ...skippedSection(listing.skipped), ...sourcesSection(listing.sources)],
    ...(footer.length > 0 ? { footer: footer.join(' ') } : {}),
    data,
  };
}

/** `jobs stuck`: the running jobs that have been silent for stuckHours or more. */
export function stuckJobsReport(result: StuckJobs): Report {
  const data = result;
  const extra = [...skippedSection(result.skipped), ...sourcesSection(result.sources)];
  if (result.stuck.length === 0) {
    if (noJobSource(result.sources)) {
      return { command: 'jobs', level: 'unknown', headline: `cannot tell whether jobs are stuck: ${cannotRead(result.sources)}`, sections: [], data };
    }
    return {
      command: 'jobs',
      level: 'ok',
      headline: `no stuck jobs: none of ${plural(result.running, 'running job')} silent for ${result.stuckHours} h or more`,
      sections: extra,
      data,
    };
  }
  const [first] = result.stuck;
  const headline =
    result.stuck.length === 1 && first
      ? `1 job looks stuck: ${first.job.id} running, no update for ${since(first.job.sinceUpdateMs)}`
      : `${result.stuck.length} jobs look stuck: ${result.stuck
          .slice(0, 3)
          .map((s) => `${s.job.id} (${since(s.job.sinceUpdateMs)})`)
          .join(', ')}${result.stuck.length > 3 ? ', …' : ''}`;
  const table = {
    columns: ['job', 'no update for', 'progress', 'source', 'note'],
    rows: result.stuck.map((s) => [
      s.job.id,
      since(s.job.sinceUpdateMs),
      progressText(s.job),
      s.job.source,
      s.job.notConfiguredTasks ? `${plural(s.job.notConfiguredTasks, 'not-configured task')}: may never leave 'running'` : '',
    ]),
  };
  return { command: 'jobs', level: 'warn', headline, sections: [{ table }, ...extra], footer: SUSPICION, data };
}
