package pg

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/lib/pq"
	p "github.com/pulumi/pulumi-go-provider"
	"github.com/pulumi/pulumi-go-provider/infer"
)

// RoleArgs are postgresql_role's arguments under the SDK's names. No change replaces a role:
// a new name renames it, a new password runs ALTER ROLE.
type RoleArgs struct {
	Name                            *string   `pulumi:"name,optional"`
	Password                        *string   `pulumi:"password,optional" provider:"secret"`
	PasswordWo                      *string   `pulumi:"passwordWo,optional" provider:"secret"`
	PasswordWoVersion               *string   `pulumi:"passwordWoVersion,optional"`
	Encrypted                       *string   `pulumi:"encrypted,optional"`
	EncryptedPassword               *bool     `pulumi:"encryptedPassword,optional"`
	Roles                           *[]string `pulumi:"roles,optional"`
	SearchPaths                     *[]string `pulumi:"searchPaths,optional"`
	ValidUntil                      *string   `pulumi:"validUntil,optional"`
	ConnectionLimit                 *int      `pulumi:"connectionLimit,optional"`
	Superuser                       *bool     `pulumi:"superuser,optional"`
	CreateDatabase                  *bool     `pulumi:"createDatabase,optional"`
	CreateRole                      *bool     `pulumi:"createRole,optional"`
	Inherit                         *bool     `pulumi:"inherit,optional"`
	Login                           *bool     `pulumi:"login,optional"`
	Replication                     *bool     `pulumi:"replication,optional"`
	BypassRowLevelSecurity          *bool     `pulumi:"bypassRowLevelSecurity,optional"`
	SkipDropRole                    *bool     `pulumi:"skipDropRole,optional"`
	SkipReassignOwned               *bool     `pulumi:"skipReassignOwned,optional"`
	IdleInTransactionSessionTimeout *int      `pulumi:"idleInTransactionSessionTimeout,optional"`
	StatementTimeout                *int      `pulumi:"statementTimeout,optional"`
	AssumeRole                      *string   `pulumi:"assumeRole,optional"`
}

func (r *RoleArgs) Annotate(a infer.Annotator) {
	a.Describe(&r.Name, "The name of the role. Must be unique on the PostgreSQL server instance where it is configured (default: the resource name plus a random suffix).")
	a.Describe(&r.Password, "Sets the role's password. A change runs ALTER ROLE ... PASSWORD.")
	a.Describe(&r.PasswordWo, "Sets the role's password without storing it in the state; applied when passwordWoVersion changes.")
	a.Describe(&r.PasswordWoVersion, "Prevents applies from updating the role password on every apply unless the value changes.")
	a.Describe(&r.Encrypted, "Deprecated: use encryptedPassword.")
	a.Deprecate(&r.Encrypted, "Rename PostgreSQL role resource attribute \"encrypted\" to \"encrypted_password\"")
	a.Describe(&r.EncryptedPassword, "Whether the password is stored encrypted in the system catalogs. Default value is `true`.")
	a.SetDefault(&r.EncryptedPassword, true)
	a.Describe(&r.Roles, "Role(s) to grant to this new role.")
	a.Describe(&r.SearchPaths, "Sets the role's search path.")
	a.Describe(&r.ValidUntil, "Sets a date and time after which the role's password is no longer valid. Default value is `infinity`.")
	a.SetDefault(&r.ValidUntil, "infinity")
	a.Describe(&r.ConnectionLimit, "How many concurrent connections can be made with this role. Default value is `-1`.")
	a.SetDefault(&r.ConnectionLimit, -1)
	a.Describe(&r.Superuser, "Whether the role is a superuser. Default value is `false`.")
	a.SetDefault(&r.Superuser, false)
	a.Describe(&r.CreateDatabase, "Whether the role may create databases. Default value is `false`.")
	a.SetDefault(&r.CreateDatabase, false)
	a.Describe(&r.CreateRole, "Whether the role may create roles. Default value is `false`.")
	a.SetDefault(&r.CreateRole, false)
	a.Describe(&r.Inherit, "Whether the role inherits the privileges of roles it is a member of. Default value is `true`.")
	a.SetDefault(&r.Inherit, true)
	a.Describe(&r.Login, "Whether the role may log in. Default value is `false`.")
	a.SetDefault(&r.Login, false)
	a.Describe(&r.Replication, "Whether the role may initiate streaming replication. Default value is `false`.")
	a.SetDefault(&r.Replication, false)
	a.Describe(&r.BypassRowLevelSecurity, "Whether the role bypasses every row-level security policy. Default value is `false`.")
	a.SetDefault(&r.BypassRowLevelSecurity, false)
	a.Describe(&r.SkipDropRole, "When true, deleting the resource does not run DROP ROLE. Default value is `false`.")
	a.SetDefault(&r.SkipDropRole, false)
	a.Describe(&r.SkipReassignOwned, "When true, deleting the resource does not run REASSIGN OWNED and DROP OWNED. Default value is `false`.")
	a.SetDefault(&r.SkipReassignOwned, false)
	a.Describe(&r.IdleInTransactionSessionTimeout, "Terminate any session with an open transaction that has been idle for longer than this many milliseconds.")
	a.Describe(&r.StatementTimeout, "Abort any statement that takes more than this many milliseconds.")
	a.Describe(&r.AssumeRole, "Role to switch to at login.")
}

