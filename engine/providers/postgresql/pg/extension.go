package pg

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	p "github.com/pulumi/pulumi-go-provider"
	"github.com/pulumi/pulumi-go-provider/infer"
)

func pFailure(prop, reason string) p.CheckFailure {
	return p.CheckFailure{Property: prop, Reason: reason}
}

// ExtensionArgs are postgresql_extension's arguments: name and database replace the extension
// (ForceNew upstream); schema and version are altered in place.
type ExtensionArgs struct {
	Name          *string `pulumi:"name,optional" provider:"replaceOnChanges"`
	Schema        *string `pulumi:"schema,optional"`
	Version       *string `pulumi:"version,optional"`
	Database      *string `pulumi:"database,optional" provider:"replaceOnChanges"`
	DropCascade   *bool   `pulumi:"dropCascade,optional"`
	CreateCascade *bool   `pulumi:"createCascade,optional"`
}

func (e *ExtensionArgs) Annotate(a infer.Annotator) {
	a.Describe(&e.Name, "The name of the extension (default: the resource name plus a random suffix, as the bridged provider auto-names it).")
	a.Describe(&e.Schema, "Sets the schema of an extension.")
	a.Describe(&e.Version, "Sets the version number of the extension.")
	a.Describe(&e.Database, "Which database to create the extension on. Defaults to provider database.")
	a.Describe(&e.DropCascade, "When true, will also drop all the objects that depend on the extension, and in turn all objects that depend on those objects.")
	a.SetDefault(&e.DropCascade, false)
	a.Describe(&e.CreateCascade, "When true, will also create any extensions that this extension depends on that are not already installed.")
	a.SetDefault(&e.CreateCascade, false)
}

type ExtensionState struct {
	ExtensionArgs
}

// Extension is postgresql:index/extension:Extension. ID: "<database>.<name>" (as upstream).
type Extension struct{}

func (e *Extension) Annotate(a infer.Annotator) {
	a.SetToken("index/extension", "Extension")
	a.Describe(&e, "A PostgreSQL extension (dean-infra's own postgresql provider).")
}

func (*Extension) Check(ctx context.Context, req infer.CheckRequest) (infer.CheckResponse[ExtensionArgs], error) {
	news, err := autoName(req.Name, req.OldInputs, req.NewInputs)
	if err != nil {
		return infer.CheckResponse[ExtensionArgs]{}, err
	}
	in, failures, err := infer.DefaultCheck[ExtensionArgs](ctx, news)
	return infer.CheckResponse[ExtensionArgs]{Inputs: in, Failures: failures}, err
}

func extensionDB(ctx context.Context, in ExtensionArgs) string {
	if d := val(in.Database); d != "" {
		return d
	}
	return infer.GetConfig[Config](ctx).settings().database
}

func (*Extension) Create(ctx context.Context, req infer.CreateRequest[ExtensionArgs]) (infer.CreateResponse[ExtensionState], error) {
	in := req.Inputs
	database := extensionDB(ctx, in)
	id := database + "." + val(in.Name)
	state := ExtensionState{ExtensionArgs: in}
	if req.DryRun {
		return infer.CreateResponse[ExtensionState]{ID: id, Output: state}, nil
	}
	c, err := connect(ctx, database)
	if err != nil {
		return infer.CreateResponse[ExtensionState]{}, err
	}
	query := "CREATE EXTENSION IF NOT EXISTS " + quoteIdent(val(in.Name))
	if s := val(in.Schema); s != "" {
		query += " SCHEMA " + quoteIdent(s)
	}
	if v := val(in.Version); v != "" {
		query += " VERSION " + quoteIdent(v)
	}
	if val(in.CreateCascade) {
		query += " CASCADE"
	}
	if _, err := c.ExecContext(ctx, query); err != nil {
		return infer.CreateResponse[ExtensionState]{}, fmt.Errorf("error creating extension %s in database %s: %w", val(in.Name), database, err)
	}
	found, err := readExtension(ctx, database, val(in.Name), &state, nil)
	if err == nil && !found {
		err = fmt.Errorf("extension %s not found after creating it", id)
	}
	return infer.CreateResponse[ExtensionState]{ID: id, Output: state}, err
}

