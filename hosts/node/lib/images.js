'use strict';
// Listing and naming images in a store. Which images, in which order, which name moves
// and when removal needs force are the core's rules (ImageIndex, Filter, StoreMeta);
// these functions read and write the files.
const b = require('./binding');
const { FsStore } = require('./store');
const { checkHostArguments } = require('./arguments');

/** Largest manifest or config `inspect` reads (the registry's limit). */
const MAX_DOCUMENT = 4 << 20;

/** The store of `options`, once every argument of host function `name` checked out. */
function need(name, args, options) {
  checkHostArguments(name, args);
  return FsStore.open(options.store);
}

/**
 * The images of a store, newest first, as `hoist images --format json` lists them;
 * `filters` are podman's (`dangling=true`, `label=k=v`, `reference=…`, `before=…`).
 */
async function listImages(options) {
  const store = await need('listImages', [options], options);
  const index = (await store.readMeta()).index();
  const filter = b.Filter.parse(options.filters ?? [], index, Math.floor(Date.now() / 1000));
  return index.list(filter);
}

/** An image's record, manifest descriptor, manifest and config. */
async function inspect(image, options) {
  const store = await need('inspect', [image, options], options);
  const meta = await store.readMeta();
  const record = meta.index().resolve(image);
  const manifestDescriptor = meta.manifestDescriptor(record.id);
  const manifestBytes = await store.readBlob(record.manifest_digest, MAX_DOCUMENT);
  const manifest = b.parseManifest(manifestBytes, { contentType: manifestDescriptor.mediaType });
  const configDigest = record.config_digest ?? record.id;
  const config = b.parseConfig(await store.readBlob(configDigest, MAX_DOCUMENT));
  return { record, manifestDescriptor, manifest, config };
}

/** Gives `image` the name `name`; returns the changes. */
async function tag(image, name, options) {
  const store = await need('tag', [image, name, options], options);
  return store.update((meta) => meta.tag(image, name));
}

/** Removes `name` (or every name) from `image`; returns the changes. */
async function untag(image, name, options) {
  const store = await need('untag', [image, name, options], options);
  return store.update((meta) => meta.untag(image, name ?? undefined));
}

/** Removes a name or an image (podman `rmi` rules, `force`); returns the changes. */
async function removeImage(image, options) {
  const store = await need('removeImage', [image, options], options);
  return store.update((meta) => meta.remove(image, options.force ?? false));
}

module.exports = { listImages, inspect, tag, untag, removeImage };