// RoleState is every argument, as the bridged provider's state has them.
type RoleState struct {
	RoleArgs
}

// Role is postgresql:index/role:Role. ID: the role name (as upstream).
type Role struct{}

func (r *Role) Annotate(a infer.Annotator) {
	a.SetToken("index/role", "Role")
	a.Describe(&r, "A PostgreSQL role (dean-infra's own postgresql provider).")
}

func (*Role) Check(ctx context.Context, req infer.CheckRequest) (infer.CheckResponse[RoleArgs], error) {
	news, err := autoName(req.Name, req.OldInputs, req.NewInputs)
	if err != nil {
		return infer.CheckResponse[RoleArgs]{}, err
	}
	in, failures, err := infer.DefaultCheck[RoleArgs](ctx, news)
	if err != nil || len(failures) > 0 {
		return infer.CheckResponse[RoleArgs]{Inputs: in, Failures: failures}, err
	}
	in.Roles = sortedSet(in.Roles)
	fail := func(prop, reason string) { failures = append(failures, p.CheckFailure{Property: prop, Reason: reason}) }
	if in.Password != nil && in.PasswordWo != nil {
		fail("passwordWo", "conflicts with password")
	}
	if (in.PasswordWo != nil) != (in.PasswordWoVersion != nil) {
		fail("passwordWoVersion", "passwordWo and passwordWoVersion must be set together")
	}
	if in.ConnectionLimit != nil && *in.ConnectionLimit < -1 {
		fail("connectionLimit", "expected to be at least -1")
	}
	if in.StatementTimeout != nil && *in.StatementTimeout < 0 {
		fail("statementTimeout", "expected to be at least 0")
	}
	if in.IdleInTransactionSessionTimeout != nil && *in.IdleInTransactionSessionTimeout < 0 {
		fail("idleInTransactionSessionTimeout", "expected to be at least 0")
	}
	if in.SearchPaths != nil {
		for _, s := range *in.SearchPaths {
			if strings.Contains(s, ", ") {
				fail("searchPaths", fmt.Sprintf("search_path cannot contain `, `: %v", s))
			}
		}
	}
	return infer.CheckResponse[RoleArgs]{Inputs: in, Failures: failures}, nil
}

// stateOf is what a create or update stores before the read-back: the arguments, without the
// write-only password.
func roleStateOf(in RoleArgs) RoleState {
	s := RoleState{RoleArgs: in}
	s.PasswordWo = nil
	return s
}

