'use strict';
// Loads the native binding (bindings/node, built as index.node next to package.json) and
// wraps its compact-form functions (./convert.js) into the documented API.
// HOIST_NODE_BINDING overrides the path (tests use it to load a specific build).
const path = require('node:path');
const { wrap } = require('./convert');

module.exports = wrap(require(process.env.HOIST_NODE_BINDING || path.join(__dirname, '..', 'index.node')));
