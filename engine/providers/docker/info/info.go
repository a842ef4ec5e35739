// Package info is our mapping of the Terraform docker provider onto the Pulumi package that
// @pulumi/docker (npm) was generated from. The explicit entries reproduce what
// pulumi-docker's provider/resources.go sets and the npm SDK depends on.
package info

import (
	"context"
	"unicode"

	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfbridge"
	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfbridge/tokens"
	shimv2 "github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfshim/sdk-v2"
	ptokens "github.com/pulumi/pulumi/sdk/v3/go/common/tokens"
	"github.com/terraform-providers/terraform-provider-docker/shim"
)

// Version is the @pulumi/docker version whose plugin request this binary answers; build.sh
// stamps it with -ldflags -X.
var Version = "5.2.0"

func res(name string) string {
	return "docker:index/" + string(unicode.ToLower(rune(name[0]))) + name[1:] + ":" + name
}

// Provider returns the mapping; metadata is our tfgen's bridge-metadata.json ("{}" for tfgen).
func Provider(metadata []byte) tfbridge.ProviderInfo {
	prov := tfbridge.ProviderInfo{
		P:            shimv2.NewProvider(shim.NewProvider()),
		Name:         "docker",
		Description:  "A Pulumi package for interacting with Docker (dean-infra's own build).",
		License:      "Apache-2.0",
		Repository:   "https://github.com/pulumi/pulumi-docker",
		GitHubOrg:    "kreuzwerker",
		Version:      Version,
		MetadataInfo: tfbridge.NewProviderMetadata(metadata),
		Config: map[string]*tfbridge.SchemaInfo{
			// pulumi-docker: host defaults to $DOCKER_HOST, else the local socket.
			"host": {Default: &tfbridge.DefaultInfo{
				EnvVars: []string{"DOCKER_HOST"},
				ComputeDefault: func(context.Context, tfbridge.ComputeDefaultOptions) (any, error) {
					return "unix:///var/run/docker.sock", nil
				},
			}},
			// pulumi-docker: "registryAuth", a list (not flattened, not pluralised).
			"registry_auth": {Name: "registryAuth", MaxItemsOne: tfbridge.False()},
		},
		Resources: map[string]*tfbridge.ResourceInfo{
			"docker_config": {Tok: ptokens.Type(res("ServiceConfig"))},
			"docker_container": {
				Tok: ptokens.Type(res("Container")),
				// pulumi-docker marks containers delete-before-replace: a replacement with
				// the same name (and published ports) cannot exist beside the old one.
				DeleteBeforeReplace: true,
				Fields: map[string]*tfbridge.SchemaInfo{
					"command":           {Name: "command"},          // pulumi-docker: not "commands"
					"networks_advanced": {Name: "networksAdvanced"}, // pulumi-docker: not pluralised
				},
			},
			// pulumi-docker: docker_image is RemoteImage (Image is its native build resource).
			"docker_image": {Tok: ptokens.Type(res("RemoteImage")), Fields: map[string]*tfbridge.SchemaInfo{"name": {Name: "name"}}},
		},
		DataSources: map[string]*tfbridge.DataSourceInfo{
			"docker_image": {Tok: "docker:index/getRemoteImage:getRemoteImage"},
		},
	}
	prov.MustComputeTokens(tokens.SingleModule("docker_", "index", tokens.MakeStandard("docker")))
	prov.MustApplyAutoAliases()
	// pulumi-docker: name fields are auto-named (<resource name>-<random>, at most 255).
	prov.SetAutonaming(255, "-")
	return prov
}
