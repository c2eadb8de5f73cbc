// server.js: crm served by PostGraphile 4, as the README's "Serving crm through
// PostGraphile" shows it.  The server logs in as a member of crm_service (and of the crm
// roles whose rights the API has); each request acts in the account and as the employee
// that pgSettings names, which PostGraphile sets with set_config(..., true): for that
// request's transaction only, as crm requires of crm_service.
//
// Who the caller is comes from the application's own authentication; here from a JWT
// (HS256, claims account_id and employee_id) when CRM_JWT_SECRET is set, else from the
// headers X-Crm-Account / X-Crm-Employee, which stand in for a session lookup and must
// never be taken from a browser as they are.
//
//   node server.js   (env: PGHOST PGPORT PGDATABASE PGUSER, CRM_JWT_SECRET, PORT_FILE)
const http = require("http");
const { postgraphile } = require("postgraphile");
const jwt = require("jsonwebtoken");

function identity(req) {
  if (process.env.CRM_JWT_SECRET) {
    const auth = req.headers.authorization || "";
    const claims = jwt.verify(auth.replace(/^Bearer /, ""), process.env.CRM_JWT_SECRET, {
      algorithms: ["HS256"],
    });
    return { account: claims.account_id, employee: claims.employee_id };
  }
  return { account: req.headers["x-crm-account"], employee: req.headers["x-crm-employee"] };
}

const middleware = postgraphile(
  {
    host: process.env.PGHOST,
    port: Number(process.env.PGPORT || 5432),
    database: process.env.PGDATABASE,
    user: process.env.PGUSER,
  },
  "crm",
  {
    includeExtensionResources: true, // crm's tables and functions belong to the extension
    ignoreRBAC: false, // offer only what the server's role may do (column grants included)
    graphileBuildOptions: { pgStrictFunctions: true }, // an argument without a default is required
    setofFunctionsContainNulls: false,
    extendedErrors: ["errcode", "detail", "hint"], // crm's errors keep their SQLSTATE, detail and hint
    dynamicJson: true,
    disableQueryLog: true,
    pgSettings: async (req) => {
      const who = identity(req);
      return {
        "crm.account_id": who.account == null ? "" : String(who.account),
        "crm.employee_id": who.employee == null ? "" : String(who.employee),
      };
    },
  }
);

const server = http.createServer(middleware);
server.listen(0, "127.0.0.1", () => {
  const port = server.address().port;
  if (process.env.PORT_FILE) require("fs").writeFileSync(process.env.PORT_FILE, String(port));
  console.log(`crm GraphQL on http://127.0.0.1:${port}/graphql`);
});
