'use strict';
// The JavaScript half of the binding's compact forms (bindings/node/src/convert/compact.rs,
// whose module docs say why they exist): the hot reference functions answer with one
// packed string, or with an `Error` (carrying `.code`) that is returned instead of thrown.
// Only the mapping to the documented shapes lives here; no decision.

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

/** The native module with its compact-form functions wrapped into the documented API. */
function wrap(native) {
  const n = { ...native };
  return {
    ...native,
    parseReference: function parseReference(s) { return referenceInfo(n.parseReference(s)); },
    parseNormalized: function parseNormalized(s) { return referenceInfo(n.parseNormalized(s)); },
    parseNamed: function parseNamed(s) { return referenceInfo(n.parseNamed(s)); },
    parseName: function parseName(s) { return referenceInfo(n.parseName(s)); },
    parseDockerRef: function parseDockerRef(s) { return referenceInfo(n.parseDockerRef(s)); },
    withTag: function withTag(reference, tag) { return referenceInfo(n.withTag(reference, tag)); },
    withDigest: function withDigest(reference, digest) { return referenceInfo(n.withDigest(reference, digest)); },
  };
}

module.exports = { wrap };
