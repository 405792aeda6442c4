// See resolver.cjs: makes the ES module instances of Nest available to CommonJS packages that require them.
import * as common from '@nestjs/common';
import * as core from '@nestjs/core';

Object.assign(globalThis, { [Symbol.for('nest-mcp-oauth:require-esm')]: { '@nestjs/common': common, '@nestjs/core': core } });
