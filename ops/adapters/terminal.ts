import * as readline from "node:readline/promises";
import type { Clock, Console } from "../context";
import { refused } from "../errors";

/** The process's terminal. Questions need an interactive stdin; scripts pass --yes. */
export const terminal: Console = {
  print: (line) => process.stdout.write(`${line}\n`),
  error: (line) => process.stderr.write(`${line}\n`),
  stream: (text) => process.stdout.write(text),
  interactive: Boolean(process.stdin.isTTY),
  async confirm(question) {
    if (!process.stdin.isTTY) throw refused("cannot ask for confirmation: stdin is not a terminal; pass --yes to apply without asking");
    const prompt = readline.createInterface({ input: process.stdin, output: process.stdout });
    try {
      return /^y(es)?$/i.test((await prompt.question(`${question} [y/N] `)).trim());
    } finally {
      prompt.close();
    }
  },
};

export const systemClock: Clock = {
  now: () => new Date(),
  sleep: (milliseconds) => new Promise((resolve) => setTimeout(resolve, milliseconds)),
};
