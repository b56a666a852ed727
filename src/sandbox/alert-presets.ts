/**
 * Alerts the sandbox page can fire at the bot's /hooks/alerts, one of each kind the severity
 * matrix treats differently, in both bodies the webhook takes (DATA-CONTRACT.md, "Alerts
 * arriving over HTTP"). Each has its own name: firing one that is still firing is a duplicate,
 * as it would be from the service.
 */
export interface AlertPreset {
  id: string;
  /** What the page's menu says. */
  label: string;
  body(now: Date): Record<string, unknown>;
}

export const ALERT_PRESETS: readonly AlertPreset[] = [
  {
    id: 'service-down',
    label: 'P0 · Alertmanager: ServiceDown (critical)',
    body: (now) => ({
      version: '4',
      status: 'firing',
      receiver: 'atlas-bot',
      groupLabels: { alertname: 'ServiceDown' },
      commonLabels: { alertname: 'ServiceDown', severity: 'critical' },
      alerts: [
        {
          status: 'firing',
          labels: { alertname: 'ServiceDown', severity: 'critical', instance: 'atlas-api-1:8080', job: 'shadow-atlas' },
          annotations: {
            summary: 'Shadow Atlas API is down',
            description: 'atlas-api-1:8080 has not answered its health check for 2 minutes.',
          },
          startsAt: now.toISOString(),
          endsAt: '0001-01-01T00:00:00Z',
          fingerprint: 'c0ffee5e4d1ce001',
        },
      ],
    }),
  },
  {
    id: 'extraction-failures',
    label: 'P1 · Shadow Atlas: extraction_failure_rate_high (critical)',
    body: (now) => ({
      source: 'shadow-atlas',
      type: 'alert',
      name: 'extraction_failure_rate_high',
      severity: 'critical',
      status: 'FIRING',
      message: 'Extraction failure rate 27% over the last 15 minutes (alert above 20%)',
      firedAt: now.toISOString(),
      context: { windowMinutes: 15, failureRate: 0.27 },
    }),
  },
  {
    id: 'slow-queries',
    label: 'P2 · Alertmanager: HighP95Latency (warning)',
    body: (now) => ({
      version: '4',
      status: 'firing',
      receiver: 'atlas-bot',
      alerts: [
        {
          status: 'firing',
          labels: { alertname: 'HighP95Latency', severity: 'warning', route: '/v1/districts/lookup' },
          annotations: { summary: 'p95 query latency is 6.2 s', description: 'Above the 5 s alert line for 10 minutes.' },
          startsAt: now.toISOString(),
          endsAt: '0001-01-01T00:00:00Z',
          fingerprint: 'c0ffee5e4d1ce002',
        },
      ],
    }),
  },
];
