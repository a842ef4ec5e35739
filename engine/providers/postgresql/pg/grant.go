package pg

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/lib/pq"
	p "github.com/pulumi/pulumi-go-provider"
	"github.com/pulumi/pulumi-go-provider/infer"
)

// GrantArgs are postgresql_grant's arguments: every one but privileges replaces the grant
// (ForceNew upstream), and pulumi-postgresql makes the replacement delete-before-replace.
type GrantArgs struct {
	Database        string    `pulumi:"database"`
	Role            string    `pulumi:"role"`
	Schema          *string   `pulumi:"schema,optional"`
	ObjectType      string    `pulumi:"objectType"`
	Objects         *[]string `pulumi:"objects,optional"`
	Columns         *[]string `pulumi:"columns,optional"`
	Privileges      []string  `pulumi:"privileges"`
	WithGrantOption *bool     `pulumi:"withGrantOption,optional"`
}

func (g *GrantArgs) Annotate(a infer.Annotator) {
	a.Describe(&g.Database, "The database to grant privileges on for this role.")
	a.Describe(&g.Role, "The name of the role to grant privileges on, Set it to \"public\" for all roles.")
	a.Describe(&g.Schema, "The database schema to grant privileges on for this role (Required except if objectType is \"database\").")
	a.Describe(&g.ObjectType, "The PostgreSQL object type to grant the privileges on (one of: database, function, procedure, routine, schema, sequence, table; foreign_data_wrapper, foreign_server and column are not supported by this build).")
	a.Describe(&g.Objects, "The objects upon which to grant the privileges. An empty list (the default) means to grant permissions on *all* objects of the specified type.")
	a.Describe(&g.Columns, "The columns upon which to grant the privileges (not supported by this build).")
	a.Describe(&g.Privileges, "The list of privileges to grant. An empty list revokes every privilege of the role on the object.")
	a.Describe(&g.WithGrantOption, "Whether the recipient of these privileges can grant the same privileges to others. Defaults to false.")
	a.SetDefault(&g.WithGrantOption, false)
}

type GrantState struct {
	GrantArgs
}

// Grant is postgresql:index/grant:Grant. ID: "<role>_<database>[_<schema>]_<objectType>[_<object>...]"
// (upstream's generateGrantID).
type Grant struct{}

func (g *Grant) Annotate(a infer.Annotator) {
	a.SetToken("index/grant", "Grant")
	a.Describe(&g, "Privileges of a role on a PostgreSQL database, schema or its objects (dean-infra's own postgresql provider).")
}

var allowedPrivileges = map[string][]string{
	"database":  {"ALL", "CREATE", "CONNECT", "TEMPORARY"},
	"table":     {"ALL", "SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE", "REFERENCES", "TRIGGER"},
	"sequence":  {"ALL", "USAGE", "SELECT", "UPDATE"},
	"schema":    {"ALL", "CREATE", "USAGE"},
	"function":  {"ALL", "EXECUTE"},
	"procedure": {"ALL", "EXECUTE"},
	"routine":   {"ALL", "EXECUTE"},
}

var relkinds = map[string]string{"table": "r", "sequence": "S"}

func allowed(objectType string, c *conn) []string {
	base := allowedPrivileges[objectType]
	if objectType == "table" && c != nil && c.atLeast(17) {
		return append(slices.Clone(base), "MAINTAIN")
	}
	return base
}

