/**
 * Every limit the stand-in judges by, in one table. The bot keeps its own table
 * (src/templates/block-kit.ts); this one is deliberately separate so that the stand-in is an
 * independent judge of what the bot sends.
 *
 * Sources (as of the 2025-03 crawl of api.slack.com and docs.slack.dev):
 * - https://api.slack.com/reference/block-kit/blocks, /block-elements, /composition-objects
 * - https://api.slack.com/reference/surfaces/views, https://api.slack.com/surfaces/modals
 * - https://docs.slack.dev/reference/block-kit/blocks/table-block (rows 100, cells 20, column_settings 20,
 *   10,000 characters across a table's cells: "A single table's character count across all cells")
 * - chat.postMessage: "Slack will truncate messages containing more than 40,000 characters";
 *   the stand-in refuses with msg_too_long instead, as the brief asks.
 * - msg_blocks_too_long is undocumented: slackapi/bolt-js #2509 measured ~13,200 characters of
 *   block text, #2867 ~12,000. The stand-in refuses above 12,000 (the stricter reading).
 */
export const SLACK_LIMITS = {
  message: {
    /** Top-level `text`; above it: msg_too_long. */
    text: 40_000,
    blocks: 50,
    attachments: 100,
    /** Total characters of text inside a message's blocks; above it: msg_blocks_too_long. */
    blocksTotalText: 12_000,
    tables: 1,
  },
  view: {
    blocks: 100,
    /** modal title / submit / close */
    modalButtonText: 24,
    privateMetadata: 3000,
    callbackId: 255,
    externalId: 255,
    /** views.push: at most this many views in one modal stack. */
    stackDepth: 3,
  },
  block: {
    blockId: 255,
    sectionText: 3000,
    sectionFields: 10,
    sectionField: 2000,
    headerText: 150,
    contextElements: 10,
    actionsElements: 25,
    inputLabel: 2000,
    inputHint: 2000,
    imageUrl: 3000,
    imageAltText: 2000,
    imageTitle: 2000,
    markdownText: 12_000,
    tableRows: 100,
    tableCells: 20,
    tableColumnSettings: 20,
    /** Characters in all the cells of one table together (docs.slack.dev table block; Slack refuses more). */
    tableCellText: 10_000,
  },
  element: {
    actionId: 255,
    buttonText: 75,
    buttonValue: 2000,
    buttonUrl: 3000,
    accessibilityLabel: 75,
    placeholder: 150,
    optionText: 75,
    optionValue: 150,
    optionDescription: 75,
    options: 100,
    optionGroups: 100,
    optionGroupLabel: 75,
    checkboxOptions: 10,
    radioOptions: 10,
    overflowOptions: 5,
    plainTextInputLength: 3000,
  },
  textObject: { text: 3000 },
  confirm: { title: 100, text: 300, confirm: 30, deny: 30 },
  interaction: {
    /** A trigger_id is good for this long after issue, once. */
    triggerLifetimeMs: 3000,
    /** A response_url takes this many posts ... */
    responseUrlUses: 5,
    /** ... within this long of being issued. */
    responseUrlLifetimeMs: 30 * 60 * 1000,
  },
  pagination: {
    historyDefaultLimit: 100,
    repliesDefaultLimit: 1000,
    maxLimit: 1000,
    listDefaultLimit: 100,
  },
} as const;
