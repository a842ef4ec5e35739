import { createHmac } from "node:crypto";

/** HS256 JSON Web Tokens, signed the way the orchestrator verifies them (PyJWT, HS256). */

function base64url(data: string | Buffer): string {
  return Buffer.from(data).toString("base64url");
}

export function signHs256(claims: Record<string, unknown>, key: string): string {
  const signingInput = `${base64url(JSON.stringify({ alg: "HS256", typ: "JWT" }))}.${base64url(JSON.stringify(claims))}`;
  return `${signingInput}.${base64url(createHmac("sha256", key).update(signingInput).digest())}`;
}

/** A token for `subject` valid for `seconds` from now, without a session (no jti). */
export function shortLivedToken(subject: string, key: string, seconds = 300): string {
  const now = Math.floor(Date.now() / 1000);
  return signHs256({ sub: subject, iat: now, exp: now + seconds }, key);
}