func (*Role) Create(ctx context.Context, req infer.CreateRequest[RoleArgs]) (infer.CreateResponse[RoleState], error) {
	in := req.Inputs
	name := val(in.Name)
	if req.DryRun {
		return infer.CreateResponse[RoleState]{ID: name, Output: roleStateOf(in)}, nil
	}
	c, err := connect(ctx, "")
	if err != nil {
		return infer.CreateResponse[RoleState]{}, err
	}
	opts := []string{}
	password, hasPassword := val(in.Password), val(in.Password) != ""
	if !hasPassword && val(in.PasswordWo) != "" {
		password, hasPassword = *in.PasswordWo, true
	}
	if hasPassword {
		if strings.ToUpper(password) == "NULL" {
			opts = append(opts, "PASSWORD NULL")
		} else {
			if val(in.EncryptedPassword) {
				opts = append(opts, "ENCRYPTED")
			} else {
				opts = append(opts, "UNENCRYPTED")
			}
			opts = append(opts, "PASSWORD "+quoteLiteral(password))
		}
	}
	opts = append(opts, "VALID UNTIL "+quoteLiteral(validUntil(val(in.ValidUntil))))
	opts = append(opts, fmt.Sprintf("CONNECTION LIMIT %d", val(in.ConnectionLimit)))
	flag := func(on bool, yes, no string) {
		if on {
			opts = append(opts, yes)
		} else {
			opts = append(opts, no)
		}
	}
	flag(val(in.Superuser), "SUPERUSER", "NOSUPERUSER")
	flag(val(in.CreateDatabase), "CREATEDB", "NOCREATEDB")
	flag(val(in.CreateRole), "CREATEROLE", "NOCREATEROLE")
	flag(val(in.Inherit), "INHERIT", "NOINHERIT")
	flag(val(in.Login), "LOGIN", "NOLOGIN")
	flag(val(in.BypassRowLevelSecurity), "BYPASSRLS", "NOBYPASSRLS")
	flag(val(in.Replication), "REPLICATION", "NOREPLICATION")

	err = withTx(ctx, c, func(tx *sql.Tx) error {
		// The statement carries the password: errors name the role, never the statement.
		if _, err := tx.ExecContext(ctx, fmt.Sprintf("CREATE ROLE %s WITH %s", quoteIdent(name), strings.Join(opts, " "))); err != nil {
			return fmt.Errorf("error creating role %s: %w", name, err)
		}
		for _, g := range val(in.Roles) {
			if _, err := tx.ExecContext(ctx, fmt.Sprintf("GRANT %s TO %s", quoteIdent(g), quoteIdent(name))); err != nil {
				return fmt.Errorf("could not grant role %s to %s: %w", g, name, err)
			}
		}
		if err := setSearchPath(ctx, tx, name, val(in.SearchPaths)); err != nil {
			return err
		}
		if v := val(in.StatementTimeout); v != 0 {
			if err := setRoleInt(ctx, tx, name, "statement_timeout", v); err != nil {
				return err
			}
		}
		if v := val(in.IdleInTransactionSessionTimeout); v != 0 {
			if err := setRoleInt(ctx, tx, name, "idle_in_transaction_session_timeout", v); err != nil {
				return err
			}
		}
		if v := val(in.AssumeRole); v != "" {
			return setAssumeRole(ctx, tx, name, v)
		}
		return nil
	})
	if err != nil {
		return infer.CreateResponse[RoleState]{}, err
	}
	state := roleStateOf(in)
	found, err := readRole(ctx, c, name, ptr(val(in.Roles)), &state, nil)
	if err == nil && !found {
		err = fmt.Errorf("role %s not found after creating it", name)
	}
	return infer.CreateResponse[RoleState]{ID: name, Output: state}, err
}

func validUntil(v string) string {
	if v == "" || strings.EqualFold(v, "infinity") {
		return "infinity"
	}
	return v
}

