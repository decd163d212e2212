'use strict';

/** An error of the Node host, with a stable kebab-case `.code` like the core's. */
class HoistError extends Error {
  constructor(code, message) {
    super(message);
    this.name = 'HoistError';
    this.code = code;
  }
}

/**
 * An argument of the wrong type or shape: a `TypeError` (as Node's own argument errors
 * are) with `.code === 'invalid-argument'`. `message` names the parameter and what it
 * should be, never the value given.
 */
function invalidArgument(message) {
  const e = new TypeError(message.startsWith('invalid argument: ') ? message : `invalid argument: ${message}`);
  e.code = 'invalid-argument';
  return e;
}

function cancelled() {
  return new HoistError('cancelled', 'pull cancelled');
}

module.exports = { HoistError, cancelled, invalidArgument };
