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

// DatabaseArgs are postgresql_database's arguments. template, encoding, lcCollate and lcCtype
// replace the database when changed (ForceNew upstream); everything else is altered in place,
// a new name by ALTER DATABASE ... RENAME.
type DatabaseArgs struct {
	Name                 *string `pulumi:"name,optional"`
	Owner                *string `pulumi:"owner,optional"`
	Template             *string `pulumi:"template,optional" provider:"replaceOnChanges"`
	Encoding             *string `pulumi:"encoding,optional" provider:"replaceOnChanges"`
	LcCollate            *string `pulumi:"lcCollate,optional" provider:"replaceOnChanges"`
	LcCtype              *string `pulumi:"lcCtype,optional" provider:"replaceOnChanges"`
	TablespaceName       *string `pulumi:"tablespaceName,optional"`
	ConnectionLimit      *int    `pulumi:"connectionLimit,optional"`
	AllowConnections     *bool   `pulumi:"allowConnections,optional"`
	IsTemplate           *bool   `pulumi:"isTemplate,optional"`
	AlterObjectOwnership *bool   `pulumi:"alterObjectOwnership,optional"`
}

func (d *DatabaseArgs) Annotate(a infer.Annotator) {
	a.Describe(&d.Name, "The name of the database (default: the resource name plus a random suffix).")
	a.Describe(&d.Owner, "The role name of the user who will own the database (default: the connecting user).")
	a.Describe(&d.Template, "The name of the template database from which to create the database (default: template0). A change replaces the database.")
	a.Describe(&d.Encoding, "Character set encoding to use in the database (default: UTF8). A change replaces the database.")
	a.Describe(&d.LcCollate, "Collation order (LC_COLLATE) to use in the database. A change replaces the database.")
	a.Describe(&d.LcCtype, "Character classification (LC_CTYPE) to use in the database. A change replaces the database.")
	a.Describe(&d.TablespaceName, "The name of the tablespace that will be associated with the database.")
	a.Describe(&d.ConnectionLimit, "How many concurrent connections can be established to this database. Default value is `-1`.")
	a.SetDefault(&d.ConnectionLimit, -1)
	a.Describe(&d.AllowConnections, "If false then no one can connect to this database. Default value is `true`.")
	a.SetDefault(&d.AllowConnections, true)
	a.Describe(&d.IsTemplate, "If true, then this database can be cloned by any user with CREATEDB privileges.")
	a.Describe(&d.AlterObjectOwnership, "If true, the owner of already existing objects will change if the owner changes. Default value is `false`.")
	a.SetDefault(&d.AlterObjectOwnership, false)
}

type DatabaseState struct {
	DatabaseArgs
}

// Database is postgresql:index/database:Database. ID: the database name (as upstream).
type Database struct{}

func (d *Database) Annotate(a infer.Annotator) {
	a.SetToken("index/database", "Database")
	a.Describe(&d, "A PostgreSQL database (dean-infra's own postgresql provider).")
}

func (*Database) Check(ctx context.Context, req infer.CheckRequest) (infer.CheckResponse[DatabaseArgs], error) {
	news, err := autoName(req.Name, req.OldInputs, req.NewInputs)
	if err != nil {
		return infer.CheckResponse[DatabaseArgs]{}, err
	}
	in, failures, err := infer.DefaultCheck[DatabaseArgs](ctx, news)
	if err == nil && len(failures) == 0 && in.ConnectionLimit != nil && *in.ConnectionLimit < -1 {
		failures = append(failures, pFailure("connectionLimit", "expected to be at least -1"))
	}
	return infer.CheckResponse[DatabaseArgs]{Inputs: in, Failures: failures}, err
}

