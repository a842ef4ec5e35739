import { PolicyPack } from "@pulumi/policy";
import { policies } from "./policies";

// Serves the rules to the Pulumi engine (`pulumi preview --policy-pack policies`).
new PolicyPack("dean-policies", {
  displayName: "DEAN stack limits",
  description: "The limits the DEAN runbook depends on, enforced before anything is deployed.",
  policies,
});
