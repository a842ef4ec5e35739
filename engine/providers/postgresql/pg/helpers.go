package pg

import (
	"context"
	"crypto/hmac"
	"crypto/md5"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/property"
)

// queryer is a pool or a transaction.
type queryer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func exists(ctx context.Context, q queryer, query string, args ...any) (bool, error) {
	var one int
	err := q.QueryRowContext(ctx, query, args...).Scan(&one)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return false, nil
	case err != nil:
		return false, err
	}
	return true, nil
}

func dbExists(ctx context.Context, q queryer, name string) (bool, error) {
	return exists(ctx, q, "SELECT 1 FROM pg_catalog.pg_database WHERE datname = $1", name)
}

func roleExists(ctx context.Context, q queryer, name string) (bool, error) {
	return exists(ctx, q, "SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = $1", name)
}

func isSuperuser(ctx context.Context, q queryer, role string) (bool, error) {
	var super bool
	err := q.QueryRowContext(ctx, "SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = $1", role).Scan(&super)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return super, err
}

func currentUserIsSuperuser(ctx context.Context, q queryer) (bool, error) {
	var super bool
	err := q.QueryRowContext(ctx, "SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = CURRENT_USER").Scan(&super)
	return super, err
}

// lockRole takes the transaction-scoped advisory locks upstream's pgLockRole takes, so that
// concurrent changes to one role (and its members) are serialised.
func lockRole(ctx context.Context, tx *sql.Tx, role string) error {
	if _, err := tx.ExecContext(ctx, "SET LOCAL statement_timeout = 0"); err != nil {
		return fmt.Errorf("could not disable statement_timeout: %w", err)
	}
	if _, err := tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock(oid::bigint) FROM pg_catalog.pg_roles WHERE rolname = $1", role); err != nil {
		return fmt.Errorf("could not get advisory lock for role %s: %w", role, err)
	}
	if _, err := tx.ExecContext(ctx,
		"SELECT pg_advisory_xact_lock(member::bigint) FROM pg_catalog.pg_auth_members JOIN pg_catalog.pg_roles ON roleid = pg_roles.oid WHERE rolname = $1",
		role); err != nil {
		return fmt.Errorf("could not get advisory lock for members of role %s: %w", role, err)
	}
	return nil
}

func lockDatabase(ctx context.Context, tx *sql.Tx, database string) error {
	if _, err := tx.ExecContext(ctx, "SET LOCAL statement_timeout = 0"); err != nil {
		return fmt.Errorf("could not disable statement_timeout: %w", err)
	}
	if _, err := tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock(oid::bigint) FROM pg_catalog.pg_database WHERE datname = $1", database); err != nil {
		return fmt.Errorf("could not get advisory lock for database %s: %w", database, err)
	}
	return nil
}

// isMember says whether member is a direct member of role (with SET on PostgreSQL 16+).
func isMember(ctx context.Context, q queryer, role, member string) (bool, error) {
	query := "SELECT 1 FROM pg_catalog.pg_auth_members WHERE pg_get_userbyid(roleid) = $1 AND pg_get_userbyid(member) = $2"
	hasSet, err := exists(ctx, q, "SELECT 1 FROM information_schema.columns WHERE table_name = 'pg_auth_members' AND column_name = 'set_option'")
	if err != nil {
		return false, err
	}
	if hasSet {
		query += " AND set_option"
	}
	return exists(ctx, q, query, role, member)
}

// grantMembership makes member a member of role unless it is already; it says whether it did.
func grantMembership(ctx context.Context, q queryer, role, member string) (bool, error) {
	if role == member {
		return false, nil
	}
	if ok, err := isMember(ctx, q, role, member); err != nil || ok {
		return false, err
	}
	if _, err := q.ExecContext(ctx, fmt.Sprintf("GRANT %s TO %s", quoteIdent(role), quoteIdent(member))); err != nil {
		return false, fmt.Errorf("error granting role %s to %s: %w", role, member, err)
	}
	return true, nil
}

func revokeMembership(ctx context.Context, q queryer, role, member string) error {
	if role == member {
		return nil
	}
	if ok, err := isMember(ctx, q, role, member); err != nil || !ok {
		return err
	}
	if _, err := q.ExecContext(ctx, fmt.Sprintf("REVOKE %s FROM %s", quoteIdent(role), quoteIdent(member))); err != nil {
		return fmt.Errorf("error revoking role %s from %s: %w", role, member, err)
	}
	return nil
}

