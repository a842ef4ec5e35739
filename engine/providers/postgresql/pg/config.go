// Package pg is dean-infra's own implementation of the part of @pulumi/postgresql 3.18.1 that
// components/postgres.ts uses: the provider configuration, Role, Database, Extension, Grant
// and GrantRole. Tokens, property names, defaults, IDs and which changes replace follow the
// bridged provider (pulumi-postgresql's resources.go over cyrilgdn/terraform-provider-postgresql
// at ff936b9548c1, the commit pulumi-postgresql pins); the code is ours. engine/providers/README.md
// lists where it deliberately differs.
package pg

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"

	"github.com/lib/pq"
	p "github.com/pulumi/pulumi-go-provider"
	"github.com/pulumi/pulumi-go-provider/infer"
	"github.com/pulumi/pulumi/sdk/v3/go/property"
)

// ClientCert is the provider's `clientcert` block.
type ClientCert struct {
	Cert      string `pulumi:"cert"`
	Key       string `pulumi:"key"`
	Sslinline *bool  `pulumi:"sslinline,optional"`
}

func (c *ClientCert) Annotate(a infer.Annotator) {
	a.SetToken("index", "ProviderClientcert")
	a.Describe(&c.Cert, "The SSL client certificate file path. The file must contain PEM encoded data.")
	a.Describe(&c.Key, "The SSL client certificate private key file path. The file must contain PEM encoded data.")
	a.Describe(&c.Sslinline, "Must be set to true if you are inlining the cert/key instead of using a file path.")
}

// Config is the configuration of `pulumi:providers:postgresql`, with the names the npm SDK
// sends. The SDK JSON-encodes every non-string value (port: "5432"); NormalizeConfig decodes
// them before infer sees them.
type Config struct {
	Scheme                          *string     `pulumi:"scheme,optional"`
	Host                            *string     `pulumi:"host,optional"`
	Port                            *int        `pulumi:"port,optional"`
	Database                        *string     `pulumi:"database,optional"`
	Username                        *string     `pulumi:"username,optional"`
	Password                        *string     `pulumi:"password,optional" provider:"secret"`
	DatabaseUsername                *string     `pulumi:"databaseUsername,optional"`
	Superuser                       *bool       `pulumi:"superuser,optional"`
	Sslmode                         *string     `pulumi:"sslmode,optional"`
	SslMode                         *string     `pulumi:"sslMode,optional"`
	Sslrootcert                     *string     `pulumi:"sslrootcert,optional"`
	Clientcert                      *ClientCert `pulumi:"clientcert,optional"`
	ConnectTimeout                  *int        `pulumi:"connectTimeout,optional"`
	MaxConnections                  *int        `pulumi:"maxConnections,optional"`
	ExpectedVersion                 *string     `pulumi:"expectedVersion,optional"`
	AwsRdsIamAuth                   *bool       `pulumi:"awsRdsIamAuth,optional"`
	AwsRdsIamProfile                *string     `pulumi:"awsRdsIamProfile,optional"`
	AwsRdsIamRegion                 *string     `pulumi:"awsRdsIamRegion,optional"`
	AwsRdsIamProviderRoleArn        *string     `pulumi:"awsRdsIamProviderRoleArn,optional"`
	AzureIdentityAuth               *bool       `pulumi:"azureIdentityAuth,optional"`
	AzureTenantId                   *string     `pulumi:"azureTenantId,optional"`
	GcpIamImpersonateServiceAccount *string     `pulumi:"gcpIamImpersonateServiceAccount,optional"`
}

