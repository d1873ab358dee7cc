'use strict';
// CommonJS on purpose: `require.resolve` finds dependencies relative to this package both in the ESM
// build and in jest's CommonJS run, without `import.meta`.
const { readFileSync } = require('node:fs');
const { dirname } = require('node:path');

/**
 * Where an installed dependency lives and which version it is.
 * @param {string} name
 * @returns {{ dir: string, version: string }}
 */
function packageInfo(name) {
  const file = require.resolve(`${name}/package.json`);
  return { dir: dirname(file), version: JSON.parse(readFileSync(file, 'utf8')).version };
}

module.exports = packageInfo;
