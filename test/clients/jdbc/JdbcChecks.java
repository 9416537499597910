import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;

/**
 * What an analyst's JDBC tool does against the endpoint, on the driver's default settings: each check
 * prints one JSON line {"check": name, "ok": bool, ...} and the program exits 0 when all ran.
 * Usage: JdbcChecks URL [user password]
 */
public final class JdbcChecks {
  private static String json(String s) {
    StringBuilder b = new StringBuilder("\"");
    for (char c : s.toCharArray()) {
      if (c == '"' || c == '\\') b.append('\\').append(c);
      else if (c < 0x20) b.append(String.format("\\u%04x", (int) c));
      else b.append(c);
    }
    return b.append('"').toString();
  }

  private static void report(String check, String fields) {
    System.out.println("{\"check\":" + json(check) + "," + fields + "}");
  }

  private static void failed(String check, SQLException e) {
    report(check, "\"ok\":false,\"errorCode\":" + e.getErrorCode() + ",\"message\":" + json(String.valueOf(e.getMessage())));
  }

  public static void main(String[] args) throws Exception {
    Properties props = new Properties();
    if (args.length >= 3) {
      props.setProperty("user", args[1]);
      props.setProperty("password", args[2]);
    }
    try (Connection c = DriverManager.getConnection(args[0], props)) {
      DatabaseMetaData md = c.getMetaData();
      report("version", "\"ok\":true,\"value\":" + json(md.getDatabaseProductVersion()));

      List<String> tables = new ArrayList<>();
      try (ResultSet rs = md.getTables(null, "default", "%", null)) {
        while (rs.next()) tables.add(json(rs.getString("TABLE_NAME")));
      }
      List<String> columns = new ArrayList<>();
      try (ResultSet rs = md.getColumns(null, "default", "kpi_latest", "%")) {
        while (rs.next()) columns.add(json(rs.getString("COLUMN_NAME") + " " + rs.getString("TYPE_NAME")));
      }
      report("metadata", "\"ok\":true,\"tables\":" + tables + ",\"kpiLatestColumns\":" + columns);

      try (PreparedStatement ps = c.prepareStatement(
          "SELECT kpi, scope_code, period_start, value FROM kpi_latest"
              + " WHERE kpi = ? AND scope_kind = ? AND period_kind = ? ORDER BY period_start")) {
        ps.setString(1, "online_resolution_rate");
        ps.setString(2, "city");
        ps.setString(3, "month");
        List<String> rows = new ArrayList<>();
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            rows.add(json(rs.getString(1) + "|" + rs.getString(2) + "|" + rs.getDate(3) + "|" + rs.getObject(4)));
          }
        }
        report("parameterized", "\"ok\":true,\"rows\":" + rows);
      } catch (SQLException e) {
        failed("parameterized", e);
      }

      try (Statement st = c.createStatement();
           ResultSet rs = st.executeQuery("SELECT number, toString(number) AS s FROM numbers(1000000)")) {
        long rows = 0;
        long sum = 0;
        boolean consistent = true;
        while (rs.next()) {
          long n = rs.getLong(1);
          consistent &= Long.toString(n).equals(rs.getString(2));
          sum += n;
          rows++;
        }
        report("large", "\"ok\":" + consistent + ",\"rows\":" + rows + ",\"sum\":" + sum);
      } catch (SQLException e) {
        failed("large", e);
      }

      try (Statement st = c.createStatement()) {
        st.executeUpdate("INSERT INTO agencies_v1 (agency_code, name, admin_level, valid_from, version)"
            + " VALUES ('X', 'x', 'province', '2025-01-01', 1)");
        report("insert", "\"ok\":true");
      } catch (SQLException e) {
        failed("insert", e);
      }

      try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT * FROM no_such_table")) {
        report("unknown-table", "\"ok\":true");
      } catch (SQLException e) {
        failed("unknown-table", e);
      }
    }
  }
}
