/** Slack timestamps and how the page shows times: in UTC, like everything the bot says. */

/** Slack ts ("1764158400.000100") to a Date. */
export function tsDate(ts) {
  return new Date(Number(String(ts).split('.')[0]) * 1000);
}

/** Orders Slack timestamps exactly (seconds, then microseconds). */
export function compareTs(a, b) {
  const [as, am = '0'] = String(a).split('.');
  const [bs, bm = '0'] = String(b).split('.');
  return Number(as) - Number(bs) || Number(am.padEnd(6, '0')) - Number(bm.padEnd(6, '0'));
}

const pad = (n) => String(n).padStart(2, '0');
/** Times are shown in UTC, like everything the bot says. */
export function hhmm(date) {
  return `${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}`;
}
export function longTime(date) {
  return date.toLocaleString('en-GB', { timeZone: 'UTC', weekday: 'short', day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit' }) + ' UTC';
}
export function dayLabel(date) {
  return date.toLocaleDateString('en-GB', { timeZone: 'UTC', weekday: 'long', day: 'numeric', month: 'long' });
}
/** How far the sandbox clock has been moved by the clock buttons. */
export function offsetLabel(ms) {
  const minutes = Math.round(ms / 60000);
  if (minutes === 0) return 'clock not moved';
  const abs = Math.abs(minutes);
  const h = Math.floor(abs / 60);
  const m = abs % 60;
  const span = [h ? `${h} h` : '', m ? `${m} min` : ''].filter(Boolean).join(' ');
  return `clock ${minutes > 0 ? '+' : '−'}${span}`;
}
