// pulumi-tfgen-random writes schema.json and bridge-metadata.json for our random provider
// (build.sh runs it with `schema --out cmd/pulumi-resource-random/generated`).
package main

import (
	pftfgen "github.com/pulumi/pulumi-terraform-bridge/v3/pkg/pf/tfgen"

	"dean-infra/engine/providers/random/info"
)

func main() { pftfgen.Main("random", info.Provider([]byte("{}"))) }
