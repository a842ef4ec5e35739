/** A Docker image reference split into its parts (`registry:5000/team/app:1.2@sha256:...`). */
export interface ImageRef {
  readonly repository: string;
  readonly tag?: string;
  readonly digest?: string;
}

const IMAGE_ID = /^sha256:[a-f0-9]{64}$/;
const DIGEST = /^sha256:[a-f0-9]{64}$/;

/** An image ID (what RemoteImage resolves a reference to) is content-addressed: pinned by definition. */
export function isImageId(value: string): boolean {
  return IMAGE_ID.test(value);
}

export function parseImageRef(reference: string): ImageRef {
  const at = reference.indexOf("@");
  const named = at < 0 ? reference : reference.slice(0, at);
  const digest = at < 0 ? undefined : reference.slice(at + 1);
  // A colon before the last slash is a registry port, not a tag.
  const lastSlash = named.lastIndexOf("/");
  const colon = named.indexOf(":", lastSlash + 1);
  return {
    repository: colon < 0 ? named : named.slice(0, colon),
    tag: colon < 0 ? undefined : named.slice(colon + 1),
    digest,
  };
}

/** Why a reference is not pinned, or undefined when it is. */
export function unpinnedReason(reference: string, requireDigest: boolean): string | undefined {
  const { tag, digest } = parseImageRef(reference);
  if (digest !== undefined && !DIGEST.test(digest)) return `its digest \`${digest}\` is not a sha256 digest`;
  if (requireDigest && digest === undefined) return "it has no digest (this config requires name@sha256:<digest>)";
  if (digest !== undefined) return undefined;
  if (tag === undefined || tag === "") return "it has no tag, which means `latest`";
  // Tags are case-sensitive, but `LATEST` or `Latest` moves just the same.
  if (tag.toLowerCase() === "latest") return `its tag is \`${tag}\`, which moves`;
  return undefined;
}