func (*Database) Create(ctx context.Context, req infer.CreateRequest[DatabaseArgs]) (infer.CreateResponse[DatabaseState], error) {
	in := req.Inputs
	name := val(in.Name)
	state := DatabaseState{DatabaseArgs: in}
	if req.DryRun {
		return infer.CreateResponse[DatabaseState]{ID: name, Output: state}, nil
	}
	c, err := connect(ctx, "")
	if err != nil {
		return infer.CreateResponse[DatabaseState]{}, err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "CREATE DATABASE %s OWNER %s", quoteIdent(name), quoteIdent(orDefault(val(in.Owner), c.s.connUser())))
	optional := func(keyword string, v *string, literal bool, unset string) {
		switch {
		case v != nil && *v != "" && strings.EqualFold(*v, "DEFAULT"):
			fmt.Fprintf(&b, " %s DEFAULT", keyword)
		case v != nil && *v != "" && literal:
			fmt.Fprintf(&b, " %s %s", keyword, quoteLiteral(*v))
		case v != nil && *v != "":
			fmt.Fprintf(&b, " %s %s", keyword, quoteIdent(*v))
		case unset != "":
			fmt.Fprintf(&b, " %s %s", keyword, unset)
		}
	}
	optional("TEMPLATE", in.Template, false, "template0")
	optional("ENCODING", in.Encoding, true, "'UTF8'")
	optional("LC_COLLATE", in.LcCollate, true, "")
	optional("LC_CTYPE", in.LcCtype, true, "")
	optional("TABLESPACE", in.TablespaceName, false, "")
	fmt.Fprintf(&b, " ALLOW_CONNECTIONS %t CONNECTION LIMIT %d IS_TEMPLATE %t",
		val(in.AllowConnections), val(in.ConnectionLimit), val(in.IsTemplate))
	err = asConnUser(ctx, c, val(in.Owner), func() error {
		if _, err := c.ExecContext(ctx, b.String()); err != nil {
			return fmt.Errorf("error creating database %q: %w", name, err)
		}
		return nil
	})
	if err != nil {
		return infer.CreateResponse[DatabaseState]{}, err
	}
	found, err := readDatabase(ctx, c, name, &state, nil)
	if err == nil && !found {
		err = fmt.Errorf("database %s not found after creating it", name)
	}
	return infer.CreateResponse[DatabaseState]{ID: name, Output: state}, err
}

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

// sameName compares encodings and locales as PostgreSQL does (UTF8 = utf-8, en_US.UTF-8 =
// en_US.utf8), so that a spelling of the program's is not a drift.
func sameName(a, b string) bool {
	norm := func(s string) string {
		return strings.NewReplacer("-", "", "_", "").Replace(strings.ToLower(s))
	}
	return norm(a) == norm(b)
}

// readDatabase refreshes state (and, when not nil, the arguments the program set) from
// pg_database; upstream's resourcePostgreSQLDatabaseReadImpl.
func readDatabase(ctx context.Context, c *conn, name string, state *DatabaseState, inputs *DatabaseArgs) (bool, error) {
	var (
		datname, owner, encoding, collate, ctype, tablespace string
		connLimit                                            int
		allowConns, isTemplate                               bool
	)
	err := c.QueryRowContext(ctx, `SELECT d.datname, pg_catalog.pg_get_userbyid(d.datdba),
		pg_catalog.pg_encoding_to_char(d.encoding), d.datcollate, d.datctype, ts.spcname, d.datconnlimit,
		d.datallowconn, d.datistemplate
		FROM pg_catalog.pg_database d JOIN pg_catalog.pg_tablespace ts ON d.dattablespace = ts.oid
		WHERE d.datname = $1`, name).Scan(
		&datname, &owner, &encoding, &collate, &ctype, &tablespace, &connLimit, &allowConns, &isTemplate)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("error reading database: %w", err)
	}
	keep := func(current *string, server string) string {
		if current != nil && sameName(*current, server) {
			return *current
		}
		return server
	}
	encoding = keep(state.Encoding, encoding)
	collate = keep(state.LcCollate, collate)
	ctype = keep(state.LcCtype, ctype)
	template := orDefault(val(state.Template), "template0")

	state.Name = &datname
	state.Owner = &owner
	state.Encoding = &encoding
	state.LcCollate = &collate
	state.LcCtype = &ctype
	state.TablespaceName = &tablespace
	state.ConnectionLimit = &connLimit
	state.Template = &template
	state.AllowConnections = &allowConns
	state.IsTemplate = &isTemplate
	if state.AlterObjectOwnership == nil {
		state.AlterObjectOwnership = ptr(false)
	}
	if inputs != nil {
		refresh(&inputs.Name, datname)
		refresh(&inputs.Owner, owner)
		refresh(&inputs.Encoding, keep(inputs.Encoding, encoding))
		refresh(&inputs.LcCollate, keep(inputs.LcCollate, collate))
		refresh(&inputs.LcCtype, keep(inputs.LcCtype, ctype))
		refresh(&inputs.TablespaceName, tablespace)
		refresh(&inputs.ConnectionLimit, connLimit)
		refresh(&inputs.AllowConnections, allowConns)
		refresh(&inputs.IsTemplate, isTemplate)
	}
	return true, nil
}

func (*Database) Read(ctx context.Context, req infer.ReadRequest[DatabaseArgs, DatabaseState]) (infer.ReadResponse[DatabaseArgs, DatabaseState], error) {
	c, err := connect(ctx, "")
	if err != nil {
		return infer.ReadResponse[DatabaseArgs, DatabaseState]{}, err
	}
	state, inputs := req.State, req.Inputs
	found, err := readDatabase(ctx, c, req.ID, &state, &inputs)
	if err != nil || !found {
		return infer.ReadResponse[DatabaseArgs, DatabaseState]{}, err
	}
	if inputs.Name == nil { // an import: the inputs are what the bridged provider's state would give
		inputs = state.DatabaseArgs
		inputs.AlterObjectOwnership = ptr(false)
	}
	return infer.ReadResponse[DatabaseArgs, DatabaseState]{ID: val(state.Name), Inputs: inputs, State: state}, nil
}

