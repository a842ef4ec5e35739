// pulumi-resource-docker: the bridged Terraform docker provider with the schema that our
// pulumi-tfgen-docker generated at build time (generated/, git-ignored).
package main

import (
	_ "embed"

	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfbridge"

	"dean-infra/engine/providers/docker/info"
)

//go:embed generated/schema.json
var schema []byte

//go:embed generated/bridge-metadata.json
var metadata []byte

func main() { tfbridge.Main("docker", info.Version, info.Provider(metadata), schema) }
