import { quoteIdentifier, quoteLiteral, renderPostgresBootstrapSql } from "../../components/render/postgres-bootstrap-sql";

describe("the postgres bootstrap SQL", () => {
  const names = { superuser: "admin", user: "dean_app", database: "dean_data" };

  it("quotes identifiers and literals the way PostgreSQL reads them back", () => {
    expect(quoteIdentifier('we"ird')).toBe('"we""ird"');
    expect(quoteLiteral("it's")).toBe("'it''s'");
  });

  it("stops at the first error, keeps the password out of the server log, and sets it after the rename checks", () => {
    const sql = renderPostgresBootstrapSql(names, "Secret123");
    const lines = sql.split("\n");
    expect(lines[1]).toBe("\\set ON_ERROR_STOP on");
    const passwordLine = lines.findIndex((line) => line.includes("PASSWORD"));
    expect(lines[passwordLine]).toBe(`ALTER ROLE "admin" WITH PASSWORD 'Secret123';`);
    expect(sql.split("Secret123")).toHaveLength(2);
    for (const guard of ["SET log_statement = 'none';", "SET log_min_duration_statement = -1;", "dean:postgres.user is %", "dean:postgres.database is %"]) {
      expect(sql.indexOf(guard)).toBeGreaterThan(-1);
      expect(sql.indexOf(guard)).toBeLessThan(sql.indexOf("Secret123"));
    }
  });

  it("refuses an empty password rather than render ALTER ROLE ... PASSWORD ''", () => {
    expect(() => renderPostgresBootstrapSql(names, "")).toThrow("the superuser password must not be empty");
  });
});