func setSearchPath(ctx context.Context, tx *sql.Tx, role string, paths []string) error {
	value := "DEFAULT"
	if len(paths) > 0 {
		quoted := make([]string, len(paths))
		for i, s := range paths {
			quoted[i] = quoteIdent(s)
		}
		value = strings.Join(quoted, ", ")
	}
	if _, err := tx.ExecContext(ctx, fmt.Sprintf("ALTER ROLE %s SET search_path TO %s", quoteIdent(role), value)); err != nil {
		return fmt.Errorf("could not set search_path %s for %s: %w", value, role, err)
	}
	return nil
}

func setRoleInt(ctx context.Context, tx *sql.Tx, role, setting string, v int) error {
	query := fmt.Sprintf("ALTER ROLE %s RESET %s", quoteIdent(role), setting)
	if v != 0 {
		query = fmt.Sprintf("ALTER ROLE %s SET %s TO %d", quoteIdent(role), setting, v)
	}
	if _, err := tx.ExecContext(ctx, query); err != nil {
		return fmt.Errorf("could not set %s for %s: %w", setting, role, err)
	}
	return nil
}

func setAssumeRole(ctx context.Context, tx *sql.Tx, role, assume string) error {
	query := fmt.Sprintf("ALTER ROLE %s RESET ROLE", quoteIdent(role))
	if assume != "" {
		query = fmt.Sprintf("ALTER ROLE %s SET ROLE TO %s", quoteIdent(role), quoteIdent(assume))
	}
	if _, err := tx.ExecContext(ctx, query); err != nil {
		return fmt.Errorf("could not set role %s for %s: %w", assume, role, err)
	}
	return nil
}

// readRole refreshes state from pg_roles (upstream's resourcePostgreSQLRoleReadImpl). When
// inputs is not nil, the arguments the program set are refreshed too, so that a drift shows
// up as a difference at the next `up`. It says whether the role exists.
func readRole(ctx context.Context, c *conn, name string, declared *[]string, state *RoleState, inputs *RoleArgs) (bool, error) {
	var (
		memberOf, config                                                    pq.StringArray
		rolname, validUntilText                                             string
		super, inherit, createRole, createDB, canLogin, replication, bypass bool
		connLimit                                                           int
	)
	err := c.QueryRowContext(ctx, `SELECT ARRAY(
			SELECT pg_get_userbyid(roleid) FROM pg_catalog.pg_auth_members m WHERE m.member = r.oid ORDER BY 1
		), r.rolname, r.rolsuper, r.rolinherit, r.rolcreaterole, r.rolcreatedb, r.rolcanlogin, r.rolconnlimit,
		COALESCE(r.rolvaliduntil::TEXT, 'infinity'), COALESCE(r.rolconfig, '{}'), r.rolreplication, r.rolbypassrls
		FROM pg_catalog.pg_roles r WHERE r.rolname = $1`, name).Scan(
		&memberOf, &rolname, &super, &inherit, &createRole, &createDB, &canLogin, &connLimit,
		&validUntilText, &config, &replication, &bypass)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("error reading ROLE: %w", err)
	}
	// A timestamp the program wrote differently but equal in time is not a drift.
	if v := val(state.ValidUntil); v != "" && !strings.EqualFold(v, "infinity") && validUntilText != "infinity" {
		var same bool
		if err := c.QueryRowContext(ctx, "SELECT $1::timestamptz = $2::timestamptz", v, validUntilText).Scan(&same); err == nil && same {
			validUntilText = v
		}
	} else if strings.EqualFold(v, "infinity") && validUntilText == "infinity" {
		validUntilText = v
	}
	// roles: the memberships this resource manages. Upstream reports (and on every update
	// revokes) all of them, which makes a Role fight every GrantRole on it; here only the
	// declared roles are reported (all of them on an import, declared == nil). A declared
	// role missing in the server is still a drift.
	roles := []string(memberOf)
	if declared != nil {
		want := map[string]bool{}
		for _, r := range *declared {
			want[r] = true
		}
		roles = []string{}
		for _, r := range memberOf {
			if want[r] {
				roles = append(roles, r)
			}
		}
	}
	statement, err := configInt(config, "statement_timeout")
	if err != nil {
		return false, err
	}
	idle, err := configInt(config, "idle_in_transaction_session_timeout")
	if err != nil {
		return false, err
	}
	searchPath := configSearchPath(config)
	assume := configValue(config, "role")

	password := state.Password
	if state.Password != nil && *state.Password != "" && canLogin && c.s.superuser {
		stored, err := readStoredPassword(ctx, c, name)
		if err != nil {
			return false, err
		}
		if match, ok := passwordMatches(stored, *state.Password, name); stored == "" || (ok && !match) {
			password = &stored // as upstream: the server's value (a hash, or "") shows the drift
		}
	}

	state.Name = &rolname
	state.ConnectionLimit = &connLimit
	state.CreateDatabase = &createDB
	state.CreateRole = &createRole
	state.EncryptedPassword = ptr(true)
	state.Inherit = &inherit
	state.Login = &canLogin
	state.Superuser = &super
	state.ValidUntil = &validUntilText
	state.Replication = &replication
	state.BypassRowLevelSecurity = &bypass
	state.Roles = &roles
	state.SearchPaths = searchPath
	state.AssumeRole = &assume
	state.StatementTimeout = &statement
	state.IdleInTransactionSessionTimeout = &idle
	state.Password = password
	if state.SkipDropRole == nil {
		state.SkipDropRole = ptr(false)
	}
	if state.SkipReassignOwned == nil {
		state.SkipReassignOwned = ptr(false)
	}
	if inputs != nil {
		refresh(&inputs.Name, rolname)
		refresh(&inputs.ConnectionLimit, connLimit)
		refresh(&inputs.CreateDatabase, createDB)
		refresh(&inputs.CreateRole, createRole)
		refresh(&inputs.Inherit, inherit)
		refresh(&inputs.Login, canLogin)
		refresh(&inputs.Superuser, super)
		refresh(&inputs.ValidUntil, validUntilText)
		refresh(&inputs.Replication, replication)
		refresh(&inputs.BypassRowLevelSecurity, bypass)
		refresh(&inputs.AssumeRole, assume)
		refresh(&inputs.StatementTimeout, statement)
		refresh(&inputs.IdleInTransactionSessionTimeout, idle)
		if inputs.Roles != nil {
			inputs.Roles = &roles
		}
		if inputs.SearchPaths != nil || searchPath != nil {
			if inputs.SearchPaths != nil || len(*searchPath) > 0 {
				inputs.SearchPaths = searchPath
			}
		}
		if inputs.Password != nil {
			inputs.Password = password
		}
	}
	return true, nil
}

