// Package shim hands the upstream Terraform docker provider's SDKv2 half (kept in its module's
// internal/ tree) to the bridge; pulumi-docker bridges that half only, as we do.
package shim

import (
	"github.com/hashicorp/terraform-plugin-sdk/v2/helper/schema"

	upstream "github.com/terraform-providers/terraform-provider-docker/internal/provider"
)

// NewProvider returns the upstream SDKv2 docker provider.
func NewProvider() *schema.Provider { return upstream.New("dev")() }
