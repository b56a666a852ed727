import type { StoredMessage } from './message-store.js';
import type { Channel, UserSpec } from './workspace-directory.js';

/**
 * A message as the read methods answer it. Metadata: "If you … [pass] include_all_metadata=true,
 * you will find a new metadata parameter in the message object with two keys: event_type and
 * event_payload. If you do not pass include_all_metadata=true, you will receive the event_type
 * field only." (https://api.slack.com/metadata/using#direct, also
 * https://docs.slack.dev/messaging/message-metadata). The poster's own answer carries it whole.
 */
export function messageObject(message: StoredMessage, allMetadata: boolean): Record<string, unknown> {
  const { channel: _channel, metadata, ...rest } = message;
  const out: Record<string, unknown> = structuredClone(rest);
  if (metadata) out.metadata = allMetadata ? structuredClone(metadata) : { event_type: metadata.event_type };
  return out;
}

/** A conversation object (https://api.slack.com/types/conversation), as far as the stand-in knows one. */
export function channelObject(channel: Channel, botUserId: string, withMembers = false): Record<string, unknown> {
  if (channel.isIm) {
    return {
      id: channel.id,
      created: channel.created,
      is_im: true,
      is_org_shared: false,
      user: channel.imUser,
      is_user_deleted: false,
      priority: 0,
    };
  }
  return {
    id: channel.id,
    name: channel.name,
    name_normalized: channel.name,
    is_channel: !channel.isPrivate,
    is_group: channel.isPrivate && !channel.isMpim,
    is_im: false,
    is_mpim: channel.isMpim,
    is_private: channel.isPrivate,
    created: channel.created,
    is_archived: false,
    is_general: false,
    is_shared: false,
    is_ext_shared: false,
    is_org_shared: false,
    is_member: channel.members.has(botUserId),
    creator: '',
    topic: { value: channel.topic, creator: '', last_set: 0 },
    purpose: { value: channel.purpose, creator: '', last_set: 0 },
    previous_names: [],
    ...(withMembers ? { num_members: channel.members.size } : {}),
  };
}

/** A user object (https://api.slack.com/types/user). */
export function userObject(user: UserSpec, teamId: string): Record<string, unknown> {
  return {
    id: user.id,
    team_id: teamId,
    name: user.name,
    deleted: false,
    real_name: user.realName,
    tz: user.tz ?? 'Etc/UTC',
    tz_label: 'Coordinated Universal Time',
    tz_offset: 0,
    is_admin: false,
    is_owner: false,
    is_bot: user.isBot ?? false,
    is_app_user: false,
    profile: {
      real_name: user.realName,
      display_name: user.name,
      title: user.title ?? '',
      team: teamId,
    },
  };
}
