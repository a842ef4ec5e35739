import { randomInt } from "node:crypto";
import { noInPlaceUpdate, type ResourceHandler } from "./handler";
import { InputReader } from "./inputs";
import type { Registration } from "./resource";

/**
 * random:index/randomPassword:RandomPassword, generated like the random provider does:
 * the minimum count of each required class first, the rest from the whole alphabet, then a
 * shuffle; every draw from the operating system's CSPRNG.
 */

export const RANDOM_PASSWORD = "random:index/randomPassword:RandomPassword";

const UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
const LOWER = "abcdefghijklmnopqrstuvwxyz";
const NUMERIC = "0123456789";
/** The random provider's default special characters. */
const SPECIAL = "!@#$%&*()-_=+[]{}<>:?";

export interface PasswordRules {
  readonly length: number;
  readonly special: boolean;
  readonly minUpper: number;
  readonly minLower: number;
  readonly minNumeric: number;
}

function passwordRules(registration: Registration): PasswordRules {
  const inputs = InputReader.of(registration.type, registration.name, registration.inputs, ["length", "special", "minUpper", "minLower", "minNumeric", "keepers"]);
  // Keepers only matter for replacement (the planner compares them); they must be strings.
  inputs.optionalStringMap("keepers");
  const rules = {
    length: inputs.number("length"),
    special: inputs.optionalBoolean("special") ?? true,
    minUpper: inputs.optionalNumber("minUpper") ?? 0,
    minLower: inputs.optionalNumber("minLower") ?? 0,
    minNumeric: inputs.optionalNumber("minNumeric") ?? 0,
  };
  if (rules.minUpper + rules.minLower + rules.minNumeric > rules.length) {
    throw inputs.refuse("length", `is shorter than the minimum counts it asks for (${JSON.stringify(rules)})`);
  }
  return rules;
}

function draw(alphabet: string, count: number): string[] {
  return Array.from({ length: count }, () => alphabet[randomInt(alphabet.length)]);
}

export function generatePassword(rules: PasswordRules): string {
  const alphabet = UPPER + LOWER + NUMERIC + (rules.special ? SPECIAL : "");
  const characters = [...draw(UPPER, rules.minUpper), ...draw(LOWER, rules.minLower), ...draw(NUMERIC, rules.minNumeric)];
  characters.push(...draw(alphabet, rules.length - characters.length));
  for (let index = characters.length - 1; index > 0; index--) {
    const other = randomInt(index + 1);
    [characters[index], characters[other]] = [characters[other], characters[index]];
  }
  return characters.join("");
}

export const randomPasswordHandler: ResourceHandler = {
  validate: (registration) => void passwordRules(registration),
  create: async (registration) => ({ outputs: { result: generatePassword(passwordRules(registration)) }, physicalId: "none" }),
  update: noInPlaceUpdate(RANDOM_PASSWORD),
  // Nothing exists outside the state.
  delete: async () => undefined,
};