func (c *Config) Annotate(a infer.Annotator) {
	a.Describe(&c.Scheme, "Only `postgres` is supported by this build (awspostgres and gcppostgres are refused).")
	a.Describe(&c.Host, "Name of PostgreSQL server address to connect to (default: $PGHOST).")
	a.Describe(&c.Port, "The PostgreSQL port number to connect to at the server host (default: $PGPORT, else 5432).")
	a.Describe(&c.Database, "The name of the database to connect to (default: $PGDATABASE, else `postgres`).")
	a.Describe(&c.Username, "PostgreSQL user name to connect as (default: $PGUSER, else `postgres`).")
	a.Describe(&c.Password, "Password to be used if the PostgreSQL server demands password authentication (default: $PGPASSWORD).")
	a.Describe(&c.DatabaseUsername, "Database username associated to the connected user (for user name maps).")
	a.Describe(&c.Superuser, "Specify if the user to connect as is a Postgres superuser or not (default: $PGSUPERUSER, else true). If not, role passwords are not read back from pg_shadow.")
	a.Describe(&c.Sslmode, "This option determines whether or with what priority a secure SSL TCP/IP connection will be negotiated with the PostgreSQL server (default: $PGSSLMODE).")
	a.Describe(&c.SslMode, "Deprecated: use `sslmode`.")
	a.Deprecate(&c.SslMode, "Rename PostgreSQL provider `ssl_mode` attribute to `sslmode`")
	a.Describe(&c.Sslrootcert, "The SSL server root certificate file path. The file must contain PEM encoded data.")
	a.Describe(&c.Clientcert, "SSL client certificate if required by the database.")
	a.Describe(&c.ConnectTimeout, "Maximum wait for connection, in seconds. Zero means wait indefinitely (default: $PGCONNECT_TIMEOUT, else 180).")
	a.Describe(&c.MaxConnections, "Maximum number of connections to establish to the database. Zero means unlimited (default 20).")
	a.Describe(&c.ExpectedVersion, "Specify the expected version of PostgreSQL (default: detected from the server).")
	a.Describe(&c.AwsRdsIamAuth, "Not supported by this build: true is refused.")
	a.Describe(&c.AzureIdentityAuth, "Not supported by this build: true is refused.")
	a.Describe(&c.GcpIamImpersonateServiceAccount, "Not supported by this build: a value is refused.")
	a.Describe(&c.AwsRdsIamProfile, "Only used with awsRdsIamAuth, which this build does not support.")
	a.Describe(&c.AwsRdsIamRegion, "Only used with awsRdsIamAuth, which this build does not support.")
	a.Describe(&c.AwsRdsIamProviderRoleArn, "Only used with awsRdsIamAuth, which this build does not support.")
	a.Describe(&c.AzureTenantId, "Only used with azureIdentityAuth, which this build does not support.")
}

// Configure only validates: connections are opened on first use, as the upstream does, so a
// preview works before the server exists.
func (c Config) Configure(ctx context.Context) error {
	return c.unsupported()
}

func (c Config) unsupported() error {
	if c.Scheme != nil && *c.Scheme != "" && *c.Scheme != "postgres" {
		return fmt.Errorf("postgresql provider: scheme %q is not supported by dean-infra's build (only \"postgres\")", *c.Scheme)
	}
	if c.AwsRdsIamAuth != nil && *c.AwsRdsIamAuth {
		return fmt.Errorf("postgresql provider: awsRdsIamAuth is not supported by dean-infra's build")
	}
	if c.AzureIdentityAuth != nil && *c.AzureIdentityAuth {
		return fmt.Errorf("postgresql provider: azureIdentityAuth is not supported by dean-infra's build")
	}
	if c.GcpIamImpersonateServiceAccount != nil && *c.GcpIamImpersonateServiceAccount != "" {
		return fmt.Errorf("postgresql provider: gcpIamImpersonateServiceAccount is not supported by dean-infra's build")
	}
	if c.ExpectedVersion != nil && *c.ExpectedVersion != "" {
		if _, err := parseVersion(*c.ExpectedVersion); err != nil {
			return fmt.Errorf("postgresql provider: invalid expectedVersion %q: %w", *c.ExpectedVersion, err)
		}
	}
	for name, v := range map[string]*int{"connectTimeout": c.ConnectTimeout, "maxConnections": c.MaxConnections} {
		if v != nil && *v < -1 {
			return fmt.Errorf("postgresql provider: %s must be at least -1, got %d", name, *v)
		}
	}
	return nil
}

// settings resolves defaults the way the upstream schema does (environment, then constant).
type settings struct {
	host, username, password, database, dbUsername, sslmode, sslrootcert string
	port, connectTimeout, maxConns                                       int
	superuser                                                            bool
	expected                                                             int // server_version_num form; 0 = detect
	cert                                                                 *ClientCert
}

func str(v *string, env, def string) string {
	if v != nil {
		return *v
	}
	if env != "" {
		if e, ok := os.LookupEnv(env); ok {
			return e
		}
	}
	return def
}