func (*Grant) Check(ctx context.Context, req infer.CheckRequest) (infer.CheckResponse[GrantArgs], error) {
	in, failures, err := infer.DefaultCheck[GrantArgs](ctx, req.NewInputs)
	if err != nil || len(failures) > 0 {
		return infer.CheckResponse[GrantArgs]{Inputs: in, Failures: failures}, err
	}
	if in.Privileges != nil {
		in.Privileges = *sortedSet(&in.Privileges)
	}
	in.Objects, in.Columns = sortedSet(in.Objects), sortedSet(in.Columns)
	fail := func(prop, reason string) { failures = append(failures, pFailure(prop, reason)) }
	switch in.ObjectType {
	case "":
		// unknown during a preview
	case "foreign_data_wrapper", "foreign_server", "column":
		fail("objectType", fmt.Sprintf("object type %q is not supported by dean-infra's postgresql provider", in.ObjectType))
	default:
		base, ok := allowedPrivileges[in.ObjectType]
		if !ok {
			fail("objectType", fmt.Sprintf("expected objectType to be one of [database function procedure routine schema sequence table foreign_data_wrapper foreign_server column], got %s", in.ObjectType))
			break
		}
		for _, priv := range in.Privileges {
			if !slices.Contains(base, priv) && !(in.ObjectType == "table" && priv == "MAINTAIN") {
				fail("privileges", fmt.Sprintf("%s is not an allowed privilege for object type %s", priv, in.ObjectType))
			}
		}
		if val(in.Schema) == "" && in.ObjectType != "database" {
			fail("schema", "parameter 'schema' is mandatory for postgresql_grant resource")
		}
		if len(val(in.Objects)) > 0 && (in.ObjectType == "database" || in.ObjectType == "schema") {
			fail("objects", "cannot specify `objects` when `object_type` is `database` or `schema`")
		}
		if len(val(in.Columns)) > 0 {
			fail("columns", "cannot specify `columns` when `object_type` is not `column`")
		}
	}
	return infer.CheckResponse[GrantArgs]{Inputs: in, Failures: failures}, nil
}

// Diff: privileges update in place, anything else replaces (delete first), sets compared as sets.
func (*Grant) Diff(ctx context.Context, req infer.DiffRequest[GrantArgs, GrantState]) (infer.DiffResponse, error) {
	old, in := req.State, req.Inputs
	diff := map[string]p.PropertyDiff{}
	replace := func(k string, changed bool) {
		if changed {
			diff[k] = p.PropertyDiff{Kind: p.UpdateReplace, InputDiff: true}
		}
	}
	replace("database", old.Database != in.Database)
	replace("role", old.Role != in.Role)
	replace("schema", val(old.Schema) != val(in.Schema))
	replace("objectType", old.ObjectType != in.ObjectType)
	replace("objects", !sameSet(val(old.Objects), val(in.Objects)))
	replace("columns", !sameSet(val(old.Columns), val(in.Columns)))
	replace("withGrantOption", val(old.WithGrantOption) != val(in.WithGrantOption))
	if !sameSet(old.Privileges, in.Privileges) {
		diff["privileges"] = p.PropertyDiff{Kind: p.Update, InputDiff: true}
	}
	return infer.DiffResponse{HasChanges: len(diff) > 0, DetailedDiff: diff, DeleteBeforeReplace: true}, nil
}

func grantID(g GrantArgs) string {
	parts := []string{g.Role, g.Database}
	if g.ObjectType != "database" {
		parts = append(parts, val(g.Schema))
	}
	parts = append(parts, g.ObjectType)
	parts = append(parts, val(g.Objects)...)
	parts = append(parts, val(g.Columns)...)
	return strings.Join(parts, "_")
}

func (*Grant) Create(ctx context.Context, req infer.CreateRequest[GrantArgs]) (infer.CreateResponse[GrantState], error) {
	state := GrantState{GrantArgs: req.Inputs}
	if req.DryRun {
		return infer.CreateResponse[GrantState]{ID: grantID(req.Inputs), Output: state}, nil
	}
	err := applyGrant(ctx, req.Inputs, req.Inputs)
	if err == nil {
		_, err = readGrant(ctx, &state.GrantArgs)
	}
	return infer.CreateResponse[GrantState]{ID: grantID(req.Inputs), Output: state}, err
}

func (*Grant) Update(ctx context.Context, req infer.UpdateRequest[GrantArgs, GrantState]) (infer.UpdateResponse[GrantState], error) {
	state := GrantState{GrantArgs: req.Inputs}
	if req.DryRun {
		return infer.UpdateResponse[GrantState]{Output: state}, nil
	}
	err := applyGrant(ctx, req.State.GrantArgs, req.Inputs)
	if err == nil {
		_, err = readGrant(ctx, &state.GrantArgs)
	}
	return infer.UpdateResponse[GrantState]{Output: state}, err
}

