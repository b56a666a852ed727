/**
 * Emoji shortcodes as Slack writes them (`:white_check_mark:`): the ones the bot's messages use
 * (it mostly writes the characters themselves) and the common ones people type during an incident.
 * A shortcode not in the table stays as typed, as Slack shows an unknown custom emoji's name.
 */
const EMOJI = {
  // What the bot says things with
  white_check_mark: '✅', heavy_check_mark: '✔️', ballot_box_with_check: '☑️', x: '❌',
  warning: '⚠️', red_circle: '🔴', large_orange_circle: '🟠', large_yellow_circle: '🟡',
  large_green_circle: '🟢', large_blue_circle: '🔵', white_circle: '⚪', black_circle: '⚫',
  grey_question: '❔', question: '❓', grey_exclamation: '❕', exclamation: '❗',
  information_source: 'ℹ️', rotating_light: '🚨', mag: '🔍', mag_right: '🔎',
  hourglass: '⌛', hourglass_flowing_sand: '⏳', alarm_clock: '⏰', stopwatch: '⏱️',
  timer_clock: '⏲️', double_vertical_bar: '⏸️', arrows_counterclockwise: '🔄', repeat: '🔁',
  clipboard: '📋', memo: '📝', pencil: '📝', paperclip: '📎', mega: '📣', loudspeaker: '📢',
  no_bell: '🔕', bell: '🔔', eyes: '👀', bust_in_silhouette: '👤', busts_in_silhouette: '👥',
  compass: '🧭', up: '🆙', new: '🆕', ok: '🆗', sos: '🆘',
  // Incidents and operations
  fire: '🔥', boom: '💥', rocket: '🚀', bug: '🐛', wrench: '🔧', hammer_and_wrench: '🛠️',
  gear: '⚙️', construction: '🚧', octagonal_sign: '🛑', stop_sign: '🛑', no_entry: '⛔',
  lock: '🔒', unlock: '🔓', key: '🔑', link: '🔗', pager: '📟', phone: '☎️', telephone_receiver: '📞',
  chart_with_upwards_trend: '📈', chart_with_downwards_trend: '📉', bar_chart: '📊',
  calendar: '📆', date: '📅', spiral_calendar_pad: '🗓️', clock3: '🕒', clock9: '🕘', watch: '⌚',
  floppy_disk: '💾', package: '📦', file_folder: '📁', open_file_folder: '📂', card_index_dividers: '🗂️',
  globe_with_meridians: '🌐', world_map: '🗺️', satellite: '🛰️', satellite_antenna: '📡',
  electric_plug: '🔌', battery: '🔋', zap: '⚡', sos_button: '🆘', skull: '💀', ghost: '👻',
  zzz: '💤', sleeping: '😴', coffee: '☕', hourglass_done: '⌛', checkered_flag: '🏁',
  triangular_flag_on_post: '🚩', pushpin: '📌', round_pushpin: '📍', speech_balloon: '💬',
  thought_balloon: '💭', mailbox: '📫', envelope: '✉️', inbox_tray: '📥', outbox_tray: '📤',
  arrow_right: '➡️', arrow_left: '⬅️', arrow_up: '⬆️', arrow_down: '⬇️', arrow_forward: '▶️',
  heavy_plus_sign: '➕', heavy_minus_sign: '➖', heavy_multiplication_x: '✖️', hash: '#️⃣',
  // People being people
  '+1': '👍', thumbsup: '👍', '-1': '👎', thumbsdown: '👎', ok_hand: '👌', wave: '👋',
  raised_hands: '🙌', pray: '🙏', clap: '👏', muscle: '💪', point_up: '☝️', point_right: '👉',
  hand: '✋', raised_hand: '✋', smile: '😄', slightly_smiling_face: '🙂', grinning: '😀',
  joy: '😂', sweat_smile: '😅', thinking_face: '🤔', face_with_monocle: '🧐', grimacing: '😬',
  scream: '😱', sob: '😭', disappointed: '😞', confused: '😕', neutral_face: '😐',
  relieved: '😌', sunglasses: '😎', tada: '🎉', heart: '❤️', broken_heart: '💔', '100': '💯',
  star: '⭐', sparkles: '✨', bulb: '💡', dart: '🎯', trophy: '🏆', medal: '🏅',
};

/** The character(s) for a shortcode's name (without colons), or undefined. */
export function emojiFor(name) {
  const key = name.toLowerCase();
  return Object.prototype.hasOwnProperty.call(EMOJI, key) ? EMOJI[key] : undefined;
}

const SHORTCODE = /:([a-z0-9_+-]{1,60}):/gi;

/** `text` with every known shortcode replaced by its emoji; unknown ones stay as typed. */
export function replaceShortcodes(text) {
  return text.replace(SHORTCODE, (whole, name) => emojiFor(name) ?? whole);
}
