// pulumi-resource-command: dean-infra's own command provider (package local), served by
// pulumi-go-provider under the package name "command" and the npm version @pulumi/command
// asks for (build.sh stamps it with -ldflags -X main.version=...).
package main

import (
	"context"
	"fmt"
	"os"

	p "github.com/pulumi/pulumi-go-provider"
	"github.com/pulumi/pulumi-go-provider/infer"
	"github.com/pulumi/pulumi-go-provider/middleware/schema"

	"dean-infra/engine/providers/command/local"
)

var version = "1.2.1"

func main() {
	if len(os.Args) > 1 && (os.Args[1] == "-version" || os.Args[1] == "--version") {
		fmt.Println(version)
		return
	}
	provider := infer.Provider(infer.Options{
		Metadata: schema.Metadata{
			DisplayName: "Command",
			Description: "dean-infra's own stand-in for the Pulumi Command provider (local:Command only).",
			License:     "Apache-2.0",
			LanguageMap: map[string]any{"nodejs": map[string]any{"respectSchemaVersion": true}},
		},
		Resources: []infer.InferredResource{infer.Resource(&local.Command{})},
	})
	if err := p.RunProvider(context.Background(), "command", version, provider); err != nil {
		fmt.Fprintf(os.Stderr, "Error: %s", err.Error())
		os.Exit(1)
	}
}