// Diff compares the new arguments with the state as upstream's schema does: template,
// encoding, lcCollate and lcCtype replace the database, the rest is altered in place, and an
// optional-and-computed argument the program leaves out (owner, template, encoding, lcCollate,
// lcCtype, tablespaceName, isTemplate) is no change: the server's value stands. Without that,
// an imported database (whose state has every one of them) would be replaced by the import.
func (*Database) Diff(ctx context.Context, req infer.DiffRequest[DatabaseArgs, DatabaseState]) (infer.DiffResponse, error) {
	old, in := req.State, req.Inputs
	diff := map[string]p.PropertyDiff{}
	note := func(key string, kind p.DiffKind, changed bool) {
		if changed {
			diff[key] = p.PropertyDiff{Kind: kind, InputDiff: true}
		}
	}
	// An argument left out is no change; a set one differs from the state's value.
	literal := func(news, olds *string) bool { return news != nil && *news != val(olds) }
	spelled := func(news, olds *string) bool { return news != nil && !sameName(*news, val(olds)) }
	note("name", p.Update, literal(in.Name, old.Name))
	note("owner", p.Update, literal(in.Owner, old.Owner))
	note("template", p.UpdateReplace, literal(in.Template, old.Template))
	note("encoding", p.UpdateReplace, spelled(in.Encoding, old.Encoding))
	note("lcCollate", p.UpdateReplace, spelled(in.LcCollate, old.LcCollate))
	note("lcCtype", p.UpdateReplace, spelled(in.LcCtype, old.LcCtype))
	note("tablespaceName", p.Update, literal(in.TablespaceName, old.TablespaceName))
	note("isTemplate", p.Update, in.IsTemplate != nil && *in.IsTemplate != val(old.IsTemplate))
	note("connectionLimit", p.Update, val(in.ConnectionLimit) != val(old.ConnectionLimit))
	note("allowConnections", p.Update, val(in.AllowConnections) != val(old.AllowConnections))
	note("alterObjectOwnership", p.Update, val(in.AlterObjectOwnership) != val(old.AlterObjectOwnership))
	return infer.DiffResponse{HasChanges: len(diff) > 0, DetailedDiff: diff}, nil
}

func (*Database) Update(ctx context.Context, req infer.UpdateRequest[DatabaseArgs, DatabaseState]) (infer.UpdateResponse[DatabaseState], error) {
	old, in := req.State, req.Inputs
	state := DatabaseState{DatabaseArgs: in}
	state.Template, state.Encoding, state.LcCollate, state.LcCtype = old.Template, old.Encoding, old.LcCollate, old.LcCtype
	if req.DryRun {
		return infer.UpdateResponse[DatabaseState]{Output: state}, nil
	}
	c, err := connect(ctx, "")
	if err != nil {
		return infer.UpdateResponse[DatabaseState]{}, err
	}
	oldName, name := val(old.Name), val(in.Name)
	exec := func(what, query string) error {
		if _, err := c.ExecContext(ctx, query); err != nil {
			return fmt.Errorf("error updating database %s: %w", what, err)
		}
		return nil
	}
	if oldName != name {
		if name == "" {
			return infer.UpdateResponse[DatabaseState]{}, errors.New("error setting database name to an empty string")
		}
		forget(ctx, oldName)
		if err := exec("name", fmt.Sprintf("ALTER DATABASE %s RENAME TO %s", quoteIdent(oldName), quoteIdent(name))); err != nil {
			return infer.UpdateResponse[DatabaseState]{}, err
		}
	}
	db := quoteIdent(name)
	ownerChanged := in.Owner != nil && *in.Owner != "" && val(old.Owner) != *in.Owner
	if ownerChanged || val(old.AlterObjectOwnership) != val(in.AlterObjectOwnership) {
		if err := reassignObjects(ctx, c, name, in); err != nil {
			return infer.UpdateResponse[DatabaseState]{}, err
		}
	}
	if ownerChanged {
		err := asConnUser(ctx, c, *in.Owner, func() error {
			return exec("OWNER", fmt.Sprintf("ALTER DATABASE %s OWNER TO %s", db, quoteIdent(*in.Owner)))
		})
		if err != nil {
			return infer.UpdateResponse[DatabaseState]{}, err
		}
	}
	if in.TablespaceName != nil && val(old.TablespaceName) != *in.TablespaceName {
		query := fmt.Sprintf("ALTER DATABASE %s SET TABLESPACE %s", db, quoteIdent(*in.TablespaceName))
		if *in.TablespaceName == "" || strings.EqualFold(*in.TablespaceName, "DEFAULT") {
			query = fmt.Sprintf("ALTER DATABASE %s RESET TABLESPACE", db)
		}
		if err := exec("TABLESPACE", query); err != nil {
			return infer.UpdateResponse[DatabaseState]{}, err
		}
	}
	if val(old.ConnectionLimit) != val(in.ConnectionLimit) {
		if err := exec("CONNECTION LIMIT", fmt.Sprintf("ALTER DATABASE %s CONNECTION LIMIT = %d", db, val(in.ConnectionLimit))); err != nil {
			return infer.UpdateResponse[DatabaseState]{}, err
		}
	}
	if val(old.AllowConnections) != val(in.AllowConnections) {
		if err := exec("ALLOW_CONNECTIONS", fmt.Sprintf("ALTER DATABASE %s ALLOW_CONNECTIONS %t", db, val(in.AllowConnections))); err != nil {
			return infer.UpdateResponse[DatabaseState]{}, err
		}
	}
	if in.IsTemplate != nil && val(old.IsTemplate) != *in.IsTemplate {
		if err := exec("IS_TEMPLATE", fmt.Sprintf("ALTER DATABASE %s IS_TEMPLATE %t", db, *in.IsTemplate)); err != nil {
			return infer.UpdateResponse[DatabaseState]{}, err
		}
	}
	found, err := readDatabase(ctx, c, name, &state, nil)
	if err == nil && !found {
		err = fmt.Errorf("database %s not found after updating it", name)
	}
	return infer.UpdateResponse[DatabaseState]{Output: state}, err
}

