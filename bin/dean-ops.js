#!/usr/bin/env node
"use strict";
// dean-ops is written in TypeScript; tsx compiles it on load (no build step to forget).
require("tsx/cjs");
require("../ops/cli.ts");