// refresh overwrites an argument the program set with what the server has.
func refresh[T any](in **T, v T) {
	if *in != nil {
		*in = &v
	}
}

func readStoredPassword(ctx context.Context, c *conn, role string) (string, error) {
	super, err := currentUserIsSuperuser(ctx, c)
	if err != nil {
		return "", err
	}
	if !super {
		return "", fmt.Errorf("could not read role password from Postgres as connected user %s is not a SUPERUSER. "+
			"You can set `superuser = false` in the provider configuration so it will not try to read the password from Postgres",
			c.s.connUser())
	}
	var stored string
	err = c.QueryRowContext(ctx, "SELECT COALESCE(passwd, '') FROM pg_catalog.pg_shadow WHERE usename = $1", role).Scan(&stored)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("error reading role: %w", err)
	}
	return stored, nil
}

func configValue(config []string, key string) string {
	for _, kv := range config {
		if strings.HasPrefix(kv, key+"=") {
			return strings.TrimPrefix(kv, key+"=")
		}
	}
	return ""
}

func configInt(config []string, key string) (int, error) {
	v := configValue(config, key)
	if v == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, fmt.Errorf("error reading %s %q: %w", key, v, err)
	}
	return n, nil
}

func configSearchPath(config []string) *[]string {
	for _, kv := range config {
		if strings.HasPrefix(kv, "search_path=") {
			parts := strings.Split(strings.TrimPrefix(kv, "search_path="), ", ")
			for i := range parts {
				parts[i] = strings.Trim(parts[i], `"`)
			}
			return &parts
		}
	}
	return nil
}

