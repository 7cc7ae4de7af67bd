export { main, HELP } from './main.js';
export { parseSize, parseSizeOrPercent } from './size.js';
export { bootConfigFromArgs } from './boot-command.js';
