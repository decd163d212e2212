'use strict';
// Arguments of the wrong type. Node-API rejects them before the binding's Rust code runs,
// with an `Error` whose `.code` is a napi status (`StringExpected`, `InvalidArg`…) and
// whose message can quote the value (a password passed where a string was expected). The
// package maps every such failure to a `TypeError` with `.code === 'invalid-argument'`
// that names the parameter and the expected type, and never the value; the binding's own
// `invalid-argument` errors (a value of the right type but the wrong shape) become
// `TypeError`s too, so one code means one class.
//
// The checks run only after a native call threw (the wrappers catch, then ask which
// argument is at fault): a call that succeeds pays for a `try`, nothing else.

const { invalidArgument } = require('./errors');
const { host } = require('./signatures');

/**
 * The napi statuses that mean "an argument (or a field of one) is not what the binding
 * takes" (napi-rs `Status`, node_api_types.h `napi_status`).
 */
const ARGUMENT_STATUSES = new Set([
  'InvalidArg', 'ObjectExpected', 'StringExpected', 'NameExpected', 'FunctionExpected',
  'NumberExpected', 'BooleanExpected', 'ArrayExpected', 'BigintExpected', 'DateExpected',
  'ArrayBufferExpected', 'DetachableArraybufferExpected',
]);

/** Whether a value thrown by a native call is Node-API rejecting an argument. */
function isNapiArgumentError(e) {
  return e instanceof Error && ARGUMENT_STATUSES.has(e.code);
}

const tag = (v) => Object.prototype.toString.call(v).slice(8, -1);

/** What a value is, for a message: its type, never its content. */
function describe(v) {
  if (v === null) return 'null';
  if (v === undefined) return 'undefined';
  if (Array.isArray(v)) return 'an array';
  if (ArrayBuffer.isView(v)) return `a ${tag(v)}`;
  if (typeof v === 'object') return 'an object';
  return `a ${typeof v}`;
}

const PRIMITIVES = {
  string: ['a string', (v) => typeof v === 'string'],
  number: ['a number', (v) => typeof v === 'number'],
  boolean: ['a boolean', (v) => typeof v === 'boolean'],
  bytes: ['a Uint8Array', (v) => tag(v) === 'Uint8Array'],
  json: ['a JSON value', (v) => v !== undefined && typeof v !== 'function' && typeof v !== 'symbol'],
  object: ['an object', (v) => v !== null && typeof v === 'object' && !Array.isArray(v)],
  function: ['a function', (v) => typeof v === 'function'],
};

/** How `type` reads in a message (`a string`, `an array of strings`, `an ImageIndex`). */
function expected(type) {
  if (typeof type === 'string') {
    if (type.endsWith('?')) return `${expected(type.slice(0, -1))} or null`;
    if (type.endsWith('[]')) return `an array of ${plural(type.slice(0, -2))}`;
    if (type.includes('|')) return type.split('|').map(expected).join(' or ');
    if (PRIMITIVES[type]) return PRIMITIVES[type][0];
    return /^[AEIOU]/.test(type) ? `an ${type}` : `a ${type}`;
  }
  if (type.optional) return `${expected(type.optional)} or null`;
  if (type.oneOf) return type.oneOf.map(expected).join(' or ');
  if (type.arrayOf) return typeof type.arrayOf === 'string' ? `an array of ${plural(type.arrayOf)}` : 'an array of objects';
  return 'an object';
}

function plural(type) {
  if (type.includes('|')) return type.split('|').map(plural).join(' or ');
  if (type.endsWith('[]')) return `arrays of ${plural(type.slice(0, -2))}`;
  const one = expected(type);
  if (one === 'a Uint8Array') return 'Uint8Arrays';
  return one.replace(/^an? /, '') + 's';
}

/** A mismatch of an optional value itself (not of a part of it) says null would do too. */
function orNull(type, m, path) {
  return m && m.path === path ? { ...m, expected: expected(type) } : m;
}

/**
 * The first place in `value` that does not fit `type`: `{ path, expected, got }`, or null.
 * `classes` are the binding's classes by name (for `instanceof`).
 */
function mismatch(type, value, path, classes) {
  const miss = () => ({ path, expected: expected(type), got: describe(value) });
  if (typeof type === 'string') {
    if (type.endsWith('?')) return value == null ? null : orNull(type, mismatch(type.slice(0, -1), value, path, classes), path);
    if (type.endsWith('[]')) {
      if (!Array.isArray(value)) return miss();
      for (let i = 0; i < value.length; i++) {
        const m = mismatch(type.slice(0, -2), value[i], `${path}[${i}]`, classes);
        if (m) return m;
      }
      return null;
    }
    if (type.includes('|')) {
      return type.split('|').some((t) => !mismatch(t, value, path, classes)) ? null : miss();
    }
    if (PRIMITIVES[type]) return PRIMITIVES[type][1](value) ? null : miss();
    const cls = classes[type];
    return cls && value instanceof cls ? null : miss();
  }
  if (type.optional) return value == null ? null : orNull(type, mismatch(type.optional, value, path, classes), path);
  if (type.oneOf) return type.oneOf.some((t) => !mismatch(t, value, path, classes)) ? null : miss();
  if (type.arrayOf) {
    if (!Array.isArray(value)) return miss();
    for (let i = 0; i < value.length; i++) {
      const m = mismatch(type.arrayOf, value[i], `${path}[${i}]`, classes);
      if (m) return m;
    }
    return null;
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return miss();
  for (const [field, t] of Object.entries(type.struct)) {
    const m = mismatch(t, value[field], `${path}.${field}`, classes);
    if (m) return m;
  }
  return null;
}

/**
 * The first argument of `args` that does not fit `params` (`[[name, type]…]`), as the
 * `TypeError` to throw, or null when they all fit.
 */
function checkArguments(where, params, args, classes) {
  for (let i = 0; i < params.length; i++) {
    const [name, type] = params[i];
    const m = mismatch(type, args[i], name, classes);
    if (m) return invalidArgument(`${where}(${m.path}): expected ${m.expected}, got ${m.got}`);
  }
  return null;
}

/**
 * What a native call that threw `e` throws instead: a `TypeError` with code
 * `invalid-argument` for an argument Node-API rejected (naming it) or for the binding's
 * own `invalid-argument`, and `e` itself for everything else (the core's errors).
 */
function mapError(e, where, params, args, classes) {
  if (e instanceof Error && e.code === 'invalid-argument') {
    return e instanceof TypeError ? e : invalidArgument(e.message);
  }
  if (!isNapiArgumentError(e)) return e;
  return checkArguments(where, params, args, classes)
    // Node-API rejected a value the table allows (a nested value of a JSON argument, say):
    // still an argument error, without Node-API's message, which may quote the value.
    || invalidArgument(`${where}: an argument has the wrong type`);
}

/**
 * Throws the `TypeError` for the first of `args` that does not fit the parameters of the
 * Node host's function `name` (./signatures.js `host`); called before any I/O.
 */
function checkHostArguments(name, args) {
  const e = checkArguments(name, host[name], args, { AbortSignal });
  if (e) throw e;
}

module.exports = { checkArguments, checkHostArguments, mapError, describe, expected };
