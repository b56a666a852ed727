/**
 * What Slack's credentials look like, checked before anything starts: a token pasted into the
 * wrong variable, a secret cut short or wrapped in quotes gets one sentence saying what a valid one
 * looks like and where the Slack app settings (api.slack.com/apps) show it, instead of a refusal
 * from Slack minutes later. The checks are loose enough for the sandbox's and the tests' values;
 * the sentences never repeat the value.
 */

/** A token or secret's own characters: anything else is a paste gone wrong. */
const TOKEN_CHARS = /^[A-Za-z0-9._-]+$/;

const MIN_BOT_TOKEN = 15;
const MIN_APP_TOKEN = 15;
const MIN_SIGNING_SECRET = 16;

/** Why a value is not what it should be, in brackets; '' when only its shape is wrong. */
function why(value: string, min: number): string {
  if (/^xox[a-z]-/.test(value)) return ` (it is a Slack token, ${value.slice(0, 5)}…)`;
  if (value.startsWith('xapp-')) return ' (it is an app-level token, xapp-…)';
  if (!TOKEN_CHARS.test(value)) return ' (it holds spaces, quotes or other characters no Slack credential has)';
  if (value.length < min) return ` (it is ${value.length} characters)`;
  return '';
}

/** null when SLACK_BOT_TOKEN looks like a bot token, else the sentence (after "SLACK_BOT_TOKEN: "). */
export function botTokenProblem(value: string): string | null {
  if (/^xox[bp]-/.test(value) && TOKEN_CHARS.test(value) && value.length >= MIN_BOT_TOKEN) return null;
  const reason = /^xox[bp]-/.test(value) ? why(value.slice(5), MIN_BOT_TOKEN - 5).replace(/\d+ characters/, `${value.length} characters`) : why(value, MIN_BOT_TOKEN);
  return (
    `not a bot token${reason}: a valid one starts with xoxb- followed by about 50 digits, letters and dashes; ` +
    'copy the Bot User OAuth Token from OAuth & Permissions in the Slack app settings (api.slack.com/apps).'
  );
}

/** null when SLACK_SIGNING_SECRET looks like a signing secret, else the sentence. */
export function signingSecretProblem(value: string): string | null {
  const reason = why(value, MIN_SIGNING_SECRET);
  if (reason === '') return null;
  return (
    `not a signing secret${reason}: a valid one is 32 hexadecimal characters (0-9, a-f); ` +
    'copy it from Basic Information → App Credentials → Signing Secret in the Slack app settings (api.slack.com/apps).'
  );
}

/** null when SLACK_APP_TOKEN looks like an app-level token, else the sentence. */
export function appTokenProblem(value: string): string | null {
  if (value.startsWith('xapp-') && TOKEN_CHARS.test(value) && value.length >= MIN_APP_TOKEN) return null;
  const reason = value.startsWith('xapp-') ? why(value.slice(5), MIN_APP_TOKEN - 5).replace(/\d+ characters/, `${value.length} characters`) : why(value, MIN_APP_TOKEN);
  return (
    `not an app-level token${reason}: a valid one starts with xapp- (xapp-1-A…) and has the connections:write scope; ` +
    'create or copy it under Basic Information → App-Level Tokens in the Slack app settings (api.slack.com/apps).'
  );
}