func (c Config) settings() settings {
	s := settings{
		host:        str(c.Host, "PGHOST", ""),
		username:    str(c.Username, "PGUSER", "postgres"),
		password:    str(c.Password, "PGPASSWORD", ""),
		database:    str(c.Database, "PGDATABASE", "postgres"),
		dbUsername:  str(c.DatabaseUsername, "", ""),
		sslmode:     str(c.Sslmode, "PGSSLMODE", ""),
		sslrootcert: str(c.Sslrootcert, "", ""),
		port:        5432,
		maxConns:    20,
		superuser:   true,
		cert:        c.Clientcert,
	}
	if s.sslmode == "" && c.SslMode != nil {
		s.sslmode = *c.SslMode
	}
	if c.Port != nil {
		s.port = *c.Port
	} else if n, err := strconv.Atoi(os.Getenv("PGPORT")); err == nil {
		s.port = n
	}
	s.connectTimeout = 180
	if c.ConnectTimeout != nil {
		s.connectTimeout = *c.ConnectTimeout
	} else if n, err := strconv.Atoi(os.Getenv("PGCONNECT_TIMEOUT")); err == nil {
		s.connectTimeout = n
	}
	if c.MaxConnections != nil {
		s.maxConns = *c.MaxConnections
	}
	if c.Superuser != nil {
		s.superuser = *c.Superuser
	} else if b, err := strconv.ParseBool(os.Getenv("PGSUPERUSER")); err == nil {
		s.superuser = b
	}
	if c.ExpectedVersion != nil && *c.ExpectedVersion != "" {
		if v, err := parseVersion(*c.ExpectedVersion); err == nil && v != 90000 {
			s.expected = v // "9.0.0", the upstream default, means "detect"
		}
	}
	return s
}

// connUser is whom objects are reassigned to and who creates databases (upstream's
// getDatabaseUsername).
func (s settings) connUser() string {
	if s.dbUsername != "" {
		return s.dbUsername
	}
	return s.username
}

func (s settings) dsn(database string) string {
	q := url.Values{}
	if s.sslmode != "" {
		q.Set("sslmode", s.sslmode)
	}
	q.Set("connect_timeout", strconv.Itoa(s.connectTimeout))
	q.Set("fallback_application_name", "pulumi-resource-postgresql")
	if s.sslrootcert != "" {
		q.Set("sslrootcert", s.sslrootcert)
	}
	if s.cert != nil {
		q.Set("sslcert", s.cert.Cert)
		q.Set("sslkey", s.cert.Key)
		if s.cert.Sslinline != nil && *s.cert.Sslinline {
			q.Set("sslinline", "true")
		}
	}
	u := url.URL{
		Scheme:   "postgres",
		User:     url.UserPassword(s.username, s.password),
		Host:     fmt.Sprintf("%s:%d", s.host, s.port),
		Path:     "/" + database,
		RawQuery: q.Encode(),
	}
	if strings.HasPrefix(s.host, "/") { // a Unix socket directory
		u.Host = ""
		q.Set("host", s.host)
		q.Set("port", strconv.Itoa(s.port))
		u.RawQuery = q.Encode()
	}
	return u.String()
}

// conn is one pool per database, as upstream's DBConnection; version is server_version_num.
type conn struct {
	*sql.DB
	s        settings
	database string
	version  int
}

var (
	poolMu sync.Mutex
	pools  = map[string]*conn{}
)

// connect returns the pool for database ("" = the provider's database), pinging it and
// fingerprinting the server version the first time.
func connect(ctx context.Context, database string) (*conn, error) {
	s := infer.GetConfig[Config](ctx).settings()
	if database == "" {
		database = s.database
	}
	dsn := s.dsn(database)
	poolMu.Lock()
	defer poolMu.Unlock()
	if c, ok := pools[dsn]; ok {
		return c, nil
	}
	db, err := sql.Open("postgres", dsn)
	if err == nil {
		err = db.PingContext(ctx)
	}
	if err != nil {
		msg := err.Error()
		if s.password != "" {
			msg = strings.ReplaceAll(msg, s.password, "XXXX")
		}
		if db != nil {
			_ = db.Close()
		}
		return nil, fmt.Errorf("error connecting to PostgreSQL server %s (database %s): %s", s.host, database, msg)
	}
	// No idle connections: a database this provider manages may have to be dropped.
	db.SetMaxIdleConns(0)
	db.SetMaxOpenConns(s.maxConns)
	c := &conn{DB: db, s: s, database: database, version: s.expected}
	if c.version == 0 {
		var v string
		if err := db.QueryRowContext(ctx, "SHOW server_version_num").Scan(&v); err != nil {
			_ = db.Close()
			return nil, fmt.Errorf("error detecting the PostgreSQL version: %w", err)
		}
		if c.version, err = strconv.Atoi(v); err != nil {
			_ = db.Close()
			return nil, fmt.Errorf("error parsing server_version_num %q: %w", v, err)
		}
	}
	pools[dsn] = c
	return c, nil
}

