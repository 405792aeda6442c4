// See resolver.cjs: the ES module instance of @nestjs/common, loaded by setup.ts.
module.exports = globalThis[Symbol.for('nest-mcp-oauth:require-esm')]['@nestjs/common'];