// asConnUser runs fn with the connecting user temporarily a member of role when it is not a
// superuser (what upstream does to create or alter a database owned by another role).
func asConnUser(ctx context.Context, c *conn, role string, fn func() error) error {
	if role == "" {
		return fn()
	}
	super, err := currentUserIsSuperuser(ctx, c)
	if err != nil {
		return err
	}
	if super {
		return fn()
	}
	granted, err := grantMembership(ctx, c, role, c.s.connUser())
	if err != nil {
		return err
	}
	ferr := fn()
	if granted {
		if err := revokeMembership(ctx, c, role, c.s.connUser()); err != nil && ferr == nil {
			ferr = err
		}
	}
	return ferr
}

// withTx runs fn in a transaction on c, committing when fn succeeds.
func withTx(ctx context.Context, c *conn, fn func(tx *sql.Tx) error) error {
	tx, err := c.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("could not start transaction: %w", err)
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("could not commit transaction: %w", err)
	}
	return nil
}

// --- small value helpers ------------------------------------------------------------------------

func ptr[T any](v T) *T { return &v }

func val[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

// sortedSet sorts and deduplicates a set-typed property (upstream's schema.TypeSet).
func sortedSet(in *[]string) *[]string {
	if in == nil {
		return nil
	}
	out := slices.Clone(*in)
	slices.Sort(out)
	out = slices.Compact(out)
	return &out
}

func sameSet(a, b []string) bool {
	x, y := sortedSet(&a), sortedSet(&b)
	return slices.Equal(*x, *y)
}

// autoName gives `name` the bridge's auto-name (SetAutonaming(255, "-")): the resource name,
// "-" and 7 random hex digits; an existing name is kept on updates.
func autoName(name string, olds, news property.Map) (property.Map, error) {
	if v, ok := news.GetOk("name"); ok && !v.IsNull() {
		return news, nil
	}
	if v, ok := olds.GetOk("name"); ok && v.IsString() && v.AsString() != "" {
		return news.Set("name", v), nil
	}
	b := make([]byte, 4)
	if _, err := rand.Read(b); err != nil {
		return news, err
	}
	n := name + "-" + hex.EncodeToString(b)[:7]
	if len(n) > 255 {
		n = n[:255]
	}
	return news.Set("name", property.New(n)), nil
}

// passwordMatches says whether stored (pg_authid.rolpassword) is the hash of password for
// role: md5 as upstream checks it, and SCRAM-SHA-256 (which upstream leaves as a TODO and
// trusts). ok is false when stored is in a form that cannot be checked.
func passwordMatches(stored, password, role string) (match, ok bool) {
	switch {
	case strings.HasPrefix(stored, "md5"):
		sum := md5.Sum([]byte(password + role))
		return stored == "md5"+hex.EncodeToString(sum[:]), true
	case strings.HasPrefix(stored, "SCRAM-SHA-256$"):
		// SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>
		parts := strings.Split(strings.TrimPrefix(stored, "SCRAM-SHA-256$"), "$")
		if len(parts) != 2 {
			return false, false
		}
		iterSalt := strings.SplitN(parts[0], ":", 2)
		keys := strings.SplitN(parts[1], ":", 2)
		if len(iterSalt) != 2 || len(keys) != 2 {
			return false, false
		}
		iter, err1 := strconv.Atoi(iterSalt[0])
		salt, err2 := base64.StdEncoding.DecodeString(iterSalt[1])
		storedKey, err3 := base64.StdEncoding.DecodeString(keys[0])
		if err1 != nil || err2 != nil || err3 != nil {
			return false, false
		}
		// The server SASLprep-normalises non-ASCII passwords; only ASCII is checked here.
		for _, r := range password {
			if r > 0x7f {
				return false, false
			}
		}
		salted, err := pbkdf2.Key(sha256.New, password, salt, iter, sha256.Size)
		if err != nil {
			return false, false
		}
		mac := hmac.New(sha256.New, salted)
		mac.Write([]byte("Client Key"))
		clientKey := sha256.Sum256(mac.Sum(nil))
		return hmac.Equal(clientKey[:], storedKey), true
	}
	return false, false
}
