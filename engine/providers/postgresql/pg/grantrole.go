package pg

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"

	"github.com/pulumi/pulumi-go-provider/infer"
)

// GrantRoleArgs are postgresql_grant_role's arguments; every one replaces the membership.
type GrantRoleArgs struct {
	Role            string `pulumi:"role" provider:"replaceOnChanges"`
	GrantRole       string `pulumi:"grantRole" provider:"replaceOnChanges"`
	WithAdminOption *bool  `pulumi:"withAdminOption,optional" provider:"replaceOnChanges"`
}

func (g *GrantRoleArgs) Annotate(a infer.Annotator) {
	a.Describe(&g.Role, "The name of the role that is granted a new membership.")
	a.Describe(&g.GrantRole, "The name of the role that is added to `role`.")
	a.Describe(&g.WithAdminOption, "Giving ability to grant membership to others or not for `role`. (Default: false)")
	a.SetDefault(&g.WithAdminOption, false)
}

type GrantRoleState struct {
	GrantRoleArgs
}

// GrantRole is postgresql:index/grantRole:GrantRole. ID: "<role>_<grantRole>_<withAdminOption>"
// (upstream's generateGrantRoleID).
type GrantRole struct{}

func (g *GrantRole) Annotate(a infer.Annotator) {
	a.SetToken("index/grantRole", "GrantRole")
	a.Describe(&g, "Membership of a role in another role (dean-infra's own postgresql provider).")
}

func grantRoleID(g GrantRoleArgs) string {
	return g.Role + "_" + g.GrantRole + "_" + strconv.FormatBool(val(g.WithAdminOption))
}

// Create revokes, then grants, in one transaction (as upstream).
func (*GrantRole) Create(ctx context.Context, req infer.CreateRequest[GrantRoleArgs]) (infer.CreateResponse[GrantRoleState], error) {
	in := req.Inputs
	state := GrantRoleState{GrantRoleArgs: in}
	if req.DryRun {
		return infer.CreateResponse[GrantRoleState]{ID: grantRoleID(in), Output: state}, nil
	}
	c, err := connect(ctx, "")
	if err != nil {
		return infer.CreateResponse[GrantRoleState]{}, err
	}
	err = withTx(ctx, c, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, fmt.Sprintf("REVOKE %s FROM %s", quoteIdent(in.GrantRole), quoteIdent(in.Role))); err != nil {
			return fmt.Errorf("could not execute revoke query: %w", err)
		}
		query := fmt.Sprintf("GRANT %s TO %s", quoteIdent(in.GrantRole), quoteIdent(in.Role))
		if val(in.WithAdminOption) {
			query += " WITH ADMIN OPTION"
		}
		if _, err := tx.ExecContext(ctx, query); err != nil {
			return fmt.Errorf("could not execute grant query: %w", err)
		}
		return nil
	})
	if err != nil {
		return infer.CreateResponse[GrantRoleState]{}, err
	}
	found, err := readGrantRole(ctx, c, &state.GrantRoleArgs)
	if err == nil && !found {
		err = fmt.Errorf("role membership %s not found after granting it", grantRoleID(in))
	}
	return infer.CreateResponse[GrantRoleState]{ID: grantRoleID(in), Output: state}, err
}

func readGrantRole(ctx context.Context, c *conn, g *GrantRoleArgs) (bool, error) {
	var admin bool
	err := c.QueryRowContext(ctx, `SELECT bool_or(admin_option) FROM pg_catalog.pg_auth_members
		WHERE pg_get_userbyid(member) = $1 AND pg_get_userbyid(roleid) = $2 HAVING count(*) > 0`,
		g.Role, g.GrantRole).Scan(&admin)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("error reading grant role: %w", err)
	}
	g.WithAdminOption = &admin
	return true, nil
}

func (*GrantRole) Read(ctx context.Context, req infer.ReadRequest[GrantRoleArgs, GrantRoleState]) (infer.ReadResponse[GrantRoleArgs, GrantRoleState], error) {
	state, inputs := req.State, req.Inputs
	if state.Role == "" {
		return infer.ReadResponse[GrantRoleArgs, GrantRoleState]{}, fmt.Errorf("postgresql grant roles cannot be imported (as upstream); ID %q", req.ID)
	}
	c, err := connect(ctx, "")
	if err != nil {
		return infer.ReadResponse[GrantRoleArgs, GrantRoleState]{}, err
	}
	found, err := readGrantRole(ctx, c, &state.GrantRoleArgs)
	if err != nil || !found {
		return infer.ReadResponse[GrantRoleArgs, GrantRoleState]{}, err
	}
	refresh(&inputs.WithAdminOption, val(state.WithAdminOption))
	return infer.ReadResponse[GrantRoleArgs, GrantRoleState]{ID: grantRoleID(state.GrantRoleArgs), Inputs: inputs, State: state}, nil
}

func (*GrantRole) Delete(ctx context.Context, req infer.DeleteRequest[GrantRoleState]) (infer.DeleteResponse, error) {
	c, err := connect(ctx, "")
	if err != nil {
		return infer.DeleteResponse{}, err
	}
	g := req.State.GrantRoleArgs
	if _, err := c.ExecContext(ctx, fmt.Sprintf("REVOKE %s FROM %s", quoteIdent(g.GrantRole), quoteIdent(g.Role))); err != nil {
		return infer.DeleteResponse{}, fmt.Errorf("could not execute revoke query: %w", err)
	}
	return infer.DeleteResponse{}, nil
}
