#!/usr/bin/env node
// `nest-mcp-oauth doctor <url>`: built to dist/doctor/cli.js, the package's bin. It must run on any
// Node.js from 20 on with nothing but commander, so nothing here imports the server.
import { runCli } from './program.js';

process.exitCode = await runCli(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
});
