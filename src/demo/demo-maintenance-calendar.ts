/**
 * The guide's ops/maintenance-calendar.md for the demo's story, dated from `now`: a markdown
 * list, one entry per line starting with its date (and time, UTC). One entry lies past the
 * handoff's 7 days, so a reader sees the window at work.
 */
export function demoMaintenanceCalendar(now: Date): string {
  const day = (days: number) => new Date(now.getTime() + days * 86_400_000).toISOString().slice(0, 10);
  return [
    '# Maintenance calendar',
    '',
    `- ${day(2)} 02:00 Census TIGER maintenance window (upstream; expect 503s for 2 h)`,
    `- ${day(3)} 14:00 Quarterly boundary update dry run (ops/runbooks/maintenance/quarterly-update.md)`,
    `- ${day(5)} Rotate the IPFS pinning service token`,
    `- ${day(12)} 09:00 metrics.db retention cleanup`,
    '',
  ].join('\n');
}
