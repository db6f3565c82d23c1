// What a BI tool sees of pgcrm through PostgreSQL's JDBC driver, logged in as
// a BI login over TCP with a password (test/client/bi_jdbc.sh runs it and
// checks every line against the catalog and the login's settings).
//   java -cp postgresql.jar BiJdbc.java URL LOGIN PASSWORD all VIEW...
//   java -cp postgresql.jar BiJdbc.java URL LOGIN PASSWORD settings
// prints tab-separated facts (settings: only the setting and unqualified lines):
//   table  VIEW REMARKS                       DatabaseMetaData.getTables
//   column VIEW POSITION NAME TYPE REMARKS    DatabaseMetaData.getColumns
//   rows   VIEW COUNT SAME_COLUMNS            SELECT * read to the end, every value fetched
//   other  NAME SQLSTATE                      a relation of crm_dw that is not a BI view, selected
//   setting NAME VALUE                        SHOW
//   unqualified SQLSTATE                      a view named without its schema
//   refused MODE STATEMENT SQLSTATE           writes, read-only and then read-write
//   timeout SQLSTATE MILLISECONDS             a query slower than statement_timeout
//   limit SQLSTATE                            one connection more than the login's limit
//   idle SQLSTATE                             a statement after idling in a transaction too long
import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;

public class BiJdbc {
    private static String url;
    private static Properties login = new Properties();

    public static void main(String[] args) throws Exception {
        url = args[0];
        login.setProperty("user", args[1]);
        login.setProperty("password", args[2]);
        login.setProperty("ApplicationName", "pgcrm JDBC test");
        boolean all = args[3].equals("all");
        Set<String> views = new TreeSet<>(Arrays.asList(args).subList(4, args.length));
        try (Connection c = connect()) {
            for (String setting : List.of("statement_timeout", "idle_in_transaction_session_timeout",
                                          "default_transaction_read_only", "search_path")) {
                print("setting", setting, query(c, "SHOW " + setting));
            }
            print("unqualified", outcome(c, "SELECT count(*) FROM v_dim_date"));
            if (!all) {
                return;
            }
            metadata(c, views);
            for (String view : views) {
                read(c, view);
            }
            writes(c);
            timeout(c);
        }
        connectionLimit();
        idleInTransaction();
    }

    private static Connection connect() throws SQLException {
        return DriverManager.getConnection(url, login);
    }

    private static void print(Object... fields) {
        List<String> text = new ArrayList<>();
        for (Object f : fields) {
            text.add(f == null ? "" : f.toString().replace('\t', ' ').replace('\n', ' '));
        }
        System.out.println(String.join("\t", text));
    }

    private static String query(Connection c, String sql) throws SQLException {
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getString(1);
        }
    }

    // SQLSTATE of a statement, or "ok" when it ran.
    private static String outcome(Connection c, String sql) {
        try (Statement s = c.createStatement()) {
            s.execute(sql);
            return "ok";
        } catch (SQLException e) {
            return e.getSQLState();
        }
    }

    // What a BI tool's schema sync reads: the tables of crm_dw and the columns
    // of the views it may read, with their comments (REMARKS).
    private static void metadata(Connection c, Set<String> views) throws SQLException {
        DatabaseMetaData md = c.getMetaData();
        try (ResultSet rs = md.getTables(null, "crm_dw", "%", new String[] {"TABLE", "VIEW"})) {
            while (rs.next()) {
                String name = rs.getString("TABLE_NAME");
                if (views.contains(name)) {
                    print("table", name, rs.getString("REMARKS"));
                } else {
                    print("other", name, outcome(c, "SELECT * FROM crm_dw.\"" + name + "\" LIMIT 1"));
                }
            }
        }
        for (String view : views) {
            try (ResultSet rs = md.getColumns(null, "crm_dw", view, "%")) {
                while (rs.next()) {
                    print("column", view, rs.getInt("ORDINAL_POSITION"), rs.getString("COLUMN_NAME"), rs.getString("TYPE_NAME"),
                          rs.getString("REMARKS"));
                }
            }
        }
    }

    // Every row and every value, as a report would fetch them; the result's
    // columns must be the ones the metadata announced.
    private static void read(Connection c, String view) throws SQLException {
        List<String> announced = new ArrayList<>();
        try (ResultSet rs = c.getMetaData().getColumns(null, "crm_dw", view, "%")) {
            while (rs.next()) {
                announced.add(rs.getString("COLUMN_NAME") + " " + rs.getString("TYPE_NAME"));
            }
        }
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT * FROM crm_dw.\"" + view + "\"")) {
            ResultSetMetaData rm = rs.getMetaData();
            List<String> got = new ArrayList<>();
            for (int i = 1; i <= rm.getColumnCount(); i++) {
                got.add(rm.getColumnName(i) + " " + rm.getColumnTypeName(i));
            }
            long rows = 0;
            while (rs.next()) {
                for (int i = 1; i <= rm.getColumnCount(); i++) {
                    rs.getObject(i);
                }
                rows++;
            }
            print("rows", view, rows, got.equals(announced));
        }
    }

    private static void writes(Connection c) throws SQLException {
        List<String> attempts = List.of("UPDATE crm_dw.v_kpi_vs_standard SET standard = 0",
                                        "DELETE FROM crm_dw.v_dim_product",
                                        "INSERT INTO crm_dw.column_label VALUES ('v_dim_date', 'year', 'uk', 'x')",
                                        "CREATE TABLE crm_dw.scratch (i integer)");
        // Read-only transactions refuse even what PUBLIC may do: a temporary table.
        print("refused", "read-only", "CREATE TEMP TABLE scratch (i integer)", outcome(c, "CREATE TEMP TABLE scratch (i integer)"));
        for (String sql : attempts) {
            print("refused", "read-only", sql, outcome(c, sql));
        }
        // A client can switch read-only off; the grants still refuse.
        c.setReadOnly(false);
        outcome(c, "SET default_transaction_read_only = off");
        for (String sql : attempts) {
            print("refused", "read-write", sql, outcome(c, sql));
        }
    }

    private static void timeout(Connection c) {
        long start = System.nanoTime();
        String state = outcome(c, "SELECT pg_sleep(60), count(*) FROM crm_dw.v_fact_sales");
        print("timeout", state, (System.nanoTime() - start) / 1_000_000);
    }

    private static void connectionLimit() throws SQLException {
        List<Connection> open = new ArrayList<>();
        String state = "ok";
        try {
            for (int i = 0; i < 100 && state.equals("ok"); i++) {
                try {
                    open.add(connect());
                } catch (SQLException e) {
                    state = e.getSQLState();
                }
            }
            print("limit", state, open.size());
        } finally {
            for (Connection c : open) {
                c.close();
            }
        }
    }

    private static void idleInTransaction() throws Exception {
        try (Connection c = connect()) {
            c.setAutoCommit(false);
            query(c, "SELECT count(*) FROM crm_dw.v_dim_date");
            long idle = Long.parseLong(query(c, "SELECT setting FROM pg_settings WHERE name = 'idle_in_transaction_session_timeout'"));
            Thread.sleep(idle + 1500);
            print("idle", outcome(c, "SELECT count(*) FROM crm_dw.v_dim_date"));
        }
    }
}
