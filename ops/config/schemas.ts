import { blockedAddressSchema, imageRef, orchestratorSchema } from "../../components/config-schema";

/**
 * The config schema's own schemas for the values dean-ops takes as arguments, so that an
 * argument is judged by exactly the rule the program applies to the value it becomes.
 */

/** `dean:orchestrator.replicas` (reached through its section: it is not exported on its own). */
export const replicasSchema = orchestratorSchema.unwrap().shape.replicas;

/** One entry of `dean:nginx.blockedIps`. */
export const blockedIpSchema = blockedAddressSchema;

/** `dean:images.orchestrator` (every image reference in `dean:images`). */
export const imageSchema = imageRef;
