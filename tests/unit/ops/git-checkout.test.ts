import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { GitCheckout } from "../../../ops/adapters/git-checkout";

/** The program-source adapter against a real git repository in a temp dir. */
describe("GitCheckout: the program in a checkout against a recorded commit", () => {
  let repo: string;
  const git = (...args: string[]): string => execFileSync("git", ["-C", repo, ...args], { encoding: "utf8" }).trim();
  const write = (file: string, text: string): void => {
    mkdirSync(path.dirname(path.join(repo, file)), { recursive: true });
    writeFileSync(path.join(repo, file), text);
  };

  beforeEach(() => {
    repo = mkdtempSync(path.join(os.tmpdir(), "dean-git-checkout-"));
    git("init", "-q", "-b", "main");
    git("config", "user.email", "test@example.invalid");
    git("config", "user.name", "test");
    write("index.ts", "export {};\n");
    write("components/stack.ts", "export const a = 1;\n");
    write("docs/notes.md", "notes\n");
    git("add", "-A");
    git("commit", "-q", "-m", "first");
  });

  afterEach(() => rmSync(repo, { recursive: true, force: true }));

  it("is the same program at the same commit, and after changes outside the program (docs)", async () => {
    const first = git("rev-parse", "HEAD");
    write("docs/notes.md", "more notes\n");
    git("commit", "-qam", "docs");
    expect(await new GitCheckout(repo).compareWith(first)).toEqual({ kind: "same", head: git("rev-parse", "HEAD") });
  });

  it("differs after a committed, an uncommitted or an untracked change to the program, naming the files", async () => {
    const first = git("rev-parse", "HEAD");
    write("components/stack.ts", "export const a = 2;\n");
    git("commit", "-qam", "program");
    write("index.ts", "export const changed = true;\n");
    write("components/new-part.ts", "export {};\n");
    expect(await new GitCheckout(repo).compareWith(first)).toEqual({
      kind: "differs", head: git("rev-parse", "HEAD"), files: ["components/stack.ts", "index.ts", "components/new-part.ts"],
    });
  });

  it("cannot tell for a commit this checkout does not have, or outside a checkout", async () => {
    expect(await new GitCheckout(repo).compareWith("0123456789abcdef0123456789abcdef01234567"))
      .toEqual({ kind: "unknown", reason: "commit 0123456789abcdef0123456789abcdef01234567 is not in this checkout (git fetch it first)" });
    const elsewhere = mkdtempSync(path.join(os.tmpdir(), "dean-no-git-"));
    try {
      expect(await new GitCheckout(elsewhere).compareWith(git("rev-parse", "HEAD"))).toMatchObject({ kind: "unknown", reason: expect.stringContaining("is not a git checkout") });
    } finally {
      rmSync(elsewhere, { recursive: true, force: true });
    }
  });
});
