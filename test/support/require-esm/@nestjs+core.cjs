// See resolver.cjs: the ES module instance of @nestjs/core, loaded by setup.ts.
module.exports = globalThis[Symbol.for('nest-mcp-oauth:require-esm')]['@nestjs/core'];
