// pulumi-resource-postgresql: dean-infra's own postgresql provider (package pg), served by
// pulumi-go-provider under the package name "postgresql" and the npm version
// @pulumi/postgresql asks for (build.sh stamps it with -ldflags -X main.version=...).
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"

	p "github.com/pulumi/pulumi-go-provider"
	"github.com/pulumi/pulumi-go-provider/infer"
	"github.com/pulumi/pulumi-go-provider/middleware/schema"

	"dean-infra/engine/providers/postgresql/pg"
)

var version = "3.18.1"

func main() {
	if len(os.Args) > 1 && (os.Args[1] == "-version" || os.Args[1] == "--version") {
		fmt.Println(version)
		return
	}
	provider := infer.Provider(infer.Options{
		Metadata: schema.Metadata{
			DisplayName: "PostgreSQL",
			Description: "dean-infra's own stand-in for the Pulumi PostgreSQL provider (Role, Database, Extension, Grant, GrantRole).",
			License:     "Apache-2.0",
			LanguageMap: map[string]any{"nodejs": map[string]any{"respectSchemaVersion": true}},
		},
		Config: infer.Config(pg.Config{}),
		Resources: []infer.InferredResource{
			infer.Resource(&pg.Role{}),
			infer.Resource(&pg.Database{}),
			infer.Resource(&pg.Extension{}),
			infer.Resource(&pg.Grant{}),
			infer.Resource(&pg.GrantRole{}),
		},
	})
	// The npm SDK sends the provider's non-string settings as JSON text, as for a bridged
	// provider; decode them before infer does. A changed setting never replaces the provider.
	checkConfig, configure := provider.CheckConfig, provider.Configure
	provider.CheckConfig = func(ctx context.Context, req p.CheckRequest) (p.CheckResponse, error) {
		var err error
		if req.Inputs, err = pg.NormalizeConfig(req.Inputs); err != nil {
			return p.CheckResponse{}, err
		}
		return checkConfig(ctx, req)
	}
	provider.Configure = func(ctx context.Context, req p.ConfigureRequest) error {
		var err error
		if req.Args, err = pg.NormalizeConfig(req.Args); err != nil {
			return err
		}
		return configure(ctx, req)
	}
	provider.DiffConfig = pg.DiffConfig
	// Tokens are module "index/<resource>" as in the bridged schema, which binds only with
	// the bridge's moduleFormat.
	getSchema := provider.GetSchema
	provider.GetSchema = func(ctx context.Context, req p.GetSchemaRequest) (p.GetSchemaResponse, error) {
		resp, err := getSchema(ctx, req)
		if err != nil {
			return resp, err
		}
		var spec map[string]any
		if err := json.Unmarshal([]byte(resp.Schema), &spec); err != nil {
			return resp, err
		}
		spec["meta"] = map[string]any{"moduleFormat": "(.*)(?:/[^/]*)"}
		out, err := json.Marshal(spec)
		return p.GetSchemaResponse{Schema: string(out)}, err
	}
	if err := p.RunProvider(context.Background(), "postgresql", version, provider); err != nil {
		fmt.Fprintf(os.Stderr, "Error: %s", err.Error())
		os.Exit(1)
	}
}
