import { pidsLimitCommand } from "../../components/pids-limit";

describe("the PIDs limit command", () => {
  it("names the limit and reads the container from its environment, so its text is known before the container exists", () => {
    expect(pidsLimitCommand(512)).toBe('docker update --pids-limit 512 "$DEAN_CONTAINER"');
  });

  it.each([0, -1, 1.5])("refuses %s, which would be no limit or no number", (limit) => {
    expect(() => pidsLimitCommand(limit)).toThrow(`a PIDs limit must be a whole number above 0 (got ${limit})`);
  });
});
