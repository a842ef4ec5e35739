// pulumi-resource-random: the bridged Terraform random provider (a Plugin Framework
// provider, so served by the bridge's pf Main), with the schema that our pulumi-tfgen-random
// generated at build time (generated/, git-ignored).
package main

import (
	"context"
	_ "embed"

	pf "github.com/pulumi/pulumi-terraform-bridge/v3/pkg/pf/tfbridge"

	"dean-infra/engine/providers/random/info"
)

//go:embed generated/schema.json
var schema []byte

//go:embed generated/bridge-metadata.json
var metadata []byte

func main() {
	pf.Main(context.Background(), "random", info.Provider(metadata), pf.ProviderMetadata{PackageSchema: schema})
}
