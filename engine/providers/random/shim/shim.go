// Package shim hands the upstream Terraform provider (a Plugin Framework provider, kept in
// its module's internal/ tree) to the bridge.
package shim

import (
	"github.com/hashicorp/terraform-plugin-framework/provider"

	upstream "github.com/terraform-providers/terraform-provider-random/internal/provider"
)

// NewProvider returns the upstream random provider.
func NewProvider() provider.Provider { return upstream.New() }
