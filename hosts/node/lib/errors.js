'use strict';

/** An error of the Node host, with a stable kebab-case `.code` like the core's. */
class HoistError extends Error {
  constructor(code, message) {
    super(message);
    this.name = 'HoistError';
    this.code = code;
  }
}

function cancelled() {
  return new HoistError('cancelled', 'pull cancelled');
}

module.exports = { HoistError, cancelled };
