'use strict';
// The JavaScript half of the binding's compact forms (bindings/node/src/convert/compact.rs,
// whose module docs say why they exist): the hot reference functions answer with one
// packed string, or with an `Error` (carrying `.code`) that is returned instead of thrown.
// And the argument errors of every export (./arguments.js): each function, constructor
// and method is wrapped in a `try` whose `catch` maps Node-API's rejection of an argument
// to a `TypeError` with code `invalid-argument`. Only mapping lives here; no decision.

const { functions, classes: classSignatures } = require('./signatures');
const { mapError } = require('./arguments');
const { invalidArgument } = require('./errors');

/**
 * A packed reference as the `ReferenceInfo` object (or the returned `Error`, thrown):
 * fields `domain, path, name, tag, digest, string, familiar, canonical` separated by `\n`,
 * an absent one empty. The object keeps the binding's historical key order (required keys
 * first, then the optional ones present), so JSON of it is unchanged.
 */
function referenceInfo(answer) {
  if (typeof answer !== 'string') throw answer;
  const [domain, path, name, tag, digest, string, familiar, canonical] = answer.split('\n');
  const o = { path, name, string, familiar, canonical };
  if (domain !== '') o.domain = domain;
  if (tag !== '') o.tag = tag;
  if (digest !== '') o.digest = digest;
  return o;
}

/** Marks a prototype method already guarded. */
const GUARDED = Symbol('hoist.guarded');

const named = (f, name) => Object.defineProperty(f, 'name', { value: name });

/**
 * Native function `f` with its argument errors mapped (every export takes at most 4).
 * `self` is the `this` it needs: the class, for the binding's static factories.
 */
function guard(where, f, params, classes, self) {
  if (params.length === 0 && self === undefined) return f;
  return named(function (a, b, c, d) {
    try {
      return self === undefined ? f(a, b, c, d) : f.call(self, a, b, c, d);
    } catch (e) {
      throw mapError(e, where, params, [a, b, c, d], classes);
    }
  }, f.name || where);
}

/** Native method `m` of class `Native` with its argument (and receiver) errors mapped. */
function guardMethod(className, method, m, params, Native, classes) {
  const where = `${className}.${method}`;
  return named(function (a, b, c, d) {
    try {
      return m.call(this, a, b, c, d);
    } catch (e) {
      // V8 rejects a foreign receiver before the binding runs, with a bare TypeError.
      if (!(this instanceof Native)) {
        throw invalidArgument(`${where}: called on ${describeReceiver(this)}, not ${article(className)}`);
      }
      throw mapError(e, where, params, [a, b, c, d], classes);
    }
  }, method);
}

const article = (word) => (/^[AEIOU]/.test(word) ? `an ${word}` : `a ${word}`);

function describeReceiver(v) {
  return v === null || v === undefined ? String(v) : `a ${typeof v === 'object' ? 'foreign object' : typeof v}`;
}

/**
 * Native class `Native` behind a constructor function that maps its argument errors. The
 * wrapper shares `Native.prototype`, so `instanceof` holds for instances made by it and by
 * the binding's factories alike. The binding's static functions are read-only, so the
 * wrapper carries the guarded ones; the prototype's methods are guarded in place.
 */
function wrapClass(name, Native, sig, classes) {
  const ctor = sig.construct;
  function Wrapped(...args) {
    if (new.target === undefined) throw invalidArgument(`${name} is a class: call it with new`);
    if (ctor === null) throw invalidArgument(`${name} has no constructor: use ${sig.madeBy}`);
    try {
      return Reflect.construct(Native, args, new.target === Wrapped ? Native : new.target);
    } catch (e) {
      throw mapError(e, `new ${name}`, ctor, args, classes);
    }
  }
  named(Wrapped, name);
  Wrapped.prototype = Native.prototype;
  for (const [s, params] of Object.entries(sig.statics)) {
    Wrapped[s] = guard(`${name}.${s}`, Native[s], params, classes, Native);
  }
  for (const [method, params] of Object.entries(sig.methods)) {
    const d = Object.getOwnPropertyDescriptor(Native.prototype, method);
    // Once per class: the package loads the binding once, but a test may wrap it again.
    if (d && typeof d.value === 'function' && !d.value[GUARDED]) {
      const g = guardMethod(name, method, d.value, params, Native, classes);
      g[GUARDED] = true;
      Object.defineProperty(Native.prototype, method, { ...d, value: g });
    }
  }
  return Wrapped;
}

/** The native module with every export wrapped into the documented API. */
function wrap(native) {
  const classes = {};
  for (const name of Object.keys(classSignatures)) classes[name] = native[name];
  const out = { ...native };
  for (const [name, params] of Object.entries(functions)) {
    if (typeof native[name] === 'function') out[name] = guard(name, native[name], params, classes);
  }
  // The hot reference functions: one function literal each (not closures of one factory,
  // which would share one call site for every native function and make it polymorphic).
  const n = { ...native };
  const fail = (e, name, args) => mapError(e, name, functions[name], args, classes);
  Object.assign(out, {
    parseReference: function parseReference(s) { let r; try { r = n.parseReference(s); } catch (e) { throw fail(e, 'parseReference', [s]); } return referenceInfo(r); },
    parseNormalized: function parseNormalized(s) { let r; try { r = n.parseNormalized(s); } catch (e) { throw fail(e, 'parseNormalized', [s]); } return referenceInfo(r); },
    parseNamed: function parseNamed(s) { let r; try { r = n.parseNamed(s); } catch (e) { throw fail(e, 'parseNamed', [s]); } return referenceInfo(r); },
    parseName: function parseName(s) { let r; try { r = n.parseName(s); } catch (e) { throw fail(e, 'parseName', [s]); } return referenceInfo(r); },
    parseDockerRef: function parseDockerRef(s) { let r; try { r = n.parseDockerRef(s); } catch (e) { throw fail(e, 'parseDockerRef', [s]); } return referenceInfo(r); },
    withTag: function withTag(ref, tag) { let r; try { r = n.withTag(ref, tag); } catch (e) { throw fail(e, 'withTag', [ref, tag]); } return referenceInfo(r); },
    withDigest: function withDigest(ref, digest) { let r; try { r = n.withDigest(ref, digest); } catch (e) { throw fail(e, 'withDigest', [ref, digest]); } return referenceInfo(r); },
  });
  for (const [name, sig] of Object.entries(classSignatures)) {
    if (typeof native[name] === 'function') out[name] = wrapClass(name, native[name], sig, classes);
  }
  return out;
}

module.exports = { wrap };