// forget closes the pool of a database that is about to be dropped.
func forget(ctx context.Context, database string) {
	dsn := infer.GetConfig[Config](ctx).settings().dsn(database)
	poolMu.Lock()
	defer poolMu.Unlock()
	if c, ok := pools[dsn]; ok {
		_ = c.Close()
		delete(pools, dsn)
	}
}

func (c *conn) atLeast(major int) bool { return c.version >= major*10000 }

// parseVersion turns "15", "15.4", "9.6.1" into server_version_num form (150000, 150004, 90601).
func parseVersion(v string) (int, error) {
	parts := strings.SplitN(strings.TrimPrefix(strings.TrimSpace(v), "v"), ".", 3)
	nums := []int{0, 0, 0}
	for i, part := range parts {
		n, err := strconv.Atoi(part)
		if err != nil || n < 0 {
			return 0, fmt.Errorf("not a version number: %q", v)
		}
		nums[i] = n
	}
	if nums[0] >= 10 {
		return nums[0]*10000 + nums[1], nil
	}
	return nums[0]*10000 + nums[1]*100 + nums[2], nil
}

func quoteIdent(s string) string   { return pq.QuoteIdentifier(s) }
func quoteLiteral(s string) string { return pq.QuoteLiteral(s) }

// --- provider configuration as the npm SDK sends it ------------------------------------------

// jsonEncoded are the configuration keys whose values the SDK (and stack configuration) send
// as JSON text.
var jsonEncoded = map[string]bool{
	"port": true, "superuser": true, "connectTimeout": true, "maxConnections": true,
	"awsRdsIamAuth": true, "azureIdentityAuth": true, "clientcert": true,
}

// NormalizeConfig decodes JSON-encoded configuration values, as the bridge does for a bridged
// provider, and drops values that decode to null.
func NormalizeConfig(m property.Map) (property.Map, error) {
	out := map[string]property.Value{}
	for k, v := range m.All {
		if jsonEncoded[k] && v.IsString() {
			var decoded any
			if err := json.Unmarshal([]byte(v.AsString()), &decoded); err != nil {
				return m, fmt.Errorf("postgresql provider: %s: %q is not valid JSON: %w", k, v.AsString(), err)
			}
			if decoded == nil {
				continue
			}
			nv, err := fromJSON(decoded)
			if err != nil {
				return m, fmt.Errorf("postgresql provider: %s: %w", k, err)
			}
			v = nv.WithSecret(v.Secret())
		}
		out[k] = v
	}
	return property.NewMap(out), nil
}

func fromJSON(v any) (property.Value, error) {
	switch v := v.(type) {
	case nil:
		return property.Value{}, nil
	case bool:
		return property.New(v), nil
	case float64:
		return property.New(v), nil
	case string:
		return property.New(v), nil
	case []any:
		items := make([]property.Value, 0, len(v))
		for _, e := range v {
			pv, err := fromJSON(e)
			if err != nil {
				return property.Value{}, err
			}
			items = append(items, pv)
		}
		return property.New(items), nil
	case map[string]any:
		fields := map[string]property.Value{}
		for k, e := range v {
			pv, err := fromJSON(e)
			if err != nil {
				return property.Value{}, err
			}
			fields[k] = pv
		}
		return property.New(fields), nil
	}
	return property.Value{}, fmt.Errorf("unexpected JSON value %v", v)
}

// DiffConfig never replaces the provider (a replaced provider would replace every resource it
// manages); changed keys are updates, as the bridged provider reports them.
func DiffConfig(_ context.Context, req p.DiffRequest) (p.DiffResponse, error) {
	olds := req.OldInputs
	if olds.Len() == 0 {
		olds = req.State
	}
	relevant := func(k string) bool { return k != "version" && !strings.HasPrefix(k, "__") }
	diff := map[string]p.PropertyDiff{}
	for k, nv := range req.Inputs.All {
		if !relevant(k) {
			continue
		}
		ov, ok := olds.GetOk(k)
		switch {
		case !ok || ov.IsNull():
			if !nv.IsNull() {
				diff[k] = p.PropertyDiff{Kind: p.Add, InputDiff: true}
			}
		case !ov.Equals(nv):
			diff[k] = p.PropertyDiff{Kind: p.Update, InputDiff: true}
		}
	}
	for k, ov := range olds.All {
		if !relevant(k) || ov.IsNull() {
			continue
		}
		if nv, ok := req.Inputs.GetOk(k); !ok || nv.IsNull() {
			diff[k] = p.PropertyDiff{Kind: p.Delete, InputDiff: true}
		}
	}
	return p.DiffResponse{HasChanges: len(diff) > 0, DetailedDiff: diff}, nil
}