func (*Role) Read(ctx context.Context, req infer.ReadRequest[RoleArgs, RoleState]) (infer.ReadResponse[RoleArgs, RoleState], error) {
	c, err := connect(ctx, "")
	if err != nil {
		return infer.ReadResponse[RoleArgs, RoleState]{}, err
	}
	state, inputs := req.State, req.Inputs
	var declared *[]string // an import (no inputs): every membership
	if inputs.Name != nil {
		declared = ptr(val(inputs.Roles))
	}
	found, err := readRole(ctx, c, req.ID, declared, &state, &inputs)
	if err != nil || !found {
		return infer.ReadResponse[RoleArgs, RoleState]{}, err
	}
	if inputs.Name == nil { // an import: the inputs are what the server has
		inputs = state.RoleArgs
		inputs.Password = req.Inputs.Password
	}
	return infer.ReadResponse[RoleArgs, RoleState]{ID: val(state.Name), Inputs: inputs, State: state}, nil
}

func (*Role) Update(ctx context.Context, req infer.UpdateRequest[RoleArgs, RoleState]) (infer.UpdateResponse[RoleState], error) {
	old, in := req.State, req.Inputs
	state := roleStateOf(in)
	if req.DryRun {
		return infer.UpdateResponse[RoleState]{Output: state}, nil
	}
	c, err := connect(ctx, "")
	if err != nil {
		return infer.UpdateResponse[RoleState]{}, err
	}
	oldName, name := val(old.Name), val(in.Name)
	changed := func(a, b *bool) bool { return val(a) != val(b) }
	err = withTx(ctx, c, func(tx *sql.Tx) error {
		if err := lockRole(ctx, tx, oldName); err != nil {
			return err
		}
		exec := func(what, query string) error {
			if _, err := tx.ExecContext(ctx, query); err != nil {
				return fmt.Errorf("error updating role %s: %w", what, err)
			}
			return nil
		}
		role := quoteIdent(name)
		if oldName != name {
			if name == "" {
				return errors.New("error setting role name to an empty string")
			}
			if err := exec("NAME", fmt.Sprintf("ALTER ROLE %s RENAME TO %s", quoteIdent(oldName), role)); err != nil {
				return err
			}
		}
		// Password: passwordWo when its version changed; else password when it or the name
		// changed (a rename clears an md5 password).
		var password *string
		if in.PasswordWo != nil {
			if val(old.PasswordWoVersion) != val(in.PasswordWoVersion) {
				password = in.PasswordWo
			}
		} else if (val(old.Password) != val(in.Password) || oldName != name) && val(in.Password) != "" {
			password = in.Password
		}
		if password != nil {
			if _, err := tx.ExecContext(ctx, fmt.Sprintf("ALTER ROLE %s PASSWORD %s", role, quoteLiteral(*password))); err != nil {
				return fmt.Errorf("error updating role password: %w", err) // never the statement
			}
		}
		for _, f := range []struct {
			old, new *bool
			yes, no  string
		}{
			{old.BypassRowLevelSecurity, in.BypassRowLevelSecurity, "BYPASSRLS", "NOBYPASSRLS"},
			{old.CreateDatabase, in.CreateDatabase, "CREATEDB", "NOCREATEDB"},
			{old.CreateRole, in.CreateRole, "CREATEROLE", "NOCREATEROLE"},
			{old.Inherit, in.Inherit, "INHERIT", "NOINHERIT"},
			{old.Login, in.Login, "LOGIN", "NOLOGIN"},
			{old.Replication, in.Replication, "REPLICATION", "NOREPLICATION"},
			{old.Superuser, in.Superuser, "SUPERUSER", "NOSUPERUSER"},
		} {
			if !changed(f.old, f.new) {
				continue
			}
			tok := f.no
			if val(f.new) {
				tok = f.yes
			}
			if err := exec(f.yes, fmt.Sprintf("ALTER ROLE %s WITH %s", role, tok)); err != nil {
				return err
			}
		}
		if val(old.ConnectionLimit) != val(in.ConnectionLimit) {
			if err := exec("CONNECTION LIMIT", fmt.Sprintf("ALTER ROLE %s CONNECTION LIMIT %d", role, val(in.ConnectionLimit))); err != nil {
				return err
			}
		}
		if val(old.ValidUntil) != val(in.ValidUntil) && val(in.ValidUntil) != "" {
			if err := exec("VALID UNTIL", fmt.Sprintf("ALTER ROLE %s VALID UNTIL %s", role, quoteLiteral(validUntil(*in.ValidUntil)))); err != nil {
				return err
			}
		}
		// Memberships: revoke the declared roles no longer declared, grant the new ones.
		wanted := map[string]bool{}
		for _, r := range val(in.Roles) {
			wanted[r] = true
		}
		for _, r := range val(old.Roles) {
			if !wanted[r] {
				if err := exec("roles", fmt.Sprintf("REVOKE %s FROM %s", quoteIdent(r), role)); err != nil {
					return err
				}
			}
		}
		for _, r := range val(in.Roles) {
			if err := exec("roles", fmt.Sprintf("GRANT %s TO %s", quoteIdent(r), role)); err != nil {
				return err
			}
		}
		if err := setSearchPath(ctx, tx, name, val(in.SearchPaths)); err != nil {
			return err
		}
		if val(old.StatementTimeout) != val(in.StatementTimeout) {
			if err := setRoleInt(ctx, tx, name, "statement_timeout", val(in.StatementTimeout)); err != nil {
				return err
			}
		}
		if val(old.IdleInTransactionSessionTimeout) != val(in.IdleInTransactionSessionTimeout) {
			if err := setRoleInt(ctx, tx, name, "idle_in_transaction_session_timeout", val(in.IdleInTransactionSessionTimeout)); err != nil {
				return err
			}
		}
		if val(old.AssumeRole) != val(in.AssumeRole) {
			return setAssumeRole(ctx, tx, name, val(in.AssumeRole))
		}
		return nil
	})
	if err != nil {
		return infer.UpdateResponse[RoleState]{}, err
	}
	found, err := readRole(ctx, c, name, ptr(val(in.Roles)), &state, nil)
	if err == nil && !found {
		err = fmt.Errorf("role %s not found after updating it", name)
	}
	return infer.UpdateResponse[RoleState]{Output: state}, err
}

