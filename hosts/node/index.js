'use strict';
// The npm package `hoist`: the core's functions (native binding, same names as the WIT
// interfaces in camelCase) plus the Node host (pull and the store commands).
const binding = require('./lib/binding');
const { pull } = require('./lib/pull');
const { listImages, inspect, tag, untag, removeImage } = require('./lib/images');
const { HoistError } = require('./lib/errors');

module.exports = { ...binding, pull, listImages, inspect, tag, untag, removeImage, HoistError };
