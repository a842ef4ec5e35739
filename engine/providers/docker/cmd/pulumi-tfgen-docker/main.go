// pulumi-tfgen-docker writes schema.json and bridge-metadata.json for our docker provider.
package main

import (
	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfgen"

	"dean-infra/engine/providers/docker/info"
)

func main() { tfgen.Main("docker", info.Version, info.Provider([]byte("{}"))) }