// applyGrant revokes what old granted and grants what in asks, in one transaction in the
// grant's database, so that the role never lacks a privilege it keeps (as upstream).
func applyGrant(ctx context.Context, old, in GrantArgs) error {
	c, err := connect(ctx, in.Database)
	if err != nil {
		return err
	}
	for _, g := range []GrantArgs{old, in} {
		for _, priv := range g.Privileges {
			if !slices.Contains(allowed(g.ObjectType, c), priv) {
				return fmt.Errorf("%s is not an allowed privilege for object type %s", priv, g.ObjectType)
			}
		}
	}
	return withTx(ctx, c, func(tx *sql.Tx) error {
		if err := lockRole(ctx, tx, in.Role); err != nil {
			return err
		}
		if in.ObjectType == "database" {
			if err := lockDatabase(ctx, tx, in.Database); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, revokeQuery(old)); err != nil {
			return fmt.Errorf("could not execute revoke query: %w", err)
		}
		if len(in.Privileges) == 0 {
			return nil
		}
		if _, err := tx.ExecContext(ctx, grantQuery(in)); err != nil {
			return fmt.Errorf("could not execute grant query: %w", err)
		}
		return nil
	})
}

// privilegeList joins privileges, which are keywords, not identifiers: applyGrant has checked
// each against the allowed list before any SQL is written.
func privilegeList(privs []string) string {
	return strings.Join(privs, ",")
}

func objectList(schema string, objects []string) string {
	quoted := make([]string, len(objects))
	for i, o := range objects {
		quoted[i] = quoteIdent(schema) + "." + quoteIdent(o)
	}
	return strings.Join(quoted, ",")
}

func target(g GrantArgs) string {
	switch g.ObjectType {
	case "database":
		return "DATABASE " + quoteIdent(g.Database)
	case "schema":
		return "SCHEMA " + quoteIdent(val(g.Schema))
	}
	kind := strings.ToUpper(g.ObjectType)
	if len(val(g.Objects)) > 0 {
		return kind + " " + objectList(val(g.Schema), val(g.Objects))
	}
	return "ALL " + kind + "S IN SCHEMA " + quoteIdent(val(g.Schema))
}

func grantQuery(g GrantArgs) string {
	q := fmt.Sprintf("GRANT %s ON %s TO %s", privilegeList(g.Privileges), target(g), quoteIdent(g.Role))
	if val(g.WithGrantOption) {
		q += " WITH GRANT OPTION"
	}
	return q
}

func revokeQuery(g GrantArgs) string {
	privs := "ALL PRIVILEGES"
	// On named tables and routines upstream revokes only the listed privileges (so that
	// column-level grants survive).
	if g.ObjectType != "database" && g.ObjectType != "schema" && len(val(g.Objects)) > 0 && len(g.Privileges) > 0 {
		privs = privilegeList(g.Privileges)
	}
	return fmt.Sprintf("REVOKE %s ON %s FROM %s", privs, target(g), quoteIdent(g.Role))
}

func (*Grant) Delete(ctx context.Context, req infer.DeleteRequest[GrantState]) (infer.DeleteResponse, error) {
	g := req.State.GrantArgs
	c, err := connect(ctx, g.Database)
	if err != nil {
		return infer.DeleteResponse{}, err
	}
	return infer.DeleteResponse{}, withTx(ctx, c, func(tx *sql.Tx) error {
		if err := lockRole(ctx, tx, g.Role); err != nil {
			return err
		}
		if g.ObjectType == "database" {
			if err := lockDatabase(ctx, tx, g.Database); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, revokeQuery(g)); err != nil {
			return fmt.Errorf("could not execute revoke query: %w", err)
		}
		return nil
	})
}

func (*Grant) Read(ctx context.Context, req infer.ReadRequest[GrantArgs, GrantState]) (infer.ReadResponse[GrantArgs, GrantState], error) {
	state, inputs := req.State, req.Inputs
	if state.Database == "" {
		return infer.ReadResponse[GrantArgs, GrantState]{}, fmt.Errorf("postgresql grants cannot be imported (as upstream); ID %q", req.ID)
	}
	found, err := readGrant(ctx, &state.GrantArgs)
	if err != nil || !found {
		return infer.ReadResponse[GrantArgs, GrantState]{}, err
	}
	if !sameSet(inputs.Privileges, state.Privileges) {
		inputs.Privileges = state.Privileges
	}
	return infer.ReadResponse[GrantArgs, GrantState]{ID: grantID(state.GrantArgs), Inputs: inputs, State: state}, nil
}

