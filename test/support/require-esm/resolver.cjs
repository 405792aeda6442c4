/**
 * Jest resolver for one gap between Jest and Node. Node has let CommonJS require() an ES module
 * since 20.19; Jest does so only on Node 24.9 and later. @nestjs/throttler is CommonJS and
 * requires @nestjs/common and @nestjs/core, which are ES modules only since Nest 12. Such a
 * require() is handed a bridge that returns the very module instance the tests import (set up by
 * setup.ts), which is what Node's require(esm) gives the running server.
 */
const path = require('node:path');

const BRIDGED = new Set(['@nestjs/common', '@nestjs/core']);

module.exports = (request, options) => {
  if (BRIDGED.has(request) && !(options.conditions ?? []).includes('import')) return path.join(__dirname, `${request.replace('/', '+')}.cjs`);
  return options.defaultResolver(request, options);
};
