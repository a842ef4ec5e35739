// Package info is our mapping of the Terraform random provider onto the Pulumi package that
// @pulumi/random (npm) was generated from.
package info

import (
	pf "github.com/pulumi/pulumi-terraform-bridge/v3/pkg/pf/tfbridge"
	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfbridge"
	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfbridge/tokens"
	"github.com/terraform-providers/terraform-provider-random/shim"
)

// Version is the @pulumi/random version whose plugin request this binary answers; build.sh
// stamps it with -ldflags -X.
var Version = "4.21.2"

// Provider maps random_* to random:index/random*:Random* (random_password ->
// random:index/randomPassword:RandomPassword), as pulumi-random's provider/resources.go does.
// metadata is the bridge-metadata.json that our tfgen run wrote ("{}" for the tfgen run itself).
func Provider(metadata []byte) tfbridge.ProviderInfo {
	prov := tfbridge.ProviderInfo{
		P:            pf.ShimProvider(shim.NewProvider()),
		Name:         "random",
		Description:  "A Pulumi package to safely use randomness in Pulumi programs (dean-infra's own build).",
		License:      "Apache-2.0",
		Repository:   "https://github.com/pulumi/pulumi-random",
		Version:      Version,
		MetadataInfo: tfbridge.NewProviderMetadata(metadata),
		// pulumi-random sets both (provider/resources.go).
		EnableAccurateBridgePreview: true,
		EnableRawStateDelta:         true,
	}
	makeToken := func(module, name string) (string, error) {
		return tokens.MakeStandard("random")(module, "Random"+name)
	}
	prov.MustComputeTokens(tokens.SingleModule("random_", "index", makeToken))
	prov.MustApplyAutoAliases()
	return prov
}