// readGrant replaces g.Privileges with what the role has when that differs (upstream's
// readRolePrivileges, with ALL meaning every privilege of the type). A missing database, role
// or schema means the grant is gone.
func readGrant(ctx context.Context, g *GrantArgs) (bool, error) {
	admin, err := connect(ctx, "")
	if err != nil {
		return false, err
	}
	if ok, err := dbExists(ctx, admin, g.Database); err != nil || !ok {
		return false, err
	}
	c, err := connect(ctx, g.Database)
	if err != nil {
		return false, err
	}
	var oid uint32 // PUBLIC is grantee 0
	if g.Role != "public" {
		err := c.QueryRowContext(ctx, "SELECT oid FROM pg_catalog.pg_roles WHERE rolname = $1", g.Role).Scan(&oid)
		if err == sql.ErrNoRows {
			return false, nil
		}
		if err != nil {
			return false, fmt.Errorf("could not find oid for role %s: %w", g.Role, err)
		}
	}
	if g.ObjectType != "database" {
		if ok, err := exists(ctx, c, "SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = $1", val(g.Schema)); err != nil || !ok {
			return false, err
		}
	}
	equal := func(granted []string) bool {
		if sameSet(granted, g.Privileges) {
			return true
		}
		if !slices.Contains(g.Privileges, "ALL") {
			return false
		}
		var all []string
		for _, p := range allowed(g.ObjectType, c) {
			if p != "ALL" {
				all = append(all, p)
			}
		}
		return sameSet(granted, all)
	}
	set := func(granted []string) {
		if !equal(granted) {
			g.Privileges = *sortedSet(&granted)
		}
	}
	var granted pq.StringArray
	switch g.ObjectType {
	case "database", "schema":
		query := `SELECT COALESCE(array_agg(privilege_type), '{}') FROM (
			SELECT (aclexplode(datacl)).* FROM pg_catalog.pg_database WHERE datname = $1) AS privs WHERE grantee = $2`
		name := g.Database
		if g.ObjectType == "schema" {
			query = `SELECT COALESCE(array_agg(privilege_type), '{}') FROM (
				SELECT (aclexplode(nspacl)).* FROM pg_catalog.pg_namespace WHERE nspname = $1) AS privs WHERE grantee = $2`
			name = val(g.Schema)
		}
		if err := c.QueryRowContext(ctx, query, name, oid).Scan(&granted); err != nil {
			return false, fmt.Errorf("could not read privileges for %s %s: %w", g.ObjectType, name, err)
		}
		set(granted)
		return true, nil
	}
	// Every object of the type in the schema (or the listed ones) must have exactly the
	// privileges; the first that differs is reported.
	var rows *sql.Rows
	if kind, ok := relkinds[g.ObjectType]; ok {
		rows, err = c.QueryContext(ctx, `SELECT c.relname, COALESCE(array_remove(array_agg(privs.privilege_type), NULL), '{}')
			FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
			LEFT JOIN LATERAL (SELECT (aclexplode(c.relacl)).*) privs ON privs.grantee = $1
			WHERE n.nspname = $2 AND c.relkind = $3 GROUP BY c.relname`, oid, val(g.Schema), kind)
	} else { // function, procedure, routine: every routine of the schema, as upstream
		rows, err = c.QueryContext(ctx, `SELECT p.proname, COALESCE(array_remove(array_agg(privs.privilege_type), NULL), '{}')
			FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
			LEFT JOIN LATERAL (SELECT (aclexplode(p.proacl)).*) privs ON privs.grantee = $1
			WHERE n.nspname = $2 GROUP BY p.proname`, oid, val(g.Schema))
	}
	if err != nil {
		return false, err
	}
	defer rows.Close()
	wanted := map[string]bool{}
	for _, o := range val(g.Objects) {
		wanted[o] = true
	}
	type obj struct {
		name  string
		privs []string
	}
	var objs []obj
	for rows.Next() {
		var name string
		var privs pq.StringArray
		if err := rows.Scan(&name, &privs); err != nil {
			return false, err
		}
		if len(wanted) == 0 || wanted[name] {
			objs = append(objs, obj{name, privs})
		}
	}
	if err := rows.Err(); err != nil {
		return false, err
	}
	sort.Slice(objs, func(i, j int) bool { return objs[i].name < objs[j].name })
	for _, o := range objs {
		if !equal(o.privs) {
			g.Privileges = *sortedSet(&o.privs)
			break
		}
	}
	return true, nil
}