// readExtension refreshes schema and version; the database missing means the extension is.
func readExtension(ctx context.Context, database, name string, state *ExtensionState, inputs *ExtensionArgs) (bool, error) {
	admin, err := connect(ctx, "")
	if err != nil {
		return false, err
	}
	if ok, err := dbExists(ctx, admin, database); err != nil || !ok {
		return false, err
	}
	c, err := connect(ctx, database)
	if err != nil {
		return false, err
	}
	var schema, version string
	err = c.QueryRowContext(ctx, `SELECT n.nspname, e.extversion FROM pg_catalog.pg_extension e
		JOIN pg_catalog.pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = $1`, name).Scan(&schema, &version)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("error reading extension: %w", err)
	}
	state.Name, state.Schema, state.Version, state.Database = &name, &schema, &version, &database
	if state.DropCascade == nil {
		state.DropCascade = ptr(false)
	}
	if state.CreateCascade == nil {
		state.CreateCascade = ptr(false)
	}
	if inputs != nil {
		refresh(&inputs.Schema, schema)
		refresh(&inputs.Version, version)
	}
	return true, nil
}

func (*Extension) Read(ctx context.Context, req infer.ReadRequest[ExtensionArgs, ExtensionState]) (infer.ReadResponse[ExtensionArgs, ExtensionState], error) {
	state, inputs := req.State, req.Inputs
	database, name := extensionDB(ctx, state.ExtensionArgs), val(state.Name)
	imported := name == ""
	if imported { // an import: the ID says database.name
		parts := strings.Split(req.ID, ".")
		if len(parts) != 2 {
			return infer.ReadResponse[ExtensionArgs, ExtensionState]{}, fmt.Errorf("extension ID %s has not the expected format 'database.extension': %v", req.ID, parts)
		}
		database, name = parts[0], parts[1]
	}
	found, err := readExtension(ctx, database, name, &state, &inputs)
	if err != nil || !found {
		return infer.ReadResponse[ExtensionArgs, ExtensionState]{}, err
	}
	if imported {
		inputs = ExtensionArgs{Name: state.Name, Database: state.Database, DropCascade: ptr(false), CreateCascade: ptr(false)}
	}
	return infer.ReadResponse[ExtensionArgs, ExtensionState]{ID: database + "." + name, Inputs: inputs, State: state}, nil
}

func (*Extension) Update(ctx context.Context, req infer.UpdateRequest[ExtensionArgs, ExtensionState]) (infer.UpdateResponse[ExtensionState], error) {
	old, in := req.State, req.Inputs
	state := ExtensionState{ExtensionArgs: in}
	if state.Schema == nil {
		state.Schema = old.Schema
	}
	if state.Version == nil {
		state.Version = old.Version
	}
	if req.DryRun {
		return infer.UpdateResponse[ExtensionState]{Output: state}, nil
	}
	database, name := extensionDB(ctx, in), val(in.Name)
	c, err := connect(ctx, database)
	if err != nil {
		return infer.UpdateResponse[ExtensionState]{}, err
	}
	err = withTx(ctx, c, func(tx *sql.Tx) error {
		if in.Schema != nil && val(old.Schema) != *in.Schema {
			if *in.Schema == "" {
				return errors.New("error setting extension schema to an empty string")
			}
			if _, err := tx.ExecContext(ctx, fmt.Sprintf("ALTER EXTENSION %s SET SCHEMA %s", quoteIdent(name), quoteIdent(*in.Schema))); err != nil {
				return fmt.Errorf("error updating extension SCHEMA: %w", err)
			}
		}
		if in.Version != nil && val(old.Version) != *in.Version {
			query := fmt.Sprintf("ALTER EXTENSION %s UPDATE", quoteIdent(name))
			if *in.Version != "" {
				query += " TO " + quoteIdent(*in.Version)
			}
			if _, err := tx.ExecContext(ctx, query); err != nil {
				return fmt.Errorf("error updating extension version: %w", err)
			}
		}
		return nil
	})
	if err != nil {
		return infer.UpdateResponse[ExtensionState]{}, err
	}
	found, err := readExtension(ctx, database, name, &state, nil)
	if err == nil && !found {
		err = fmt.Errorf("extension %s.%s not found after updating it", database, name)
	}
	return infer.UpdateResponse[ExtensionState]{Output: state}, err
}

// Delete: DROP EXTENSION ... RESTRICT, or CASCADE with dropCascade; as upstream.
func (*Extension) Delete(ctx context.Context, req infer.DeleteRequest[ExtensionState]) (infer.DeleteResponse, error) {
	database, name := extensionDB(ctx, req.State.ExtensionArgs), val(req.State.Name)
	c, err := connect(ctx, database)
	if err != nil {
		return infer.DeleteResponse{}, err
	}
	mode := "RESTRICT"
	if val(req.State.DropCascade) {
		mode = "CASCADE"
	}
	if _, err := c.ExecContext(ctx, fmt.Sprintf("DROP EXTENSION %s %s", quoteIdent(name), mode)); err != nil {
		return infer.DeleteResponse{}, fmt.Errorf("error dropping extension %s in database %s: %w", name, database, err)
	}
	return infer.DeleteResponse{}, nil
}