// Delete: REASSIGN OWNED BY the role TO the connecting user and DROP OWNED BY it (in the
// provider's database), then DROP ROLE, each unless skipped; as upstream.
func (*Role) Delete(ctx context.Context, req infer.DeleteRequest[RoleState]) (infer.DeleteResponse, error) {
	c, err := connect(ctx, "")
	if err != nil {
		return infer.DeleteResponse{}, err
	}
	name := val(req.State.Name)
	if name == "" {
		name = req.ID
	}
	return infer.DeleteResponse{}, withTx(ctx, c, func(tx *sql.Tx) error {
		if err := lockRole(ctx, tx, name); err != nil {
			return err
		}
		if !val(req.State.SkipReassignOwned) {
			me := c.s.connUser()
			if _, err := tx.ExecContext(ctx, fmt.Sprintf("REASSIGN OWNED BY %s TO %s", quoteIdent(name), quoteIdent(me))); err != nil {
				return fmt.Errorf("could not reassign owned by role %s to %s: %w", name, me, err)
			}
			if _, err := tx.ExecContext(ctx, fmt.Sprintf("DROP OWNED BY %s", quoteIdent(name))); err != nil {
				return fmt.Errorf("could not drop owned by role %s: %w", name, err)
			}
		}
		if !val(req.State.SkipDropRole) {
			if _, err := tx.ExecContext(ctx, fmt.Sprintf("DROP ROLE %s", quoteIdent(name))); err != nil {
				return fmt.Errorf("could not delete role %s: %w", name, err)
			}
		}
		return nil
	})
}
