// The framework's own floor: a bare NestJS app on the product's @nestjs/core and platform-express,
// with one controller answering a fixed JSON document on GET and one guard refusing every POST
// with a 401. No route that stays inside Nest can be cheaper. Decorators are applied by hand,
// as this file is plain JavaScript.
import 'reflect-metadata';
import { Controller, Get, Injectable, Module, Post, UnauthorizedException, UseGuards } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { serveTarget } from './harness.mjs';

const DOCUMENT = {
  resource: 'http://localhost/mcp',
  authorization_servers: ['http://localhost'],
  bearer_methods_supported: ['header'],
};

class RefuseEveryRequest {
  canActivate() {
    throw new UnauthorizedException();
  }
}
Injectable()(RefuseEveryRequest);

class FloorController {
  document() {
    return DOCUMENT;
  }
  refuse() {
    return DOCUMENT;
  }
}
const method = (name) => [
  FloorController.prototype,
  name,
  Object.getOwnPropertyDescriptor(FloorController.prototype, name),
];
Get()(...method('document'));
Post()(...method('refuse'));
UseGuards(RefuseEveryRequest)(...method('refuse'));
Controller()(FloorController);

class FloorModule {}
Module({ controllers: [FloorController], providers: [RefuseEveryRequest] })(FloorModule);

await serveTarget(async () => {
  const app = await NestFactory.create(FloorModule, { logger: false });
  await app.listen(0, '127.0.0.1');
  const http = app.getHttpServer();
  http.keepAliveTimeout = 65_000;
  return { port: http.address().port, close: () => app.close() };
});