// reassignObjects runs REASSIGN OWNED BY <current owner> TO <new owner> inside the database
// when alterObjectOwnership is set (upstream's setAlterOwnership).
func reassignObjects(ctx context.Context, c *conn, name string, in DatabaseArgs) error {
	if !val(in.AlterObjectOwnership) || val(in.Owner) == "" {
		return nil
	}
	var current string
	if err := c.QueryRowContext(ctx, "SELECT pg_catalog.pg_get_userbyid(datdba) FROM pg_catalog.pg_database WHERE datname = $1", name).Scan(&current); err != nil {
		return fmt.Errorf("error getting current database OWNER: %w", err)
	}
	if current == *in.Owner {
		return nil
	}
	inDB, err := connect(ctx, name)
	if err != nil {
		return err
	}
	return asConnUser(ctx, inDB, current, func() error {
		return withTx(ctx, inDB, func(tx *sql.Tx) error {
			if err := lockRole(ctx, tx, c.s.connUser()); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, fmt.Sprintf("REASSIGN OWNED BY %s TO %s", quoteIdent(current), quoteIdent(*in.Owner))); err != nil {
				return fmt.Errorf("error reassigning objects owned by '%s': %w", current, err)
			}
			return nil
		})
	})
}

// Delete: clears IS_TEMPLATE, blocks and terminates connections, then DROP DATABASE ... WITH
// (FORCE) on PostgreSQL 13+; as upstream.
func (*Database) Delete(ctx context.Context, req infer.DeleteRequest[DatabaseState]) (infer.DeleteResponse, error) {
	c, err := connect(ctx, "")
	if err != nil {
		return infer.DeleteResponse{}, err
	}
	name := orDefault(val(req.State.Name), req.ID)
	db := quoteIdent(name)
	forget(ctx, name)
	err = asConnUser(ctx, c, val(req.State.Owner), func() error {
		if val(req.State.IsTemplate) {
			if _, err := c.ExecContext(ctx, fmt.Sprintf("ALTER DATABASE %s IS_TEMPLATE false", db)); err != nil {
				return fmt.Errorf("error updating database IS_TEMPLATE during DROP DATABASE: %w", err)
			}
		}
		if _, err := c.ExecContext(ctx, fmt.Sprintf("ALTER DATABASE %s ALLOW_CONNECTIONS false", db)); err != nil {
			return fmt.Errorf("error blocking connections to database: %w", err)
		}
		if _, err := c.ExecContext(ctx, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()", name); err != nil {
			return fmt.Errorf("error terminating database connections: %w", err)
		}
		force := ""
		if c.atLeast(13) {
			force = " WITH (FORCE)"
		}
		if _, err := c.ExecContext(ctx, fmt.Sprintf("DROP DATABASE %s%s", db, force)); err != nil {
			return fmt.Errorf("error dropping database: %w", err)
		}
		return nil
	})
	return infer.DeleteResponse{}, err
}
